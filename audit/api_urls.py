"""API routes of the public record under /api/v1/."""

from rest_framework.routers import SimpleRouter

from .api import RecordEntryViewSet

# SimpleRouter: several apps share /api/v1/, so no app adds its own API root view.
router = SimpleRouter()
router.register("record-entries", RecordEntryViewSet, basename="record-entry")

urlpatterns = router.urls
