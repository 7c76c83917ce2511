"""Pages of volunteering: "my service" — one page on a phone for what a member or resident does next.

A member sees their report and the pledge to sign, their tasks (wishes lit up, orders held,
activities signed up to), what is open near them (orders to grab, wishes to light up, activities),
and this year's hours and points. A resident sees their wishes and orders, with what awaits them
(confirming a fulfilled wish, rating a done order). Staff get the links to their boards.
"""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.utils import timezone
from django.views.generic import TemplateView

from community.models import PartyMember
from points.market_selectors import wallet_of

from .selectors import activities, orders, reporting, wishes
from .services.common import STAFF_ROLES
from .workflow import OrderState, SignupState, WishState

# How many of each list the page shows; each list links to its full page.
FEED_SIZE = 5
# Orders that wait on the member: to accept, to serve, to mark done.
TASK_ORDER_STATES = (OrderState.ASSIGNED, OrderState.ACCEPTED, OrderState.STARTED)


class MyServiceView(LoginRequiredMixin, TemplateView):
    template_name = "volunteers/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        from community.access import scope_for

        scope = scope_for(user)
        is_member = PartyMember.objects.filter(person__user=user).exists()
        now = timezone.now()
        year_start = timezone.localtime(now).replace(
            month=1, day=1, hour=0, minute=0, second=0, microsecond=0
        )
        context.update(
            is_member=is_member,
            is_staff=scope.everything or bool(scope.roles & set(STAFF_ROLES)),
            has_home=getattr(user, "person", None) is not None,
            wallet=wallet_of(user),
            hours=activities.hours_of(user=user, since=year_start),
            # Tasks are what is still to do: sign-ups to activities that have not ended.
            my_signups=list(
                activities.signups_of(actor=user).filter(
                    state=SignupState.SIGNED_UP,
                    activity__ends_at__gt=now,
                    activity__cancelled_at__isnull=True,
                )[:FEED_SIZE]
            ),
            near_activities=list(activities.upcoming_activities(actor=user)[:FEED_SIZE]),
            my_wishes=list(wishes.wishes_posted(actor=user)[:FEED_SIZE]),
            my_orders=list(orders.orders_ordered(actor=user)[:FEED_SIZE]),
            WishState=WishState,
            OrderState=OrderState,
        )
        if is_member:
            context.update(
                report=reporting.my_report(actor=user),
                pledge=reporting.pledge_to_sign(actor=user),
                claimed=list(wishes.wishes_claimed(actor=user).filter(state=WishState.CLAIMED)[:FEED_SIZE]),
                held=list(orders.orders_held(actor=user).filter(state__in=TASK_ORDER_STATES)[:FEED_SIZE]),
                pool=list(orders.order_pool(actor=user)[:FEED_SIZE]),
                wall=list(wishes.wish_wall(actor=user)[:FEED_SIZE]),
            )
        return context
