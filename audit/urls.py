"""Public pages of the record, mounted at /record/."""

from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("", views.EntryListView.as_view(), name="entry_list"),
    path("verify/", views.EntryVerifyView.as_view(), name="verify"),
]
