"""Builders for test data, going through the services like real users do."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import factory

from community import services
from community.models import (
    AreaKind,
    MembershipType,
    OrgKind,
    PartyLevel,
    Role,
    UnitType,
    User,
)

PASSWORD = "Test-pass-2024!"  # noqa: S105
_phone = itertools.count(13800000001)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    phone = factory.LazyFunction(lambda: str(next(_phone)))
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def make_user(username: str, role: str | None = None, *, area=None, organisation=None, **fields) -> User:
    user = UserFactory(username=username, **fields)
    if role:
        services.role_grant(actor=None, user=user, role=role, area=area, organisation=organisation)
        user.refresh_from_db()
    return user


def build_district() -> SimpleNamespace:
    """越城区 → 2 streets → 3 communities (two in the first street), with compounds, grids and units."""
    a = services.area_create
    d = SimpleNamespace()
    d.district = a(actor=None, name="越城区", kind=AreaKind.DISTRICT)
    d.street1 = a(actor=None, name="塔山街道", kind=AreaKind.STREET, parent=d.district)
    d.street2 = a(actor=None, name="府山街道", kind=AreaKind.STREET, parent=d.district)
    d.community1 = a(actor=None, name="越都社区", kind=AreaKind.COMMUNITY, parent=d.street1)
    d.community2 = a(actor=None, name="治平社区", kind=AreaKind.COMMUNITY, parent=d.street1)
    d.community3 = a(actor=None, name="府山社区", kind=AreaKind.COMMUNITY, parent=d.street2)
    d.grid1 = a(actor=None, name="越都一网格", kind=AreaKind.GRID, parent=d.community1)
    d.compound1 = a(actor=None, name="越都花园", kind=AreaKind.COMPOUND, parent=d.community1, grid=d.grid1)
    d.building1 = a(actor=None, name="1幢", kind=AreaKind.BUILDING, parent=d.compound1, grid=d.grid1)
    d.compound2 = a(actor=None, name="治平小区", kind=AreaKind.COMPOUND, parent=d.community2)
    d.compound3 = a(actor=None, name="府山新村", kind=AreaKind.COMPOUND, parent=d.community3)

    o = services.organisation_create
    d.party1 = o(
        actor=None,
        name="越都社区党委",
        kind=OrgKind.COMMUNITY_PARTY,
        party_level=PartyLevel.COMMITTEE,
        area=d.community1,
    )
    d.party2 = o(
        actor=None,
        name="治平社区党委",
        kind=OrgKind.COMMUNITY_PARTY,
        party_level=PartyLevel.COMMITTEE,
        area=d.community2,
    )
    d.party3 = o(
        actor=None,
        name="府山社区党委",
        kind=OrgKind.COMMUNITY_PARTY,
        party_level=PartyLevel.COMMITTEE,
        area=d.community3,
    )
    d.unit1 = o(
        actor=None,
        name="越城区人民医院党委",
        kind=OrgKind.UNIT_PARTY,
        unit_type=UnitType.INSTITUTION,
        sector="医院",
        party_level=PartyLevel.COMMITTEE,
        area=d.community1,
    )
    d.unit2 = o(
        actor=None,
        name="府山小学党支部",
        kind=OrgKind.UNIT_PARTY,
        unit_type=UnitType.INSTITUTION,
        sector="学校",
        party_level=PartyLevel.BRANCH,
        area=d.community3,
    )

    d.district_admin = make_user("district_admin", Role.DISTRICT_ADMIN, area=d.district)
    d.street_admin = make_user("street1_admin", Role.STREET_ADMIN, area=d.street1)
    d.secretary1 = make_user("secretary1", Role.COMMUNITY_SECRETARY, area=d.community1)
    d.secretary2 = make_user("secretary2", Role.COMMUNITY_SECRETARY, area=d.community2)
    d.secretary3 = make_user("secretary3", Role.COMMUNITY_SECRETARY, area=d.community3)
    d.convener1 = make_user("convener1", Role.COUNCIL_CONVENER, area=d.compound1)
    d.unit_contact1 = make_user("unit_contact1", Role.UNIT_CONTACT, organisation=d.unit1)
    d.unit_contact2 = make_user("unit_contact2", Role.UNIT_CONTACT, organisation=d.unit2)

    d.member_user = make_user("member1")
    d.member_person = services.person_create(
        actor=None,
        name="王建国",
        community=d.community1,
        home=d.building1,
        phone="13900001111",
        user=d.member_user,
    )
    d.member = services.party_member_register(
        actor=None,
        person=d.member_person,
        membership_type=MembershipType.IN_SERVICE,
        party_organisation=d.unit1,
        grid=d.grid1,
    )
    d.resident_user = make_user("resident1")
    d.resident = services.person_create(
        actor=None,
        name="李秀英",
        community=d.community1,
        home=d.building1,
        phone="13900002222",
        user=d.resident_user,
    )
    d.resident3 = services.person_create(
        actor=None, name="张桂兰", community=d.community3, phone="13900003333"
    )
    return d
