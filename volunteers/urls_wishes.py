"""/volunteers/ pages of the wishes part: the wish wall, posting, a wish's page and its steps, my wishes,
the staff's list."""

from django.urls import path

from . import views_wishes as views

urlpatterns: list = [
    path("wishes/", views.WishWallView.as_view(), name="wishes"),
    path("wishes/new/", views.WishCreateView.as_view(), name="wish_create"),
    path("wishes/mine/", views.MyWishesView.as_view(), name="wishes_mine"),
    path("wishes/manage/", views.StaffWishListView.as_view(), name="wishes_manage"),
    path("wishes/<int:pk>/", views.WishDetailView.as_view(), name="wish"),
    path("wishes/<int:pk>/claim/", views.WishClaimView.as_view(), name="wish_claim"),
    path("wishes/<int:pk>/fulfil/", views.WishFulfilView.as_view(), name="wish_fulfil"),
    path("wishes/<int:pk>/confirm/", views.WishConfirmView.as_view(), name="wish_confirm"),
    path("wishes/<int:pk>/cancel/", views.WishCancelView.as_view(), name="wish_cancel"),
]
