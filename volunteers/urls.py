"""/volunteers/: a member's service page, reports and pledges, micro-wishes, service orders, activities."""

from django.urls import include, path

from . import views

app_name = "volunteers"

urlpatterns = [
    path("", views.MyServiceView.as_view(), name="home"),
    path("", include("volunteers.urls_reporting")),
    path("", include("volunteers.urls_wishes")),
    path("", include("volunteers.urls_orders")),
    path("", include("volunteers.urls_activities")),
]
