"""/api/v1/: stats/ (figures, trends, comparison for an area and a period), ledger-exports/, map-points/."""

from django.urls import include, path

urlpatterns = [
    path("", include("dashboards.api_figures")),
    path("", include("dashboards.api_charts")),
    path("", include("dashboards.api_ledgers")),
    path("", include("dashboards.api_map")),
]
