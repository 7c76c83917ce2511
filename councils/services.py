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

from audit.chain import document_hash
from audit.services import audit_append
from community.access import scope_for
from community.models import Area, AreaKind, Organisation, OrgKind, Person, Role, User
from core.exceptions import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed

from . import voting, workflow
from .models import Ballot, Council, Issue, IssueCategory, IssueEvent, Motion, Seat, SeatKind
from .workflow import IssueState, IssueStep, Track

CONVENER_ROLES = (Role.COUNCIL_CONVENER, Role.COMMUNITY_SECRETARY, Role.STREET_ADMIN, Role.DISTRICT_ADMIN)
RECORDER_ROLES = (Role.SOCIAL_WORKER, Role.COMMUNITY_SECRETARY)
PHOTO_TYPES = (".jpg", ".jpeg", ".png")
PHOTO_MAX_BYTES = 8 * 1024 * 1024
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


def _check_photo(photo) -> None:
    if photo is None:
        return
    name = (getattr(photo, "name", "") or "").lower()
    if not name.endswith(PHOTO_TYPES):
        raise ValidationFailed(_("The photo must be a JPG or PNG picture."), code="photo_type")
    if photo.size > PHOTO_MAX_BYTES:
        raise ValidationFailed(_("The photo may be at most 8 MB."), code="photo_too_large")


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
    _check_photo(photo)
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
    note = _text(note, limit=300, required=False, message=_("At most 300 characters."), code="invalid_note")
    before, issue.state = issue.state, target
    fields = ["state"]
    if step == IssueStep.RESOLVE:
        issue.resolved_at = timezone.now()
        fields.append("resolved_at")
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
    description = _text(
        description,
        limit=2000,
        required=False,
        message=_("At most 2000 characters."),
        code="invalid_description",
    )
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
