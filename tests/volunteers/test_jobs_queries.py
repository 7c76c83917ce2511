"""The volunteers' periodic job at scale: reminders and the monthly summaries cost a few queries,
however many activities, people and members there are."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notices.models import Notice
from tests.volunteers.support import add_member, volunteer_world
from tests.volunteers.test_activities_support import activity_world, publish, soon
from volunteers.jobs import monthly_summaries
from volunteers.services import activities as services

pytestmark = pytest.mark.django_db


def _activities_tomorrow(w, n: int, offset: int = 0) -> None:
    """`n` activities starting tomorrow, every member and the resident signed up to each."""
    for i in range(n):
        activity = publish(
            w,
            title=f"垃圾分类宣传{offset + i}",
            starts_at=soon(days=1, hours=2, minutes=offset + i),
            signup_deadline=soon(hours=2),
        )
        for person in [*w.members, w.d.resident_user]:
            services.signup_create(actor=person, activity=activity)


def _queries_of_the_reminders(now) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        sent = services.activities_remind(now)
    return sent, len(queries)


def test_reminders_cost_the_same_queries_for_one_activity_or_four_and_go_once(district):
    w = activity_world(district)
    _activities_tomorrow(w, 1)
    now = timezone.now() + timedelta(hours=6)  # they start in 20 hours
    sent_one, first_one = _queries_of_the_reminders(now)
    again_one, second_one = _queries_of_the_reminders(now)

    _activities_tomorrow(w, 3, offset=1)
    sent_four, first_four = _queries_of_the_reminders(now)
    again_four, second_four = _queries_of_the_reminders(now)

    assert (sent_one, again_one, sent_four, again_four) == (4, 0, 3 * 4, 0)  # three members and the resident
    assert first_four == first_one and second_four == second_one
    assert first_one <= 5
    assert Notice.objects.filter(kind="activity-reminder").count() == 4 * 4


def test_the_monthly_summaries_of_many_members_go_in_a_few_queries_and_once(district):
    volunteer_world(district, members=3)
    now = timezone.now()
    with CaptureQueriesContext(connection) as few:
        assert monthly_summaries(now)["sent"] == 3
    for n in range(12):
        add_member(district, f"more{n}", f"党员{n}", phone=f"1370000{n:04d}")

    with CaptureQueriesContext(connection) as many:
        assert monthly_summaries(now)["sent"] == 12  # the three already told are not told again
    with CaptureQueriesContext(connection) as again:
        assert monthly_summaries(now + timedelta(minutes=1))["sent"] == 0

    assert len(many) == len(few) == len(again) + 1  # the last one inserts nothing
    summaries = Notice.objects.filter(kind="volunteer-summary")
    assert summaries.count() == len(set(summaries.values_list("recipient_id", flat=True))) == 15
