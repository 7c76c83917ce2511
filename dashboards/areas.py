"""Which areas' dashboards a user may open: the district, streets and communities inside their staff
roles (each user sees their own area and below); anything else answers 404."""

from __future__ import annotations

from django.db.models import QuerySet
from django.db.models.functions import Length
from django.utils.translation import gettext as _

from community.access import scope_for, scope_q
from community.models import Area, AreaKind, Role, User
from core.exceptions import NotFound, PermissionDenied

DASHBOARD_KINDS = (AreaKind.DISTRICT, AreaKind.STREET, AreaKind.COMMUNITY)
DASHBOARD_ROLES = (Role.DISTRICT_ADMIN, Role.STREET_ADMIN, Role.COMMUNITY_SECRETARY, Role.SOCIAL_WORKER)
# The level below each, for comparisons across the area's parts.
CHILD_KIND = {
    AreaKind.DISTRICT: AreaKind.STREET,
    AreaKind.STREET: AreaKind.COMMUNITY,
    AreaKind.COMMUNITY: AreaKind.COMPOUND,
}


def dashboard_areas(user: User | None) -> QuerySet[Area]:
    """The districts, streets and communities whose dashboard `user` may open, from the top down."""
    areas = Area.objects.filter(kind__in=DASHBOARD_KINDS)
    scope = scope_for(user).for_roles(DASHBOARD_ROLES) if user is not None else None
    if scope is None or (scope.is_empty and not scope.everything):
        return areas.none()
    q = scope_q(Area, user, scope, include_owner=False)
    if q is not None:
        areas = areas.filter(q)
    return areas.order_by(Length("path"), "path")


def may_see_dashboards(user: User | None) -> bool:
    return dashboard_areas(user).exists()


def dashboard_area(user: User | None, area_id=None) -> Area:
    """The area asked for (404 outside the user's areas), or the user's top area when none is asked."""
    areas = dashboard_areas(user)
    if area_id not in (None, ""):
        try:
            return areas.get(pk=int(area_id))
        except (Area.DoesNotExist, TypeError, ValueError):
            raise NotFound(_("Not found."), code="not_found") from None
    top = areas.first()
    if top is None:
        raise PermissionDenied(
            _("Dashboards are for the district's, streets' and communities' administrators."),
            code="no_dashboard",
        )
    return top


def child_areas(area: Area) -> QuerySet[Area]:
    """The area's parts one level down (a district's streets, a street's communities, a community's compounds)."""
    kind = CHILD_KIND.get(area.kind)
    if kind is None:
        return Area.objects.none()
    return Area.objects.filter(parent=area, kind=kind).order_by("name")


def within(area: Area, lookup: str = "") -> dict[str, str]:
    """A filter keeping rows inside `area`: `within(area, "community")` → {"community__path__startswith": …}."""
    field = f"{lookup}__path__startswith" if lookup else "path__startswith"
    return {field: area.path}
