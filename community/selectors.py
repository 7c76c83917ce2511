"""Reads of places, organisations, people and roles: always scoped to the actor, already shaped for lists."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Area, Organisation, PartyMember, Person, RoleGrant, User


def area_list(*, actor: User) -> QuerySet[Area]:
    return Area.objects.visible_to(actor).select_related("parent", "grid")


def organisation_list(*, actor: User) -> QuerySet[Organisation]:
    return Organisation.objects.visible_to(actor).select_related("area", "parent")


def person_list(*, actor: User) -> QuerySet[Person]:
    return Person.objects.visible_to(actor).select_related("community", "home")


def party_member_list(*, actor: User) -> QuerySet[PartyMember]:
    return PartyMember.objects.visible_to(actor).select_related(
        "person__community", "party_organisation", "workplace", "grid"
    )


def role_grant_list(*, actor: User) -> QuerySet[RoleGrant]:
    return RoleGrant.objects.visible_to(actor).select_related("user", "area", "organisation")


def user_list(*, actor: User) -> QuerySet[User]:
    return User.objects.visible_to(actor)


def area_subtree(queryset: QuerySet, area: Area, *, path_field: str = "path") -> QuerySet:
    """Rows of `queryset` at or under `area`; `path_field` is the lookup to the area path."""
    return queryset.filter(**{f"{path_field}__startswith": area.path})
