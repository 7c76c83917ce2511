"""/councils/: my issues, raising one, an issue's page, the triage queue, a motion's page, the public board."""

from django.urls import include, path

from core.pagecache import public_page

from . import views

app_name = "councils"

urlpatterns = [
    path("board/", public_page(views.BoardView.as_view()), name="board"),
    path("issues/", views.IssueListView.as_view(), name="issues"),
    path("issues/new/", views.IssueCreateView.as_view(), name="issue_create"),
    path("issues/<int:pk>/", views.IssueDetailView.as_view(), name="issue"),
    path("triage/", views.TriageListView.as_view(), name="triage"),
    path("motions/<int:pk>/", views.MotionDetailView.as_view(), name="motion"),
    # Meetings and motions (the convener's pages), and a project's discussion, campaign and tasks.
    path("", include("councils.urls_meetings")),
    path("", include("councils.urls_projects")),
]
