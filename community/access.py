"""The one answer to "what may this user see": every list, page, API view and admin view asks it.

A user's roles cover area subtrees (district, street, community, compound, grid) or single
organisations (a unit). A model says how it belongs to an area with `SCOPE_AREA` (a lookup to an
`Area`, "" for an area itself, or a tuple of such lookups when it may hang from either),
optionally to an organisation with `SCOPE_ORG`, and to its owner with `SCOPE_OWNER` (a lookup to
the user). `Model.objects.visible_to(user)` applies all three; an object outside the result
answers 404.

`Scope.for_roles(...)` narrows a scope to the grants of some roles, so that a rule can ask "is this
object inside the area where the user is a community secretary" rather than "inside any of their
areas"; `Scope.covers(obj)` answers that in Python, without a query when the object's area is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.db.models import Q
from django.http import Http404


@dataclass(frozen=True)
class Grant:
    """One role grant as the scope sees it: the area path it covers or the organisations it covers."""

    role: str
    area_path: str = ""
    org_ids: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    area_paths: tuple[str, ...] = ()
    org_ids: frozenset[int] = field(default_factory=frozenset)
    roles: frozenset[str] = field(default_factory=frozenset)
    grants: tuple[Grant, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.everything or self.area_paths or self.org_ids)

    def for_roles(self, roles) -> Scope:
        """The part of this scope that comes from grants of `roles` (everything stays everything)."""
        if self.everything:
            return self
        roles = frozenset(roles)
        grants = tuple(g for g in self.grants if g.role in roles)
        return Scope(
            area_paths=_minimal_paths([g.area_path for g in grants if g.area_path]),
            org_ids=frozenset().union(*(g.org_ids for g in grants)),
            roles=frozenset(g.role for g in grants),
            grants=grants,
        )

    def covers_path(self, path: str | None) -> bool:
        if self.everything:
            return True
        return bool(path) and any(path.startswith(p) for p in self.area_paths)

    def covers(self, obj: models.Model) -> bool:
        """Whether `obj` lies inside this scope's areas or organisations (owners are not considered)."""
        if self.everything:
            return True
        if any(self.covers_path(path) for path in area_paths_of(obj)):
            return True
        org_lookup = getattr(type(obj), "SCOPE_ORG", None)
        if org_lookup is not None and self.org_ids:
            org_id = obj.pk if org_lookup == "" else _follow(obj, f"{org_lookup}_id")
            return org_id in self.org_ids
        return False


NOBODY = Scope()


def _area_lookups(model) -> tuple[str, ...] | None:
    lookup = getattr(model, "SCOPE_AREA", None)
    if lookup is None:
        return None
    return (lookup,) if isinstance(lookup, str) else tuple(lookup)


def _follow(obj, dotted: str):
    """Follow a `a__b__c` lookup through attributes; None when a link is empty."""
    for part in dotted.split("__"):
        if obj is None:
            return None
        obj = getattr(obj, part)
    return obj


def area_paths_of(obj: models.Model) -> list[str]:
    """The materialised paths of the area(s) an object belongs to (empty when it belongs to none)."""
    lookups = _area_lookups(type(obj)) or ()
    paths = []
    for lookup in lookups:
        area = obj if lookup == "" else _follow(obj, lookup)
        if area is not None and area.path:
            paths.append(area.path)
    return paths


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

        rows = list(RoleGrant.objects.filter(user=user).select_related("area"))
        granted_orgs = {g.organisation_id for g in rows if g.organisation_id}
        children: dict[int, set[int]] = {}
        if granted_orgs:
            from .models import Organisation

            # A unit contact also sees the organisations under their unit (its Party branches).
            for parent_id, child_id in Organisation.objects.filter(parent_id__in=granted_orgs).values_list(
                "parent_id", "id"
            ):
                children.setdefault(parent_id, set()).add(child_id)
        grants = tuple(
            Grant(
                role=g.role,
                area_path=g.area.path if g.area_id else "",
                org_ids=frozenset({g.organisation_id} | children.get(g.organisation_id, set()))
                if g.organisation_id
                else frozenset(),
            )
            for g in rows
        )
        scope = Scope(
            area_paths=_minimal_paths([g.area_path for g in grants if g.area_path]),
            org_ids=frozenset().union(*(g.org_ids for g in grants)),
            roles=frozenset(g.role for g in grants),
            grants=grants,
        )
    user._access_scope = scope
    return scope


def forget_scope(user) -> None:
    """Call after changing a user's roles in the same request."""
    if hasattr(user, "_access_scope"):
        del user._access_scope


def scope_q(
    model: type[models.Model], user, scope: Scope | None = None, *, include_owner: bool = True
) -> Q | None:
    """The filter for what `user` may see of `model`; None means everything."""
    scope = scope or scope_for(user)
    if scope.everything:
        return None
    q = Q(pk__in=[])
    for area_lookup in _area_lookups(model) or ():
        path_field = f"{area_lookup}__path" if area_lookup else "path"
        for path in scope.area_paths:
            q |= Q(**{f"{path_field}__startswith": path})
    org_lookup = getattr(model, "SCOPE_ORG", None)
    if org_lookup is not None and scope.org_ids:
        q |= Q(**{f"{org_lookup}__in" if org_lookup else "pk__in": sorted(scope.org_ids)})
    owner_lookup = getattr(model, "SCOPE_OWNER", None)
    if include_owner and owner_lookup and user is not None and user.is_authenticated:
        q |= Q(**{owner_lookup: user})
    return q


def user_scope_q(actor, scope: Scope | None = None) -> Q | None:
    """Which logins `actor` may see: holders of a role inside the scope, people of its communities, oneself.

    Platform administrators (superusers) are visible only to platform administrators.
    """
    scope = scope or scope_for(actor)
    if scope.everything:
        return None
    from .models import Person, RoleGrant

    q = Q(pk__in=[])
    if not scope.is_empty:
        grants = RoleGrant.objects.filter(scope_q(RoleGrant, actor, scope, include_owner=False))
        people = Person.objects.filter(scope_q(Person, actor, scope, include_owner=False), user__isnull=False)
        q = Q(pk__in=grants.values("user_id")) | Q(pk__in=people.values("user_id"))
        q &= Q(is_superuser=False)
    if actor is not None and actor.is_authenticated:
        q |= Q(pk=actor.pk)
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
