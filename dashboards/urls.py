"""/dashboards/: the dashboards with their charts and figure lists, ledgers, the map, print views."""

from django.urls import include, path

app_name = "dashboards"

urlpatterns = [
    path("", include("dashboards.urls_figures")),
    path("", include("dashboards.urls_ledgers")),
    path("", include("dashboards.urls_map")),
    path("", include("dashboards.urls_print")),
]
