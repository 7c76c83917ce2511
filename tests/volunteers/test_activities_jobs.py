"""The activities' steps of the periodic job: the day-before reminder and closing an ended activity
(no-shows marked, hours paid as points once per attendee) — safe to run twice and side by side; and
on PostgreSQL, many people signing up at once never take more than the places."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection

from core.exceptions import Conflict
from core.models import OutboxMessage
from notices.models import Notice
from points.models import Transfer
from points.services import wallet_for
from points.tasks import points_award_for_event_task
from tests.volunteers.test_activities_support import activity_world, at, fresh, publish, run_together, soon
from volunteers.models import Signup
from volunteers.services import activities as services
from volunteers.workflow import SignupState

pytestmark = pytest.mark.django_db


def awards():
    return OutboxMessage.objects.filter(
        task_name="points.award_for_event", args__0="activity_hours"
    ).order_by("pk")


# --- Reminders -------------------------------------------------------------------------------------


def test_a_day_before_each_person_signed_up_is_reminded_once(district):
    w = activity_world(district)
    tomorrow = publish(w, starts_at=soon(days=1, hours=3), signup_deadline=soon(hours=2))
    later = publish(w, starts_at=soon(days=3), title="法律咨询进社区", field="legal")
    called_off = publish(
        w, starts_at=soon(days=1, hours=2), signup_deadline=soon(hours=2), title="周末治安联防巡逻"
    )
    for activity in (tomorrow, later, called_off):
        services.signup_create(actor=w.members[0], activity=activity)
    services.signup_create(actor=district.resident_user, activity=tomorrow)
    gone = services.signup_create(actor=w.members[1], activity=tomorrow)
    services.signup_cancel(actor=w.members[1], signup=gone)
    services.activity_cancel(actor=district.secretary1, activity=called_off, reason="天气原因")

    now = tomorrow.starts_at - timedelta(hours=20)
    assert services.activities_remind(now) == 2
    assert services.activities_remind(now) == 0
    assert services.activities_remind(now + timedelta(minutes=15)) == 0
    reminders = Notice.objects.filter(kind="activity-reminder")
    assert {(n.recipient_id, n.dedupe_key) for n in reminders} == {
        (w.members[0].pk, f"activity-reminder:{tomorrow.pk}:{w.members[0].pk}"),
        (district.resident_user.pk, f"activity-reminder:{tomorrow.pk}:{district.resident_user.pk}"),
    }
    assert tomorrow.title in reminders.first().title
    assert reminders.first().url == f"/volunteers/activities/{tomorrow.pk}/"
    # Too early for the reminder of the activity in three days.
    assert services.activities_remind(later.starts_at - timedelta(hours=25)) == 0
    assert services.activities_remind(later.starts_at - timedelta(hours=23)) == 1


# --- Closing: no-shows and hours paid ------------------------------------------------------------


@pytest.fixture
def held(district):
    """An activity that took place: member 0 checked in (2.5 h), member 1 checked in by hand and was
    given 3.4 h, member 2 never came, the resident cancelled before it."""
    w = activity_world(district)
    activity = publish(w)
    signups = [services.signup_create(actor=user, activity=activity) for user in w.members]
    resident = services.signup_create(actor=district.resident_user, activity=activity)
    services.signup_cancel(actor=district.resident_user, signup=resident)
    during = activity.starts_at + timedelta(minutes=20)
    services.signup_check_in(
        actor=w.members[0], activity=activity, code=services.checkin_code(activity, now=during), now=during
    )
    services.signup_check_in_by_hand(actor=district.secretary1, signup=signups[1], now=during)
    with at(during):
        services.signup_record_hours(actor=district.secretary1, signup=signups[1], hours="3.4")
    w.activity, w.signups, w.resident_signup = activity, signups, resident
    w.after = activity.ends_at + services.checkin_margin() + timedelta(minutes=1)
    return w


def test_closing_marks_no_shows_and_pays_each_attendee_once(held):
    w = held
    assert services.activities_close_ended(w.after - timedelta(minutes=2)) == 0  # the margin has not passed
    assert fresh(w.activity).closed_at is None and not awards().exists()

    assert services.activities_close_ended(w.after) == 1
    assert fresh(w.activity).closed_at == w.after
    states = dict(Signup.objects.filter(activity=w.activity).values_list("user_id", "state"))
    assert states == {
        w.members[0].pk: SignupState.ATTENDED,
        w.members[1].pk: SignupState.ATTENDED,
        w.members[2].pk: SignupState.NO_SHOW,
        w.d.resident_user.pk: SignupState.CANCELLED,
    }
    paid = {m.args[1]: m.args for m in awards()}
    assert set(paid) == {w.members[0].pk, w.members[1].pk}
    # quantity = whole hours, rounded half up: 2.5 h → 3, 3.4 h → 3
    assert paid[w.members[0].pk][3] == f"activity:{w.activity.pk}:user:{w.members[0].pk}"
    assert paid[w.members[0].pk][4] == 3 and paid[w.members[1].pk][4] == 3
    assert paid[w.members[0].pk][5] == f"volunteers.Activity:{w.activity.pk}"

    # The job again, and later: nothing more.
    assert services.activities_close_ended(w.after) == 0
    assert services.activities_close_ended(w.after + timedelta(hours=1)) == 0
    assert awards().count() == 2


def test_points_are_paid_exactly_once_even_if_the_outbox_task_runs_twice(held):
    w = held
    services.activities_close_ended(w.after)
    services.activities_close_ended(w.after)
    for message in awards():
        points_award_for_event_task(*message.args)
        points_award_for_event_task(*message.args)
    for user in w.members[:2]:
        transfers = Transfer.objects.filter(key=f"earn:activity:{w.activity.pk}:user:{user.pk}")
        assert transfers.count() == 1
        assert transfers.get().amount == 15  # 3 hours × 5 points
        assert wallet_for(user=user).balance == 15
    assert not Transfer.objects.filter(
        key__startswith="earn:activity:", destination__user=w.members[2]
    ).exists()


def test_hours_cannot_be_corrected_once_the_activity_is_closed(held):
    w = held
    services.activities_close_ended(w.after)
    with pytest.raises(Conflict) as closed:
        services.signup_record_hours(actor=w.d.secretary1, signup=w.signups[0], hours="5")
    assert closed.value.code == "activity_closed" and closed.value.status_code == 409
    assert fresh(w.signups[0]).hours == Decimal("2.5")
    with pytest.raises(Conflict):
        services.signup_check_in_by_hand(actor=w.d.secretary1, signup=w.signups[2])
    assert fresh(w.signups[2]).state == SignupState.NO_SHOW


def test_a_cancelled_activity_is_never_closed_or_paid(district):
    w = activity_world(district)
    activity = publish(w)
    services.signup_create(actor=w.members[0], activity=activity)
    services.activity_cancel(actor=district.secretary1, activity=activity, reason="场地临时被占用")
    assert services.activities_close_ended(activity.ends_at + timedelta(days=1)) == 0
    assert fresh(activity).closed_at is None and not awards().exists()
    assert Signup.objects.get(activity=activity).state == SignupState.SIGNED_UP


# --- PostgreSQL: many at once ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("require_postgres")
@pytest.mark.parametrize("capacity", [1, 4])
def test_ten_people_signing_up_at_once_never_take_more_than_the_places(district, capacity):
    w = activity_world(district, members=10)
    activity = publish(w, capacity=capacity)

    results, errors = run_together(
        10, lambda n: services.signup_create(actor=w.members[n], activity=activity)
    )

    assert errors == []
    taken = [r for r in results if isinstance(r, Signup)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(taken) == capacity and len(refused) == 10 - capacity
    assert {r.code for r in refused} == {"full"}
    assert Signup.objects.filter(activity=activity, state=SignupState.SIGNED_UP).count() == capacity
    assert connection.vendor == "postgresql"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("require_postgres")
def test_two_workers_closing_and_reminding_at_once_do_each_thing_once(district):
    w = activity_world(district)
    activity = publish(w)
    for user in w.members:
        services.signup_create(actor=user, activity=activity)
    reminded, errors = run_together(
        4, lambda n: services.activities_remind(activity.starts_at - timedelta(hours=2))
    )
    assert errors == [] and sum(reminded) == len(w.members)
    assert Notice.objects.filter(kind="activity-reminder").count() == len(w.members)

    during = activity.starts_at + timedelta(minutes=5)
    for user in w.members[:2]:
        services.signup_check_in(
            actor=user, activity=activity, code=services.checkin_code(activity, now=during), now=during
        )
    after = activity.ends_at + services.checkin_margin() + timedelta(minutes=1)
    closed, errors = run_together(4, lambda n: services.activities_close_ended(after))
    assert errors == [] and sum(closed) == 1
    assert awards().count() == 2
    for message in awards():
        points_award_for_event_task(*message.args)
        points_award_for_event_task(*message.args)
    assert Transfer.objects.filter(key__startswith=f"earn:activity:{activity.pk}:").count() == 2
    assert connection.vendor == "postgresql"
