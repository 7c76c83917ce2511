from django.urls import path

from core.pagecache import public_page

from . import views

app_name = "contracts"

urlpatterns = [
    path("", public_page(views.BoardView.as_view()), name="board"),
    path("<int:pk>/", public_page(views.PublicContractView.as_view()), name="public"),
    path("<int:pk>/rate/", views.PublicRateView.as_view(), name="rate"),
    path("menus/", views.MenusView.as_view(), name="menus"),
    path("mine/", views.MyContractsView.as_view(), name="mine"),
    path("mine/new/", views.ContractCreateView.as_view(), name="create"),
    path("mine/<int:pk>/", views.WorkspaceView.as_view(), name="workspace"),
    path("mine/<int:pk>/revise/", views.ReviseView.as_view(), name="revise"),
    path("mine/<int:pk>/compare/", views.CompareView.as_view(), name="compare"),
    path("mine/<int:pk>/certificate/", views.CertificateView.as_view(), name="certificate"),
]
