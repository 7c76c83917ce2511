"""Points pages under /points/: my points, the market, my codes, verifying a code, leaderboards."""

from django.urls import path

from . import views

app_name = "points"

urlpatterns = [
    path("", views.WalletDetailView.as_view(), name="wallet"),
    path("market/", views.MarketItemListView.as_view(), name="market"),
    path("market/<int:pk>/", views.MarketItemDetailView.as_view(), name="item"),
    path("market/<int:pk>/redeem/", views.RedeemView.as_view(), name="redeem"),
    path("codes/", views.RedemptionListView.as_view(), name="codes"),
    path("codes/<int:pk>/cancel/", views.RedemptionCancelView.as_view(), name="cancel"),
    path("verify/", views.RedemptionVerifyView.as_view(), name="verify"),
    path("leaderboard/", views.LeaderboardView.as_view(), name="leaderboard"),
]
