"""The district-scale base data (community.demo_scale through core.scale): sizes that follow the factor,
a well-formed area tree, logins that work, and a second run that adds nothing."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from community.models import Area, AreaKind, Organisation, OrgKind, PartyMember, Person, Role, RoleGrant, User
from core.scale import ScaleWorld, seed_scale
from core.seeding import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

FACTOR = 0.01


@pytest.fixture
def world() -> ScaleWorld:
    made = seed_scale(FACTOR)
    assert made is not None
    return made


def test_the_sizes_follow_the_factor(world):
    assert (
        Area.objects.filter(kind=AreaKind.COMMUNITY).count() == round(352 * FACTOR) == len(world.communities)
    )
    assert (
        Organisation.objects.filter(kind=OrgKind.UNIT_PARTY).count()
        == round(1175 * FACTOR)
        == len(world.units)
    )
    assert PartyMember.objects.count() == round(50_000 * FACTOR)
    reported = sum(c.reported_count for c in world.communities)
    assert abs(reported - 37_000 * FACTOR) <= len(world.communities)  # rounded per community
    # Every community has members, residents, compounds, grids and its own staff.
    for community in world.communities:
        assert community.member_person_ids and community.resident_person_ids
        assert len(community.compound_ids) == 4 and len(community.grid_ids) == 3
        assert len(community.member_user_ids) == len(community.member_person_ids)
        assert RoleGrant.objects.filter(
            user_id=community.secretary_user_id, role=Role.COMMUNITY_SECRETARY, area_id=community.area_id
        ).exists()
    # Every community pairs with at least one unit when there are as many units as communities.
    assert {u.community_area_id for u in world.units} == {c.area_id for c in world.communities}


def test_the_area_tree_is_well_formed(world):
    for area in Area.objects.all():
        parent = area.parent
        expected = f"{parent.path}{area.pk}/" if parent else f"/{area.pk}/"
        assert area.path == expected, area
        assert area.depth == (parent.depth + 1 if parent else 0)
    # Each compound is covered by a grid of its own community.
    for compound in Area.objects.filter(kind=AreaKind.COMPOUND).select_related("grid"):
        assert compound.grid is not None and compound.grid.parent_id == compound.parent_id
    # Members live in their community and are placed in one of its grids when they report there.
    for member in PartyMember.objects.select_related("person", "grid")[:200]:
        if member.grid is not None:
            assert member.grid.parent_id == member.person.community_id


def test_the_logins_work_and_see_their_own_area(world):
    community = world.communities[0]
    secretary = User.objects.get(pk=community.secretary_user_id)
    assert secretary.is_staff and secretary.check_password(DEMO_PASSWORD)
    client = Client()
    client.force_login(secretary)
    assert client.get(f"/dashboards/{community.area_id}/").status_code == 200
    assert client.get(f"/dashboards/{world.district_id}/").status_code == 404  # above their community
    member = Person.objects.get(pk=community.member_person_ids[0])
    assert member.user_id == community.member_user_ids[0] != 0
    assert member.user.check_password(DEMO_PASSWORD)


def test_a_second_run_adds_nothing(world):
    before = (Area.objects.count(), Person.objects.count(), User.objects.count())

    assert seed_scale(FACTOR) is None
    call_command("seed_demo", "--scale", str(FACTOR))

    assert (Area.objects.count(), Person.objects.count(), User.objects.count()) == before


def test_scale_data_refuses_a_database_that_has_the_demo():
    Area.objects.create(name="越城区", kind=AreaKind.DISTRICT, path="/1/")

    with pytest.raises(CommandError, match="database of its own"):
        call_command("seed_demo", "--scale", "0.01")


@pytest.mark.parametrize("scale", ["0", "2", "lots"])
def test_a_bad_scale_is_refused(scale):
    with pytest.raises(CommandError):
        call_command("seed_demo", "--scale", scale)
