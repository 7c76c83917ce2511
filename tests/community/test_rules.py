"""The permission table of community.rules, row by row: role × permission × object → allowed?

Read a row as "a <role> asking <permission> about <object> gets <expected>". Objects are named
by where they sit: `c1` is 越都社区 (secretary1's community), `c3` 府山社区 (another street's),
`cp1` the compound 越都花园 in c1, `g1` its grid. `None` asks about the kind of object, as the admin
does for its list and add buttons.
"""

from __future__ import annotations

import pytest
import rules

from community import services
from community.models import MembershipType, Role, RoleGrant
from tests.factories import make_user

pytestmark = pytest.mark.django_db

ROLES = [
    "platform",
    "district",
    "street",
    "secretary",
    "worker",
    "convener",
    "gridder",
    "contact",
    "resident",
]


@pytest.fixture
def cast(district):
    d = district
    worker = make_user("worker1", Role.SOCIAL_WORKER, area=d.community1)
    gridder = make_user("gridder1", Role.GRID_WORKER, area=d.grid1)
    platform = make_user("platform", is_superuser=True, is_staff=True)
    # The district administrator lives in 越都社区: visible to its secretary, but not theirs to manage.
    services.person_create(actor=None, name="区管理员", community=d.community1, user=d.district_admin)
    member3 = services.party_member_register(
        actor=None, person=d.resident3, membership_type=MembershipType.REGISTERED, party_organisation=d.party3
    )
    users = {
        "platform": platform,
        "district": d.district_admin,
        "street": d.street_admin,
        "secretary": d.secretary1,
        "worker": worker,
        "convener": d.convener1,
        "gridder": gridder,
        "contact": d.unit_contact1,
        "resident": d.resident_user,
    }
    objects = {
        None: None,
        # areas
        "c1": d.community1,
        "c3": d.community3,
        "cp1": d.compound1,
        "g1": d.grid1,
        # organisations
        "unit1": d.unit1,
        "party3": d.party3,
        # people and members
        "resident1": d.resident,
        "resident3": d.resident3,
        "member1": d.member,
        "member3": member3,
        # role grants
        "grant_sec1": RoleGrant.objects.get(user=d.secretary1),
        "grant_contact1": RoleGrant.objects.get(user=d.unit_contact1),
        "grant_sec3": RoleGrant.objects.get(user=d.secretary3),
        # logins
        "user_worker1": worker,
        "user_district": d.district_admin,
        "user_sec3": d.secretary3,
        "user_platform": platform,
    }
    return users, objects


def row(allowed: set[str]) -> dict[str, bool]:
    unknown = allowed - set(ROLES)
    assert not unknown, unknown
    return {role: role in allowed for role in ROLES}


MANAGERS = {"platform", "district", "street", "secretary"}
CASEWORKERS = MANAGERS | {"worker"}
NOBODY: set[str] = set()

# permission → object → the roles that get True (all others get False).
TABLE: dict[str, dict[str | None, set[str]]] = {
    "community": {None: CASEWORKERS | {"convener"}},
    "community.view_area": {
        None: CASEWORKERS | {"convener", "gridder"},
        "c1": CASEWORKERS,
        "cp1": CASEWORKERS | {"convener"},
        "g1": CASEWORKERS | {"gridder"},
        "c3": {"platform", "district"},
    },
    "community.add_area": {None: MANAGERS},
    "community.change_area": {
        None: MANAGERS,
        "c1": MANAGERS,
        "cp1": MANAGERS,
        "c3": {"platform", "district"},
    },
    "community.delete_area": {None: NOBODY, "cp1": NOBODY},
    "community.view_organisation": {
        None: CASEWORKERS | {"convener", "contact"},
        "unit1": CASEWORKERS | {"contact"},
        "party3": {"platform", "district"},
    },
    "community.add_organisation": {None: CASEWORKERS},
    "community.change_organisation": {
        None: CASEWORKERS,
        "unit1": CASEWORKERS,
        "party3": {"platform", "district"},
    },
    "community.delete_organisation": {"unit1": NOBODY},
    "community.view_person": {
        None: CASEWORKERS,
        "resident1": CASEWORKERS,
        "resident3": {"platform", "district"},
    },
    "community.add_person": {None: CASEWORKERS},
    "community.change_person": {
        "resident1": CASEWORKERS,
        "resident3": {"platform", "district"},
    },
    "community.delete_person": {"resident1": NOBODY},
    # Full numbers: the community's own staff and the person; district and street see them masked.
    "community.view_person_contact": {
        "resident1": {"platform", "secretary", "worker", "resident"},
        "resident3": {"platform"},
    },
    "community.view_partymember": {
        None: CASEWORKERS,
        "member1": CASEWORKERS,
        "member3": {"platform", "district"},
    },
    "community.add_partymember": {None: CASEWORKERS},
    "community.change_partymember": {
        "member1": CASEWORKERS,
        "member3": {"platform", "district"},
    },
    "community.delete_partymember": {"member1": NOBODY},
    "community.view_rolegrant": {
        None: CASEWORKERS,
        "grant_sec1": CASEWORKERS,
        "grant_contact1": CASEWORKERS,
        "grant_sec3": {"platform", "district"},
    },
    "community.add_rolegrant": {None: MANAGERS},
    "community.change_rolegrant": {None: NOBODY, "grant_sec1": NOBODY},
    "community.delete_rolegrant": {
        None: MANAGERS,
        "grant_sec1": MANAGERS,
        "grant_contact1": MANAGERS,
        "grant_sec3": {"platform", "district"},
    },
    "community.view_user": {
        None: CASEWORKERS,
        "user_worker1": CASEWORKERS,
        "user_district": {"platform", "district", "street", "secretary", "worker"},
        "user_sec3": {"platform", "district"},
        "user_platform": {"platform"},
    },
    "community.add_user": {None: MANAGERS},
    "community.change_user": {
        "user_worker1": MANAGERS,
        # Visible to the secretary (lives in 越都社区), but a district role is above them.
        "user_district": {"platform", "district"},
        "user_sec3": {"platform", "district"},
        "user_platform": {"platform"},
    },
    "community.delete_user": {"user_worker1": NOBODY},
}


@pytest.mark.parametrize("permission", list(TABLE))
def test_permission_table(cast, permission):
    users, objects = cast
    wrong = []
    for obj_key, allowed in TABLE[permission].items():
        obj = objects[obj_key]
        for role, expected in row(allowed).items():
            args = (users[role],) if obj is None else (users[role], obj)
            if rules.has_perm(permission, *args) is not expected:
                wrong.append(f"{role} on {obj_key}: expected {expected}")

    assert not wrong, f"{permission}: " + "; ".join(wrong)


def test_every_permission_of_the_app_is_in_the_table():
    from community.rules import PERMISSIONS

    assert set(PERMISSIONS) == set(TABLE)


def test_user_has_perm_asks_the_same_table(cast):
    users, objects = cast
    for permission, by_object in TABLE.items():
        if permission == "community":
            continue
        for obj_key, allowed in by_object.items():
            for role in ROLES:
                if role == "platform":
                    continue  # Django lets an active superuser do everything before asking the rules
                assert users[role].has_perm(permission, objects[obj_key]) is (role in allowed), (
                    permission,
                    obj_key,
                    role,
                )


def test_the_admin_module_permission_is_the_community_rule(cast):
    users, _ = cast
    assert users["secretary"].has_module_perms("community")
    assert not users["contact"].has_module_perms("community")


def test_a_deactivated_login_may_do_nothing(cast):
    users, objects = cast
    secretary = users["secretary"]
    secretary.is_active = False

    assert not secretary.has_perm("community.view_area", objects["c1"])
    assert not rules.has_perm("community.view_area", secretary, objects["c1"])


def test_a_role_counts_only_where_it_is_held(district):
    """A convener of 越都花园 who is a social worker in 府山社区 cannot edit 越都花园's organisations."""
    d = district
    services.role_grant(actor=None, user=d.convener1, role=Role.SOCIAL_WORKER, area=d.community3)
    d.convener1.refresh_from_db()
    org_in_compound = services.organisation_create(
        actor=None, name="越都花园物业", kind="property_company", area=d.compound1
    )

    assert d.convener1.has_perm("community.view_organisation", org_in_compound)
    assert not d.convener1.has_perm("community.change_organisation", org_in_compound)
    assert d.convener1.has_perm("community.change_organisation", d.party3)
