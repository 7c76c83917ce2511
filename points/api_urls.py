"""/api/v1/: wallet/, wallet/statement/, market-items/, redemptions/ (+ cancel, lookup, verify), leaderboards/,
earning-rules/ (staff)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

# SimpleRouter: no API root view of our own, /api/v1/ is shared by every app.
router = SimpleRouter()
router.register("market-items", api.MarketItemViewSet, basename="market-item")
router.register("redemptions", api.RedemptionViewSet, basename="redemption")
router.register("earning-rules", api.EarningRuleViewSet, basename="earning-rule")

urlpatterns = [
    path("wallet/", api.WalletApi.as_view(), name="points-wallet"),
    path("wallet/statement/", api.WalletStatementApi.as_view(), name="points-wallet-statement"),
    path("leaderboards/", api.LeaderboardApi.as_view(), name="points-leaderboards"),
    *router.urls,
]
