"""Co-construction activities (共建活动) through the services: publish, edit, cancel; sign up within the
places and the deadline, cancel and sign up again; check in with the venue's signed code (stale, forged,
another activity's, outside the window: refused); hours; every refusal is clear and changes nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import signing

from core.exceptions import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from notices.models import Notice
from tests.volunteers.support import add_member
from tests.volunteers.test_activities_support import activity_world, at, fields, fresh, publish, soon
from volunteers.models import Activity, Signup
from volunteers.services import activities as services
from volunteers.workflow import SignupState

pytestmark = pytest.mark.django_db


def snapshot(activity) -> tuple:
    a = fresh(activity)
    signups = list(Signup.objects.filter(activity=a).order_by("pk").values_list("user_id", "state", "hours"))
    return (a.title, a.capacity, a.starts_at, a.cancelled_at, a.closed_at, signups)


# --- Publishing ------------------------------------------------------------------------------------


def test_the_secretary_or_a_social_worker_publishes_an_activity(district):
    w = activity_world(district)
    first = publish(w)
    assert first.community == district.community1 and first.created_by == district.secretary1
    assert first.capacity == 5 and first.open_to_residents and first.organiser is None
    clinic = publish(
        w,
        actor=w.social_worker,
        title="义诊进社区",
        field="everyday",
        organiser=district.unit1,
        open_to_residents=False,
    )
    assert clinic.organiser == district.unit1 and not clinic.open_to_residents


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ends_at": "starts"}, "ends_at"),
        ({"signup_deadline": "after"}, "signup_deadline"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": "5"}, "capacity"),
        ({"title": "  "}, "title"),
        ({"place": "x" * 201}, "place"),
        ({"field": "cooking"}, "field"),
        ({"starts_at": "past"}, "starts_at"),
    ],
)
def test_publishing_bad_input_is_refused_with_the_fields_error_and_nothing_is_published(
    district, change, field
):
    activity_world(district)
    values = fields()
    starts = values["starts_at"]
    special = {
        "starts": starts,
        "after": starts + timedelta(minutes=1),
        "past": soon(hours=-1),
    }
    for name, value in change.items():
        values[name] = special.get(value, value) if isinstance(value, str) else value
    if field == "starts_at":
        values["ends_at"] = values["starts_at"] + timedelta(hours=2)
        values["signup_deadline"] = values["starts_at"] - timedelta(hours=1)
    with pytest.raises(ValidationFailed) as refused:
        services.activity_publish(actor=district.secretary1, community=district.community1, **values)
    assert refused.value.code == "invalid_activity"
    assert field in refused.value.extra and refused.value.extra[field][0]
    assert not Activity.objects.exists()


def test_only_the_communitys_staff_publish_and_only_with_a_party_organisation_they_see(district):
    w = activity_world(district)
    with pytest.raises(PermissionDenied) as member:
        publish(w, actor=district.member_user)
    assert member.value.code == "not_community_staff"
    with pytest.raises(NotFound):
        publish(w, actor=district.secretary3)
    with pytest.raises(ValidationFailed) as unseen:
        publish(w, organiser=district.unit2)  # a unit of another community's area
    assert "organiser" in unseen.value.extra
    with pytest.raises(ValidationFailed):
        services.activity_publish(actor=district.secretary1, community=district.grid1, **fields())
    assert not Activity.objects.exists()


def test_staff_edit_before_the_start_but_never_below_the_places_taken(district):
    w = activity_world(district)
    activity = publish(w, capacity=5)
    for member in w.members:
        services.signup_create(actor=member, activity=activity)
    before = snapshot(activity)
    with pytest.raises(ValidationFailed) as refused:
        services.activity_update(actor=district.secretary1, activity=activity, capacity=2)
    assert refused.value.code == "capacity_below_taken" and "3" in str(refused.value.message)
    assert snapshot(activity) == before

    later = activity.starts_at + timedelta(hours=1)
    updated = services.activity_update(
        actor=w.social_worker,
        activity=activity,
        capacity=3,
        title="垃圾分类宣传进小区（第二场）",
        starts_at=later,
        ends_at=later + timedelta(hours=2),
    )
    assert updated.capacity == 3 and fresh(activity).title.endswith("（第二场）")
    # Those signed up are told the new time, once.
    assert Notice.objects.filter(kind="activity-changed").count() == len(w.members)

    with at(later + timedelta(minutes=1)):
        with pytest.raises(Conflict) as started:
            services.activity_update(actor=district.secretary1, activity=activity, title="改名")
    assert started.value.code == "activity_started" and fresh(activity).title.endswith("（第二场）")
    with pytest.raises(PermissionDenied):
        services.activity_update(actor=district.member_user, activity=activity, title="改名")


def test_cancelling_tells_everyone_signed_up_once_and_needs_a_reason(district):
    w = activity_world(district)
    activity = publish(w)
    services.signup_create(actor=w.members[0], activity=activity)
    services.signup_create(actor=district.resident_user, activity=activity)
    with pytest.raises(ValidationFailed) as no_reason:
        services.activity_cancel(actor=district.secretary1, activity=activity, reason=" ")
    assert no_reason.value.code == "reason_required" and fresh(activity).cancelled_at is None
    assert not Notice.objects.exists()

    services.activity_cancel(actor=district.secretary1, activity=activity, reason="台风预警，活动延期")
    assert fresh(activity).cancel_reason == "台风预警，活动延期"
    notices = Notice.objects.filter(kind="activity-cancelled")
    assert {n.recipient for n in notices} == {w.members[0], district.resident_user}
    assert "台风预警" in notices.first().title
    with pytest.raises(Conflict) as again:
        services.activity_cancel(actor=district.secretary1, activity=activity, reason="再次取消")
    assert again.value.code == "activity_cancelled"
    assert Notice.objects.filter(kind="activity-cancelled").count() == 2
    with pytest.raises(Conflict) as signup:
        services.signup_create(actor=w.members[1], activity=activity)
    assert signup.value.code == "activity_cancelled"


# --- Signing up ------------------------------------------------------------------------------------


def test_members_and_residents_sign_up_until_the_places_are_taken_then_full(district):
    w = activity_world(district)
    activity = publish(w, capacity=3)
    services.signup_create(actor=w.members[0], activity=activity)
    services.signup_create(actor=w.members[1], activity=activity)
    services.signup_create(actor=district.resident_user, activity=activity)
    assert services.places_taken(activity) == 3
    before = snapshot(activity)
    with pytest.raises(Conflict) as full:
        services.signup_create(actor=w.members[2], activity=activity)
    assert full.value.code == "full" and full.value.status_code == 409
    assert snapshot(activity) == before


def test_signing_up_twice_is_refused(district):
    w = activity_world(district)
    activity = publish(w)
    services.signup_create(actor=w.members[0], activity=activity)
    with pytest.raises(Conflict) as twice:
        services.signup_create(actor=w.members[0], activity=activity)
    assert twice.value.code == "already_signed_up"
    assert Signup.objects.filter(activity=activity).count() == 1


def test_after_the_deadline_signing_up_is_refused(district):
    w = activity_world(district)
    activity = publish(w)
    with at(activity.signup_deadline + timedelta(seconds=1)):
        with pytest.raises(Conflict) as late:
            services.signup_create(actor=w.members[0], activity=activity)
    assert late.value.code == "signup_closed" and late.value.status_code == 409
    assert not Signup.objects.exists()


def test_a_member_only_activity_refuses_residents_and_outsiders_see_nothing(district):
    w = activity_world(district)
    activity = publish(w, open_to_residents=False)
    with pytest.raises(PermissionDenied) as resident:
        services.signup_create(actor=district.resident_user, activity=activity)
    assert resident.value.code == "members_only" and resident.value.status_code == 403
    # A member who has not reported here (left) counts as a resident of the community.
    with pytest.raises(PermissionDenied):
        services.signup_create(actor=w.unreported, activity=activity)
    with pytest.raises(NotFound):
        services.signup_create(actor=district.secretary3, activity=activity)
    assert not Signup.objects.exists()
    assert services.signup_create(actor=w.members[0], activity=activity).state == SignupState.SIGNED_UP


def test_cancelling_frees_the_place_and_signing_up_again_reuses_the_row(district):
    w = activity_world(district)
    activity = publish(w, capacity=1)
    signup = services.signup_create(actor=w.members[0], activity=activity)
    with pytest.raises(Conflict):
        services.signup_create(actor=w.members[1], activity=activity)
    with pytest.raises(PermissionDenied) as not_own:
        services.signup_cancel(actor=w.members[1], signup=signup)
    assert not_own.value.code == "not_own"
    services.signup_cancel(actor=w.members[0], signup=signup)
    assert fresh(signup).state == SignupState.CANCELLED and services.places_taken(activity) == 0
    with pytest.raises(InvalidTransition) as twice:
        services.signup_cancel(actor=w.members[0], signup=signup)
    assert twice.value.code == "signup_cancelled"

    other = services.signup_create(actor=w.members[1], activity=activity)
    services.signup_cancel(actor=w.members[1], signup=other)
    again = services.signup_create(actor=w.members[0], activity=activity)
    assert again.pk == signup.pk and again.state == SignupState.SIGNED_UP
    assert Signup.objects.filter(activity=activity).count() == 2


def test_a_place_cannot_be_given_back_once_the_activity_has_started(district):
    w = activity_world(district)
    activity = publish(w)
    signup = services.signup_create(actor=w.members[0], activity=activity)
    with at(activity.starts_at + timedelta(minutes=5)):
        with pytest.raises(Conflict) as started:
            services.signup_cancel(actor=w.members[0], signup=signup)
    assert started.value.code == "activity_started" and fresh(signup).state == SignupState.SIGNED_UP


# --- Check-in at the venue -----------------------------------------------------------------------


@pytest.fixture
def venue(district):
    """An activity under way (we stand 10 minutes after its start) with two members signed up."""
    w = activity_world(district)
    activity = publish(w)
    services.signup_create(actor=w.members[0], activity=activity)
    services.signup_create(actor=w.members[1], activity=activity)
    w.activity = activity
    w.now = activity.starts_at + timedelta(minutes=10)
    return w


def test_scanning_the_venue_code_checks_in_with_the_activitys_hours(venue):
    w = venue
    code = services.checkin_code(w.activity, now=w.now)
    signup = services.signup_check_in(actor=w.members[0], activity=w.activity, code=code, now=w.now)
    assert signup.state == SignupState.ATTENDED and signup.checked_in_at == w.now
    assert signup.hours == Decimal("2.5")
    url = services.checkin_url(w.activity, now=w.now)
    assert url.startswith(f"/volunteers/activities/{w.activity.pk}/check-in/?code=")


def test_the_previous_slots_code_still_works_an_older_one_is_stale(venue):
    w = venue
    previous = services.checkin_code(w.activity, now=w.now - timedelta(seconds=services.CHECKIN_SLOT_SECONDS))
    assert services.signup_check_in(
        actor=w.members[0], activity=w.activity, code=previous, now=w.now
    ).state == (SignupState.ATTENDED)
    older = services.checkin_code(
        w.activity, now=w.now - timedelta(seconds=2 * services.CHECKIN_SLOT_SECONDS)
    )
    before = snapshot(w.activity)
    with pytest.raises(ValidationFailed) as stale:
        services.signup_check_in(actor=w.members[1], activity=w.activity, code=older, now=w.now)
    assert stale.value.code == "stale_code" and "签到码已过期" in str(stale.value.message)
    assert snapshot(w.activity) == before


def test_a_forged_code_or_another_activitys_code_is_refused(venue):
    w = venue
    before = snapshot(w.activity)
    slot = int(w.now.timestamp()) // services.CHECKIN_SLOT_SECONDS
    forged = [
        "made-up",
        "",
        signing.dumps([w.activity.pk, slot], salt="another-salt"),
        services.checkin_code(w.activity, now=w.now)[:-2] + "xx",
        signing.dumps(["x", slot], salt=services.CHECKIN_SALT),
    ]
    for code in forged:
        with pytest.raises(ValidationFailed) as refused:
            services.signup_check_in(actor=w.members[0], activity=w.activity, code=code, now=w.now)
        assert refused.value.code == "forged_code", code
    other = publish(w, title="周末治安联防巡逻", field="patrol")
    with pytest.raises(ValidationFailed) as wrong:
        services.signup_check_in(
            actor=w.members[0], activity=w.activity, code=services.checkin_code(other, now=w.now), now=w.now
        )
    assert wrong.value.code == "wrong_activity"
    assert snapshot(w.activity) == before


def test_the_code_works_only_from_the_margin_before_the_start_to_the_margin_after_the_end(venue, settings):
    w = venue
    margin = timedelta(minutes=settings.ACTIVITY_CHECKIN_MARGIN_MINUTES)
    before = snapshot(w.activity)
    too_early = w.activity.starts_at - margin - timedelta(minutes=1)
    too_late = w.activity.ends_at + margin + timedelta(minutes=1)
    for moment, code in ((too_early, "checkin_not_open"), (too_late, "checkin_closed")):
        with pytest.raises(Conflict) as refused:
            services.signup_check_in(
                actor=w.members[0],
                activity=w.activity,
                code=services.checkin_code(w.activity, now=moment),
                now=moment,
            )
        assert refused.value.code == code
    assert snapshot(w.activity) == before
    early = w.activity.starts_at - margin + timedelta(minutes=1)
    signup = services.signup_check_in(
        actor=w.members[0], activity=w.activity, code=services.checkin_code(w.activity, now=early), now=early
    )
    assert signup.state == SignupState.ATTENDED


def test_checking_in_twice_or_without_a_sign_up_is_refused(venue):
    w = venue
    code = services.checkin_code(w.activity, now=w.now)
    services.signup_check_in(actor=w.members[0], activity=w.activity, code=code, now=w.now)
    first = fresh(Signup.objects.get(activity=w.activity, user=w.members[0]))
    with pytest.raises(InvalidTransition) as twice:
        services.signup_check_in(
            actor=w.members[0], activity=w.activity, code=code, now=w.now + timedelta(minutes=1)
        )
    assert twice.value.code == "already_checked_in" and twice.value.status_code == 409
    assert fresh(first).checked_in_at == first.checked_in_at
    with pytest.raises(Conflict) as stranger:
        services.signup_check_in(actor=w.members[2], activity=w.activity, code=code, now=w.now)
    assert stranger.value.code == "not_signed_up" and "您没有报名该活动" in str(stranger.value.message)
    assert not Signup.objects.filter(activity=w.activity, user=w.members[2]).exists()
    with pytest.raises(NotFound):
        services.signup_check_in(actor=w.d.secretary3, activity=w.activity, code=code, now=w.now)


def test_staff_check_in_by_hand_and_correct_hours_until_the_activity_is_closed(venue):
    w = venue
    signup = Signup.objects.get(activity=w.activity, user=w.members[1])
    with pytest.raises(PermissionDenied):
        services.signup_check_in_by_hand(actor=w.members[0], signup=signup, now=w.now)
    by_hand = services.signup_check_in_by_hand(actor=w.social_worker, signup=signup, now=w.now)
    assert by_hand.state == SignupState.ATTENDED and by_hand.hours == Decimal("2.5")

    for bad in ("24.1", "-1", "1.25", "abc", "NaN", True, None):
        with pytest.raises(ValidationFailed) as refused:
            services.signup_record_hours(actor=w.d.secretary1, signup=signup, hours=bad)
        assert refused.value.code == "invalid_hours", bad
    assert fresh(signup).hours == Decimal("2.5")
    assert services.signup_record_hours(actor=w.d.secretary1, signup=signup, hours="3.5").hours == Decimal(
        "3.5"
    )
    assert services.signup_record_hours(actor=w.d.secretary1, signup=signup, hours=Decimal(24)).hours == 24
    assert services.signup_record_hours(actor=w.d.secretary1, signup=signup, hours=0).hours == 0

    not_in = Signup.objects.get(activity=w.activity, user=w.members[0])
    with pytest.raises(InvalidTransition) as signed_up:
        services.signup_record_hours(actor=w.d.secretary1, signup=not_in, hours="2")
    assert signed_up.value.code == "not_checked_in"
    with pytest.raises(PermissionDenied):
        services.signup_record_hours(actor=w.members[1], signup=signup, hours="8")


def test_before_the_check_in_opens_staff_cannot_check_in_by_hand_either(district):
    w = activity_world(district)
    activity = publish(w)
    signup = services.signup_create(actor=w.members[0], activity=activity)
    with pytest.raises(Conflict) as early:
        services.signup_check_in_by_hand(actor=district.secretary1, signup=signup)
    assert early.value.code == "checkin_not_open" and fresh(signup).state == SignupState.SIGNED_UP


def test_duration_and_points_are_rounded_half_up(district):
    w = activity_world(district)
    activity = publish(w)
    assert services.duration_hours(activity) == Decimal("2.5")
    assert services.points_quantity(Decimal("2.5")) == 3
    assert services.points_quantity(Decimal("0.0")) == 1
    assert services.points_quantity(Decimal("1.4")) == 1


def test_a_member_becomes_eligible_for_a_member_only_activity_once_the_report_is_accepted(district):
    w = activity_world(district)
    activity = publish(w, open_to_residents=False)
    pending, _report = add_member(district, "vmember_x", "冯建军", accept=False)
    with pytest.raises(PermissionDenied):
        services.signup_create(actor=pending, activity=activity)
    accepted, _report = add_member(district, "vmember_y", "朱美琴")
    assert services.signup_create(actor=accepted, activity=activity).user == accepted


# --- Selectors for the feed page ------------------------------------------------------------------


def test_the_feed_selectors_upcoming_activities_sign_ups_and_hours(district):
    from volunteers.selectors import activities as selectors

    w = activity_world(district)
    later = publish(w, starts_at=soon(days=5), title="法律咨询进社区", field="legal")
    sooner = publish(w, starts_at=soon(days=2), capacity=4)
    called_off = publish(w, starts_at=soon(days=3), title="周末治安联防巡逻")
    services.activity_publish(
        actor=district.secretary3, community=district.community3, **fields(title="府山")
    )
    held = publish(
        w,
        starts_at=soon(days=1),
        signup_deadline=soon(hours=2),
        title="独居老人家庭用电安全检查",
        field="electricity",
    )
    for activity in (later, sooner, called_off, held):
        services.signup_create(actor=w.members[0], activity=activity)
    services.activity_cancel(actor=district.secretary1, activity=called_off, reason="天气原因")
    during = held.starts_at + timedelta(minutes=5)
    services.signup_check_in(
        actor=w.members[0], activity=held, code=services.checkin_code(held, now=during), now=during
    )
    services.activities_close_ended(held.ends_at + timedelta(hours=1))

    upcoming = list(selectors.upcoming_activities(actor=district.resident_user))
    assert [a.title for a in upcoming] == ["独居老人家庭用电安全检查", "垃圾分类宣传进小区", "法律咨询进社区"]
    assert upcoming[1].places_taken == 1 and upcoming[1].places_left == 3
    assert list(selectors.upcoming_activities(actor=district.secretary3)) == []

    with at(held.ends_at + timedelta(hours=2)):
        mine = [s.activity.title for s in selectors.signups_of(actor=w.members[0])]
        assert mine == [
            "垃圾分类宣传进小区",
            "法律咨询进社区",
            "周末治安联防巡逻",
            "独居老人家庭用电安全检查",
        ]
        ahead = [a.title for a in selectors.activity_list(actor=w.members[0], mine=True)]
        # The cancelled one is still one's own (its page says why); it counts with the past ones.
        assert ahead == mine
    assert selectors.hours_of(user=w.members[0]) == Decimal("2.5")
    assert selectors.hours_of(user=w.members[0], since=held.starts_at + timedelta(seconds=1)) == 0
    assert selectors.hours_of(user=w.members[1]) == 0
