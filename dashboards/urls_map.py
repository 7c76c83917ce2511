"""/dashboards/ pages of the map part: the Party-and-people map (public) and the print views."""

from django.urls import path, re_path

from . import views_map, views_print

urlpatterns: list = [
    path("map/", views_map.MapView.as_view(), name="map"),
    re_path(
        r"^(?P<area_id>[0-9]+)/report/(?P<year>[0-9]{4})-(?P<month>[0-9]{2})/print/$",
        views_print.MonthlyReportPrintView.as_view(),
        name="report_print",
    ),
    path("contracts/<int:pk>/print/", views_print.ContractPrintView.as_view(), name="contract_print"),
]
