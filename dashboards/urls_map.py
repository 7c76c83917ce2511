"""/dashboards/ pages of the map part: the Party-and-people map (public)."""

from django.urls import path

from . import views_map

urlpatterns = [
    path("map/", views_map.MapView.as_view(), name="map"),
]
