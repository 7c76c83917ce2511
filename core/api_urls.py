from django.urls import path

from . import api_views

urlpatterns = [
    path("auth/token/", api_views.ObtainTokenApi.as_view(), name="api-token"),
    path("me/", api_views.MeApi.as_view(), name="api-me"),
]
