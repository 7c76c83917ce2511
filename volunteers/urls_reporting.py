"""/volunteers/ pages of the reporting part: the member's report and pledge, the staff's registry and pledges."""

from django.urls import path

from . import views_reporting as views

urlpatterns = [
    path("report/", views.ReportView.as_view(), name="report"),
    path("registry/", views.RegistryView.as_view(), name="registry"),
    path("registry/export/", views.RegistryExportView.as_view(), name="registry_export"),
    path("registry/<int:pk>/", views.RegistryReportView.as_view(), name="registry_report"),
    path("pledge/", views.PledgeView.as_view(), name="pledge"),
    path("pledges/", views.PledgeManageView.as_view(), name="pledges"),
]
