"""On PostgreSQL, with real threads each on its own connection: 50 members grab one order and exactly
one wins; the periodic steps run at the same time by several workers do each thing once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from core.exceptions import Conflict
from notices.models import Notice
from tests.concurrency import run_together
from tests.volunteers.test_orders_support import done, order_awards, order_world, place, pooled
from volunteers.models import OrderEvent, ServiceOrder
from volunteers.services import orders as services
from volunteers.workflow import OrderState

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("require_postgres")]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_fifty_members_grab_one_order_at_once_and_exactly_one_wins(district):
    w = order_world(district, members=50)
    order = pooled(w)

    results, errors = run_together(50, lambda n: services.order_grab(actor=w.members[n], order=order))

    assert errors == []
    winners = [r for r in results if isinstance(r, ServiceOrder)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(losers) == 49
    assert {loser.code for loser in losers} == {"order_taken"}
    # Each loser is told in the platform's language (Chinese first) that another member was quicker.
    assert {str(loser.message) for loser in losers} == {"手慢了，这一单已被其他党员接走。"}
    order.refresh_from_db()
    assert order.state == OrderState.ACCEPTED and order.member == winners[0].member
    assert OrderEvent.objects.filter(order=order, step="grab").count() == 1
    assert Notice.objects.filter(kind="service-order-accepted").count() == 1
    assert connection.vendor == "postgresql"


def test_the_return_job_run_by_four_workers_at_once_returns_each_order_once(district):
    w = order_world(district)
    orders = [pooled(w) for _n in range(3)]
    orders.append(services.order_dispatch(actor=w.d.secretary1, order=place(w), member=w.members[1]))
    later = timezone.now() + timedelta(hours=25)

    results, errors = run_together(4, lambda n: services.orders_return_unaccepted(later))

    assert errors == [] and sum(results) == 4
    for order in orders:
        order.refresh_from_db()
        assert order.state == OrderState.ORDERED
        assert OrderEvent.objects.filter(order=order, step="timeout").count() == 1
    # Each of the two staff (secretary, social worker) is told once per order.
    assert Notice.objects.filter(kind="service-order-returned").count() == 4 * 2


def test_the_close_job_run_by_four_workers_at_once_closes_and_pays_each_order_once(district):
    w = order_world(district)
    orders = [done(w) for _n in range(3)]
    later = timezone.now() + timedelta(days=8)

    results, errors = run_together(4, lambda n: services.orders_close_unrated(later))

    assert errors == [] and sum(results) == 3
    assert ServiceOrder.objects.filter(pk__in=[o.pk for o in orders], state=OrderState.CLOSED).count() == 3
    assert sorted(m.args[3] for m in order_awards()) == sorted(f"service-order:{o.pk}" for o in orders)


def test_a_resident_rating_while_the_close_job_runs_pays_once(district):
    w = order_world(district)
    order = done(w)
    ServiceOrder.objects.filter(pk=order.pk).update(rate_by=timezone.now() - timedelta(seconds=1))

    def work(n):
        if n == 0:
            return services.order_rate(actor=w.resident, order=order, stars=5)
        return services.orders_close_unrated(timezone.now())

    results, errors = run_together(2, work)

    assert errors == []
    order.refresh_from_db()
    assert order.state in (OrderState.RATED, OrderState.CLOSED)
    assert order_awards().count() == 1
