"""District-scale councils (councils.demo_scale through core.scale): the sizes follow the factor and the
pilots keep the articles' proportions; every state of issues, meetings and motions is there; each row is
one the services could have written (timelines, deadlines and escalations, surveys, electorates, ballot
tokens, tallies by the stated rule); the periodic job finds nothing left to do; the public record's chain
holds and names every opened and closed vote and every approved meeting; the pages work on the data."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from fractions import Fraction

import pytest
from django.conf import settings
from django.db.models import Count
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from zeal import zeal_ignore

from audit.chain import document_hash, text_hash
from audit.models import Entry
from audit.verify import verify_chain
from community.models import Area, Person, Role, RoleGrant, User
from core.scale import seed_scale
from councils import demo_scale, voting
from councils.jobs import councils_periodic
from councils.models import (
    Ballot,
    Campaign,
    Council,
    Issue,
    IssueEvent,
    Meeting,
    MeetingState,
    Motion,
    Pledge,
    Post,
    ResultRating,
    Satisfaction,
    Seat,
    Task,
    TaskUpdate,
)
from councils.selectors import board_figures, board_satisfaction
from councils.services import ballot_token, published_rule
from councils.workflow import OPEN_STATES, TRANSITIONS, IssueState, IssueStep, MotionState
from dashboards.figures import compute
from dashboards.periods import Period

pytestmark = pytest.mark.django_db

FACTOR = 0.005


def test_district_scale_councils():
    """One load (it takes a while), every check on it."""
    with zeal_ignore():  # a batch load, judged by its time; the pages below are checked for N+1
        world = seed_scale(FACTOR)
    assert world is not None
    _the_sizes_follow_the_factor(world)
    _issues_are_what_the_services_write()
    _ratings_tasks_and_crowdfunding_are_what_the_services_write()
    _meetings_are_what_the_services_write()
    _votes_are_what_the_services_write()
    _the_public_record_holds(world)
    _the_job_finds_nothing_left_to_do()
    _the_figures_agree(world)
    _the_pages_work_on_the_data(world)


def _the_sizes_follow_the_factor(world):
    compounds = [cid for c in world.communities for cid in c.compound_ids]
    pilots = world.n(demo_scale.PILOT_COMPOUNDS)
    others = round((len(compounds) - pilots) * demo_scale.COUNCIL_SHARE)
    councils = list(Council.objects.order_by("pk"))
    assert len(councils) == pilots + others == world.made["councils"]
    assert [c.compound_id for c in councils[:pilots]] == compounds[:pilots]  # the pilots come first
    # Each council is convened by its compound's Party branch.
    assert all(c.convener_org.area_id == c.compound_id for c in councils)
    for model, what in (
        (Seat, "council seats"),
        (Issue, "council issues"),
        (IssueEvent, "issue events"),
        (Meeting, "council meetings"),
        (Motion, "motions"),
        (Ballot, "ballots"),
        (ResultRating, "result ratings"),
        (Post, "discussion posts"),
        (Task, "council tasks"),
        (TaskUpdate, "council task updates"),
        (Campaign, "crowdfunding campaigns"),
        (Pledge, "crowdfunding pledges"),
    ):
        assert model.objects.count() == world.made[what], what
    # The pilots: 212 issues, 190 solved, 159 meetings for 11 compounds, in proportion to their number.
    share = pilots / demo_scale.PILOT_COMPOUNDS
    pilot_issues = Issue.objects.filter(council__in=councils[:pilots])
    assert pilot_issues.exclude(state=IssueState.MERGED).count() == round(212 * share)
    assert pilot_issues.filter(state=IssueState.RESOLVED).count() == round(190 * share)
    held = (MeetingState.HELD, MeetingState.APPROVED)
    assert Meeting.objects.filter(council__in=councils[:pilots], state__in=held).count() == round(159 * share)
    # Every state each workflow defines.
    assert set(Issue.objects.values_list("state", flat=True)) == set(IssueState.values)
    assert set(Meeting.objects.values_list("state", flat=True)) == set(MeetingState.values)
    assert set(Motion.objects.values_list("state", flat=True)) == set(MotionState.values)
    # The branch's seat holder convenes, with the council convener's role on the compound.
    assert RoleGrant.objects.filter(role=Role.COUNCIL_CONVENER).count() == world.made["convener role grants"]


def _issues_are_what_the_services_write():
    now, today = timezone.now(), timezone.localdate()
    compound_of = dict(Person.objects.values_list("pk", "home_id"))
    with_login = set(Person.objects.filter(user__isnull=False).values_list("pk", flat=True))
    timelines: dict[int, list[IssueEvent]] = {}
    for event in IssueEvent.objects.order_by("issue", "at", "id"):
        timelines.setdefault(event.issue_id, []).append(event)
    for issue in Issue.objects.select_related("council", "merged_into"):
        events = timelines[issue.pk]
        first = events[0]
        assert (first.step, first.from_state, first.to_state, first.at) == (
            "raise",
            "",
            "raised",
            issue.created_at,
        )
        assert compound_of[issue.raised_by_id] == issue.compound_id == issue.council.compound_id
        # Someone without a login has their issue recorded by the social worker.
        assert issue.recorded_by_id is not None or issue.raised_by_id in with_login
        assert issue.triage_by == timezone.localdate(issue.created_at) + timedelta(
            days=settings.COUNCIL_TRIAGE_DAYS
        )
        state, resolutions, resolved_at, escalated_at = "raised", 0, None, None
        for event in events[1:]:
            assert event.from_state == state and event.at <= now, (issue.pk, event.step)
            if event.step == IssueStep.ESCALATE:
                assert event.to_state == state and state in ("raised", "handling", "escalated")
                assert escalated_at is None  # once
                escalated_at = event.at
            else:
                sources, target = TRANSITIONS[event.step]
                assert state in sources and (target is None or event.to_state == target), (
                    issue.pk,
                    event.step,
                )
                if event.step == IssueStep.TRIAGE:
                    escalated_at = None
                elif event.step == IssueStep.RESOLVE:
                    resolutions, resolved_at = resolutions + 1, event.at
                elif event.step == IssueStep.REOPEN:
                    resolved_at = escalated_at = None
            state = event.to_state
        assert (issue.state, issue.resolutions) == (state, resolutions), issue.pk
        assert (issue.resolved_at, issue.escalated_at) == (resolved_at, escalated_at), issue.pk
        assert bool(issue.track) == any(e.step == IssueStep.TRIAGE for e in events)
        assert (issue.due_on is not None) == bool(issue.track)
        assert bool(issue.reason) == (issue.state == IssueState.REJECTED)
        if issue.state == IssueState.MERGED:
            assert issue.merged_into.council_id == issue.council_id
            merged = events[-1].at
            target_events = timelines[issue.merged_into_id]
            assert target_events[0].at < merged
            left = [e.at for e in target_events if e.to_state not in OPEN_STATES]
            assert not left or left[0] > merged  # it was open when this one joined it
        # The periodic job would escalate nothing and close no survey.
        if issue.state == IssueState.RAISED:
            assert issue.triage_by >= today or issue.escalated_at is not None
        if issue.state in (IssueState.HANDLING, IssueState.ESCALATED):
            assert issue.due_on >= today or issue.escalated_at is not None
        if issue.state == IssueState.RESOLVED:
            closes = issue.resolved_at + timedelta(days=settings.COUNCIL_SURVEY_DAYS)
            if closes < now - timedelta(minutes=15):
                assert issue.survey_closed_at is not None, issue.pk
            elif closes > now:
                assert issue.survey_closed_at is None, issue.pk
    # Posts only while the issue was open.
    for post in Post.objects.select_related("issue"):
        left = [e.at for e in timelines[post.issue_id] if e.to_state not in OPEN_STATES]
        assert post.issue.created_at <= post.created_at <= (left[0] if left else now)
        assert (post.hidden_at is None) == (post.hidden_reason == "")


def _ratings_tasks_and_crowdfunding_are_what_the_services_write():
    now = timezone.now()
    home = dict(Person.objects.values_list("pk", "home_id"))
    resolves: dict[int, list] = {}
    for issue_id, at in (
        IssueEvent.objects.filter(step=IssueStep.RESOLVE).order_by("at").values_list("issue_id", "at")
    ):
        resolves.setdefault(issue_id, []).append(at)
    for rating in ResultRating.objects.select_related("issue", "person"):
        issue = rating.issue
        assert home[rating.person_id] == issue.compound_id and rating.person.user_id is not None
        resolved = resolves[issue.pk][rating.round - 1]
        assert resolved < rating.created_at < resolved + timedelta(days=settings.COUNCIL_SURVEY_DAYS)
    # A survey closed on an unsatisfied majority reopened the issue.
    for issue in Issue.objects.filter(state=IssueState.RESOLVED, survey_closed_at__isnull=False):
        counts = Counter(
            ResultRating.objects.filter(issue=issue, round=issue.resolutions).values_list("rating", flat=True)
        )
        assert counts[Satisfaction.UNSATISFIED] * 2 <= sum(counts.values())
    for task in Task.objects.select_related("issue"):
        assert task.due_on >= timezone.localdate(task.created_at)
        if task.issue.state == IssueState.RESOLVED:
            assert task.done_at is not None and task.done_at <= task.issue.resolved_at
        updates = list(task.updates.order_by("created_at"))
        if task.done_at is not None:
            assert updates and updates[-1].created_at == task.done_at
        assert all(task.created_at <= u.created_at <= now for u in updates)
    for pledge in Pledge.objects.select_related("campaign"):
        assert pledge.campaign.created_at <= pledge.created_at <= now
        assert timezone.localdate(pledge.created_at) <= pledge.campaign.closes_on
        assert pledge.fulfilled_at is None or pledge.created_at < pledge.fulfilled_at <= now
        assert (pledge.amount is not None) == (pledge.kind == "money")
        assert (pledge.hours is not None) == (pledge.kind == "labour")
        assert bool(pledge.what) == (pledge.kind == "materials")
    for campaign in Campaign.objects.select_related("issue"):
        assert campaign.closes_on >= timezone.localdate(campaign.created_at)
        assert campaign.money_goal or campaign.hours_goal or campaign.materials


def _meetings_are_what_the_services_write():
    now = timezone.now()
    for meeting in Meeting.objects.prefetch_related("attendees", "items__issue"):
        assert meeting.created_at < meeting.starts_at
        held = meeting.state in (MeetingState.HELD, MeetingState.APPROVED)
        assert bool(meeting.minutes) == held
        assert (meeting.approved_at is not None) == (meeting.state == MeetingState.APPROVED)
        assert meeting.approved_at is None or meeting.starts_at < meeting.approved_at <= now
        if meeting.state == MeetingState.SCHEDULED:
            assert meeting.starts_at > now and not meeting.attendees.all()
        else:
            assert meeting.starts_at < now
        if meeting.state == MeetingState.CANCELLED:
            assert meeting.summary and not meeting.attendees.all() and not meeting.items.all()
        assert all(seat.council_id == meeting.council_id for seat in meeting.attendees.all())
        for item in meeting.items.all():
            assert item.issue.council_id == meeting.council_id
            triaged = item.issue.events.filter(step=IssueStep.TRIAGE).values_list("at", flat=True).first()
            assert triaged < meeting.created_at  # on the agenda when the meeting was scheduled
            if meeting.state == MeetingState.SCHEDULED:
                assert item.issue.state == IssueState.ON_AGENDA
    # One current seat per person and council; an ended seat names its successor.
    open_seats = Counter(Seat.objects.filter(until__isnull=True).values_list("council_id", "person_id"))
    assert max(open_seats.values()) == 1
    for seat in Seat.objects.select_related("council__compound", "person", "replaced_by"):
        assert seat.person.community_id == seat.council.compound.parent_id
        assert (seat.until is None) == (seat.replaced_by is None)
        if seat.replaced_by is not None:
            assert seat.replaced_by.since == seat.until and seat.replaced_by.kind == seat.kind


def _votes_are_what_the_services_write():
    now = timezone.now()
    for motion in Motion.objects.prefetch_related("ballots"):
        assert motion.opens_at < motion.closes_at
        if motion.state in (MotionState.DRAFT, MotionState.WITHDRAWN):
            assert not (motion.opened_at or motion.electorate or motion.rule_hash or motion.ballots.all())
            continue
        assert motion.rule_hash == document_hash(published_rule(motion))
        seats = {s.pk: s for s in Seat.objects.filter(pk__in=motion.electorate).select_related("person")}
        assert sorted(seats) == motion.electorate
        assert all(s.council_id == motion.council_id and s.voting for s in seats.values())
        tokens = {ballot_token(motion, seat): seat for seat in seats.values()}
        ballots = sorted(motion.ballots.all(), key=lambda b: b.token)
        for ballot in ballots:
            seat = tokens[ballot.token]  # the token is the seat's, with the server's key
            assert seat.person.user_id is not None
            assert ballot.seat_id == (None if motion.secret else seat.pk)
            assert motion.opens_at <= ballot.cast_at < motion.closes_at and ballot.cast_at <= now
            assert ballot.changes == 0 or motion.changeable
        if motion.state == MotionState.OPEN:
            assert motion.closes_at > now and motion.result is None and not motion.outcome
            continue
        assert motion.closes_at <= motion.closed_at <= now
        rule = voting.Rule(quorum=Fraction(str(motion.quorum)), threshold=motion.threshold)
        result = voting.tally(
            rule,
            options=len(motion.options),
            voting_seats=len(motion.electorate),
            choices=[b.option for b in ballots],
        )
        receipts = [{"token": b.token, "option": b.option} for b in ballots]
        assert motion.result == {**result.as_dict(), "receipts": receipts}
        assert motion.outcome == result.outcome


def _the_public_record_holds(world):
    assert verify_chain().ok
    entries = {(e.kind, e.subject): e for e in Entry.objects.filter(kind__startswith="councils.")}
    assert len(entries) == world.made["record entries (councils)"]
    opened = Motion.objects.exclude(opened_at=None)
    assert len(entries) == opened.count() + opened.filter(state=MotionState.CLOSED).count() + (
        Meeting.objects.filter(state=MeetingState.APPROVED).count()
    )
    for motion in opened:
        entry = entries["councils.motion_opened", f"councils.Motion:{motion.pk}"]
        assert entry.payload == {**published_rule(motion), "rule_hash": motion.rule_hash}
        assert entry.area_id == motion.council.compound_id
        if motion.state == MotionState.CLOSED:
            closed = entries["councils.motion_closed", f"councils.Motion:{motion.pk}"]
            result = {k: v for k, v in motion.result.items() if k != "receipts"}
            assert closed.payload == {
                **result,
                "options": motion.options,
                "rule_hash": motion.rule_hash,
                "receipts_hash": document_hash(motion.result["receipts"]),
            }
    for meeting in Meeting.objects.filter(state=MeetingState.APPROVED).prefetch_related("items", "attendees"):
        entry = entries["councils.meeting_approved", f"councils.Meeting:{meeting.pk}"]
        assert entry.payload == {
            "council": meeting.council_id,
            "starts_at": meeting.starts_at.isoformat(),
            "attendees": len(meeting.attendees.all()),
            "agenda": [item.issue_id for item in sorted(meeting.items.all(), key=lambda i: i.position)],
            "minutes_hash": text_hash(meeting.minutes),
            "decisions_hash": text_hash(meeting.decisions),
            "summary_hash": text_hash(meeting.summary),
        }


def _the_job_finds_nothing_left_to_do():
    done = councils_periodic()
    assert (done["closed"], done["escalated"], done["surveys_closed"]) == (0, 0, 0)


def _the_figures_agree(world):
    total, _rows = board_figures()
    satisfaction = board_satisfaction()
    assert total.raised == Issue.objects.exclude(state=IssueState.MERGED).count()
    assert total.rate >= 85 and 2 <= total.median_days <= 20
    assert satisfaction.rate >= 97  # the articles' 98 %+, with a small sample's noise
    district = Area.objects.get(pk=world.district_id)
    period = Period(date(world.years[0], 1, 1), timezone.localdate())
    figures = compute(
        ["councils.issues_raised", "councils.issues_solved", "councils.meetings", "councils.ratings"],
        district,
        period,
    )
    assert figures["councils.issues_raised"] == total.raised
    assert figures["councils.issues_solved"] == total.resolved
    assert figures["councils.ratings"] == ResultRating.objects.count()
    held = Meeting.objects.filter(state__in=(MeetingState.HELD, MeetingState.APPROVED)).count()
    assert figures["councils.meetings"] == held


def _the_pages_work_on_the_data(world):
    community = world.communities[0]
    council = Council.objects.filter(compound_id__in=community.compound_ids).order_by("pk").first()
    issue = Issue.objects.filter(council=council).annotate(n=Count("events")).order_by("-n", "pk").first()
    meeting = (
        Meeting.objects.filter(council=council, state=MeetingState.APPROVED).order_by("-starts_at").first()
    )
    motion = Motion.objects.filter(council=council).exclude(opened_at=None).order_by("pk").first()
    client = Client()
    with zeal_ignore():  # signing in twice in one test reads the session table twice from one line
        client.force_login(User.objects.get(pk=community.secretary_user_id))
    pages = [
        reverse("councils:board"),
        f"{reverse('councils:board')}?community={community.area_id}",
        reverse("councils:issues"),
        reverse("councils:issue", args=[issue.pk]),
        reverse("councils:triage"),
        reverse("councils:meetings"),
        reverse("councils:meeting", args=[meeting.pk]),
    ]
    if motion is not None:
        pages.append(reverse("councils:motion", args=[motion.pk]))
    for url in pages:
        assert client.get(url).status_code == 200, url
    # A resident who raised an issue follows it.
    raiser = Issue.objects.filter(raised_by__user__isnull=False).select_related("raised_by__user").first()
    resident = Client()
    with zeal_ignore():
        resident.force_login(raiser.raised_by.user)
    assert resident.get(reverse("councils:issues")).status_code == 200
    assert resident.get(reverse("councils:issue", args=[raiser.pk])).status_code == 200
