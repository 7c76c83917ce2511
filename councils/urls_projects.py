"""/councils/…: an issue's discussion, satisfaction rating, crowdfunding campaign and tasks."""

from django.urls import path

from . import views_projects as views

urlpatterns = [
    path("issues/<int:pk>/posts/", views.PostAddView.as_view(), name="post_add"),
    path("posts/<int:pk>/hide/", views.PostHideView.as_view(), name="post_hide"),
    path("issues/<int:pk>/rate/", views.ResultRateView.as_view(), name="result_rate"),
    path("issues/<int:pk>/campaigns/", views.CampaignOpenView.as_view(), name="campaign_open"),
    path("campaigns/<int:pk>/pledge/", views.PledgeMakeView.as_view(), name="pledge"),
    path("pledges/<int:pk>/fulfil/", views.PledgeFulfilView.as_view(), name="pledge_fulfil"),
    path("issues/<int:pk>/tasks/", views.TaskAddView.as_view(), name="task_add"),
    path("tasks/<int:pk>/report/", views.TaskReportView.as_view(), name="task_report"),
]
