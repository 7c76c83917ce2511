"""/dashboards/ pages of the ledgers part: my ledgers, asking for one, trying again, downloading."""

from django.urls import path

from . import views_ledgers as views

urlpatterns = [
    path("ledgers/", views.LedgerListView.as_view(), name="ledgers"),
    path("ledgers/request/", views.LedgerRequestView.as_view(), name="ledger_request"),
    path("ledgers/<int:pk>/retry/", views.LedgerRetryView.as_view(), name="ledger_retry"),
    path("ledgers/<int:pk>/download/", views.LedgerDownloadView.as_view(), name="ledger_download"),
]
