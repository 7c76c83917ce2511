"""/api/v1/: councils/ (+ seats), issues/ (one POST per step), motions/ (open, vote, receipt, close)."""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("councils", api.CouncilViewSet, basename="council")
router.register("issues", api.IssueViewSet, basename="issue")
router.register("motions", api.MotionViewSet, basename="motion")

urlpatterns = router.urls
