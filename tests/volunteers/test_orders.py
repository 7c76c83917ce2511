"""Service orders through the services: ordering, dispatching, accepting and grabbing, releasing,
marking done with photos, rating and paying once; every refusal with its clear error and nothing changed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from community import services as community_services
from core.exceptions import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from notices.models import Notice
from points.models import EventType, Transfer
from points.services import wallet_for
from points.tasks import points_award_for_event_task
from tests.factories import make_user
from tests.points.earning_support import make_rule
from tests.points.market_support import fund
from tests.volunteers.test_orders_support import (
    JPG,
    done,
    grabbed,
    order_awards,
    order_world,
    photo,
    place,
    pooled,
    snapshot,
)
from volunteers.models import OrderEvent, OrderPhoto, ServiceOrder
from volunteers.services import orders as services
from volunteers.workflow import OrderState, OrderStep

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def w(district):
    return order_world(district)


def notices(user, kind: str) -> list[Notice]:
    return list(Notice.objects.filter(recipient=user, kind=kind))


# --- 群众点单 ------------------------------------------------------------------------------------------


def test_a_resident_orders_a_service_at_home_with_their_phone(w):
    order = place(w)

    assert order.state == OrderState.ORDERED
    assert order.community == w.d.community1 and order.grid == w.d.grid1
    assert order.resident == w.d.resident and order.ordered_by == w.resident
    assert order.address == "越都花园1幢" and order.contact_phone == "13900002222"
    assert order.masked_address == "越都花****" and order.masked_phone == "139****2222"
    event = OrderEvent.objects.get(order=order)
    assert (event.step, event.from_state, event.to_state, event.actor) == ("order", "", "ordered", w.resident)


def test_a_social_worker_orders_for_a_resident_without_a_phone(w):
    elder = community_services.person_create(
        actor=None, name="赵奶奶", community=w.d.community1, home=w.d.building1
    )
    order = place(w, actor=w.social_worker, for_person=elder, address="越都花园1幢2单元301")

    assert order.resident == elder and order.ordered_by == w.social_worker
    assert order.contact_phone == "" and order.address == "越都花园1幢2单元301"
    assert str(w.social_worker) in OrderEvent.objects.get(order=order).note


def test_a_resident_cannot_order_for_someone_else(w):
    elder = community_services.person_create(actor=None, name="赵奶奶", community=w.d.community1)
    with pytest.raises(PermissionDenied) as error:
        place(w, actor=w.resident, for_person=elder)
    assert error.value.code == "not_a_recorder"
    assert not ServiceOrder.objects.exists()


def test_ordering_in_a_community_one_does_not_live_in_is_refused_and_nothing_is_created(w):
    with pytest.raises(PermissionDenied) as error:
        place(w, community=w.d.community3)
    assert error.value.code == "not_your_community"
    assert "越都社区" in str(error.value.message)
    assert not ServiceOrder.objects.exists() and not OrderEvent.objects.exists()


def test_someone_without_a_home_here_cannot_order(w):
    stranger = make_user("stranger")
    with pytest.raises(PermissionDenied) as error:
        place(w, actor=stranger)
    assert error.value.code == "not_a_resident"
    assert not ServiceOrder.objects.exists()


@pytest.mark.parametrize(
    ("shift", "code"),
    [
        ({"window_start": 5, "window_end": 3}, "invalid_window"),
        ({"window_start": 5, "window_end": 5}, "invalid_window"),
        ({"window_start": -5, "window_end": -3}, "window_past"),
        ({"window_start": 24 * 100, "window_end": 24 * 100 + 2}, "window_too_far"),
    ],
)
def test_a_bad_time_window_is_refused_and_nothing_is_created(w, shift, code):
    now = timezone.now()
    times = {name: now + timedelta(hours=hours) for name, hours in shift.items()}
    with pytest.raises(ValidationFailed) as error:
        place(w, **times)
    assert error.value.code == code and error.value.status_code == 400
    assert not ServiceOrder.objects.exists()


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"description": "   "}, "invalid_description"),
        ({"description": "修" * 501}, "invalid_description"),
        ({"field": "gardening"}, "invalid_field"),
        ({"contact_phone": "12345"}, "invalid_phone"),
        ({"address": "地" * 201}, "invalid_address"),
    ],
)
def test_bad_input_is_refused_with_its_field_and_nothing_is_created(w, fields, code):
    with pytest.raises(ValidationFailed) as error:
        place(w, **fields)
    assert error.value.code == code
    assert error.value.extra
    assert not ServiceOrder.objects.exists()


# --- 社区发单 → 党员接单 → 晒单 → 评单 ---------------------------------------------------------------------


def test_the_whole_loop_dispatched_accepted_started_done_and_rated_pays_the_member_once(w):
    fund(w.d.community1)
    make_rule(district=w.d.district, event_type=EventType.ORDER_COMPLETED, points=8)
    member = w.members[1]
    order = place(w)

    order = services.order_dispatch(actor=w.d.secretary1, order=order, member=member)
    assert order.state == OrderState.ASSIGNED and order.member == member and not order.from_pool
    hours = (order.accept_by - timezone.now()).total_seconds() / 3600
    assert 23.9 < hours <= 24
    assert len(notices(member, "service-order-dispatched")) == 1

    order = services.order_accept(actor=member, order=order)
    assert order.state == OrderState.ACCEPTED and order.accepted_at
    [accepted] = notices(w.resident, "service-order-accepted")
    assert "厨房水龙头" in accepted.title

    order = services.order_start(actor=member, order=order)
    assert order.state == OrderState.STARTED

    order = services.order_finish(
        actor=member, order=order, photos=[photo(), photo("after.jpg", JPG, "image/jpeg")], note="换了阀芯"
    )
    assert order.state == OrderState.DONE and order.done_note == "换了阀芯"
    assert OrderPhoto.objects.filter(order=order, uploaded_by=member).count() == 2
    assert 6.99 < (order.rate_by - timezone.now()).total_seconds() / 86400 <= 7
    assert len(notices(w.resident, "service-order-done")) == 1

    order = services.order_rate(actor=w.resident, order=order, stars=5, comment="很及时，谢谢！")
    assert (order.state, order.stars, order.rating_comment) == (OrderState.RATED, 5, "很及时，谢谢！")

    steps = list(OrderEvent.objects.filter(order=order).values_list("step", "from_state", "to_state"))
    assert steps == [
        ("order", "", "ordered"),
        ("dispatch", "ordered", "assigned"),
        ("accept", "assigned", "accepted"),
        ("start", "accepted", "started"),
        ("finish", "started", "done"),
        ("rate", "done", "rated"),
    ]
    [message] = order_awards()
    assert message.args[:4] == ["order_completed", member.pk, w.d.community1.pk, f"service-order:{order.pk}"]
    assert message.args[5] == f"volunteers.ServiceOrder:{order.pk}"
    # The worker runs it, and again (a redelivery): one payment of the rule's 8 points.
    first = points_award_for_event_task(*message.args, **message.kwargs)
    again = points_award_for_event_task(*message.args, **message.kwargs)
    assert first == again
    assert Transfer.objects.filter(key=f"earn:service-order:{order.pk}").count() == 1
    assert wallet_for(user=member).balance == 8


def test_rating_twice_is_refused_and_pays_once(w):
    order = done(w)
    services.order_rate(actor=w.resident, order=order, stars=4)
    before = snapshot(order)

    with pytest.raises(InvalidTransition) as error:
        services.order_rate(actor=w.resident, order=order, stars=1, comment="再评一次")

    assert error.value.status_code == 409 and error.value.code == "order_rated"
    assert snapshot(order) == before
    assert order_awards().count() == 1


def test_only_the_resident_rates_their_order(w):
    order = done(w)
    before = snapshot(order)
    neighbour = make_user("neighbour")
    community_services.person_create(actor=None, name="邻居", community=w.d.community1, user=neighbour)
    with pytest.raises(PermissionDenied) as error:
        services.order_rate(actor=neighbour, order=order, stars=5)
    assert error.value.code == "not_your_order"
    with pytest.raises(PermissionDenied):
        services.order_rate(actor=w.members[0], order=order, stars=5)  # the member rating themself
    with pytest.raises(NotFound):
        services.order_rate(actor=w.outsider, order=order, stars=5)
    assert snapshot(order) == before


@pytest.mark.parametrize("stars", [0, 6, "5", True, None])
def test_stars_outside_one_to_five_are_refused(w, stars):
    order = done(w)
    before = snapshot(order)
    with pytest.raises(ValidationFailed) as error:
        services.order_rate(actor=w.resident, order=order, stars=stars)
    assert error.value.code == "invalid_stars"
    assert snapshot(order) == before


def test_rating_before_the_service_is_done_is_refused(w):
    order = grabbed(w)
    with pytest.raises(InvalidTransition) as error:
        services.order_rate(actor=w.resident, order=order, stars=5)
    assert error.value.status_code == 409
    assert ServiceOrder.objects.get(pk=order.pk).state == OrderState.ACCEPTED


def test_the_staff_who_ordered_for_a_resident_rates_for_them(w):
    elder = community_services.person_create(actor=None, name="赵奶奶", community=w.d.community1)
    order = place(w, actor=w.social_worker, for_person=elder, address="越都花园1幢101")
    order = done(w, order=order)
    assert len(notices(w.social_worker, "service-order-done")) == 1
    order = services.order_rate(actor=w.social_worker, order=order, stars=5)
    assert order.state == OrderState.RATED


# --- Dispatch and decline ---------------------------------------------------------------------------


def test_dispatching_to_a_member_not_reported_here_is_refused(w):
    order = place(w)
    before = snapshot(order)
    for member in (w.unreported, w.outsider, w.d.secretary1):
        with pytest.raises(ValidationFailed) as error:
            services.order_dispatch(actor=w.d.secretary1, order=order, member=member)
        assert error.value.code == "member_not_reported"
    assert snapshot(order) == before


def test_only_the_communitys_staff_dispatch(w):
    order = place(w)
    before = snapshot(order)
    with pytest.raises(PermissionDenied):
        services.order_dispatch(actor=w.members[0], order=order, member=w.members[1])
    with pytest.raises(PermissionDenied):
        services.order_to_pool(actor=w.resident, order=order)
    with pytest.raises(NotFound):
        services.order_dispatch(actor=w.d.secretary3, order=order, member=w.members[1])
    assert snapshot(order) == before
    # The street's administrator may.
    assert services.order_to_pool(actor=w.d.street_admin, order=order).state == OrderState.POOLED


def test_dispatching_twice_is_refused(w):
    order = services.order_dispatch(actor=w.d.secretary1, order=place(w), member=w.members[1])
    before = snapshot(order)
    with pytest.raises(InvalidTransition) as error:
        services.order_dispatch(actor=w.d.secretary1, order=order, member=w.members[2])
    assert error.value.code == "order_assigned"
    with pytest.raises(InvalidTransition):
        services.order_to_pool(actor=w.d.secretary1, order=order)
    assert snapshot(order) == before


def test_a_declined_order_returns_to_the_community_which_is_told(w):
    member = w.members[1]
    order = services.order_dispatch(actor=w.d.secretary1, order=place(w), member=member)

    order = services.order_decline(actor=member, order=order, reason="这两天出差")

    assert order.state == OrderState.ORDERED and order.member is None and order.accept_by is None
    assert OrderEvent.objects.filter(order=order, step="decline", note="这两天出差").exists()
    for staff in (w.d.secretary1, w.social_worker):
        [notice] = notices(staff, "service-order-returned")
        assert "厨房水龙头" in notice.title
    assert not notices(w.d.secretary3, "service-order-returned")


def test_a_member_cannot_act_on_an_order_that_is_not_theirs(w):
    order = services.order_dispatch(actor=w.d.secretary1, order=place(w), member=w.members[1])
    before = snapshot(order)
    for step in (services.order_accept, services.order_decline, services.order_start, services.order_release):
        with pytest.raises(PermissionDenied) as error:
            step(actor=w.members[2], order=order)
        assert error.value.code == "not_your_order"
        with pytest.raises(NotFound):
            step(actor=w.outsider, order=order)
    with pytest.raises(PermissionDenied):
        services.order_finish(actor=w.members[2], order=order, photos=[photo()], note="做完了")
    assert snapshot(order) == before


# --- 随时抢单 -----------------------------------------------------------------------------------------


def test_a_reported_member_grabs_a_pooled_order_and_the_next_hears_it_is_taken(w):
    order = pooled(w)
    assert order.state == OrderState.POOLED and order.accept_by

    order = services.order_grab(actor=w.members[1], order=order)
    assert order.state == OrderState.ACCEPTED and order.member == w.members[1] and order.from_pool
    assert len(notices(w.resident, "service-order-accepted")) == 1
    before = snapshot(order)

    with pytest.raises(Conflict) as error:
        services.order_grab(actor=w.members[2], order=order)
    assert error.value.status_code == 409 and error.value.code == "order_taken"
    # In the platform's language (Chinese first): "too slow, another member took this one".
    assert str(error.value.message) == "手慢了，这一单已被其他党员接走。"
    with pytest.raises(Conflict) as again:
        services.order_grab(actor=w.members[1], order=order)
    assert again.value.code == "already_yours"
    assert snapshot(order) == before
    assert OrderEvent.objects.filter(order=order, step="grab").count() == 1


def test_only_members_reported_to_the_community_grab(w):
    order = pooled(w)
    before = snapshot(order)
    with pytest.raises(NotFound):
        services.order_grab(actor=w.outsider, order=order)
    with pytest.raises(PermissionDenied) as error:
        services.order_grab(actor=w.unreported, order=order)  # lives here, has not reported
    assert error.value.code == "not_reported_here"
    with pytest.raises(PermissionDenied):
        services.order_grab(actor=w.resident, order=order)
    assert snapshot(order) == before


def test_an_order_not_yet_pooled_cannot_be_grabbed(w):
    order = place(w)
    with pytest.raises(InvalidTransition) as error:
        services.order_grab(actor=w.members[0], order=order)
    assert error.value.code == "order_not_dispatched"
    assert ServiceOrder.objects.get(pk=order.pk).state == OrderState.ORDERED


# --- Release, start, cancel --------------------------------------------------------------------------


def test_a_grabbed_order_released_goes_back_to_the_pool_with_a_fresh_deadline(w):
    order = grabbed(w, w.members[1])
    ServiceOrder.objects.filter(pk=order.pk).update(accept_by=timezone.now() - timedelta(hours=1))

    order = services.order_release(actor=w.members[1], order=order, reason="临时有事")

    assert order.state == OrderState.POOLED and order.member is None and not order.from_pool
    assert order.accept_by > timezone.now() + timedelta(hours=23)
    assert len(notices(w.d.secretary1, "service-order-returned")) == 1
    # Another member can grab it now.
    assert services.order_grab(actor=w.members[2], order=order).member == w.members[2]


def test_a_dispatched_order_released_goes_back_to_the_community(w):
    order = services.order_dispatch(actor=w.d.secretary1, order=place(w), member=w.members[1])
    order = services.order_accept(actor=w.members[1], order=order)
    order = services.order_release(actor=w.members[1], order=order)
    assert order.state == OrderState.ORDERED and order.member is None and order.accept_by is None
    assert len(notices(w.social_worker, "service-order-returned")) == 1


def test_a_started_order_cannot_be_released(w):
    order = services.order_start(actor=w.members[0], order=grabbed(w))
    before = snapshot(order)
    with pytest.raises(InvalidTransition) as error:
        services.order_release(actor=w.members[0], order=order)
    assert error.value.code == "order_started"
    assert snapshot(order) == before


def test_the_resident_cancels_before_it_is_accepted_but_not_after(w):
    order = services.order_dispatch(actor=w.d.secretary1, order=place(w), member=w.members[1])
    with pytest.raises(PermissionDenied):
        services.order_cancel(actor=w.members[1], order=order)
    order = services.order_cancel(actor=w.resident, order=order, reason="已经自己修好了")
    assert order.state == OrderState.CANCELLED and order.member is None
    assert len(notices(w.members[1], "service-order-cancelled")) == 1

    taken = grabbed(w, order=place(w))
    before = snapshot(taken)
    with pytest.raises(InvalidTransition) as error:
        services.order_cancel(actor=w.resident, order=taken)
    assert error.value.code == "order_taken"
    assert snapshot(taken) == before


# --- 晒单: photos -------------------------------------------------------------------------------------


TEXT_AS_JPG = b"this is a text file, not a picture"


@pytest.mark.parametrize(
    ("photos", "note", "code"),
    [
        ([], "做完了", "photos_required"),
        ([photo("fake.jpg", TEXT_AS_JPG, "image/jpeg")], "做完了", "photo_type"),
        ([photo("note.txt", b"plain text", "text/plain")], "做完了", "photo_type"),
        ([photo("big.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (8 * 1024 * 1024))], "做完了", "photo_too_large"),
        ([photo(f"p{n}.png") for n in range(7)], "做完了", "photos_required"),
        ([photo()], "   ", "note_required"),
    ],
    ids=["none", "text-as-jpg", "text", "too-large", "seven", "no-note"],
)
def test_marking_done_with_bad_photos_or_no_note_is_refused_and_nothing_is_saved(w, photos, note, code):
    order = grabbed(w)
    before = snapshot(order)
    with pytest.raises(ValidationFailed) as error:
        services.order_finish(actor=w.members[0], order=order, photos=photos, note=note)
    assert error.value.code == code and error.value.status_code == 400
    assert snapshot(order) == before


def test_six_photos_are_accepted(w):
    order = grabbed(w)
    order = services.order_finish(
        actor=w.members[0], order=order, photos=[photo(f"p{n}.png") for n in range(6)], note="六张照片"
    )
    assert order.photos.count() == 6


# --- The periodic steps ------------------------------------------------------------------------------


def test_orders_not_accepted_in_time_return_once_and_the_community_is_told_once(w):
    assigned = services.order_dispatch(actor=w.d.secretary1, order=place(w), member=w.members[1])
    in_pool = pooled(w)
    fresh = pooled(w)
    later = timezone.now() + timedelta(hours=25)
    ServiceOrder.objects.filter(pk=fresh.pk).update(accept_by=later + timedelta(hours=1))

    assert services.orders_return_unaccepted(later) == 2
    assert services.orders_return_unaccepted(later) == 0

    for order in (assigned, in_pool):
        order.refresh_from_db()
        assert order.state == OrderState.ORDERED and order.member is None and order.accept_by is None
        assert OrderEvent.objects.filter(order=order, step=OrderStep.TIMEOUT).count() == 1
    assert ServiceOrder.objects.get(pk=fresh.pk).state == OrderState.POOLED
    returned = notices(w.d.secretary1, "service-order-returned")
    assert len(returned) == 2 and all("厨房水龙头" in notice.title for notice in returned)
    assert len(notices(w.social_worker, "service-order-returned")) == 2


def test_orders_not_rated_in_time_close_and_pay_once(w):
    fund(w.d.community1)
    make_rule(district=w.d.district, event_type=EventType.ORDER_COMPLETED, points=8)
    order = done(w)
    later = timezone.now() + timedelta(days=7, minutes=1)

    assert services.orders_close_unrated(timezone.now()) == 0
    assert services.orders_close_unrated(later) == 1
    assert services.orders_close_unrated(later) == 0

    order.refresh_from_db()
    assert order.state == OrderState.CLOSED and order.closed_at == later
    [message] = order_awards()
    assert message.args[3] == f"service-order:{order.pk}"
    points_award_for_event_task(*message.args, **message.kwargs)
    points_award_for_event_task(*message.args, **message.kwargs)
    assert Transfer.objects.filter(key=f"earn:service-order:{order.pk}").count() == 1
    assert wallet_for(user=w.members[0]).balance == 8
    # Rating after it closed is refused.
    with pytest.raises(InvalidTransition):
        services.order_rate(actor=w.resident, order=order, stars=5)


def test_a_resident_can_order_again_after_a_timeout_and_a_new_dispatch_tells_the_member_again(w):
    order = services.order_dispatch(actor=w.d.secretary1, order=place(w), member=w.members[1])
    services.orders_return_unaccepted(timezone.now() + timedelta(hours=25))
    services.order_dispatch(actor=w.d.secretary1, order=order, member=w.members[1])
    assert len(notices(w.members[1], "service-order-dispatched")) == 2
