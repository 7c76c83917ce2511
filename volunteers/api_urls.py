"""/api/v1/: member-reports/, pledge-texts/, wishes/, service-orders/, activities/, activity-signups/ (a POST per step)."""

from rest_framework.routers import SimpleRouter

from . import api_activities, api_orders, api_reporting, api_wishes

router = SimpleRouter()
for part in (api_reporting, api_wishes, api_orders, api_activities):
    part.register(router)

urlpatterns = router.urls
