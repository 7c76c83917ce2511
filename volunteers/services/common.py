"""What every part of the volunteers' services shares: who is acting, refusals, photos, points."""

from __future__ import annotations

from django.utils.translation import gettext as _

from community.access import scope_for
from community.models import Area, AreaKind, PartyMember, Person, Role, User
from core.exceptions import NotFound, PermissionDenied
from core.outbox import enqueue
from core.uploads import check_photo  # noqa: F401 - re-exported for the parts

from ..models import Report
from ..workflow import ReportState

# Who runs volunteering in a community: dispatches orders, accepts reports, publishes pledges and activities.
STAFF_ROLES = (Role.COMMUNITY_SECRETARY, Role.SOCIAL_WORKER, Role.STREET_ADMIN, Role.DISTRICT_ADMIN)


def is_staff_of(actor: User | None, community: Area) -> bool:
    """The community's secretary or social workers, or the street's or district's administrators.

    `None` is the platform itself (jobs, the demo) and may do anything.
    """
    if actor is None:
        return True
    return scope_for(actor).for_roles(STAFF_ROLES).covers_path(community.path)


def person_of(actor: User | None) -> Person | None:
    return getattr(actor, "person", None) if actor is not None and actor.is_authenticated else None


def lives_in(actor: User | None, community: Area) -> bool:
    person = person_of(actor)
    return person is not None and person.community_id == community.pk


def refusal(actor: User | None, community: Area, message: str, code: str) -> Exception:
    """403 for someone who sees the community (its staff, its residents, its members); else 404."""
    if actor is not None and (
        lives_in(actor, community)
        or scope_for(actor).covers_path(community.path)
        or active_report(actor, community) is not None
    ):
        return PermissionDenied(message, code=code)
    return NotFound(_("Not found."), code="not_found")


def require_staff(actor: User | None, community: Area) -> None:
    if not is_staff_of(actor, community):
        raise refusal(
            actor,
            community,
            _("Only the community's Party secretary or social workers can do this."),
            "not_community_staff",
        )


def member_of(actor: User | None) -> PartyMember | None:
    person = person_of(actor)
    if person is None:
        return None
    return PartyMember.objects.filter(person=person).first()


def active_report(actor: User | None, community: Area) -> Report | None:
    """The actor's accepted report to `community`, if they are a member who reported there."""
    if actor is None or not actor.is_authenticated:
        return None
    return (
        Report.objects.filter(member__person__user=actor, community=community, state=ReportState.ACCEPTED)
        .select_related("grid")
        .first()
    )


def require_reported_member(actor: User | None, community: Area) -> Report:
    """Members serve where they reported (党员报到): anyone else is refused with the way to report."""
    report = active_report(actor, community)
    if report is None:
        raise refusal(
            actor,
            community,
            _(
                "Only Party members who have reported to this community can do this. Report to your residential community first, on the My service page."
            ),
            "not_reported_here",
        )
    return report


def community_of(area: Area | None) -> Area | None:
    if area is None:
        return None
    return area if area.kind == AreaKind.COMMUNITY else area.ancestor_of_kind(AreaKind.COMMUNITY)


def grid_of(area: Area | None) -> Area | None:
    """The grid a home (building, unit or compound) belongs to, if the area tree says."""
    while area is not None:
        if area.kind == AreaKind.GRID:
            return area
        if area.grid_id:
            return area.grid
        area = area.parent
    return None


def pay(
    event_type: str,
    user_id: int,
    community: Area,
    cause_key: str,
    *,
    quantity: int = 1,
    cause: str,
    memo: str,
):
    """Pay the earning rule for the event through the outbox; the key makes a retry pay once."""
    return enqueue(
        "points.award_for_event", event_type, user_id, community.pk, cause_key, quantity, cause, memo[:120]
    )
