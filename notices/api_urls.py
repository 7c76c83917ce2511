"""/api/v1/notices/: list, detail, {id}/read/, read-all/, unread-count/."""

from rest_framework.routers import SimpleRouter

from .api import NoticeViewSet

# SimpleRouter: no API root view of our own, /api/v1/ is shared by every app.
router = SimpleRouter()
router.register("notices", NoticeViewSet, basename="notice")

urlpatterns = router.urls
