"""/volunteers/activities/…: the list, an activity's page, the check-in link of the venue's QR code; for
the community's staff publishing, editing, the sign-up list and the venue screen."""

from django.urls import path

from . import views_activities as views

urlpatterns = [
    path("activities/", views.ActivityListView.as_view(), name="activity_list"),
    path("activities/new/", views.ActivityCreateView.as_view(), name="activity_create"),
    path("activities/<int:pk>/", views.ActivityDetailView.as_view(), name="activity_detail"),
    path("activities/<int:pk>/edit/", views.ActivityEditView.as_view(), name="activity_edit"),
    path("activities/<int:pk>/signups/", views.ActivitySignupsView.as_view(), name="activity_signups"),
    path("activities/<int:pk>/venue/", views.ActivityVenueView.as_view(), name="activity_venue"),
    path("activities/<int:pk>/check-in/", views.ActivityCheckInView.as_view(), name="activity_checkin"),
]
