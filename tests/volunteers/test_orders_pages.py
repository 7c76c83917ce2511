"""The service-order pages: ordering from a phone, my orders with the rating form, the pool and the
grab, the order page's steps with the photo upload, and the secretary's dispatch board — errors shown
with their status and nothing changed, the full address shown only to those who must call, lists at a
fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.volunteers.test_orders_support import (
    done,
    grabbed,
    order_awards,
    order_world,
    photo,
    place,
    pooled,
    snapshot,
)
from volunteers.models import OrderEvent, ServiceOrder
from volunteers.services import orders as services
from volunteers.workflow import OrderState

pytestmark = pytest.mark.django_db

ADDRESS = "越都花园3幢2单元501"
PHONE = "13912345678"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def w(district):
    return order_world(district)


def signed_in(user, *, english: bool = True) -> Client:
    client = Client()
    client.force_login(user)
    if english:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def form_data(**fields) -> dict:
    start = timezone.now() + timedelta(days=1)
    return {
        "field": "repair",
        "description": "洗衣机不脱水",
        "window_start": local(start),
        "window_end": local(start + timedelta(hours=2)),
        "address": "",
        "contact_phone": "",
        **fields,
    }


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- The resident -----------------------------------------------------------------------------------


def test_a_resident_orders_from_the_form_and_follows_it_on_my_orders(w):
    client = signed_in(w.resident)
    page = client.get("/volunteers/orders/new/")
    assert page.status_code == 200
    assert page.context["form"]["address"].value() == "越都花园1幢"

    response = client.post("/volunteers/orders/new/", form_data())

    assert response.status_code == 302 and response["Location"] == "/volunteers/orders/mine/"
    order = ServiceOrder.objects.get()
    assert (order.address, order.contact_phone, order.state) == ("越都花园1幢", "13900002222", "ordered")
    mine = client.get("/volunteers/orders/mine/")
    html = mine.content.decode()
    assert "洗衣机不脱水" in html and 'data-state="ordered"' in html
    assert "Ordered, awaiting dispatch" in html


def test_a_window_ending_before_it_starts_is_refused_on_the_form(w):
    start = timezone.now() + timedelta(days=1)
    response = signed_in(w.resident).post(
        "/volunteers/orders/new/",
        form_data(window_start=local(start), window_end=local(start - timedelta(hours=1))),
    )
    assert response.status_code == 400
    assert "The time window must end after it starts." in response.content.decode()
    assert not ServiceOrder.objects.exists()


def test_someone_who_lives_nowhere_here_is_refused_on_the_form(w):
    from tests.factories import make_user

    response = signed_in(make_user("visitor")).post("/volunteers/orders/new/", form_data())
    assert response.status_code == 403
    assert any("Register as a resident first" in m for m in messages_of(response))
    assert not ServiceOrder.objects.exists()


def test_a_social_worker_orders_for_a_resident_from_the_form(w):
    client = signed_in(w.social_worker)
    page = client.get("/volunteers/orders/new/")
    assert "for_person" in page.context["form"].fields
    response = client.post(
        "/volunteers/orders/new/", form_data(for_person=str(w.d.resident.pk), address="越都花园1幢101")
    )
    order = ServiceOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/volunteers/orders/{order.pk}/"
    assert order.resident == w.d.resident and order.ordered_by == w.social_worker


def test_the_resident_rates_on_my_orders_once(w):
    order = done(w)
    client = signed_in(w.resident)
    mine = client.get("/volunteers/orders/mine/")
    assert 'data-testid="rate-form"' in mine.content.decode()

    back = "/volunteers/orders/mine/"
    response = client.post(
        f"/volunteers/orders/{order.pk}/",
        {"step": "rate", "stars": "5", "comment": "很好", "page": "mine", "back": back},
    )
    assert response.status_code == 302 and response["Location"] == back
    assert ServiceOrder.objects.get(pk=order.pk).state == OrderState.RATED
    before = snapshot(order)

    again = client.post(
        f"/volunteers/orders/{order.pk}/", {"step": "rate", "stars": "1", "page": "mine", "back": back}
    )
    assert again.status_code == 409
    assert any("This order has been rated." in m for m in messages_of(again))
    assert snapshot(order) == before and order_awards().count() == 1


def test_rating_an_order_not_ones_own_is_refused(w):
    order = done(w)
    before = snapshot(order)
    response = signed_in(w.members[1]).post(f"/volunteers/orders/{order.pk}/", {"step": "rate", "stars": "5"})
    assert response.status_code == 403
    assert (
        signed_in(w.outsider)
        .post(f"/volunteers/orders/{order.pk}/", {"step": "rate", "stars": "5"})
        .status_code
        == 404
    )
    assert snapshot(order) == before


# --- The member: pool, grab, steps ----------------------------------------------------------------------


def test_the_pool_lists_the_communitys_open_orders_own_grid_first_with_the_address_masked(w):
    elsewhere = place(w, address=ADDRESS, contact_phone=PHONE)
    ServiceOrder.objects.filter(pk=elsewhere.pk).update(grid=None)
    pooled(w, elsewhere)
    own = pooled(w, place(w, address=ADDRESS, contact_phone=PHONE, description="帮忙代买药品"))
    place(w, description="还没发单的")  # not pooled: not listed

    page = signed_in(w.members[1]).get("/volunteers/orders/pool/")

    assert page.status_code == 200
    assert [o.pk for o in page.context["orders"]] == [own.pk, elsewhere.pk]
    html = page.content.decode()
    assert "3幢2单元501" not in html and PHONE not in html and "越都花园3幢****" in html
    assert "还没发单的" not in html
    # A member of another community sees nothing of it, and its page is not found.
    other = signed_in(w.outsider)
    assert other.get("/volunteers/orders/pool/").context["orders"] == []
    assert other.get(f"/volunteers/orders/{own.pk}/").status_code == 404


def test_an_unreported_member_is_told_to_report_first(w):
    page = signed_in(w.unreported).get("/volunteers/orders/pool/")
    assert page.status_code == 200 and 'data-testid="not-reported"' in page.content.decode()


def test_grabbing_from_the_pool_shows_the_address_and_a_late_grab_gets_409(w):
    order = pooled(w, place(w, address=ADDRESS, contact_phone=PHONE))
    winner, loser = signed_in(w.members[1]), signed_in(w.members[2])
    before_page = winner.get(f"/volunteers/orders/{order.pk}/").content.decode()
    assert "3幢2单元501" not in before_page and 'data-testid="grab"' in before_page

    response = winner.post(f"/volunteers/orders/{order.pk}/", {"step": "grab", "page": "pool"})

    assert response.status_code == 302 and response["Location"] == f"/volunteers/orders/{order.pk}/"
    page = winner.get(response["Location"]).content.decode()
    assert ADDRESS in page and PHONE in page
    before = snapshot(order)
    late = loser.post(f"/volunteers/orders/{order.pk}/", {"step": "grab", "page": "pool"})
    assert late.status_code == 409
    assert any("already been taken by another member" in m for m in messages_of(late))
    assert late.templates[0].name == "volunteers/orders/pool.html"
    assert snapshot(order) == before
    # The loser cannot open it any more, nor see its address anywhere.
    assert loser.get(f"/volunteers/orders/{order.pk}/").status_code == 404
    assert ADDRESS not in loser.get("/volunteers/orders/held/").content.decode()


def test_a_dispatched_member_sees_the_address_only_after_accepting(w):
    order = place(w, address=ADDRESS, contact_phone=PHONE)
    services.order_dispatch(actor=w.d.secretary1, order=order, member=w.members[1])
    client = signed_in(w.members[1])
    held = client.get("/volunteers/orders/held/").content.decode()
    assert "越都花园3幢****" in held and ADDRESS not in held
    page = client.get(f"/volunteers/orders/{order.pk}/").content.decode()
    assert ADDRESS not in page and PHONE not in page and 'data-testid="accept"' in page

    response = client.post(f"/volunteers/orders/{order.pk}/", {"step": "accept"})

    assert response.status_code == 302
    page = client.get(f"/volunteers/orders/{order.pk}/").content.decode()
    assert ADDRESS in page and PHONE in page
    # Another member of the community is refused the order's steps and does not see it.
    other = signed_in(w.members[2])
    before = snapshot(order)
    assert other.post(f"/volunteers/orders/{order.pk}/", {"step": "start"}).status_code == 403
    assert other.get(f"/volunteers/orders/{order.pk}/").status_code == 404
    assert snapshot(order) == before


def test_the_member_marks_it_done_with_a_photo_upload(w):
    order = grabbed(w, w.members[1])
    client = signed_in(w.members[1])
    response = client.post(
        f"/volunteers/orders/{order.pk}/",
        {"step": "finish", "note": "换好了阀芯", "photos": [photo(), photo("after.png")]},
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.state == OrderState.DONE and order.photos.count() == 2
    page = client.get(f"/volunteers/orders/{order.pk}/").content.decode()
    assert page.count('data-testid="order-photo"') == 2 and "换好了阀芯" in page


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: photo("fake.jpg", b"just some text, not a picture", "image/jpeg"), "must be a JPG or PNG"),
        (lambda: photo("big.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (8 * 1024 * 1024)), "at most 8 MB"),
    ],
    ids=["text-as-jpg", "too-large"],
)
def test_a_bad_photo_is_refused_on_the_page_and_nothing_changes(w, upload, message):
    order = grabbed(w, w.members[1])
    before = snapshot(order)
    response = signed_in(w.members[1]).post(
        f"/volunteers/orders/{order.pk}/", {"step": "finish", "note": "做好了", "photos": [upload()]}
    )
    assert response.status_code == 400
    assert any(message in m for m in messages_of(response))
    assert snapshot(order) == before


def test_held_orders_list_those_awaiting_the_member_first(w):
    member = w.members[1]
    finished = done(w, member)
    waiting = services.order_dispatch(actor=w.d.secretary1, order=place(w), member=member)
    page = signed_in(member).get("/volunteers/orders/held/")
    assert [o.pk for o in page.context["orders"]] == [waiting.pk, finished.pk]


# --- The secretary's dispatch board ----------------------------------------------------------------------


def test_the_board_lists_orders_by_state_marks_the_overdue_and_dispatches(w):
    waiting = place(w, address=ADDRESS, contact_phone=PHONE)
    late = pooled(w)
    ServiceOrder.objects.filter(pk=late.pk).update(accept_by=timezone.now() - timedelta(minutes=5))
    client = signed_in(w.d.secretary1)

    board = client.get("/volunteers/orders/board/")

    assert board.status_code == 200
    html = board.content.decode()
    assert [o.pk for o in board.context["orders"]] == [waiting.pk, late.pk]
    assert f'data-order="{late.pk}" data-overdue="true"' in html
    assert ADDRESS in html and PHONE in html  # staff must be able to call
    # The dispatch select names the reported members with their skills.
    form = next(o for o in board.context["orders"] if o.pk == waiting.pk).dispatch_form
    labels = dict(form.fields["member"].choices)
    assert "王建国 · 越都一网格 · 电工" in labels[w.members[0].pk]
    assert w.unreported.pk not in labels and w.outsider.pk not in labels

    back = "/volunteers/orders/board/?state=open&field=repair"
    response = client.post(
        f"/volunteers/orders/{waiting.pk}/",
        {"step": "dispatch", "member": str(w.members[0].pk), "page": "board", "back": back},
    )
    assert response.status_code == 302 and response["Location"] == back
    waiting.refresh_from_db()
    assert waiting.state == OrderState.ASSIGNED and waiting.member == w.members[0]


def test_the_board_pools_an_order_and_refuses_a_second_dispatch(w):
    order = place(w)
    client = signed_in(w.d.secretary1)
    response = client.post(f"/volunteers/orders/{order.pk}/", {"step": "pool", "page": "board"})
    assert response.status_code == 302 and response["Location"] == "/volunteers/orders/board/"
    assert ServiceOrder.objects.get(pk=order.pk).state == OrderState.POOLED
    before = snapshot(order)
    again = client.post(
        f"/volunteers/orders/{order.pk}/",
        {
            "step": "dispatch",
            "member": str(w.members[0].pk),
            "page": "board",
            "back": "/volunteers/orders/board/",
        },
    )
    assert again.status_code == 409 and again.templates[0].name == "volunteers/orders/board.html"
    assert snapshot(order) == before


def test_the_board_filters_by_state_field_and_grid(w):
    repair = place(w)
    legal = place(w, field="legal", description="想咨询遗嘱怎么写")
    elsewhere = place(w, field="legal", description="网格外的")
    ServiceOrder.objects.filter(pk=elsewhere.pk).update(grid=None)
    rated = done(w)
    services.order_rate(actor=w.resident, order=rated, stars=5)
    client = signed_in(w.d.secretary1)

    def shown(query):
        return [o.pk for o in client.get(f"/volunteers/orders/board/?{query}").context["orders"]]

    assert set(shown("")) == {repair.pk, legal.pk, elsewhere.pk}  # open by default
    assert shown("state=rated") == [rated.pk]
    rated_page = client.get("/volunteers/orders/board/?state=rated").content.decode()
    assert 'data-testid="board-rating"' in rated_page and "5 ★" in rated_page
    assert set(shown("state=")) == {repair.pk, legal.pk, elsewhere.pk, rated.pk}
    assert set(shown("field=legal")) == {legal.pk, elsewhere.pk}
    assert shown(f"field=legal&grid={w.d.grid1.pk}") == [legal.pk]


def test_only_staff_see_the_board(w):
    assert signed_in(w.members[0]).get("/volunteers/orders/board/").status_code == 403
    assert signed_in(w.resident).get("/volunteers/orders/board/").status_code == 403
    place(w)
    other = signed_in(w.d.secretary3).get("/volunteers/orders/board/")
    assert other.status_code == 200 and other.context["orders"] == []


def test_the_order_page_shows_chinese_by_default(w):
    order = place(w)
    html = signed_in(w.resident, english=False).get(f"/volunteers/orders/{order.pk}/").content.decode()
    assert 'lang="zh-hans"' in html


# --- Queries do not grow with the number of orders -----------------------------------------------------


def same_queries(client, url, add_more) -> None:
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add_more()
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_the_board_costs_the_same_queries_for_3_or_20_orders(w):
    for _n in range(3):
        place(w)
    client = signed_in(w.d.secretary1)

    def more():
        for n in range(17):
            order = place(w, description=f"订单{n}")
            if n % 3 == 1:
                pooled(w, order)
            elif n % 3 == 2:
                services.order_dispatch(actor=w.d.secretary1, order=order, member=w.members[n % 3])

    same_queries(client, "/volunteers/orders/board/", more)
    assert len(client.get("/volunteers/orders/board/").context["orders"]) == 20


def test_the_pool_costs_the_same_queries_for_3_or_20_orders(w):
    for _n in range(3):
        pooled(w)
    client = signed_in(w.members[1])

    def more():
        for n in range(17):
            pooled(w, place(w, description=f"订单{n}"))

    same_queries(client, "/volunteers/orders/pool/", more)
    assert len(client.get("/volunteers/orders/pool/").context["orders"]) == 20


def test_my_orders_and_held_orders_cost_the_same_queries_for_few_or_many(w):
    done(w)
    client = signed_in(w.resident)
    same_queries(client, "/volunteers/orders/mine/", lambda: [done(w) for _n in range(5)])
    member = signed_in(w.members[0])
    same_queries(member, "/volunteers/orders/held/", lambda: [grabbed(w) for _n in range(5)])


def test_every_transition_is_in_the_timeline(w):
    order = done(w)
    page = signed_in(w.resident).get(f"/volunteers/orders/{order.pk}/")
    assert (
        page.content.decode().count('data-testid="event"')
        == OrderEvent.objects.filter(order=order).count()
        == 4
    )
