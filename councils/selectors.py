"""Reads for the council pages: lists already shaped for their page, and the public results board's figures."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Q, QuerySet, Sum

from audit.models import Entry
from community.access import Scope, scope_for, scope_q
from community.models import Area, AreaKind, Person, User

from .models import Council, Issue, IssueEvent, Motion, ResultRating, Seat
from .services import CONVENER_ROLES, RECORDER_ROLES
from .voting import Outcome
from .workflow import OPEN_STATES, IssueState, MotionState

ON_BEHALF_CHOICES = 200
BOARD_MOTIONS = 50


# --- Issues ---------------------------------------------------------------------------------------


def issue_list(*, actor: User) -> QuerySet[Issue]:
    """The issues `actor` may see (a resident: their own; staff: their compounds'), newest first."""
    return (
        Issue.objects.visible_to(actor).select_related("compound", "building").order_by("-created_at", "-pk")
    )


def issue_get_queryset() -> QuerySet[Issue]:
    return Issue.objects.select_related("compound", "building", "council", "raised_by", "merged_into")


def issue_timeline(issue: Issue) -> QuerySet[IssueEvent]:
    return issue.events.select_related("actor").order_by("at", "id")


def merge_targets(issue: Issue) -> QuerySet[Issue]:
    """The other open issues of the same council a duplicate may join."""
    return (
        Issue.objects.filter(council_id=issue.council_id, state__in=OPEN_STATES)
        .exclude(pk=issue.pk)
        .order_by("-created_at", "-pk")
    )


def convener_scope(actor: User) -> Scope:
    """The part of `actor`'s scope in which they convene councils (empty for everyone else)."""
    return scope_for(actor).for_roles(CONVENER_ROLES)


def triage_queue(*, actor: User) -> QuerySet[Issue] | None:
    """Issues awaiting triage in the compounds `actor` convenes, oldest first; None if they convene none."""
    scope = convener_scope(actor)
    if scope.is_empty:
        return None
    issues = Issue.objects.filter(state=IssueState.RAISED)
    q = scope_q(Issue, actor, scope, include_owner=False)
    if q is not None:
        issues = issues.filter(q)
    return issues.select_related("compound", "building").order_by("created_at", "pk")


def is_recorder(actor: User) -> bool:
    """A social worker or community secretary, who may record an issue for a resident."""
    return not scope_for(actor).for_roles(RECORDER_ROLES).is_empty


def recordable_people(actor: User) -> list[Person]:
    """The residents a recorder may choose from (their communities), by name, at most 200."""
    return list(Person.objects.visible_to(actor).order_by("name", "pk")[:ON_BEHALF_CHOICES])


def building_choices(*, actor: User, compound: Area | None) -> QuerySet[Area]:
    """Buildings for the issue form: the user's own compound's, and for a recorder those of their communities."""
    q = Q(pk__in=[])
    if compound is not None:
        q |= Q(path__startswith=compound.path)
    if is_recorder(actor):
        recorder_q = scope_q(Area, actor, scope_for(actor).for_roles(RECORDER_ROLES), include_owner=False)
        q = Q() if recorder_q is None else q | recorder_q
    return Area.objects.filter(q, kind=AreaKind.BUILDING).select_related("parent").order_by("path")


# --- Motions --------------------------------------------------------------------------------------


def holds_seat(actor: User, council_id: int) -> bool:
    person = getattr(actor, "person", None)
    if person is None:
        return False
    return Seat.objects.filter(council_id=council_id, person=person, until__isnull=True).exists()


def motion_for_page(*, actor: User, pk: int) -> Motion | None:
    """The motion if `actor` is staff over its compound or holds a current seat on its council."""
    motion = Motion.objects.select_related("council__compound", "issue").filter(pk=pk).first()
    if motion is None:
        return None
    if Motion.objects.visible_to(actor).filter(pk=pk).exists() or holds_seat(actor, motion.council_id):
        return motion
    return None


def open_motions_for_seat(*, actor: User) -> list[Motion]:
    """Open votes on the councils where `actor` holds a current seat."""
    person = getattr(actor, "person", None)
    if person is None:
        return []
    councils = Seat.objects.filter(person=person, until__isnull=True).values("council_id")
    return list(
        Motion.objects.filter(council_id__in=councils, state=MotionState.OPEN)
        .select_related("council")
        .order_by("closes_at", "pk")
    )


# --- The public results board ---------------------------------------------------------------------


@dataclass
class Figures:
    """Issues raised (duplicates merged into another count once), resolved, the rate and median days."""

    raised: int = 0
    resolved: int = 0
    days: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return round(self.resolved * 100 / self.raised, 1) if self.raised else None

    @property
    def median_days(self) -> float | None:
        return round(statistics.median(self.days), 1) if self.days else None


@dataclass
class BoardRow:
    area: Area
    figures: Figures


def _days(created_at: datetime, resolved_at: datetime) -> float:
    return (resolved_at - created_at).total_seconds() / 86400


def board_selection(*, community: Area | None, compound: Area | None) -> Q:
    """Which compounds the board shows: one compound, one community's, or all."""
    area = compound or community
    return Q(compound__path__startswith=area.path) if area is not None else Q()


def board_figures(
    *, community: Area | None = None, compound: Area | None = None
) -> tuple[Figures, list[BoardRow]]:
    """The figures of the selection, and a row per community (no selection) or per compound.

    Four queries whatever the number of issues: counts grouped by compound, the resolved issues'
    two datetimes, the councils' compounds and the communities above them.
    """
    where = board_selection(community=community, compound=compound)
    issues = Issue.objects.filter(where).exclude(state=IssueState.MERGED)
    counts = (
        issues.values("compound_id")
        .annotate(
            raised=Count("id"),
            resolved=Count("id", filter=Q(state=IssueState.RESOLVED)),
        )
        .order_by()
    )
    durations = issues.filter(state=IssueState.RESOLVED, resolved_at__isnull=False).values_list(
        "compound_id", "created_at", "resolved_at"
    )
    compounds = {
        c.compound_id: c.compound
        for c in Council.objects.filter(where).select_related("compound").order_by("compound__path")
    }
    by_compound: dict[int, Figures] = {pk: Figures() for pk in compounds}
    total = Figures()
    for row in counts:
        figures = by_compound.setdefault(row["compound_id"], Figures())
        figures.raised, figures.resolved = row["raised"], row["resolved"]
        total.raised += row["raised"]
        total.resolved += row["resolved"]
    for compound_id, created_at, resolved_at in durations:
        days = _days(created_at, resolved_at)
        by_compound.setdefault(compound_id, Figures()).days.append(days)
        total.days.append(days)

    if community is not None or compound is not None:
        rows = [BoardRow(area, by_compound[pk]) for pk, area in compounds.items()]
        return total, rows

    # The whole district: one row per community, adding up its compounds.
    ancestors = {pk: set(area.ancestor_ids()) for pk, area in compounds.items()}
    communities = list(
        Area.objects.filter(pk__in=set().union(*ancestors.values()), kind=AreaKind.COMMUNITY).order_by("path")
    )
    # Each compound added to the community above it: once per compound, not communities × compounds.
    by_community = {area.pk: Figures() for area in communities}
    for pk, ids in ancestors.items():
        for community_id in ids & by_community.keys():
            figures = by_community[community_id]
            figures.raised += by_compound[pk].raised
            figures.resolved += by_compound[pk].resolved
            figures.days.extend(by_compound[pk].days)
    return total, [BoardRow(area, by_community[area.pk]) for area in communities]


@dataclass
class Satisfaction:
    """The residents' ratings of resolutions (民评) in the selection: every rating of every resolution."""

    satisfied: int = 0
    basic: int = 0
    unsatisfied: int = 0

    @property
    def total(self) -> int:
        return self.satisfied + self.basic + self.unsatisfied

    @property
    def rate(self) -> float | None:
        """Satisfied or basically satisfied, as a percentage of the ratings."""
        return round((self.satisfied + self.basic) * 100 / self.total, 1) if self.total else None


def board_satisfaction(*, community: Area | None = None, compound: Area | None = None) -> Satisfaction:
    """One query: the ratings of the selection's issues, counted by answer."""
    area = compound or community
    ratings = ResultRating.objects.all()
    if area is not None:
        ratings = ratings.filter(issue__compound__path__startswith=area.path)
    counts = dict(ratings.values_list("rating").annotate(n=Count("id")).order_by())
    return Satisfaction(
        satisfied=counts.get("satisfied", 0),
        basic=counts.get("basic", 0),
        unsatisfied=counts.get("unsatisfied", 0),
    )


def board_choices() -> tuple[list[Area], list[Area]]:
    """The communities and the compounds that have a council, for the board's filter (two queries)."""
    compounds = [c.compound for c in Council.objects.select_related("compound").order_by("compound__path")]
    ids = set().union(*(set(c.ancestor_ids()) for c in compounds)) if compounds else set()
    communities = list(Area.objects.filter(pk__in=ids, kind=AreaKind.COMMUNITY).order_by("path"))
    return communities, compounds


@dataclass
class ClosedMotion:
    motion: Motion
    outcome: str
    counts: list[tuple[str, int]]
    abstentions: int
    ballots: int
    voting_seats: int
    winner: str | None
    entry: Entry | None


def closed_motions(*, community: Area | None = None, compound: Area | None = None) -> list[ClosedMotion]:
    """The closed motions of the selection, newest first, with their tally and public-record entry (two queries)."""
    area = compound or community
    motions = Motion.objects.filter(state=MotionState.CLOSED).select_related("council__compound")
    if area is not None:
        motions = motions.filter(council__compound__path__startswith=area.path)
    motions = list(motions.order_by("-closed_at", "-pk")[:BOARD_MOTIONS])
    entries = {
        entry.subject: entry
        for entry in Entry.objects.filter(
            kind="councils.motion_closed", subject__in=[f"councils.Motion:{m.pk}" for m in motions]
        ).order_by("seq")
    }
    rows = []
    for motion in motions:
        result = motion.result or {}
        counts = result.get("counts") or [0] * len(motion.options)
        winner = result.get("winner")
        rows.append(
            ClosedMotion(
                motion=motion,
                outcome=Outcome(motion.outcome).label if motion.outcome in Outcome.values else motion.outcome,
                counts=list(zip(motion.options, counts, strict=False)),
                abstentions=result.get("abstentions", 0),
                ballots=result.get("ballots", 0),
                voting_seats=result.get("voting_seats", len(motion.electorate)),
                winner=motion.options[winner] if isinstance(winner, int) else None,
                entry=entries.get(f"councils.Motion:{motion.pk}"),
            )
        )
    return rows


def convened_councils(user) -> QuerySet[Council]:
    """The councils whose compound `user` convenes (councils.services.is_convener), by compound."""
    scope = convener_scope(user)
    if scope.is_empty:
        return Council.objects.none()
    councils = Council.objects.select_related("compound").order_by("compound__path", "pk")
    q = scope_q(Council, user, scope, include_owner=False)
    return councils if q is None else councils.filter(q)


def in_my_community(queryset, user, compound_lookup: str):
    """What the user may see, plus the rows of the compounds of the community they live in (residents
    read their community's issues, motions and campaigns, and take part)."""
    visible = queryset.visible_to(user)
    person = getattr(user, "person", None)
    if person is None:
        return visible
    community = Area.objects.filter(pk=person.community_id).values_list("path", flat=True).first()
    if community is None:
        return visible
    return queryset.filter(
        Q(pk__in=visible.values("pk")) | Q(**{f"{compound_lookup}__path__startswith": community})
    )


def with_progress(campaigns: QuerySet) -> QuerySet:
    """Campaigns annotated with what was pledged and given, for money and hours, and the materials
    pledges: in the campaigns' own query, whatever their number."""
    given = Q(pledges__fulfilled_at__isnull=False)
    return campaigns.annotate(
        money_pledged=Sum("pledges__amount"),
        money_given=Sum("pledges__amount", filter=given),
        hours_pledged=Sum("pledges__hours"),
        hours_given=Sum("pledges__hours", filter=given),
        materials_pledges=Count("pledges", filter=Q(pledges__kind="materials")),
    )


# The progress's keys and the annotations of `with_progress` they come from.
PROGRESS_FIELDS = {
    "money_pledged": "money_pledged",
    "money_given": "money_given",
    "hours_pledged": "hours_pledged",
    "hours_given": "hours_given",
    "materials": "materials_pledges",
}


def progress_of(campaign) -> dict[str, int]:
    """The progress of a campaign fetched through `with_progress`."""
    return {key: getattr(campaign, name) or 0 for key, name in PROGRESS_FIELDS.items()}
