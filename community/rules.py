"""Who may do what with places, organisations, people and roles: one table of named permissions.

A permission is `"community.<verb>_<model>"`, asked as `user.has_perm(name, obj)` by the admin,
the API and the pages alike. With `obj=None` it answers "may this user do this to some object"
(the admin's list and add buttons); with an object it also asks whether the object lies inside the
areas (or organisation) of the role that grants the action. Seeing is bounded by
`Model.objects.visible_to(user)` first: an object outside that answers 404 before any rule runs.

| permission              | managers¹ | social worker | convener | grid worker | unit contact | resident |
|-------------------------|-----------|---------------|----------|-------------|--------------|----------|
| view_area               | in scope  | in scope      | in scope | in scope    | –            | –        |
| add/change_area         | in scope  | –             | –        | –           | –            | –        |
| view_organisation       | in scope  | in scope      | in scope | –           | own unit     | –        |
| add/change_organisation | in scope  | in scope      | –        | –           | –            | –        |
| view/add/change_person  | in scope  | in scope      | –        | –           | –            | –        |
| view_person_contact     | community | community     | –        | –           | –            | own      |
| view/add/change_partymember | in scope | in scope   | –        | –           | –            | –        |
| view_rolegrant          | in scope  | in scope      | –        | –           | –            | –        |
| add/delete_rolegrant    | in scope  | –             | –        | –           | –            | –        |
| view_user               | in scope  | in scope      | –        | –           | –            | –        |
| add_user                | yes       | –             | –        | –           | –            | –        |
| change_user             | all roles of the login in scope² | – | – | –         | –            | –        |
| delete_* (domain data)  | nobody: organisations are deactivated, grants revoked           |||||
| "community" (module)    | yes       | yes           | yes      | –           | –            | –        |

¹ district administrator (whole district), street administrator (their street), community secretary
(their community). ² and the login is not a platform administrator. A platform administrator
(superuser) may do everything; Django answers that before the rules are asked.
"""

from __future__ import annotations

import rules
from rules.predicates import Predicate

from .access import scope_for, user_scope_q
from .models import CASEWORK_ROLES, CONTACT_ROLES, MANAGER_ROLES, STAFF_ROLES, Person, Role, RoleGrant, User

# --- Predicates -------------------------------------------------------------------------------


@rules.predicate
def is_platform_admin(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_superuser)


def has_area_role(*roles: str) -> Predicate:
    """The user holds one of `roles`, anywhere."""
    wanted = frozenset(roles)
    name = f"has_area_role({', '.join(sorted(wanted))})"

    @rules.predicate(name=name)
    def predicate(user) -> bool:
        return bool(scope_for(user).roles & wanted)

    return predicate


def in_scope_of(*roles: str) -> Predicate:
    """The object lies inside the areas (or organisations) where the user holds one of `roles`.

    Without an object the question is about the kind of object, not one of them: true.
    """
    wanted = frozenset(roles)
    name = f"in_scope_of({', '.join(sorted(wanted))})"

    @rules.predicate(name=name)
    def predicate(user, obj) -> bool:
        if obj is None:
            return True
        scope = scope_for(user).for_roles(wanted)
        if scope.is_empty:
            return False
        if isinstance(obj, User):
            q = user_scope_q(user, scope)
            return q is None or User.objects.filter(q, pk=obj.pk).exists()
        return scope.covers(obj)

    return predicate


def within(*roles: str) -> Predicate:
    """Holds one of `roles` and the object (if any) lies inside that role's areas."""
    return has_area_role(*roles) & in_scope_of(*roles)


# Any role at all, anywhere the user has one: the general "is it in my scope" question.
object_in_scope = in_scope_of(*(r.value for r in Role))


@rules.predicate
def is_own_person(user, person) -> bool:
    return isinstance(person, Person) and person.user_id is not None and person.user_id == user.pk


@rules.predicate
def manages_every_role_of(user, target) -> bool:
    """Every role the target login holds lies inside the actor's management areas.

    A community secretary may reset a colleague's password, but not that of a district
    administrator who happens to live in the community.
    """
    if target is None:
        return True
    if target.is_superuser:
        return False
    scope = scope_for(user).for_roles(MANAGER_ROLES)
    grants = RoleGrant.objects.filter(user_id=target.pk).select_related("area", "organisation__area")
    return all(scope.covers(grant) for grant in grants)


is_staff_member = has_area_role(*STAFF_ROLES)
manager = within(*MANAGER_ROLES)
caseworker = within(*CASEWORK_ROLES)
nobody = rules.always_deny

# --- Permissions ------------------------------------------------------------------------------

PERMISSIONS: dict[str, Predicate] = {
    # The admin's app index: who sees "Places, organisations and people" at all.
    "community": is_platform_admin | is_staff_member,
    "community.view_area": is_platform_admin
    | within(*CASEWORK_ROLES, Role.COUNCIL_CONVENER, Role.GRID_WORKER),
    "community.add_area": is_platform_admin | manager,
    "community.change_area": is_platform_admin | manager,
    "community.delete_area": nobody,
    "community.view_organisation": is_platform_admin
    | within(*CASEWORK_ROLES, Role.COUNCIL_CONVENER)
    | within(Role.UNIT_CONTACT),
    "community.add_organisation": is_platform_admin | caseworker,
    "community.change_organisation": is_platform_admin | caseworker,
    "community.delete_organisation": nobody,
    "community.view_person": is_platform_admin | caseworker,
    "community.add_person": is_platform_admin | caseworker,
    "community.change_person": is_platform_admin | caseworker,
    "community.delete_person": nobody,
    # Full phone and ID numbers; everyone else sees them masked.
    "community.view_person_contact": is_platform_admin | within(*CONTACT_ROLES) | is_own_person,
    "community.view_partymember": is_platform_admin | caseworker,
    "community.add_partymember": is_platform_admin | caseworker,
    "community.change_partymember": is_platform_admin | caseworker,
    "community.delete_partymember": nobody,
    "community.view_rolegrant": is_platform_admin | caseworker,
    "community.add_rolegrant": is_platform_admin | manager,
    # A grant is not edited: it is revoked and another granted.
    "community.change_rolegrant": nobody,
    "community.delete_rolegrant": is_platform_admin | manager,
    "community.view_user": is_platform_admin | caseworker,
    "community.add_user": is_platform_admin | has_area_role(*MANAGER_ROLES),
    "community.change_user": is_platform_admin | (manager & manages_every_role_of),
    "community.delete_user": nobody,
}

for _name, _predicate in PERMISSIONS.items():
    rules.set_perm(_name, _predicate)
