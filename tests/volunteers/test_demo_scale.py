"""District-scale volunteering (volunteers.demo_scale through core.scale): the sizes follow the factor,
every state of reports, wishes, orders and sign-ups is there, each row is one the services could have
written (states, their times and events, who may act where and when), the pledge signatures are in the
public record and its chain holds, and the pages work on the data."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import pytest
from django.core.files.storage import default_storage
from django.db.models import Count, Q
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from zeal import zeal_ignore

from audit.models import Entry
from audit.verify import verify_chain
from community.models import Area, PartyMember, Person, User
from core.scale import seed_scale
from dashboards.figures import compute
from dashboards.periods import Period
from volunteers import demo_scale
from volunteers.models import (
    Activity,
    OrderEvent,
    OrderPhoto,
    PledgeSignature,
    PledgeText,
    Report,
    ServiceOrder,
    Signup,
    Wish,
    WishClaim,
    WishEvent,
)
from volunteers.workflow import (
    ORDER_TABLE,
    PLACE_STATES,
    WISH_TABLE,
    OrderState,
    OrderStep,
    ReportState,
    SignupState,
    WishState,
    WishStep,
)

pytestmark = pytest.mark.django_db

FACTOR = 0.005


def test_district_scale_volunteering():
    """One load (it takes a while), every check on it."""
    with zeal_ignore():  # a batch load, judged by its time; the pages below are checked for N+1
        world = seed_scale(FACTOR)
    assert world is not None
    _the_sizes_follow_the_factor(world)
    _reports_and_pledges_are_what_the_services_write(world)
    _wishes_are_what_the_services_write(world)
    _orders_are_what_the_services_write(world)
    _activities_and_sign_ups_are_what_the_services_write(world)
    _the_pages_work_on_the_data(world)


def _accepted_since(community_id: int | None = None) -> dict[tuple[int, int], object]:
    """(user id, community id): when that member's report there was accepted."""
    rows = Report.objects.filter(state=ReportState.ACCEPTED, member__person__user__isnull=False)
    if community_id:
        rows = rows.filter(community_id=community_id)
    return {
        (user_id, community): decided
        for user_id, community, decided in rows.values_list(
            "member__person__user_id", "community_id", "decided_at"
        )
    }


def _the_sizes_follow_the_factor(world):
    n = world.n
    wish_claims = WishClaim.objects.count()
    taken = ServiceOrder.objects.filter(accepted_at__isnull=False).count()
    signups = Signup.objects.exclude(state=SignupState.CANCELLED).count()
    assert wish_claims + taken + signups == n(demo_scale.CLAIMS) == world.made["claims"]
    assert Activity.objects.count() == n(demo_scale.ACTIVITIES)
    assert PledgeSignature.objects.count() == n(demo_scale.SIGNATURES)
    assert PledgeText.objects.filter(version=1).count() == 3 * len(world.communities)
    # The claims figure of the dashboards counts the same rows, over the three years.
    district = Area.objects.get(pk=world.district_id)
    period = Period(date(world.years[0], 1, 1), timezone.localdate())
    assert compute(["volunteers.claims"], district, period)["volunteers.claims"] == n(demo_scale.CLAIMS)
    # Accepted: the reported members of each community, but for the few still pending.
    reported = sum(c.reported_count for c in world.communities)
    accepted = Report.objects.filter(state=ReportState.ACCEPTED).count()
    pending = Report.objects.filter(state=ReportState.PENDING).count()
    assert reported - n(demo_scale.PENDING_REPORTS) <= accepted <= reported
    assert pending == n(demo_scale.PENDING_REPORTS)
    prefix = {pid for c in world.communities for pid in c.member_person_ids[: c.reported_count]}
    accepted_people = set(
        Report.objects.filter(state=ReportState.ACCEPTED).values_list("member__person_id", flat=True)
    )
    assert accepted_people <= prefix and len(accepted_people) == accepted
    # Every state of each workflow is there.
    assert set(Report.objects.values_list("state", flat=True)) == set(ReportState.values)
    assert set(Wish.objects.values_list("state", flat=True)) == set(WishState.values)
    assert set(ServiceOrder.objects.values_list("state", flat=True)) == set(OrderState.values)
    assert set(Signup.objects.values_list("state", flat=True)) == set(SignupState.values)
    assert Activity.objects.filter(cancelled_at__isnull=False).exists()
    assert Activity.objects.filter(closed_at__isnull=False).exists()
    assert Activity.objects.filter(starts_at__gt=timezone.now(), cancelled_at__isnull=True).exists()


def _reports_and_pledges_are_what_the_services_write(world):
    now = timezone.now()
    for report in Report.objects.select_related("member", "grid"):
        assert report.reported_at <= now
        if report.state == ReportState.PENDING:
            assert report.decided_at is None and report.grid_id is None
            continue
        assert report.reported_at < report.decided_at <= now and report.decided_by_id
        if report.state == ReportState.DECLINED:
            assert report.note and report.grid_id is None
        else:
            assert report.grid.parent_id == report.community_id
        if report.state == ReportState.LEFT:
            assert report.decided_at < report.left_at <= now
            # Left before reporting where they live now.
            assert Report.objects.filter(
                member=report.member, state=ReportState.ACCEPTED, reported_at__gt=report.left_at
            ).exists()
        if report.state == ReportState.ACCEPTED:
            assert report.member.grid_id == report.grid_id
    # Only accepted reports of members without a login (the registry's, from before the platform).
    assert (
        not Report.objects.filter(member__person__user__isnull=True)
        .exclude(state=ReportState.ACCEPTED)
        .exists()
    )

    texts = defaultdict(list)
    for text in PledgeText.objects.order_by("published_at"):
        assert text.published_at <= now
        texts[text.community_id].append(text)
    since = _accepted_since()
    entries = {
        entry.subject: entry
        for entry in Entry.objects.filter(
            kind__in=("volunteers.pledge_signed", "volunteers.pledge_published")
        )
    }
    for signature in PledgeSignature.objects.select_related("text", "member__person"):
        text = signature.text
        # Signed by a member accepted there, on the version that was current when they signed.
        decided = since[(signature.member.person.user_id, text.community_id)]
        assert decided <= signature.signed_at <= now
        current = [t for t in texts[text.community_id] if t.published_at <= signature.signed_at][-1]
        assert current.pk == text.pk
        entry = entries[f"volunteers.PledgeSignature:{signature.pk}"]
        assert entry.entry_hash == signature.record_hash
        assert entry.payload == {
            "pledge_id": text.pk,
            "community_id": text.community_id,
            "year": text.year,
            "version": text.version,
            "text_hash": text.text_hash,
            "member_ref": signature.member_id,
        }
    assert all(f"volunteers.PledgeText:{t.pk}" in entries for ts in texts.values() for t in ts)
    assert verify_chain().ok


def _walk(events, table, first_state: str):
    """The states along `events`, checking each step is one the table allows."""
    state = first_state
    moments = []
    for event in events:
        assert event.from_state == state, (event.step, event.from_state, state)
        sources, target = table.transitions[event.step]
        assert state in sources
        assert event.to_state == target or target is None
        state = event.to_state
        moments.append(event.created_at)
    assert moments == sorted(moments)
    return state


def _wishes_are_what_the_services_write(world):
    now, today = timezone.now(), timezone.localdate()
    since = _accepted_since()
    claims = defaultdict(list)
    for claim in WishClaim.objects.order_by("claimed_at", "pk"):
        claims[claim.wish_id].append(claim)
    events = defaultdict(list)
    for event in WishEvent.objects.order_by("created_at", "pk"):
        events[event.wish_id].append(event)
    for wish in Wish.objects.select_related("beneficiary"):
        log = events[wish.pk]
        assert log[0].step == WishStep.POST and log[0].to_state == WishState.OPEN
        assert _walk(log[1:], WISH_TABLE, WishState.OPEN) == wish.state
        assert log[0].created_at == wish.created_at <= now
        assert wish.created_at.date() < wish.due_on <= wish.created_at.date() + timedelta(days=92)
        assert wish.beneficiary.community_id == wish.community_id
        mine = claims[wish.pk]
        assert len(mine) <= wish.group_size
        assert [e.actor_id for e in log if e.step == WishStep.CLAIM] == [c.user_id for c in mine]
        for claim in mine:
            assert since[(claim.user_id, wish.community_id)] <= claim.claimed_at <= now
            assert claim.user_id != wish.beneficiary.user_id
        assert bool(mine) == (
            wish.state != WishState.OPEN and not (wish.state == WishState.CANCELLED and not mine)
        )
        fulfilled = wish.state in (WishState.FULFILLED, WishState.CONFIRMED)
        assert (
            (wish.fulfilled_at is not None) == fulfilled == bool(wish.fulfil_photo) == bool(wish.fulfil_note)
        )
        assert (wish.confirmed_at is not None) == (wish.state == WishState.CONFIRMED)
        assert bool(wish.cancel_reason) == (wish.state == WishState.CANCELLED)
        if wish.state in (WishState.OPEN, WishState.CLAIMED, WishState.FULFILLED):
            assert wish.due_on > today
    assert default_storage.exists(demo_scale.WISH_PHOTO)


def _orders_are_what_the_services_write(world):
    now = timezone.now()
    since = _accepted_since()
    events = defaultdict(list)
    for event in OrderEvent.objects.order_by("created_at", "pk"):
        events[event.order_id].append(event)
    photos = dict(OrderPhoto.objects.values_list("order_id").annotate(n=Count("id")))
    held = {
        OrderState.ASSIGNED,
        OrderState.ACCEPTED,
        OrderState.STARTED,
        OrderState.DONE,
        OrderState.RATED,
        OrderState.CLOSED,
    }
    taken = held - {OrderState.ASSIGNED}
    for order in ServiceOrder.objects.select_related("resident"):
        log = events[order.pk]
        assert log[0].step == OrderStep.ORDER and log[0].created_at == order.created_at <= now
        assert _walk(log[1:], ORDER_TABLE, OrderState.ORDERED) == order.state
        assert order.window_start < order.window_end and order.created_at < order.window_end
        assert order.resident.community_id == order.community_id
        assert (order.member_id is not None) == (order.state in held)
        assert (order.accepted_at is not None) == (order.state in taken)
        if order.member_id:
            moment = order.accepted_at or log[-1].created_at
            assert since[(order.member_id, order.community_id)] <= moment <= now
            assert order.member_id != order.resident.user_id
        if order.state in (OrderState.ASSIGNED, OrderState.POOLED):
            assert order.accept_by > now  # else the job would have returned it
        if order.state == OrderState.DONE:
            assert order.rate_by > now  # else the job would have closed it
        assert (order.done_at is not None) == (
            order.state in (OrderState.DONE, OrderState.RATED, OrderState.CLOSED)
        )
        assert 1 <= photos.get(order.pk, 0) <= 6 if order.done_at else order.pk not in photos
        assert (order.stars is not None) == (order.state == OrderState.RATED)
        assert (order.closed_at is not None) == (order.state == OrderState.CLOSED)
        for moment in (order.accepted_at, order.started_at, order.done_at, order.rated_at, order.closed_at):
            assert moment is None or moment <= now
    assert default_storage.exists(demo_scale.ORDER_PHOTO)


def _activities_and_sign_ups_are_what_the_services_write(world):
    now = timezone.now()
    since = _accepted_since()
    residents = dict(Person.objects.filter(user__isnull=False).values_list("user_id", "community_id"))
    signups = defaultdict(list)
    for signup in Signup.objects.all():
        signups[signup.activity_id].append(signup)
    for activity in Activity.objects.all():
        mine = signups[activity.pk]
        assert (
            activity.created_at <= now
            and activity.created_at < activity.signup_deadline <= activity.starts_at
        )
        assert sum(s.state in PLACE_STATES for s in mine) <= activity.capacity
        states = {s.state for s in mine}
        if activity.cancelled_at is not None:
            assert (
                activity.created_at < activity.cancelled_at <= now
                and activity.cancelled_at < activity.starts_at
            )
            assert activity.closed_at is None
        elif activity.starts_at > now:
            assert activity.closed_at is None and states <= {SignupState.SIGNED_UP, SignupState.CANCELLED}
        else:
            assert activity.ends_at < activity.closed_at <= now
            assert SignupState.SIGNED_UP not in states
        for signup in mine:
            assert activity.created_at < signup.signed_up_at <= min(activity.signup_deadline, now)
            member_since = since.get((signup.user_id, activity.community_id))
            if member_since is None:
                assert activity.open_to_residents and residents[signup.user_id] == activity.community_id
            else:
                assert member_since <= signup.signed_up_at
            if signup.state == SignupState.ATTENDED:
                assert activity.starts_at - timedelta(minutes=30) <= signup.checked_in_at
                assert signup.checked_in_at <= activity.ends_at + timedelta(minutes=30) and signup.hours > 0
            else:
                assert signup.checked_in_at is None and signup.hours == 0


def _the_pages_work_on_the_data(world):
    community = max(world.communities, key=lambda c: c.reported_count)
    client = Client()
    with zeal_ignore():  # signing in twice in one test reads the session table twice from one line
        client.force_login(User.objects.get(pk=community.secretary_user_id))
    order = ServiceOrder.objects.filter(community_id=community.area_id).first()
    wish = Wish.objects.filter(community_id=community.area_id).first()
    activity = Activity.objects.filter(community_id=community.area_id).first()
    for name, args in (
        ("volunteers:registry", []),
        ("volunteers:pledges", []),
        ("volunteers:wishes_manage", []),
        ("volunteers:order_board", []),
        ("volunteers:activity_list", []),
        ("volunteers:order", [order.pk]),
        ("volunteers:wish", [wish.pk]),
        ("volunteers:activity_detail", [activity.pk]),
        ("volunteers:activity_signups", [activity.pk]),
    ):
        assert client.get(reverse(name, args=args)).status_code == 200, name
    assert client.get(f"/dashboards/{community.area_id}/").status_code == 200
    member = (
        PartyMember.objects.filter(
            person__community_id=community.area_id,
            reports__state=ReportState.ACCEPTED,
            person__user__isnull=False,
        )
        .filter(~Q(person__user__wish_claims=None))
        .select_related("person__user")
        .first()
    )
    client = Client()
    with zeal_ignore():
        client.force_login(member.person.user)
    for name in (
        "volunteers:home",
        "volunteers:pledge",
        "volunteers:wishes",
        "volunteers:order_pool",
        "volunteers:orders_held",
    ):
        assert client.get(reverse(name)).status_code == 200, name
