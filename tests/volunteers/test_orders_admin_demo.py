"""The back office lists service orders read-only, scoped to the user's areas, with the timeline and the
"open to grab" action; the demo seeds orders in every state, idempotently."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management.base import OutputWrapper
from django.core.management.color import no_style
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from community.models import Area, User
from core.seeding import DemoContext
from tests.volunteers.test_orders_support import order_world, place
from volunteers.models import OrderEvent, ServiceOrder
from volunteers.selectors import orders as selectors
from volunteers.workflow import OrderState

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_admin_list_is_scoped_read_only_and_costs_the_same_queries(district):
    w = order_world(district)
    for _n in range(2):
        place(w)
    client = signed_in(district.secretary1)
    client.get("/admin/volunteers/serviceorder/")
    with CaptureQueriesContext(connection) as few:
        client.get("/admin/volunteers/serviceorder/")
    for n in range(18):
        place(w, description=f"订单{n}")
    with CaptureQueriesContext(connection) as many:
        response = client.get("/admin/volunteers/serviceorder/")
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 20
    assert len(many) == len(few)
    # Another community's secretary sees none of them; a member sees no back office list.
    other = signed_in(district.secretary3).get("/admin/volunteers/serviceorder/")
    assert len(other.context["cl"].result_list) == 0
    assert signed_in(w.members[0]).get("/admin/volunteers/serviceorder/").status_code in (302, 403)


def test_the_admin_order_page_shows_the_timeline_and_nothing_can_be_changed(district):
    w = order_world(district)
    order = place(w, address="越都花园3幢2单元501")
    client = signed_in(district.secretary1)
    page = client.get(f"/admin/volunteers/serviceorder/{order.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "厨房水龙头" in html and "3幢2单元501" not in html
    assert 'name="_save"' not in html
    assert len(page.context["inline_admin_formsets"]) == 1
    before = ServiceOrder.objects.get(pk=order.pk).description
    client.post(f"/admin/volunteers/serviceorder/{order.pk}/change/", {"description": "改掉"})
    assert ServiceOrder.objects.get(pk=order.pk).description == before
    assert (
        signed_in(district.secretary3).get(f"/admin/volunteers/serviceorder/{order.pk}/change/").status_code
        == 404
    )


def test_the_admin_action_opens_orders_to_grab_through_the_service(district):
    w = order_world(district)
    waiting, other = place(w), place(w)
    from volunteers.services import orders as services

    services.order_dispatch(actor=district.secretary1, order=other, member=w.members[1])
    response = signed_in(district.secretary1).post(
        "/admin/volunteers/serviceorder/",
        {"action": "open_to_grab", "_selected_action": [waiting.pk, other.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert ServiceOrder.objects.get(pk=waiting.pk).state == OrderState.POOLED
    assert ServiceOrder.objects.get(pk=other.pk).state == OrderState.ASSIGNED  # refused: already dispatched
    assert OrderEvent.objects.filter(order=waiting, step="pool", actor=district.secretary1).count() == 1
    texts = [str(m) for m in response.context["messages"]]
    assert any("1" in t for t in texts) and len(texts) == 2


def _seed_demo() -> None:
    from community import demo as community_demo
    from points import demo as points_demo
    from volunteers import demo_orders, demo_reporting

    out = OutputWrapper(StringIO())
    ctx = DemoContext(stdout=out, style=no_style())
    community_demo.seed(ctx)
    points_demo.seed(ctx)
    demo_reporting.seed(ctx)
    demo_orders.seed(ctx)


def test_the_demo_has_orders_in_every_state_for_its_logins_and_seeding_twice_adds_nothing():
    _seed_demo()
    yuedu = Area.objects.get(name="越都社区")
    orders = ServiceOrder.objects.filter(community=yuedu)
    count, events = orders.count(), OrderEvent.objects.count()
    assert count >= 12
    assert set(orders.values_list("state", flat=True)) == set(OrderState.values)

    _seed_demo()
    assert ServiceOrder.objects.filter(community=yuedu).count() == count
    assert OrderEvent.objects.count() == events

    jumin_li = User.objects.get(username="jumin_li")
    wang = User.objects.get(username="dangyuan_wang")
    assert selectors.orders_ordered(actor=jumin_li).filter(state=OrderState.DONE).exists()
    grabbable = list(selectors.order_pool(actor=wang))
    assert grabbable and all(o.resident.user_id != wang.pk for o in grabbable)
    assert "grab" in selectors.order_steps(wang, grabbable[0])
    # Every order's description is a realistic Chinese one, and the finished ones have photos.
    assert all(o.photos.exists() for o in orders.filter(state__in=[OrderState.DONE, OrderState.RATED]))
    assert orders.filter(ordered_by__username="yuedu_shegong").exists()
