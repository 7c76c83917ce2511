"""/volunteers/ pages of the orders part: order a service, my orders, the pool, the orders I hold, one
order's page with its steps, and the community's dispatch board."""

from django.urls import path

from . import views_orders as views

urlpatterns = [
    path("orders/new/", views.OrderCreateView.as_view(), name="order_create"),
    path("orders/mine/", views.MyOrdersView.as_view(), name="orders_mine"),
    path("orders/pool/", views.PoolView.as_view(), name="order_pool"),
    path("orders/held/", views.HeldOrdersView.as_view(), name="orders_held"),
    path("orders/board/", views.BoardView.as_view(), name="order_board"),
    path("orders/<int:pk>/", views.OrderDetailView.as_view(), name="order"),
]
