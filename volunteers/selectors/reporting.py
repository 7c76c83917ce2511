"""Reads of the reporting part: a member's report and pledge, the registry of reported members, pledge status."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone, translation

from audit.models import Entry
from community.access import Scope, scope_for
from community.models import CONTACT_ROLES, Area, AreaKind, User
from core.exceptions import NotFound

from ..models import PledgeSignature, PledgeText, Report, ServiceOrder, Signup, WishClaim
from ..services.common import STAFF_ROLES, is_staff_of, member_of
from ..services.reporting import current_pledge
from ..workflow import ACTIVE_REPORT_STATES, ReportState, ServiceField, SignupState

# A member counts as active who served in this many days: lit up a wish, finished an order, attended an activity.
ACTIVE_DAYS = 90
REPORTED_STATES = (ReportState.ACCEPTED, ReportState.LEFT)


def _report_rows() -> QuerySet[Report]:
    return Report.objects.select_related("member__person", "community", "grid", "decided_by")


# --- A member's own report ------------------------------------------------------------------------


def my_report(*, actor: User | None) -> Report | None:
    """The actor's active report (awaiting the community, or accepted), if they are a member who reported."""
    if actor is None or not actor.is_authenticated:
        return None
    return (
        _report_rows()
        .filter(member__person__user=actor, state__in=list(ACTIVE_REPORT_STATES))
        .order_by("-reported_at", "-pk")
        .first()
    )


def report_history(*, actor: User | None) -> QuerySet[Report]:
    """The actor's past reports (declined, or left), newest first."""
    if actor is None or not actor.is_authenticated:
        return Report.objects.none()
    return (
        _report_rows()
        .filter(member__person__user=actor)
        .exclude(state__in=list(ACTIVE_REPORT_STATES))
        .order_by("-reported_at", "-pk")
    )


def community_choices() -> QuerySet[Area]:
    """Every community a member may report to, with its street for the label."""
    return Area.objects.filter(kind=AreaKind.COMMUNITY).select_related("parent").order_by("path")


# --- The registry (staff) -------------------------------------------------------------------------


def staff_scope(actor: User | None) -> Scope:
    """Where `actor` runs volunteering: the communities of their secretary, social-worker or admin roles."""
    return scope_for(actor).for_roles(STAFF_ROLES)


def _in_scope(scope: Scope, lookup: str = "") -> Q | None:
    """The filter "the area at `lookup` (the row itself for "") lies inside `scope`"; None for everything."""
    if scope.everything:
        return None
    path_field = f"{lookup}__path" if lookup else "path"
    q = Q(pk__in=[])
    for path in scope.area_paths:
        q |= Q(**{f"{path_field}__startswith": path})
    return q


def staff_communities(*, actor: User | None) -> QuerySet[Area]:
    """The communities whose members `actor` registers (empty for everyone else)."""
    scope = staff_scope(actor)
    if scope.is_empty:
        return Area.objects.none()
    communities = Area.objects.filter(kind=AreaKind.COMMUNITY).select_related("parent").order_by("path")
    q = _in_scope(scope)
    return communities if q is None else communities.filter(q)


def staff_grids(*, actor: User | None, community: Area | None = None) -> QuerySet[Area]:
    """The grids of the communities `actor` registers (or of `community`), by community."""
    scope = staff_scope(actor)
    if scope.is_empty:
        return Area.objects.none()
    grids = Area.objects.filter(kind=AreaKind.GRID).order_by("name", "pk")
    q = _in_scope(scope)
    if q is not None:
        grids = grids.filter(q)
    if community is not None:
        grids = grids.filter(path__startswith=community.path)
    return grids


def grids_by_community(grids) -> dict[int, list[Area]]:
    """{community id: its grids}, from grids whose parents are their communities (one pass, no query)."""
    grouped: dict[int, list[Area]] = {}
    for grid in grids:
        grouped.setdefault(grid.parent_id, []).append(grid)
    return grouped


def served_recently(since=None) -> ExpressionWrapper:
    """True for a report whose member served since `since` (90 days ago by default).

    Served: lit up a wish, held a service order that was done, or attended an activity. Three EXISTS
    subqueries, so a list annotated with it costs the same queries for any number of rows.
    """
    since = since or timezone.now() - timedelta(days=ACTIVE_DAYS)
    user = OuterRef("member__person__user")
    return ExpressionWrapper(
        Q(Exists(WishClaim.objects.filter(user=user, claimed_at__gte=since)))
        | Q(Exists(ServiceOrder.objects.filter(member=user, done_at__gte=since)))
        | Q(Exists(Signup.objects.filter(user=user, state=SignupState.ATTENDED, checked_in_at__gte=since))),
        output_field=BooleanField(),
    )


def skill_q(skill: str) -> Q:
    """A text match on the skills, or a service field whose name (in Chinese, English or code) matches."""
    skill = (skill or "").strip()
    q = Q(skills__icontains=skill)
    with translation.override("en"):
        english = {value: str(label) for value, label in ServiceField.choices}
    with translation.override("zh-hans"):
        chinese = {value: str(label) for value, label in ServiceField.choices}
    needle = skill.casefold()
    for value in ServiceField.values:
        names = (value, english[value], chinese[value])
        if any(needle in name.casefold() for name in names):
            # The JSON list as text holds "value" with its quotes: a match on both databases.
            q |= Q(service_fields__icontains=f'"{value}"')
    return q


def registry(
    *,
    actor: User | None,
    community: Area | None = None,
    grid: Area | None = None,
    skill: str = "",
    active: bool | None = None,
    state: str | None = ReportState.ACCEPTED,
) -> QuerySet[Report]:
    """Reported members in the communities `actor` registers, each with `served_recently`.

    `state`: accepted (reported, the default), left (after being accepted), or None for both. `active`: True for those who
    served in the last 90 days, False for those who did not, None for everyone.
    """
    scope = staff_scope(actor)
    if scope.is_empty:
        return Report.objects.none()
    reports = _report_rows()
    q = _in_scope(scope, "community")
    if q is not None:
        reports = reports.filter(q)
    reports = reports.filter(state__in=[state] if state else list(REPORTED_STATES))
    if state != ReportState.ACCEPTED:
        # Who left after being accepted; a report withdrawn while it still awaited the community is not.
        reports = reports.exclude(state=ReportState.LEFT, decided_at__isnull=True)
    if community is not None:
        reports = reports.filter(community=community)
    if grid is not None:
        reports = reports.filter(grid=grid)
    if skill and skill.strip():
        reports = reports.filter(skill_q(skill))
    reports = reports.annotate(served_recently=served_recently())
    if active is not None:
        reports = reports.filter(served_recently=active)
    return reports.order_by("community__path", "grid__name", "member__person__name", "pk")


def pending_reports(*, actor: User | None, community: Area | None = None) -> QuerySet[Report]:
    """Reports awaiting the community, oldest first, in the communities `actor` registers."""
    scope = staff_scope(actor)
    if scope.is_empty:
        return Report.objects.none()
    # The home, for the grid to suggest: the one that covers the member's building.
    reports = _report_rows().select_related("member__person__home").filter(state=ReportState.PENDING)
    q = _in_scope(scope, "community")
    if q is not None:
        reports = reports.filter(q)
    if community is not None:
        reports = reports.filter(community=community)
    return reports.order_by("reported_at", "pk")


def may_contact(actor: User | None, community: Area) -> bool:
    """Whether `actor` sees members' phone numbers in full: the community's secretary and social workers."""
    if actor is None or not actor.is_authenticated:
        return False
    return scope_for(actor).for_roles(CONTACT_ROLES).covers_path(community.path)


def shown_phone(actor: User | None, report: Report) -> str:
    phone = report.member.person.phone
    return phone if may_contact(actor, report.community) else report.member.person.masked_phone


def suggested_grid_id(report: Report) -> int | None:
    """The grid to offer first when accepting: the member's registered grid, or the one over their home."""
    if report.member.grid_id:
        return report.member.grid_id
    home = report.member.person.home
    return home.grid_id if home is not None else None


# --- Pledges --------------------------------------------------------------------------------------


def pledge_to_sign(*, actor: User | None) -> PledgeText | None:
    """The current pledge of the community the actor is reported to, if they have not signed it yet."""
    report = my_report(actor=actor)
    if report is None or report.state != ReportState.ACCEPTED:
        return None
    pledge = current_pledge(report.community)
    if pledge is None or PledgeSignature.objects.filter(text=pledge, member_id=report.member_id).exists():
        return None
    return pledge


def pledge_versions(*, community: Area, year: int | None = None) -> QuerySet[PledgeText]:
    """The community's pledge texts (of `year`, or every year), newest first, each with its signature count."""
    texts = PledgeText.objects.filter(community=community).select_related("published_by")
    if year is not None:
        texts = texts.filter(year=year)
    return texts.annotate(signature_count=Count("signatures")).order_by("-year", "-version")


def publication_entries(texts) -> dict[int, Entry]:
    """{pledge text id: its entry in the public record}, in one query."""
    subjects = {f"volunteers.PledgeText:{text.pk}": text.pk for text in texts}
    if not subjects:
        return {}
    entries = Entry.objects.filter(kind="volunteers.pledge_published", subject__in=list(subjects))
    return {subjects[entry.subject]: entry for entry in entries}


def my_signatures(*, actor: User | None, community: Area, year: int) -> dict[int, PledgeSignature]:
    """{pledge text id: the actor's signature} for the community's pledges of `year`."""
    member = member_of(actor)
    if member is None:
        return {}
    signatures = PledgeSignature.objects.filter(
        member=member, text__community=community, text__year=year
    ).select_related("text")
    return {signature.text_id: signature for signature in signatures}


@dataclass
class PledgeStatus:
    pledge: PledgeText | None
    signed: list[Report] = field(default_factory=list)
    unsigned: list[Report] = field(default_factory=list)

    @property
    def signed_count(self) -> int:
        return len(self.signed)

    @property
    def unsigned_count(self) -> int:
        return len(self.unsigned)

    def as_dict(self) -> dict:
        return {
            "pledge": self.pledge,
            "signed": self.signed,
            "unsigned": self.unsigned,
            "signed_count": self.signed_count,
            "unsigned_count": self.unsigned_count,
        }


def pledge_status(*, actor: User | None, community: Area, year: int | None = None) -> dict:
    """Who of the community's reported members has signed its current pledge, and who has not.

    `signed` and `unsigned` are the accepted reports (member, grid), each with `signed_version`: the
    newest version of this year's pledge the member signed (0 for none), so a member who signed only
    an older version shows as asked to sign again. Staff of the community only; else 404.
    """
    if not is_staff_of(actor, community):
        raise NotFound()
    pledge = current_pledge(community, year)
    if pledge is None:
        return PledgeStatus(pledge=None).as_dict()
    newest_signed = (
        PledgeSignature.objects.filter(
            member=OuterRef("member"), text__community=community, text__year=pledge.year
        )
        .values("member")
        .annotate(version=Max("text__version"))
        .values("version")
    )
    reports = (
        _report_rows()
        .filter(community=community, state=ReportState.ACCEPTED)
        .annotate(
            signed_version=Coalesce(
                Subquery(newest_signed, output_field=IntegerField()), Value(0), output_field=IntegerField()
            )
        )
        .order_by("grid__name", "member__person__name", "pk")
    )
    status = PledgeStatus(pledge=pledge)
    for report in reports:
        (status.signed if report.signed_version >= pledge.version else status.unsigned).append(report)
    return status.as_dict()
