"""/dashboards/ pages of the figures part: the dashboard of an area and the rows behind each figure."""

from django.urls import path

from . import views_figures

urlpatterns = [
    path("", views_figures.DashboardView.as_view(), name="dashboard"),
    path("<int:area_id>/", views_figures.DashboardView.as_view(), name="area"),
    path("<int:area_id>/figures/<str:key>/", views_figures.FigureListView.as_view(), name="figure"),
]
