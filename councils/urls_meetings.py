"""/councils/meetings/…: scheduling, minutes, approval; drafting and opening motions."""

from django.urls import path

from . import views_meetings as views

urlpatterns = [
    path("meetings/", views.MeetingListView.as_view(), name="meetings"),
    path("meetings/new/", views.MeetingCreateView.as_view(), name="meeting_create"),
    path("meetings/<int:pk>/", views.MeetingDetailView.as_view(), name="meeting"),
    path("motions/new/", views.MotionCreateView.as_view(), name="motion_create"),
    path("motions/<int:pk>/step/", views.MotionStepView.as_view(), name="motion_step"),
]
