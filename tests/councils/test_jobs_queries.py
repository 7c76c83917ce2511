"""The councils' periodic job at scale: its queries do not grow with the motions, meetings and surveys
it has already told everyone about."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from councils import services
from councils.jobs import councils_periodic
from notices.models import Notice
from tests.councils.support import council_world, motion

pytestmark = pytest.mark.django_db


def _live_things(w, n: int) -> None:
    """`n` open motions closing within the day, meetings in two days and resolved issues whose survey is open."""
    d = w.d
    for i in range(n):
        services.motion_open(
            actor=d.convener1,
            motion=motion(w, title=f"动议{i}", closes_at=timezone.now() + timedelta(hours=12)),
        )
        services.meeting_schedule(
            actor=d.convener1,
            council=w.council,
            title=f"议事会{i}",
            starts_at=timezone.now() + timedelta(days=2, hours=i),
            place="越都花园党群议事角",
        )
        issue = services.issue_raise(
            actor=d.resident_user,
            council=w.council,
            category="other",
            title=f"井盖松动{i}",
            description="东门。",
        )
        services.issue_triage(actor=d.convener1, issue=issue, track="small")
        services.issue_advance(actor=d.convener1, issue=issue, step="resolve")


def _queries_of_a_second_run() -> int:
    first = councils_periodic()
    assert (
        first["vote_open"] and first["vote_reminder"] and first["meeting_notices"] and first["survey_notices"]
    )
    with CaptureQueriesContext(connection) as queries:
        second = councils_periodic()
    assert not any(second.values())
    return len(queries)


def test_a_run_with_nothing_new_to_say_costs_the_same_queries_for_one_of_each_or_four(district):
    w = council_world(district)
    _live_things(w, 1)
    one = _queries_of_a_second_run()

    _live_things(w, 3)
    four = _queries_of_a_second_run()

    assert four == one
    assert one <= 15


def test_the_notices_of_many_motions_and_meetings_go_in_one_insert_each_and_once(district):
    w = council_world(district)
    _live_things(w, 3)

    with CaptureQueriesContext(connection) as queries:
        first = councils_periodic()

    # Five voters per motion, six seat holders per meeting, the resident per survey.
    assert (first["vote_open"], first["vote_reminder"]) == (3 * 5, 3 * 5)
    assert first["meeting_notices"] == 3 * 6
    assert first["survey_notices"] == 3
    inserts = [
        q
        for q in queries.captured_queries
        if q["sql"].startswith("INSERT") and 'INTO "notices_notice"' in q["sql"]
    ]
    assert len(inserts) == 4  # votes open, reminders, meetings, surveys
    notices = Notice.objects.count()
    assert councils_periodic()["vote_open"] == 0
    assert Notice.objects.count() == notices
