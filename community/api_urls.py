"""Routes of the community API under /api/v1/ (a SimpleRouter: /api/v1/ itself belongs to no one app)."""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("areas", api.AreaViewSet, basename="area")
router.register("organisations", api.OrganisationViewSet, basename="organisation")
router.register("people", api.PersonViewSet, basename="person")
router.register("party-members", api.PartyMemberViewSet, basename="party-member")
router.register("role-grants", api.RoleGrantViewSet, basename="role-grant")

urlpatterns = router.urls
