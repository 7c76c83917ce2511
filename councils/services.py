"""Every change to councils, issues and votes: one function per step, one transaction, the rules checked.

Who may act: the council's convener (the compound's council convener role), the community's Party
secretary, or the street's and district's administrators, for councils, seats, triage and motions
("conveners" below); a resident raises an issue in the compound they live in; a social worker or
the secretary records one for a resident without a phone ("recorded by X for Y"); a seat's holder
votes. Something the actor may not see answers 404 (`NotFound`); something they see but may not
do, 403; a step the state does not allow, 409; bad input, 400. Nothing changes when refused.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.chain import document_hash, text_hash
from audit.services import audit_append
from community.access import scope_for
from community.models import Area, AreaKind, Organisation, OrgKind, Person, Role, User
from core.exceptions import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from core.outbox import enqueue
from core.uploads import check_photo

from . import voting, workflow
from .models import (
    AgendaItem,
    Ballot,
    Campaign,
    Council,
    Issue,
    IssueCategory,
    IssueEvent,
    Meeting,
    MeetingState,
    Motion,
    Pledge,
    PledgeKind,
    Post,
    ResultRating,
    Satisfaction,
    Seat,
    SeatKind,
    Task,
    TaskUpdate,
)
from .workflow import IssueState, IssueStep, Track

CONVENER_ROLES = (Role.COUNCIL_CONVENER, Role.COMMUNITY_SECRETARY, Role.STREET_ADMIN, Role.DISTRICT_ADMIN)
RECORDER_ROLES = (Role.SOCIAL_WORKER, Role.COMMUNITY_SECRETARY)
# Days each track has before it is overdue (for a hard issue: the response from the street).
TRACK_DAYS = {Track.MICRO: 7, Track.SMALL: 15, Track.BIG: 30, Track.HARD: 30}
MAX_OPTIONS = 10


# --- Who is acting ------------------------------------------------------------------------------


def is_convener(actor: User | None, compound: Area) -> bool:
    if actor is None:  # the platform itself (jobs, demo)
        return True
    return scope_for(actor).for_roles(CONVENER_ROLES).covers_path(compound.path)


def _refuse(actor: User, compound: Area, message: str, code: str):
    """403 for someone who sees the compound (staff over it, or living in its community); else 404."""
    person = getattr(actor, "person", None)
    resident = person is not None and person.community_id in compound.ancestor_ids()
    if not resident and not scope_for(actor).covers_path(compound.path):
        return NotFound(_("Not found."), code="not_found")
    return PermissionDenied(message, code=code)


def _require_convener(actor: User | None, compound: Area) -> None:
    if is_convener(actor, compound):
        return
    raise _refuse(
        actor,
        compound,
        _("Only the council's convener or the community's secretary can do this."),
        "not_convener",
    )


def _record(issue: Issue, step: str, from_state: str, actor: User | None, note: str = "") -> None:
    IssueEvent.objects.create(
        issue=issue,
        step=step,
        from_state=from_state,
        to_state=issue.state,
        actor=actor if actor is not None and actor.is_authenticated else None,
        note=note[:300],
    )


def _text(value: Any, *, limit: int, required: bool, message: str, code: str) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else None
    if value is None or len(value) > limit or (required and not value):
        raise ValidationFailed(message, code=code)
    return value


def _optional_text(value: Any, *, limit: int, code: str) -> str:
    return _text(
        value,
        limit=limit,
        required=False,
        message=_("At most %(max)s characters.") % {"max": limit},
        code=code,
    )


# --- Councils and seats -------------------------------------------------------------------------


@transaction.atomic
def council_create(
    *, actor: User | None, compound: Area, name: str = "", convener_org: Organisation | None = None
) -> Council:
    """A compound's council (one per compound), convened by its Party branch."""
    if compound.kind != AreaKind.COMPOUND:
        raise ValidationFailed(_("A council belongs to a compound."), code="not_a_compound")
    _require_convener(actor, compound)
    if convener_org is not None and convener_org.kind != OrgKind.COMPOUND_BRANCH:
        raise ValidationFailed(
            _("A council is convened by the compound's Party branch."), code="not_a_branch"
        )
    if Council.objects.filter(compound=compound).exists():
        raise Conflict(_("This compound already has a council."), code="council_exists")
    name = _text(
        name or f"{compound.name}红管家议事厅",
        limit=60,
        required=True,
        message=_("Give the council a name of at most 60 characters."),
        code="invalid_name",
    )
    return Council.objects.create(compound=compound, name=name, convener_org=convener_org)


@transaction.atomic
def seat_add(
    *, actor: User | None, council: Council, kind: str, person: Person, voting_seat: bool = True, since: date
) -> Seat:
    """Seat a person on the council (one seat per person at a time)."""
    _require_convener(actor, council.compound)
    if kind not in SeatKind.values:
        raise ValidationFailed(_("Choose one of the council's kinds of seat."), code="invalid_seat_kind")
    community = council.compound.ancestor_of_kind(AreaKind.COMMUNITY)
    if person.community_id != getattr(community, "pk", None):
        raise ValidationFailed(
            _("%(name)s is not registered in this community.") % {"name": person.name},
            code="not_in_community",
        )
    if Seat.objects.filter(council=council, person=person, until__isnull=True).exists():
        raise Conflict(
            _("%(name)s already holds a seat on this council.") % {"name": person.name}, code="seated"
        )
    return Seat.objects.create(council=council, kind=kind, person=person, voting=voting_seat, since=since)


@transaction.atomic
def seat_replace(*, actor: User | None, seat: Seat, person: Person, on: date) -> Seat:
    """End a seat's term on `on` and give the same seat to `person` from that day."""
    seat = Seat.objects.select_for_update().select_related("council__compound").get(pk=seat.pk)
    _require_convener(actor, seat.council.compound)
    if seat.until is not None:
        raise Conflict(_("This seat's term has already ended."), code="seat_ended")
    if on < seat.since:
        raise ValidationFailed(_("A replacement cannot start before the seat did."), code="invalid_date")
    seat.until = on
    seat.save(update_fields=["until"])
    successor = seat_add(
        actor=actor, council=seat.council, kind=seat.kind, person=person, voting_seat=seat.voting, since=on
    )
    seat.replaced_by = successor
    seat.save(update_fields=["replaced_by"])
    return successor


# --- Issues (民提) ------------------------------------------------------------------------------


def _compound_of(area: Area | None) -> Area | None:
    if area is None:
        return None
    return area if area.kind == AreaKind.COMPOUND else area.ancestor_of_kind(AreaKind.COMPOUND)


def council_for(person: Person | None) -> Council:
    """The council of the compound `person` lives in; a clear error when there is none."""
    compound = _compound_of(person.home) if person is not None else None
    council = (
        Council.objects.filter(compound=compound).select_related("compound").first() if compound else None
    )
    if council is None:
        raise ValidationFailed(
            _("Your compound has no council yet: ask your community's office."), code="no_council"
        )
    return council


@transaction.atomic
def issue_raise(
    *,
    actor: User,
    council: Council,
    category: str,
    title: str,
    description: str,
    building: Area | None = None,
    photo=None,
    on_behalf_of: Person | None = None,
) -> Issue:
    """A resident raises an issue in their compound, or a social worker records one for a resident."""
    compound = council.compound
    if on_behalf_of is not None:
        if not scope_for(actor).for_roles(RECORDER_ROLES).covers_path(compound.path):
            raise _refuse(
                actor,
                compound,
                _("Only a social worker or the community's secretary can record an issue for a resident."),
                "not_a_recorder",
            )
        person, recorded_by = on_behalf_of, actor
    else:
        person, recorded_by = getattr(actor, "person", None), None
        if person is None:
            raise PermissionDenied(
                _("Register as a resident first: ask your community's office."), code="not_a_resident"
            )
    if _compound_of(person.home) != compound:
        raise PermissionDenied(_("Issues are raised in the compound one lives in."), code="not_in_compound")
    if category not in IssueCategory.values:
        raise ValidationFailed(_("Choose a category."), code="invalid_category")
    title = _text(
        title,
        limit=80,
        required=True,
        message=_("Give a short title of at most 80 characters."),
        code="invalid_title",
    )
    description = _text(
        description,
        limit=2000,
        required=True,
        message=_("Describe the issue in at most 2000 characters."),
        code="invalid_description",
    )
    if building is not None and (building.kind != AreaKind.BUILDING or _compound_of(building) != compound):
        raise ValidationFailed(_("Choose a building of this compound."), code="invalid_building")
    check_photo(photo)
    issue = Issue.objects.create(
        council=council,
        compound=compound,
        raised_by=person,
        recorded_by=recorded_by,
        category=category,
        title=title,
        description=description,
        building=building,
        photo=photo or "",
        triage_by=timezone.localdate() + timedelta(days=settings.COUNCIL_TRIAGE_DAYS),
    )
    note = _("Recorded by %(who)s for the resident") % {"who": actor} if recorded_by else ""
    _record(issue, IssueStep.RAISE, "", actor, note)
    return issue


def _locked_issue(actor: User | None, issue: Issue) -> Issue:
    issue = Issue.objects.select_for_update().select_related("compound").filter(pk=issue.pk).first()
    if issue is None:
        raise NotFound(_("Issue not found."), code="issue_not_found")
    _require_convener(actor, issue.compound)
    return issue


@transaction.atomic
def issue_triage(
    *, actor: User | None, issue: Issue, track: str, due_on: date | None = None, note: str = ""
) -> Issue:
    """四事分流: classify a raised issue; its track decides its path and its deadline."""
    issue = _locked_issue(actor, issue)
    workflow.check(IssueStep.TRIAGE, issue.state)
    if track not in Track.values:
        raise ValidationFailed(_("Choose micro, small, big or hard."), code="invalid_track")
    today = timezone.localdate()
    due_on = due_on or today + timedelta(days=TRACK_DAYS[track])
    if due_on < today:
        raise ValidationFailed(_("The deadline cannot be in the past."), code="invalid_due")
    before = issue.state
    issue.track, issue.due_on, issue.state = track, due_on, workflow.TRACK_STATE[track]
    issue.escalated_at = None  # a new deadline: overdue again later is escalated again
    issue.save(update_fields=["track", "due_on", "state", "escalated_at"])
    _record(issue, IssueStep.TRIAGE, before, actor, note or Track(track).label)
    return issue


@transaction.atomic
def issue_reject(*, actor: User | None, issue: Issue, reason: str) -> Issue:
    issue = _locked_issue(actor, issue)
    target = workflow.check(IssueStep.REJECT, issue.state)
    reason = _text(
        reason,
        limit=300,
        required=True,
        message=_("Say why, in at most 300 characters."),
        code="invalid_reason",
    )
    before, issue.state, issue.reason = issue.state, target, reason
    issue.save(update_fields=["state", "reason"])
    _record(issue, IssueStep.REJECT, before, actor, reason)
    return issue


@transaction.atomic
def issue_merge(*, actor: User | None, issue: Issue, into: Issue) -> Issue:
    """A duplicate joins another open issue of the same council; its resident follows that one."""
    issue = _locked_issue(actor, issue)
    target = workflow.check(IssueStep.MERGE, issue.state)
    into = Issue.objects.filter(pk=into.pk).first()
    if into is None or into.council_id != issue.council_id or into.pk == issue.pk:
        raise ValidationFailed(_("Choose another issue of the same council."), code="invalid_merge")
    if into.state not in workflow.OPEN_STATES:
        raise ValidationFailed(_("Merge into an issue that is still open."), code="merge_into_closed")
    before, issue.state, issue.merged_into = issue.state, target, into
    issue.save(update_fields=["state", "merged_into"])
    _record(issue, IssueStep.MERGE, before, actor, _("Merged into “%(title)s”") % {"title": into.title})
    return issue


@transaction.atomic
def issue_advance(*, actor: User | None, issue: Issue, step: str, note: str = "") -> Issue:
    """decide (a big issue after the council's decision), respond (a hard one answered), resolve, reopen."""
    if step not in (IssueStep.DECIDE, IssueStep.RESPOND, IssueStep.RESOLVE, IssueStep.REOPEN):
        raise ValidationFailed(_("Unknown step."), code="invalid_step")
    issue = _locked_issue(actor, issue)
    target = workflow.check(step, issue.state)
    note = _optional_text(note, limit=300, code="invalid_note")
    before, issue.state = issue.state, target
    fields = ["state"]
    if step == IssueStep.RESOLVE:
        issue.resolved_at = timezone.now()
        issue.resolutions += 1
        issue.survey_closed_at = None
        fields += ["resolved_at", "resolutions", "survey_closed_at"]
    elif step == IssueStep.REOPEN:
        issue.resolved_at = issue.escalated_at = None
        fields += ["resolved_at", "escalated_at"]
    issue.save(update_fields=fields)
    _record(issue, step, before, actor, note)
    return issue


@transaction.atomic
def issue_escalate_overdue(*, issue: Issue, today: date | None = None) -> bool:
    """The platform escalates an issue not triaged by its triage date, or open past its deadline, once.

    Nothing changes but `escalated_at` and the timeline; the job tells the community's secretary.
    Returns whether it escalated now (False when not overdue or already escalated).
    """
    issue = Issue.objects.select_for_update().filter(pk=issue.pk).first()
    if issue is None or issue.escalated_at is not None:
        return False
    today = today or timezone.localdate()
    untriaged = issue.state == IssueState.RAISED and issue.triage_by < today
    overdue = (
        issue.state in (IssueState.HANDLING, IssueState.ESCALATED)
        and issue.due_on is not None
        and issue.due_on < today
    )
    if not (untriaged or overdue):
        return False
    issue.escalated_at = timezone.now()
    issue.save(update_fields=["escalated_at"])
    note = _("Not triaged in time") if untriaged else _("Past its deadline")
    _record(issue, IssueStep.ESCALATE, issue.state, None, note)
    return True


# --- Motions and votes (民决) ---------------------------------------------------------------------


def _clean_rule(
    *, options: Any, quorum: Any, threshold: str, opens_at: datetime, closes_at: datetime
) -> tuple[list[str], Decimal]:
    if not isinstance(options, list) or not 2 <= len(options) <= MAX_OPTIONS:
        raise ValidationFailed(
            _("A motion has from 2 to %(max)s options.") % {"max": MAX_OPTIONS}, code="invalid_options"
        )
    cleaned = []
    for option in options:
        cleaned.append(
            _text(
                option if isinstance(option, str) else None,
                limit=60,
                required=True,
                message=_("Each option needs a text of at most 60 characters."),
                code="invalid_options",
            )
        )
    if len(set(cleaned)) != len(cleaned):
        raise ValidationFailed(_("Two options say the same thing."), code="invalid_options")
    try:
        quorum = Decimal(str(quorum)).quantize(Decimal("0.001"))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(
            _("The quorum is a share from 0 to 1, such as 0.5."), code="invalid_quorum"
        ) from None
    if not Decimal(0) < quorum <= Decimal(1):
        raise ValidationFailed(_("The quorum is a share from 0 to 1, such as 0.5."), code="invalid_quorum")
    if threshold not in voting.Threshold.values:
        raise ValidationFailed(_("Choose a simple majority or two thirds."), code="invalid_threshold")
    if closes_at <= opens_at:
        raise ValidationFailed(_("Voting must close after it opens."), code="invalid_window")
    return cleaned, quorum


@transaction.atomic
def motion_create(
    *,
    actor: User | None,
    council: Council,
    title: str,
    options: Any,
    quorum: Any,
    threshold: str,
    opens_at: datetime,
    closes_at: datetime,
    secret: bool = False,
    changeable: bool = False,
    description: str = "",
    issue: Issue | None = None,
) -> Motion:
    """Draft a motion with its rule; the rule can change until voting opens, never after."""
    _require_convener(actor, council.compound)
    title = _text(
        title,
        limit=120,
        required=True,
        message=_("Give the motion a title of at most 120 characters."),
        code="invalid_title",
    )
    description = _optional_text(description, limit=2000, code="invalid_description")
    if issue is not None and issue.council_id != council.pk:
        raise ValidationFailed(_("The issue belongs to another council."), code="invalid_issue")
    options, quorum = _clean_rule(
        options=options, quorum=quorum, threshold=threshold, opens_at=opens_at, closes_at=closes_at
    )
    return Motion.objects.create(
        council=council,
        issue=issue,
        title=title,
        description=description,
        options=options,
        quorum=quorum,
        threshold=threshold,
        secret=bool(secret),
        changeable=bool(changeable),
        opens_at=opens_at,
        closes_at=closes_at,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )


def _locked_motion(actor: User | None, motion: Motion) -> Motion:
    motion = (
        Motion.objects.select_for_update().select_related("council__compound").filter(pk=motion.pk).first()
    )
    if motion is None:
        raise NotFound(_("Motion not found."), code="motion_not_found")
    return motion


@transaction.atomic
def motion_change_rule(*, actor: User | None, motion: Motion, **rule: Any) -> Motion:
    """Change a draft motion's options, quorum, threshold, secrecy, changeability or window."""
    motion = _locked_motion(actor, motion)
    _require_convener(actor, motion.council.compound)
    workflow.check_motion("edit", motion.state)
    allowed = {"options", "quorum", "threshold", "opens_at", "closes_at", "secret", "changeable"}
    unknown = set(rule) - allowed
    if unknown:
        raise ValidationFailed(_("Unknown rule field."), code="invalid_rule")
    merged = {name: rule.get(name, getattr(motion, name)) for name in allowed}
    options, quorum = _clean_rule(
        options=merged["options"],
        quorum=merged["quorum"],
        threshold=merged["threshold"],
        opens_at=merged["opens_at"],
        closes_at=merged["closes_at"],
    )
    motion.options, motion.quorum, motion.threshold = options, quorum, merged["threshold"]
    motion.opens_at, motion.closes_at = merged["opens_at"], merged["closes_at"]
    motion.secret, motion.changeable = bool(merged["secret"]), bool(merged["changeable"])
    motion.save()
    return motion


def published_rule(motion: Motion) -> dict[str, Any]:
    """The rule as the voters see it before they vote; its SHA-256 goes into the public record."""
    return {
        "motion": motion.pk,
        "title": motion.title,
        "options": motion.options,
        "quorum": str(motion.quorum),
        "threshold": motion.threshold,
        "secret": motion.secret,
        "changeable": motion.changeable,
        "opens_at": motion.opens_at.isoformat(),
        "closes_at": motion.closes_at.isoformat(),
        "voting_seats": len(motion.electorate),
    }


@transaction.atomic
def motion_open(*, actor: User | None, motion: Motion) -> Motion:
    """Open voting: the voting seats are fixed and the rule is published, never to change."""
    motion = _locked_motion(actor, motion)
    _require_convener(actor, motion.council.compound)
    motion.state = workflow.check_motion("open", motion.state)
    now = timezone.now()
    if motion.closes_at <= now:
        raise ValidationFailed(
            _("The voting window has already passed; change it first."), code="window_passed"
        )
    seats = Seat.objects.filter(council=motion.council, voting=True, until__isnull=True).order_by("pk")
    motion.electorate = list(seats.values_list("pk", flat=True))
    if not motion.electorate:
        raise ValidationFailed(_("The council has no voting seats."), code="no_voting_seats")
    motion.opened_at = now
    rule = published_rule(motion)
    motion.rule_hash = document_hash(rule)
    motion.save()
    audit_append(
        kind="councils.motion_opened",
        subject=f"councils.Motion:{motion.pk}",
        payload={**rule, "rule_hash": motion.rule_hash},
        area=motion.council.compound,
    )
    return motion


def ballot_token(motion: Motion, seat: Seat) -> str:
    """The seat's ballot token for this motion: the voter's receipt, naming nobody to anyone else."""
    message = f"councils.ballot:{motion.pk}:{seat.pk}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def voter_seat(actor: User, motion: Motion) -> Seat | None:
    person = getattr(actor, "person", None)
    if person is None:
        return None
    return Seat.objects.filter(pk__in=motion.electorate, person=person).first()


@transaction.atomic
def vote_cast(*, actor: User, motion: Motion, option: int, now: datetime | None = None) -> Ballot:
    """The seat's vote (an option's index, or voting.ABSTAIN): once, or changed until the close if the rule allows."""
    motion = _locked_motion(actor, motion)  # serialises every vote on this motion
    workflow.check_motion("vote", motion.state)
    seat = voter_seat(actor, motion)
    if seat is None:
        raise PermissionDenied(
            _("Only the holders of the council's voting seats vote."), code="no_voting_seat"
        )
    now = now or timezone.now()
    if not motion.opens_at <= now < motion.closes_at:
        raise InvalidTransition(_("Voting is not open at this time."), code="outside_window")
    if (
        isinstance(option, bool)
        or not isinstance(option, int)
        or not (option == voting.ABSTAIN or 0 <= option < len(motion.options))
    ):
        raise ValidationFailed(_("Choose one of the motion's options."), code="invalid_option")
    token = ballot_token(motion, seat)
    ballot = Ballot.objects.filter(motion=motion, token=token).first()
    if ballot is not None:
        if not motion.changeable:
            raise Conflict(
                _("You have already voted; this vote's rule does not allow changes."), code="already_voted"
            )
        if ballot.option != option:
            ballot.option, ballot.cast_at, ballot.changes = option, now, ballot.changes + 1
            ballot.save(update_fields=["option", "cast_at", "changes"])
        return ballot
    return Ballot.objects.create(
        motion=motion, token=token, seat=None if motion.secret else seat, option=option, cast_at=now
    )


@transaction.atomic
def motion_close(*, actor: User | None, motion: Motion, now: datetime | None = None) -> Motion:
    """Close voting at the window's end: the result by the stated rule, the tally into the public record."""
    motion = _locked_motion(actor, motion)
    _require_convener(actor, motion.council.compound)
    motion.state = workflow.check_motion("close", motion.state)
    now = now or timezone.now()
    if now < motion.closes_at:
        raise InvalidTransition(
            _("Voting closes at the end of its window, not before."), code="window_not_over"
        )
    ballots = list(motion.ballots.order_by("token").values_list("token", "option"))
    rule = voting.Rule(quorum=Fraction(str(motion.quorum)), threshold=motion.threshold)
    result = voting.tally(
        rule,
        options=len(motion.options),
        voting_seats=len(motion.electorate),
        choices=[o for _t, o in ballots],
    )
    receipts = [{"token": token, "option": option} for token, option in ballots]
    motion.result = {**result.as_dict(), "receipts": receipts}
    motion.outcome = result.outcome
    motion.closed_at = now
    motion.save(update_fields=["state", "result", "outcome", "closed_at"])
    audit_append(
        kind="councils.motion_closed",
        subject=f"councils.Motion:{motion.pk}",
        payload={
            **result.as_dict(),
            "options": motion.options,
            "rule_hash": motion.rule_hash,
            "receipts_hash": document_hash(receipts),
        },
        area=motion.council.compound,
    )
    return motion


# --- Meetings (民议) ------------------------------------------------------------------------------


def _locked_meeting(actor: User | None, meeting: Meeting) -> Meeting:
    meeting = (
        Meeting.objects.select_for_update().select_related("council__compound").filter(pk=meeting.pk).first()
    )
    if meeting is None:
        raise NotFound(_("Meeting not found."), code="meeting_not_found")
    _require_convener(actor, meeting.council.compound)
    return meeting


@transaction.atomic
def meeting_schedule(
    *,
    actor: User | None,
    council: Council,
    title: str,
    starts_at: datetime,
    place: str = "",
    online: bool = False,
    issues: list[Issue] | tuple = (),
) -> Meeting:
    """Schedule a council meeting with the issues on its agenda (big issues awaiting the council)."""
    _require_convener(actor, council.compound)
    title = _text(
        title,
        limit=120,
        required=True,
        message=_("Give the meeting a title of at most 120 characters."),
        code="invalid_title",
    )
    place = _optional_text(place, limit=120, code="invalid_place")
    if not place and not online:
        raise ValidationFailed(_("Say where the meeting is held, or that it is online."), code="no_place")
    if starts_at <= timezone.now():
        raise ValidationFailed(_("A meeting is scheduled for a time still to come."), code="invalid_time")
    wanted = [issue.pk for issue in issues]
    fresh = Issue.objects.in_bulk(wanted)
    issues = [fresh[pk] for pk in wanted if pk in fresh]
    for issue in issues:
        if issue.council_id != council.pk or issue.state != IssueState.ON_AGENDA:
            raise ValidationFailed(
                _("Only this council's issues awaiting its decision go on the agenda: “%(title)s” does not.")
                % {"title": issue.title},
                code="invalid_agenda",
            )
    if len({issue.pk for issue in issues}) != len(issues):
        raise ValidationFailed(_("An issue is on the agenda twice."), code="invalid_agenda")
    meeting = Meeting.objects.create(
        council=council,
        title=title,
        starts_at=starts_at,
        place=place,
        online=bool(online),
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    AgendaItem.objects.bulk_create(
        AgendaItem(meeting=meeting, issue=issue, position=n) for n, issue in enumerate(issues, start=1)
    )
    return meeting


@transaction.atomic
def meeting_cancel(*, actor: User | None, meeting: Meeting, reason: str) -> Meeting:
    meeting = _locked_meeting(actor, meeting)
    if meeting.state != MeetingState.SCHEDULED:
        raise InvalidTransition(_("Only a scheduled meeting can be cancelled."), code="not_scheduled")
    reason = _text(
        reason,
        limit=300,
        required=True,
        message=_("Say why, in at most 300 characters."),
        code="invalid_reason",
    )
    meeting.state, meeting.summary = MeetingState.CANCELLED, reason
    meeting.save(update_fields=["state", "summary"])
    return meeting


@transaction.atomic
def meeting_record(
    *, actor: User | None, meeting: Meeting, attendees: list[Seat] | tuple, minutes: str, decisions: str = ""
) -> Meeting:
    """After the meeting: who attended (each seat holder earns the meeting-attended points once), the minutes."""
    meeting = _locked_meeting(actor, meeting)
    if meeting.state != MeetingState.SCHEDULED:
        raise InvalidTransition(
            _("The minutes of this meeting are already recorded."), code="already_recorded"
        )
    if meeting.starts_at > timezone.now():
        raise InvalidTransition(_("The meeting has not taken place yet."), code="not_yet_held")
    minutes = _text(
        minutes,
        limit=10000,
        required=True,
        message=_("Write the minutes, in at most 10000 characters."),
        code="invalid_minutes",
    )
    decisions = _optional_text(decisions, limit=5000, code="invalid_decisions")
    attendees = list(attendees)
    seats = set(
        Seat.objects.filter(council=meeting.council, pk__in=[seat.pk for seat in attendees]).values_list(
            "pk", flat=True
        )
    )
    if len(seats) != len(attendees) or len(seats) != len({seat.pk for seat in attendees}):
        raise ValidationFailed(_("Attendees are seats of this council, each once."), code="invalid_attendees")
    meeting.state, meeting.minutes, meeting.decisions = MeetingState.HELD, minutes, decisions
    meeting.save(update_fields=["state", "minutes", "decisions"])
    meeting.attendees.set(attendees)
    community = meeting.council.compound.ancestor_of_kind(AreaKind.COMMUNITY)
    for seat in Seat.objects.filter(pk__in=seats).select_related("person"):
        if seat.person.user_id is None or community is None:
            continue
        enqueue(
            "points.award_for_event",
            "meeting_attended",
            seat.person.user_id,
            community.pk,
            f"council-meeting:{meeting.pk}:seat:{seat.pk}",
            1,
            f"councils.Meeting:{meeting.pk}",
            meeting.title[:120],
        )
    return meeting


@transaction.atomic
def meeting_approve(*, actor: User | None, meeting: Meeting, summary: str) -> Meeting:
    """The minutes are approved: the public summary is published and the minutes' hash goes on the record."""
    meeting = _locked_meeting(actor, meeting)
    if meeting.state != MeetingState.HELD:
        raise InvalidTransition(
            _("Only the recorded minutes of a held meeting can be approved."), code="not_held"
        )
    summary = _text(
        summary,
        limit=3000,
        required=True,
        message=_("Write the public summary, in at most 3000 characters."),
        code="invalid_summary",
    )
    meeting.state, meeting.summary, meeting.approved_at = MeetingState.APPROVED, summary, timezone.now()
    meeting.save(update_fields=["state", "summary", "approved_at"])
    audit_append(
        kind="councils.meeting_approved",
        subject=f"councils.Meeting:{meeting.pk}",
        payload={
            "council": meeting.council_id,
            "starts_at": meeting.starts_at.isoformat(),
            "attendees": meeting.attendees.count(),
            "agenda": list(meeting.items.order_by("position").values_list("issue_id", flat=True)),
            "minutes_hash": text_hash(meeting.minutes),
            "decisions_hash": text_hash(meeting.decisions),
            "summary_hash": text_hash(summary),
        },
        area=meeting.council.compound,
    )
    return meeting


# --- Cloud consultation (云协商) ------------------------------------------------------------------


def _may_take_part(actor: User, issue: Issue) -> bool:
    """Residents of the compound's community, the council's seat holders, and the staff over it."""
    person = getattr(actor, "person", None)
    if person is not None and person.community_id in issue.compound.ancestor_ids():
        return True
    return scope_for(actor).covers_path(issue.compound.path)


@transaction.atomic
def post_add(*, actor: User, issue: Issue, body: str) -> Post:
    issue = Issue.objects.select_related("compound").filter(pk=issue.pk).first()
    if issue is None or not _may_take_part(actor, issue):
        raise NotFound(_("Issue not found."), code="issue_not_found")
    if issue.state not in workflow.OPEN_STATES:
        raise InvalidTransition(_("The discussion of this issue is closed."), code="discussion_closed")
    body = _text(
        body,
        limit=1000,
        required=True,
        message=_("Write something, in at most 1000 characters."),
        code="invalid_body",
    )
    return Post.objects.create(issue=issue, author=actor, body=body)


@transaction.atomic
def post_hide(*, actor: User | None, post: Post, reason: str) -> Post:
    """The convener hides a post (abuse, personal data), with a reason shown in its place."""
    post = Post.objects.select_for_update().select_related("issue__compound").filter(pk=post.pk).first()
    if post is None:
        raise NotFound(_("Not found."), code="not_found")
    _require_convener(actor, post.issue.compound)
    if post.hidden_at is not None:
        raise Conflict(_("This post is already hidden."), code="already_hidden")
    post.hidden_reason = _text(
        reason,
        limit=200,
        required=True,
        message=_("Say why, in at most 200 characters."),
        code="invalid_reason",
    )
    post.hidden_at = timezone.now()
    post.save(update_fields=["hidden_at", "hidden_reason"])
    return post


# --- Results (民评) -------------------------------------------------------------------------------


def is_concerned(person: Person | None, issue: Issue) -> bool:
    """The resident who raised it, and the residents who live in its compound."""
    if person is None:
        return False
    return person.pk == issue.raised_by_id or _compound_of(person.home) == issue.compound


@transaction.atomic
def result_rate(*, actor: User, issue: Issue, rating: str) -> ResultRating:
    """A resident concerned rates the resolution once, while its survey is open."""
    issue = Issue.objects.select_for_update().select_related("compound").filter(pk=issue.pk).first()
    person = getattr(actor, "person", None)
    if issue is None:
        raise NotFound(_("Issue not found."), code="issue_not_found")
    if not is_concerned(person, issue):
        raise PermissionDenied(
            _("The residents of the compound rate how its issues were resolved."), code="not_concerned"
        )
    if issue.state != IssueState.RESOLVED or issue.survey_closed_at is not None:
        raise InvalidTransition(_("This issue is not awaiting ratings."), code="survey_not_open")
    if rating not in Satisfaction.values:
        raise ValidationFailed(
            _("Choose satisfied, basically satisfied or unsatisfied."), code="invalid_rating"
        )
    if ResultRating.objects.filter(issue=issue, round=issue.resolutions, person=person).exists():
        raise Conflict(_("You have already rated this resolution."), code="already_rated")
    return ResultRating.objects.create(issue=issue, round=issue.resolutions, person=person, rating=rating)


def survey_tally(issue: Issue) -> dict[str, int]:
    rows = ResultRating.objects.filter(issue=issue, round=issue.resolutions).values_list("rating", flat=True)
    counts = {value: 0 for value in Satisfaction.values}
    for rating in rows:
        counts[rating] += 1
    return counts


@transaction.atomic
def survey_close(*, issue: Issue, now: datetime | None = None) -> bool:
    """Close the satisfaction survey of a resolved issue (the job, after COUNCIL_SURVEY_DAYS); an
    unsatisfied majority of the ratings reopens the issue. Once per resolution: False if nothing to do."""
    issue = Issue.objects.select_for_update().filter(pk=issue.pk).first()
    now = now or timezone.now()
    if issue is None or issue.state != IssueState.RESOLVED or issue.survey_closed_at is not None:
        return False
    if issue.resolved_at is None or issue.resolved_at + timedelta(days=settings.COUNCIL_SURVEY_DAYS) > now:
        return False
    counts = survey_tally(issue)
    issue.survey_closed_at = now
    issue.save(update_fields=["survey_closed_at"])
    rated = sum(counts.values())
    if rated and counts[Satisfaction.UNSATISFIED] * 2 > rated:
        issue_advance(
            actor=None,
            issue=issue,
            step=IssueStep.REOPEN,
            note=_("Reopened: %(n)s of %(total)s residents were unsatisfied")
            % {"n": counts[Satisfaction.UNSATISFIED], "total": rated},
        )
    return True


# --- Crowdfunding (居民众筹) ----------------------------------------------------------------------


@transaction.atomic
def campaign_open(
    *,
    actor: User | None,
    issue: Issue,
    title: str,
    closes_on: date,
    money_goal: int | None = None,
    hours_goal: int | None = None,
    materials: str = "",
    description: str = "",
) -> Campaign:
    """A decided project (an issue being handled) asks for money, labour or materials."""
    issue = _locked_issue(actor, issue)
    if issue.state != IssueState.HANDLING:
        raise InvalidTransition(
            _("Crowdfunding is for a decided project that is being carried out."), code="not_handling"
        )
    title = _text(
        title,
        limit=120,
        required=True,
        message=_("Give a title of at most 120 characters."),
        code="invalid_title",
    )
    description = _optional_text(description, limit=2000, code="invalid_description")
    materials = _optional_text(materials, limit=300, code="invalid_materials")
    for value in (money_goal, hours_goal):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 10_000_000
        ):
            raise ValidationFailed(_("A goal is a whole number above 0."), code="invalid_goal")
    if money_goal is None and hours_goal is None and not materials:
        raise ValidationFailed(
            _("Say what is asked for: money, hours of labour or materials."), code="no_goal"
        )
    if closes_on < timezone.localdate():
        raise ValidationFailed(_("The closing date cannot be in the past."), code="invalid_date")
    return Campaign.objects.create(
        council=issue.council,
        issue=issue,
        title=title,
        description=description,
        money_goal=money_goal,
        hours_goal=hours_goal,
        materials=materials,
        closes_on=closes_on,
    )


@transaction.atomic
def pledge_make(
    *,
    actor: User,
    campaign: Campaign,
    kind: str,
    amount: int | None = None,
    hours: int | None = None,
    what: str = "",
    organisation: Organisation | None = None,
) -> Pledge:
    """A resident of the community, or a unit's contact for their unit, pledges money, hours or materials."""
    campaign = Campaign.objects.select_related("council__compound").filter(pk=campaign.pk).first()
    if campaign is None:
        raise NotFound(_("Not found."), code="not_found")
    compound = campaign.council.compound
    if organisation is not None:
        if organisation.pk not in scope_for(actor).for_roles((Role.UNIT_CONTACT,)).org_ids:
            raise PermissionDenied(_("Pledge for your own unit only."), code="not_your_unit")
    else:
        person = getattr(actor, "person", None)
        if person is None or person.community_id not in compound.ancestor_ids():
            raise PermissionDenied(_("The residents of the community pledge here."), code="not_a_resident")
    if campaign.closes_on < timezone.localdate():
        raise InvalidTransition(_("Pledges for this campaign have closed."), code="campaign_closed")
    if kind not in PledgeKind.values:
        raise ValidationFailed(_("Choose money, labour or materials."), code="invalid_kind")
    what = _text(
        what,
        limit=200,
        required=kind == PledgeKind.MATERIALS,
        message=_("Say what you give, in at most 200 characters."),
        code="invalid_what",
    )
    number, field = (amount, "amount") if kind == PledgeKind.MONEY else (hours, "hours")
    if kind != PledgeKind.MATERIALS and (
        isinstance(number, bool) or not isinstance(number, int) or not 0 < number <= 1_000_000
    ):
        raise ValidationFailed(
            _("Say how much: a whole number above 0.")
            if kind == PledgeKind.MONEY
            else _("Say how many hours: a whole number above 0."),
            code=f"invalid_{field}",
        )
    return Pledge.objects.create(
        campaign=campaign,
        pledged_by=actor,
        organisation=organisation,
        kind=kind,
        amount=amount if kind == PledgeKind.MONEY else None,
        hours=hours if kind == PledgeKind.LABOUR else None,
        what=what,
    )


@transaction.atomic
def pledge_fulfil(*, actor: User | None, pledge: Pledge) -> Pledge:
    """The convener records a pledge as given; labour given earns the crowdfunding-labour points, once."""
    pledge = (
        Pledge.objects.select_for_update()
        .select_related("campaign__council__compound")
        .filter(pk=pledge.pk)
        .first()
    )
    if pledge is None:
        raise NotFound(_("Not found."), code="not_found")
    compound = pledge.campaign.council.compound
    _require_convener(actor, compound)
    if pledge.fulfilled_at is not None:
        raise Conflict(_("This pledge is already recorded as given."), code="already_given")
    pledge.fulfilled_at = timezone.now()
    pledge.save(update_fields=["fulfilled_at"])
    community = compound.ancestor_of_kind(AreaKind.COMMUNITY)
    if pledge.kind == PledgeKind.LABOUR and pledge.organisation_id is None and community is not None:
        enqueue(
            "points.award_for_event",
            "crowdfunding_labour",
            pledge.pledged_by_id,
            community.pk,
            f"council-pledge:{pledge.pk}",
            pledge.hours,
            f"councils.Pledge:{pledge.pk}",
            pledge.campaign.title[:120],
        )
    return pledge


def campaign_progress(campaign: Campaign) -> dict[str, int]:
    """Pledged and given, for money and hours, and the materials pledges (one query)."""
    from .selectors import progress_of, with_progress  # selectors imports this module

    return progress_of(with_progress(Campaign.objects.filter(pk=campaign.pk)).get())


# --- Execution (民办) -----------------------------------------------------------------------------


@transaction.atomic
def task_add(*, actor: User | None, issue: Issue, title: str, owner: str, due_on: date) -> Task:
    issue = _locked_issue(actor, issue)
    if issue.state != IssueState.HANDLING:
        raise InvalidTransition(_("Tasks are for an issue being handled."), code="not_handling")
    title = _text(
        title,
        limit=120,
        required=True,
        message=_("Give the task a title of at most 120 characters."),
        code="invalid_title",
    )
    owner = _text(
        owner,
        limit=60,
        required=True,
        message=_("Say who carries it out, in at most 60 characters."),
        code="invalid_owner",
    )
    if due_on < timezone.localdate():
        raise ValidationFailed(_("The deadline cannot be in the past."), code="invalid_due")
    return Task.objects.create(issue=issue, title=title, owner=owner, due_on=due_on)


@transaction.atomic
def task_report(*, actor: User, task: Task, note: str, photo=None, done: bool = False) -> TaskUpdate:
    """A progress update with an optional photo; `done` marks the task done (once)."""
    task = Task.objects.select_for_update().select_related("issue__compound").filter(pk=task.pk).first()
    if task is None:
        raise NotFound(_("Not found."), code="not_found")
    _require_convener(actor, task.issue.compound)
    if task.done_at is not None:
        raise Conflict(_("This task is already done."), code="task_done")
    note = _text(
        note,
        limit=500,
        required=True,
        message=_("Say what was done, in at most 500 characters."),
        code="invalid_note",
    )
    check_photo(photo)
    update = TaskUpdate.objects.create(task=task, note=note, photo=photo or "", by=actor)
    if done:
        task.done_at = timezone.now()
        task.save(update_fields=["done_at"])
    return update
