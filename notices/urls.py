"""Inbox pages under /notices/."""

from django.urls import path

from . import views

app_name = "notices"

urlpatterns = [
    path("", views.NoticeListView.as_view(), name="inbox"),
    path("<int:pk>/read/", views.NoticeReadView.as_view(), name="read"),
    path("read-all/", views.NoticeReadAllView.as_view(), name="read_all"),
]
