from django.urls import path

from . import views

app_name = "contracts"

urlpatterns = [
    path("", views.BoardView.as_view(), name="board"),
    path("<int:pk>/", views.PublicContractView.as_view(), name="public"),
]
