"""/api/v1/: councils/, issues/ (a POST per step, posts, rate), motions/, council-meetings/, campaigns/, pledges/, council-tasks/."""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("councils", api.CouncilViewSet, basename="council")
router.register("issues", api.IssueViewSet, basename="issue")
router.register("motions", api.MotionViewSet, basename="motion")
router.register("council-meetings", api.MeetingViewSet, basename="council-meeting")
router.register("campaigns", api.CampaignViewSet, basename="campaign")
router.register("pledges", api.PledgeViewSet, basename="pledge")
router.register("council-tasks", api.TaskViewSet, basename="council-task")

urlpatterns = router.urls
