"""/dashboards/ print views (A4, the navigation left out): an area's monthly report and a signed contract."""

from django.urls import path, re_path

from . import views_print

urlpatterns = [
    re_path(
        r"^(?P<area_id>[0-9]+)/report/(?P<year>[0-9]{4})-(?P<month>[0-9]{2})/print/$",
        views_print.MonthlyReportPrintView.as_view(),
        name="report_print",
    ),
    path("contracts/<int:pk>/print/", views_print.ContractPrintView.as_view(), name="contract_print"),
]
