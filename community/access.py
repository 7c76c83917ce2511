"""The one answer to "what may this user see": every list, page, API view and admin view asks it.

A user's roles cover area subtrees (district, street, community, compound, grid) or single
organisations (a unit). A model says how it belongs to an area with `SCOPE_AREA` (a lookup to an
`Area`, "" for an area itself), optionally to an organisation with `SCOPE_ORG`, and to its owner
with `SCOPE_OWNER` (a lookup to the user). `Model.objects.visible_to(user)` applies all three;
an object outside the result answers 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.db.models import Q
from django.http import Http404


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    area_paths: tuple[str, ...] = ()
    org_ids: frozenset[int] = field(default_factory=frozenset)
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_empty(self) -> bool:
        return not (self.everything or self.area_paths or self.org_ids)


NOBODY = Scope()


def _minimal_paths(paths: list[str]) -> tuple[str, ...]:
    """Drop paths already covered by an ancestor path, so filters stay short."""
    result: list[str] = []
    for path in sorted(set(paths), key=len):
        if not any(path.startswith(kept) for kept in result):
            result.append(path)
    return tuple(sorted(result))


def scope_for(user) -> Scope:
    """The areas and organisations `user` may see, computed once per user object (one query)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NOBODY
    cached = getattr(user, "_access_scope", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        scope = Scope(everything=True, roles=frozenset({"superuser"}))
    else:
        from .models import RoleGrant

        paths: list[str] = []
        org_ids: set[int] = set()
        roles: set[str] = set()
        for grant in RoleGrant.objects.filter(user=user).select_related("area"):
            roles.add(grant.role)
            if grant.area_id:
                paths.append(grant.area.path)
            if grant.organisation_id:
                org_ids.add(grant.organisation_id)
        if org_ids:
            from .models import Organisation

            # A unit contact also sees the organisations under their unit (its Party branches).
            org_ids |= set(Organisation.objects.filter(parent_id__in=org_ids).values_list("id", flat=True))
        scope = Scope(area_paths=_minimal_paths(paths), org_ids=frozenset(org_ids), roles=frozenset(roles))
    user._access_scope = scope
    return scope


def forget_scope(user) -> None:
    """Call after changing a user's roles in the same request."""
    if hasattr(user, "_access_scope"):
        del user._access_scope


def scope_q(model: type[models.Model], user, scope: Scope | None = None) -> Q | None:
    """The filter for what `user` may see of `model`; None means everything."""
    scope = scope or scope_for(user)
    if scope.everything:
        return None
    q = Q(pk__in=[])
    area_lookup = getattr(model, "SCOPE_AREA", None)
    if area_lookup is not None:
        path_field = f"{area_lookup}__path" if area_lookup else "path"
        for path in scope.area_paths:
            q |= Q(**{f"{path_field}__startswith": path})
    org_lookup = getattr(model, "SCOPE_ORG", None)
    if org_lookup is not None and scope.org_ids:
        q |= Q(**{f"{org_lookup}__in" if org_lookup else "pk__in": sorted(scope.org_ids)})
    owner_lookup = getattr(model, "SCOPE_OWNER", None)
    if owner_lookup and user is not None and user.is_authenticated:
        q |= Q(**{owner_lookup: user})
    return q


class ScopedQuerySet(models.QuerySet):
    def visible_to(self, user) -> ScopedQuerySet:
        q = scope_q(self.model, user)
        if q is None:
            return self.all()
        # distinct() is not needed: every lookup is along foreign keys (one row per object).
        return self.filter(q)


def get_visible_or_404(queryset, user, **lookup):
    """Fetch one object the user may see; anything else (absent or out of scope) is a 404."""
    try:
        return queryset.visible_to(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def is_visible(obj: models.Model, user) -> bool:
    return type(obj)._default_manager.visible_to(user).filter(pk=obj.pk).exists()


def has_role(user, *roles: str) -> bool:
    scope = scope_for(user)
    return scope.everything or bool(scope.roles.intersection(roles))
