"""/dashboards/ pages of the map part: the Party-and-people map (public)."""

from django.urls import path

from core.pagecache import public_page

from . import views_map

urlpatterns = [
    path("map/", public_page(views_map.MapView.as_view()), name="map"),
]
