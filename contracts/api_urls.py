"""/api/v1/: pairings/, contracts/ (one POST verb per step, records/, meetings/, comments/), menu-offers/, needs/."""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("pairings", api.PairingViewSet, basename="pairing")
router.register("contracts", api.ContractViewSet, basename="contract")
router.register("menu-offers", api.MenuOfferViewSet, basename="menu-offer")
router.register("needs", api.NeedViewSet, basename="need")

urlpatterns = router.urls
