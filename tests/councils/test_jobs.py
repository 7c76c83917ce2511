"""The councils' periodic job: motions close on time, voters are told and reminded, late issues
escalate; each thing once however often the job runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from audit.models import Entry
from community import services as community_services
from config.celery import app
from councils import services
from councils.jobs import councils_periodic, register_schedule, unregister_schedule
from councils.models import Issue, IssueEvent, Motion
from councils.tasks import councils_periodic_task
from councils.workflow import IssueState, IssueStep, MotionState, Track
from notices.models import Notice
from tests.councils.support import council_world, motion

pytestmark = pytest.mark.django_db

NOTHING = {
    "closed": 0,
    "vote_open": 0,
    "vote_reminder": 0,
    "escalated": 0,
    "meeting_notices": 0,
    "survey_notices": 0,
    "surveys_closed": 0,
}


def opened(w, **rule):
    return services.motion_open(actor=w.d.convener1, motion=motion(w, **rule))


def raise_issue(w, title="1幢楼道灯坏了"):
    return services.issue_raise(
        actor=w.d.resident_user,
        council=w.council,
        category="facilities",
        title=title,
        description="1幢2单元三楼到五楼的楼道灯坏了一个多星期，老人晚上上下楼不方便。",
    )


def recipients(kind: str) -> list[int]:
    return sorted(Notice.objects.filter(kind=kind).values_list("recipient_id", flat=True))


def test_a_motion_past_its_window_is_closed_once_by_two_runs_in_a_row(district):
    w = council_world(district)
    due = opened(w)
    running = opened(w, title="是否更换小区大门门禁", closes_at=due.closes_at + timedelta(days=1))
    services.vote_cast(actor=w.voters[0], motion=due, option=0)
    later = due.closes_at + timedelta(minutes=1)

    first = councils_periodic(now=later)
    second = councils_periodic(now=later)

    assert (first["closed"], second["closed"]) == (1, 0)
    due.refresh_from_db()
    assert (due.state, due.closed_at) == (MotionState.CLOSED, later)
    assert due.result["ballots"] == 1
    assert Entry.objects.filter(kind="councils.motion_closed").count() == 1
    assert Motion.objects.get(pk=running.pk).state == MotionState.OPEN  # its window has not ended


def test_each_voting_seat_holder_is_told_once_that_voting_is_open(district):
    w = council_world(district)
    offline = community_services.person_create(
        actor=None, name="冯老伯", community=district.community1, home=district.building1, phone="13900009999"
    )
    services.seat_add(
        actor=district.convener1,
        council=w.council,
        kind="owner_rep",
        person=offline,
        since=timezone.localdate(),
    )
    first_motion = opened(w)
    motion(w, title="尚未开放表决的动议")  # a draft: nobody is told
    opened(w, title="明天才开始表决", opens_at=timezone.now() + timedelta(days=1))

    first, second = councils_periodic(), councils_periodic()

    # Six voting seats; the holder without a login and the seat without a vote are not told.
    assert (first["vote_open"], second["vote_open"]) == (5, 0)
    assert recipients("council-vote-open") == sorted(user.pk for user in w.voters)
    assert (
        Notice.objects.filter(kind="council-vote-open").first().url == f"/councils/motions/{first_motion.pk}/"
    )
    assert Notice.objects.filter(kind="council-vote-reminder").count() == 0  # three days left


def test_only_those_who_have_not_voted_are_reminded_once_when_less_than_a_day_remains(district):
    w = council_world(district)
    secret = opened(w, secret=True)  # a secret ballot names no seat: only its token says who voted
    for voter in w.voters[:2]:
        services.vote_cast(actor=voter, motion=secret, option=0)
    assert councils_periodic()["vote_reminder"] == 0
    near_close = secret.closes_at - timedelta(hours=12)

    with CaptureQueriesContext(connection) as queries:
        first = councils_periodic(now=near_close)
    second = councils_periodic(now=near_close)

    assert (first["vote_reminder"], second["vote_reminder"]) == (3, 0)
    assert recipients("council-vote-reminder") == sorted(user.pk for user in w.voters[2:])
    assert Notice.objects.filter(kind="council-vote-open").count() == 5  # still once each
    ballot_queries = [q for q in queries.captured_queries if 'FROM "councils_ballot"' in q["sql"]]
    assert len(ballot_queries) == 1  # the motion's tokens at once, not one query per seat


def test_an_issue_not_triaged_in_time_is_escalated_once_and_its_secretary_told_once(district):
    w = council_world(district)
    late = raise_issue(w)
    Issue.objects.filter(pk=late.pk).update(triage_by=timezone.localdate() - timedelta(days=1))

    first, second = councils_periodic(), councils_periodic()

    assert (first["escalated"], second["escalated"]) == (1, 0)
    late.refresh_from_db()
    assert late.escalated_at is not None and late.state == IssueState.RAISED
    assert IssueEvent.objects.filter(issue=late, step=IssueStep.ESCALATE).count() == 1
    notice = Notice.objects.get(kind="council-issue-escalated")
    assert notice.recipient == district.secretary1  # community1's secretary, not the others
    assert notice.url == f"/councils/issues/{late.pk}/"
    assert late.title in notice.title


def test_an_issue_past_its_deadline_is_escalated_once_and_again_after_a_new_deadline(district):
    w = council_world(district)
    issue = raise_issue(w)
    services.issue_triage(actor=district.convener1, issue=issue, track=Track.SMALL)
    Issue.objects.filter(pk=issue.pk).update(due_on=timezone.localdate() - timedelta(days=1))

    assert councils_periodic()["escalated"] == 1
    assert councils_periodic()["escalated"] == 0
    # Reopened after resolving, it runs late again: a new escalation, a new notice.
    services.issue_advance(actor=district.convener1, issue=issue, step=IssueStep.RESOLVE)
    services.issue_advance(actor=district.convener1, issue=issue, step=IssueStep.REOPEN)
    assert councils_periodic()["escalated"] == 1
    assert recipients("council-issue-escalated") == [district.secretary1.pk] * 2


def test_issues_within_their_time_are_left_alone(district):
    w = council_world(district)
    raised = raise_issue(w)  # to be triaged within three days
    handled = raise_issue(w, title="3幢门口的井盖松动")
    services.issue_triage(actor=district.convener1, issue=handled, track=Track.MICRO)
    Issue.objects.filter(pk=handled.pk).update(due_on=timezone.localdate())  # due today: not yet late

    assert councils_periodic() == NOTHING
    assert not Issue.objects.filter(pk__in=[raised.pk, handled.pk], escalated_at__isnull=False).exists()
    assert not Notice.objects.exists()


def test_the_task_runs_the_job_and_is_on_the_beat_schedule_once(district):
    w = council_world(district)
    due = opened(w)
    Motion.objects.filter(pk=due.pk).update(
        opens_at=timezone.now() - timedelta(days=3), closes_at=timezone.now() - timedelta(minutes=1)
    )

    assert councils_periodic_task()["closed"] == 1
    assert councils_periodic_task() == NOTHING
    assert app.tasks["councils.periodic"].name == councils_periodic_task.name == "councils.periodic"

    PeriodicTask.objects.filter(name="councils.periodic").delete()  # as if before the migration
    register_schedule(MigrationLoader(connection).project_state().apps)  # as a data migration calls it
    register_schedule()
    task = PeriodicTask.objects.select_related("crontab").get(name="councils.periodic")
    assert (task.task, task.crontab.minute, str(task.crontab.timezone)) == (
        "councils.periodic",
        "*/15",
        "Asia/Shanghai",
    )
    unregister_schedule()
    assert not PeriodicTask.objects.filter(name="councils.periodic").exists()


def test_seats_are_told_of_a_meeting_three_days_and_one_day_before_once_each(district):
    from councils.models import Meeting

    w = council_world(district)
    meeting = services.meeting_schedule(
        actor=district.convener1,
        council=w.council,
        title="第四季度议事会",
        starts_at=timezone.now() + timedelta(days=2, hours=12),
        place="越都花园党群议事角",
    )
    first, second = councils_periodic(), councils_periodic()
    assert (first["meeting_notices"], second["meeting_notices"]) == (
        6,
        0,
    )  # six seat holders, the 3-day notice
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() + timedelta(hours=20))
    meeting.refresh_from_db()
    assert councils_periodic()["meeting_notices"] == 6  # the 1-day notice
    assert councils_periodic()["meeting_notices"] == 0
    assert Notice.objects.filter(kind="council-meeting").count() == 12


def test_a_resolved_issues_survey_closes_once_after_its_days(district, settings):
    w = council_world(district)
    issue = services.issue_raise(
        actor=district.resident_user,
        council=w.council,
        category="other",
        title="井盖松动",
        description="东门井盖松动。",
    )
    services.issue_triage(actor=district.convener1, issue=issue, track="small")
    services.issue_advance(actor=district.convener1, issue=issue, step="resolve")
    first, second = councils_periodic(), councils_periodic()
    assert (first["survey_notices"], second["survey_notices"]) == (1, 0)  # the resident who raised it, once
    assert Notice.objects.get(kind="council-survey").recipient == district.resident_user
    services.result_rate(actor=district.resident_user, issue=issue, rating="unsatisfied")
    later = timezone.now() + timedelta(days=settings.COUNCIL_SURVEY_DAYS, minutes=1)
    assert councils_periodic(now=timezone.now())["surveys_closed"] == 0
    assert councils_periodic(now=later)["surveys_closed"] == 1
    assert councils_periodic(now=later)["surveys_closed"] == 0
    issue.refresh_from_db()
    assert issue.state == "handling"  # the one rating was unsatisfied: reopened
