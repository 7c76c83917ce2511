"""The councils' periodic job: motions close on time, voters are told and reminded, late issues escalate.

Run by `councils.periodic` (beat, every quarter of an hour). There is no per-period lock: each step
is safe on its own when repeated or run by two workers at once. A motion is closed by
`motion_close`, which locks it and refuses a second close; an issue is escalated by
`issue_escalate_overdue`, which locks it and answers True only the first time; every notice
carries a key naming its cause, so `notice_send` creates it at most once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.apps import apps as global_apps
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from community.models import Role, RoleGrant, User
from core.exceptions import ApplicationError
from core.jobs import register_beat_task, unregister_beat_task
from notices.services import NoticeDraft, notice_send_each, notices_send_batch

from . import services
from .models import Ballot, Issue, Meeting, MeetingState, Motion, Seat
from .workflow import IssueState, MotionState

logger = logging.getLogger(__name__)

JOB = "councils.periodic"
# Seat holders who have not voted are reminded once when less than this remains of the window.
REMINDER_BEFORE_CLOSE = timedelta(hours=24)
# Every quarter of an hour on the clock (django-celery-beat CrontabSchedule fields).
SCHEDULE_CRONTAB = {
    "minute": "*/15",
    "hour": "*",
    "day_of_month": "*",
    "month_of_year": "*",
    "day_of_week": "*",
    "timezone": "Asia/Shanghai",
}
SCHEDULE_DESCRIPTION = (
    "Councils: close motions whose voting window has ended, tell voting seats that voting is open "
    "and remind those who have not voted, escalate issues not triaged or handled in time, tell seats "
    "of meetings 3 days and 1 day before, close satisfaction surveys (every 15 minutes; each thing once)."
)


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


# --- Motions (民决) -------------------------------------------------------------------------------


def _close_due_motions(now: datetime) -> int:
    closed = 0
    for motion in Motion.objects.filter(state=MotionState.OPEN, closes_at__lte=now).order_by(
        "closes_at", "pk"
    ):
        try:
            services.motion_close(actor=None, motion=motion, now=now)
        except ApplicationError:
            continue  # closed meanwhile by the convener or another run
        closed += 1
    return closed


def _voters(motions: list[Motion], today) -> dict[int, list[tuple[Seat, User]]]:
    """By motion: the holders of its voting seats whose term has not ended and who have a login (one query)."""
    seat_ids = {seat_id for motion in motions for seat_id in motion.electorate}
    seats = (
        Seat.objects.filter(pk__in=seat_ids, person__user__isnull=False, person__user__is_active=True)
        .filter(Q(until__isnull=True) | Q(until__gt=today))
        .select_related("person__user")
    )
    holders = {seat.pk: seat for seat in seats}
    return {
        motion.pk: [
            (holders[seat_id], holders[seat_id].person.user)
            for seat_id in sorted(set(motion.electorate))
            if seat_id in holders
        ]
        for motion in motions
    }


def _vote_notices(now: datetime) -> tuple[int, int]:
    """Each voting seat holder: told once that voting is open, reminded once near the close if they have not voted.

    The voters of every open motion come in one query, the ballots of those closing within the day
    in another, and the notices go together: the same few queries however many motions are open.
    """
    today = timezone.localdate(now)
    motions = list(
        Motion.objects.filter(state=MotionState.OPEN, opens_at__lte=now, closes_at__gt=now).order_by("pk")
    )
    if not motions:
        return 0, 0
    voters = _voters(motions, today)
    closing = [motion.pk for motion in motions if motion.closes_at - now < REMINDER_BEFORE_CLOSE]
    # A secret ballot names no seat, so who has voted is known by comparing tokens.
    cast: dict[int, set[str]] = {}
    if closing:
        for motion_id, token in Ballot.objects.filter(motion_id__in=closing).values_list(
            "motion_id", "token"
        ):
            cast.setdefault(motion_id, set()).add(token)
    opened: list[NoticeDraft] = []
    reminders: list[NoticeDraft] = []
    for motion in motions:
        values = {"title": motion.title, "when": _when(motion.closes_at)}
        url = reverse("councils:motion", args=[motion.pk])
        title = _("Voting is open on “%(title)s” until %(when)s.") % values
        opened += [
            NoticeDraft(
                user.pk, f"council-vote-open:{motion.pk}:{user.pk}", "council-vote-open", title, url=url
            )
            for _seat, user in voters[motion.pk]
        ]
        if motion.pk not in closing:
            continue
        title = _("You have not voted on “%(title)s” yet; voting closes at %(when)s.") % values
        tokens = cast.get(motion.pk, set())
        reminders += [
            NoticeDraft(
                user.pk,
                f"council-vote-reminder:{motion.pk}:{user.pk}",
                "council-vote-reminder",
                title,
                url=url,
            )
            for seat, user in voters[motion.pk]
            if services.ballot_token(motion, seat) not in tokens
        ]
    return notices_send_batch(opened), notices_send_batch(reminders)


# --- Issues (民提) --------------------------------------------------------------------------------


def _secretaries(issue: Issue) -> list[User]:
    """The active community secretaries whose grant covers the issue's compound (its community's)."""
    grants = RoleGrant.objects.filter(
        role=Role.COMMUNITY_SECRETARY, area_id__in=issue.compound.ancestor_ids(), user__is_active=True
    ).select_related("user")
    return list({grant.user_id: grant.user for grant in grants}.values())


def _escalate_overdue_issues(today) -> int:
    escalated = 0
    # The secretaries of each compound, looked up once per run: many late issues share a community.
    secretaries: dict[int, list[User]] = {}
    overdue = Issue.objects.filter(
        Q(state=IssueState.RAISED, triage_by__lt=today)
        | Q(state__in=(IssueState.HANDLING, IssueState.ESCALATED), due_on__lt=today),
        escalated_at__isnull=True,
    ).select_related("compound")
    for issue in overdue.order_by("pk"):
        if issue.state == IssueState.RAISED:
            title = _("“%(title)s” (%(compound)s) was not triaged by %(day)s and has been escalated.")
            day = issue.triage_by
        else:
            title = _("“%(title)s” (%(compound)s) is past its deadline of %(day)s and has been escalated.")
            day = issue.due_on
        # The escalation and its notices commit together: a failed notice leaves it for the next run.
        with transaction.atomic():
            if not services.issue_escalate_overdue(issue=issue, today=today):
                continue
            escalated_at = Issue.objects.values_list("escalated_at", flat=True).get(pk=issue.pk)
            if issue.compound_id not in secretaries:
                secretaries[issue.compound_id] = _secretaries(issue)
            notice_send_each(
                secretaries[issue.compound_id],
                key=f"council-issue-escalated:{issue.pk}:{escalated_at:%Y%m%dT%H%M%S%f}",
                kind="council-issue-escalated",
                title=title % {"title": issue.title, "compound": issue.compound.name, "day": day.isoformat()},
                url=reverse("councils:issue", args=[issue.pk]),
            )
        escalated += 1
    return escalated


# --- Meetings (民议) and satisfaction surveys (民评) ------------------------------------------------

MEETING_NOTICE_DAYS = (3, 1)


def _meeting_notices(now: datetime) -> int:
    """Each current seat holder with a login is told of a scheduled meeting 3 days and 1 day before, once each."""
    soon = Meeting.objects.filter(
        state=MeetingState.SCHEDULED,
        starts_at__gt=now,
        starts_at__lte=now + timedelta(days=max(MEETING_NOTICE_DAYS)),
    )
    holders: dict[int, list[User]] = {}
    seats = (
        Seat.objects.filter(
            council__in=soon.values("council_id"),
            until__isnull=True,
            person__user__isnull=False,
            person__user__is_active=True,
        )
        .select_related("person__user")
        .order_by("pk")
    )
    for seat in seats:
        holders.setdefault(seat.council_id, []).append(seat.person.user)
    drafts: list[NoticeDraft] = []
    for meeting in soon.order_by("starts_at", "pk"):
        days = next(d for d in sorted(MEETING_NOTICE_DAYS) if meeting.starts_at <= now + timedelta(days=d))
        key = f"council-meeting:{meeting.pk}:{meeting.starts_at:%Y%m%d%H%M}:{days}d"
        title = _("Council meeting “%(title)s” at %(when)s, %(place)s.") % {
            "title": meeting.title,
            "when": _when(meeting.starts_at),
            "place": meeting.place or _("online"),
        }
        url = reverse("councils:meeting", args=[meeting.pk])
        drafts += [
            NoticeDraft(user.pk, f"{key}:{user.pk}", "council-meeting", title, url=url)
            for user in holders.get(meeting.council_id, [])
        ]
    return notices_send_batch(drafts)


def _survey_notices() -> int:
    """The resident who raised a resolved issue is asked once per resolution how satisfied they are."""
    open_surveys = Issue.objects.filter(
        state=IssueState.RESOLVED, survey_closed_at__isnull=True, raised_by__user__isnull=False
    ).select_related("raised_by__user")
    drafts = []
    for issue in open_surveys.order_by("pk"):
        user = issue.raised_by.user
        drafts.append(
            NoticeDraft(
                user.pk,
                f"council-survey:{issue.pk}:{issue.resolutions}:{user.pk}",
                "council-survey",
                _("“%(title)s” is resolved. How satisfied are you? Rate it within %(days)s days.")
                % {"title": issue.title, "days": settings.COUNCIL_SURVEY_DAYS},
                url=reverse("councils:issue", args=[issue.pk]),
            )
        )
    return notices_send_batch(drafts)


def _close_surveys(now: datetime) -> int:
    """Close the satisfaction survey of issues resolved COUNCIL_SURVEY_DAYS ago (an unsatisfied majority reopens)."""
    closed = 0
    due = now - timedelta(days=settings.COUNCIL_SURVEY_DAYS)
    for issue in Issue.objects.filter(
        state=IssueState.RESOLVED, survey_closed_at__isnull=True, resolved_at__lte=due
    ):
        closed += services.survey_close(issue=issue, now=now)
    return closed


def councils_periodic(now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    today = timezone.localdate(now)
    done = {
        "closed": 0,
        "vote_open": 0,
        "vote_reminder": 0,
        "escalated": 0,
        "meeting_notices": 0,
        "survey_notices": 0,
        "surveys_closed": 0,
    }
    # Workers have no request: write in the platform's language.
    with override(settings.LANGUAGE_CODE):
        done["closed"] = _close_due_motions(now)
        done["vote_open"], done["vote_reminder"] = _vote_notices(now)
        done["escalated"] = _escalate_overdue_issues(today)
        done["meeting_notices"] = _meeting_notices(now)
        done["survey_notices"] = _survey_notices()
        done["surveys_closed"] = _close_surveys(now)
    logger.info("councils periodic job: %s", done)
    return done


# --- Beat schedule --------------------------------------------------------------------------------


def register_schedule(apps=None) -> None:
    """Put `councils.periodic` on beat's schedule, once per database (from a data migration)."""
    register_beat_task(
        apps or global_apps, name=JOB, crontab=SCHEDULE_CRONTAB, description=SCHEDULE_DESCRIPTION
    )


def unregister_schedule(apps=None) -> None:
    """The reverse of `register_schedule` (for the migration's backwards step)."""
    unregister_beat_task(apps or global_apps, name=JOB)
