"""Every write to places, organisations, people and roles: rules checked, one transaction each."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from core.exceptions import PermissionDenied, ValidationFailed

from .access import forget_scope, has_role, is_visible, scope_for
from .models import (
    CASEWORK_ROLES,
    MANAGER_ROLES,
    ORGANISATION_ROLES,
    ROLE_AREA_KIND,
    STAFF_ROLES,
    Area,
    AreaKind,
    Organisation,
    PartyMember,
    Person,
    Role,
    RoleGrant,
    User,
)

# Kept for callers of the first skeleton; community.models names the role groups.
ADMIN_ROLES = tuple(CASEWORK_ROLES)


def _require_manager_of_area(actor: User | None, area: Area | None, roles=CASEWORK_ROLES) -> None:
    """The actor holds one of `roles` on an area containing `area`, or is the system (None).

    Only the grants of those roles count: a council convener who is also a social worker elsewhere
    does not gain the social worker's powers in the convener's compound.
    """
    if actor is None:
        return
    scope = scope_for(actor)
    if scope.everything:
        return
    if area is None or not scope.for_roles(roles).covers_path(area.path):
        raise PermissionDenied(_("This area is outside your responsibility."))


def _require_visible(actor: User | None, obj, message) -> None:
    if obj is not None and actor is not None and not is_visible(obj, actor):
        raise ValidationFailed(message)


def _clean(obj, exclude: list[str] | None = None) -> None:
    from django.core.exceptions import ValidationError

    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise ValidationFailed(
            " ".join(
                f"{obj._meta.get_field(k).verbose_name if k != '__all__' else ''}: {' '.join(v)}".strip(": ")
                for k, v in exc.message_dict.items()
            ),
            extra=exc.message_dict,
        ) from exc


# --- Areas ----------------------------------------------------------------------------------


@transaction.atomic
def area_create(
    *, actor: User | None, name: str, kind: str, parent: Area | None = None, **fields: Any
) -> Area:
    if parent is None and actor is not None and not scope_for(actor).everything:
        raise PermissionDenied(_("Only a platform administrator can create a top-level area."))
    if parent is not None:
        _require_manager_of_area(actor, parent, MANAGER_ROLES)
    _require_visible(actor, fields.get("grid"), _("Choose a grid you are responsible for."))
    area = Area(name=name, kind=kind, parent=parent, **fields)
    _clean(area, exclude=["path", "depth"])
    area.save()
    area.path = f"{parent.path if parent else '/'}{area.pk}/"
    area.depth = (parent.depth + 1) if parent else 0
    area.save(update_fields=["path", "depth"])
    return area


@transaction.atomic
def area_update(*, actor: User | None, area: Area, **fields: Any) -> Area:
    _require_manager_of_area(actor, area, MANAGER_ROLES)
    if fields.get("grid") is not None and fields["grid"].pk != area.grid_id:
        _require_visible(actor, fields["grid"], _("Choose a grid you are responsible for."))
    if "kind" in fields and fields["kind"] != area.kind and area.role_grants.exists():
        raise ValidationFailed(_("The kind of an area cannot change while roles are granted on it."))
    new_parent = fields.pop("parent", area.parent)
    for name, value in fields.items():
        setattr(area, name, value)
    _clean(area, exclude=["path", "depth", "parent"])
    area.save()
    if new_parent != area.parent:
        area_move(actor=actor, area=area, new_parent=new_parent)
    return area


@transaction.atomic
def area_move(*, actor: User | None, area: Area, new_parent: Area) -> Area:
    """Move a subtree: every descendant's path is rewritten in one UPDATE."""
    _require_manager_of_area(actor, area, MANAGER_ROLES)
    if new_parent is None:
        raise ValidationFailed(_("Only a platform administrator can create a top-level area."))
    _require_manager_of_area(actor, new_parent, MANAGER_ROLES)
    if new_parent.path.startswith(area.path):
        raise ValidationFailed(_("An area cannot be moved under itself."))
    old_path = area.path
    new_path = f"{new_parent.path}{area.pk}/"
    depth_shift = new_parent.depth + 1 - area.depth
    Area.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + depth_shift,
    )
    Area.objects.filter(pk=area.pk).update(parent=new_parent)
    area.refresh_from_db()
    return area


# --- Organisations --------------------------------------------------------------------------


@transaction.atomic
def organisation_create(
    *, actor: User | None, name: str, kind: str, area: Area, **fields: Any
) -> Organisation:
    _require_manager_of_area(actor, area)
    _require_visible(actor, fields.get("parent"), _("Choose a parent organisation you are responsible for."))
    org = Organisation(name=name, kind=kind, area=area, **fields)
    _clean(org)
    org.save()
    return org


@transaction.atomic
def organisation_update(*, actor: User | None, organisation: Organisation, **fields: Any) -> Organisation:
    org = Organisation.objects.select_for_update().get(pk=organisation.pk)
    _require_manager_of_area(actor, org.area)
    if "area" in fields:
        _require_manager_of_area(actor, fields["area"])
    if fields.get("parent") is not None and fields["parent"].pk != org.parent_id:
        if fields["parent"].pk == org.pk:
            raise ValidationFailed(_("An organisation cannot be its own parent."))
        _require_visible(actor, fields["parent"], _("Choose a parent organisation you are responsible for."))
    for name, value in fields.items():
        setattr(org, name, value)
    _clean(org)
    org.save()
    return org


# --- People ---------------------------------------------------------------------------------


@transaction.atomic
def person_create(*, actor: User | None, name: str, community: Area, **fields: Any) -> Person:
    _require_manager_of_area(actor, community)
    if community.kind != AreaKind.COMMUNITY:
        raise ValidationFailed(_("Choose a community (not another kind of area) for this person."))
    home = fields.get("home")
    if home is not None and not home.is_within(community):
        raise ValidationFailed(_("The home must be inside the person's community."))
    person = Person(name=name, community=community, **fields)
    _clean(person)
    person.save()
    return person


@transaction.atomic
def person_update(*, actor: User | None, person: Person, **fields: Any) -> Person:
    person = Person.objects.select_for_update().get(pk=person.pk)
    _require_manager_of_area(actor, person.community)
    if "community" in fields:
        _require_manager_of_area(actor, fields["community"])
    for name, value in fields.items():
        setattr(person, name, value)
    home = person.home
    if home is not None and not home.is_within(person.community):
        raise ValidationFailed(_("The home must be inside the person's community."))
    _clean(person)
    person.save()
    return person


@transaction.atomic
def party_member_register(
    *,
    actor: User | None,
    person: Person,
    membership_type: str,
    party_organisation: Organisation,
    grid: Area | None = None,
    **fields: Any,
) -> PartyMember:
    _require_manager_of_area(actor, person.community)
    if not party_organisation.is_party_org:
        raise ValidationFailed(_("Membership must be held by a Party organisation."))
    if grid is not None and (grid.kind != AreaKind.GRID or not grid.is_within(person.community)):
        raise ValidationFailed(_("The grid must be a grid of the member's community."))
    member, _created = PartyMember.objects.update_or_create(
        person=person,
        defaults={
            "membership_type": membership_type,
            "party_organisation": party_organisation,
            "grid": grid,
            **fields,
        },
    )
    return member


# --- Users and roles ------------------------------------------------------------------------


@transaction.atomic
def user_create(*, actor: User | None, username: str, password: str | None, **fields: Any) -> User:
    if actor is not None and not has_role(actor, *MANAGER_ROLES):
        raise PermissionDenied()
    if fields.get("is_superuser") and actor is not None and not actor.is_superuser:
        raise PermissionDenied(_("Only a platform administrator can create another."))
    fields.pop("is_staff", None)  # follows the roles
    user = User(username=username, **fields)
    if password:
        from django.contrib.auth.password_validation import validate_password
        from django.core.exceptions import ValidationError

        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationFailed(" ".join(exc.messages)) from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    _clean(user, exclude=["password"])
    user.save()
    _sync_staff_flag(user)
    return user


# What an administrator may change on a login; is_staff follows the roles, a password has its own form.
USER_EDITABLE_FIELDS = {"username", "display_name", "phone", "email", "first_name", "last_name", "is_active"}


@transaction.atomic
def user_update(*, actor: User | None, user: User, **fields: Any) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    if actor is not None and not actor.has_perm("community.change_user", user):
        raise PermissionDenied(_("This login is outside your responsibility."))
    if "is_superuser" in fields and bool(fields["is_superuser"]) == user.is_superuser:
        fields.pop("is_superuser")
    if "is_superuser" in fields and actor is not None and not actor.is_superuser:
        raise PermissionDenied(_("Only a platform administrator can grant or remove that status."))
    unknown = set(fields) - USER_EDITABLE_FIELDS - {"is_superuser"}
    if unknown:
        raise ValidationFailed(
            _("These fields cannot be changed here: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    for name, value in fields.items():
        setattr(user, name, value)
    _clean(user, exclude=["password"])
    if fields:
        user.save(update_fields=sorted(fields))
    _sync_staff_flag(user)
    forget_scope(user)
    return user


@transaction.atomic
def role_grant(
    *,
    actor: User | None,
    user: User,
    role: str,
    area: Area | None = None,
    organisation: Organisation | None = None,
) -> RoleGrant:
    if role in ORGANISATION_ROLES:
        if organisation is None or area is not None:
            raise ValidationFailed(_("This role is granted within an organisation."))
        _require_manager_of_area(actor, organisation.area, MANAGER_ROLES)
        grant, _created = RoleGrant.objects.get_or_create(
            user=user, role=role, organisation=organisation, defaults={"granted_by": actor}
        )
    else:
        expected_kind = ROLE_AREA_KIND.get(role)
        if expected_kind is None:
            raise ValidationFailed(_("Unknown role."))
        if area is None or organisation is not None:
            raise ValidationFailed(_("This role is granted within an area."))
        if area.kind != expected_kind:
            raise ValidationFailed(
                _("A %(role)s is granted on a %(kind)s.")
                % {"role": Role(role).label, "kind": AreaKind(expected_kind).label}
            )
        _require_manager_of_area(actor, area, MANAGER_ROLES)
        if actor is not None and not scope_for(actor).everything and role == Role.DISTRICT_ADMIN:
            if not has_role(actor, Role.DISTRICT_ADMIN):
                raise PermissionDenied(_("Only a district administrator can appoint one."))
        grant, _created = RoleGrant.objects.get_or_create(
            user=user, role=role, area=area, defaults={"granted_by": actor}
        )
    _sync_staff_flag(user)
    forget_scope(user)
    return grant


@transaction.atomic
def role_revoke(*, actor: User | None, grant: RoleGrant) -> None:
    if actor is not None and not is_visible(grant, actor):
        raise PermissionDenied()
    _require_manager_of_area(actor, grant.area or grant.organisation.area, MANAGER_ROLES)
    user = grant.user
    grant.delete()
    _sync_staff_flag(user)
    forget_scope(user)


def _sync_staff_flag(user: User) -> None:
    """Back-office access follows the roles: staff roles open /admin/, nothing else does."""
    is_staff = user.is_superuser or RoleGrant.objects.filter(user=user, role__in=STAFF_ROLES).exists()
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
