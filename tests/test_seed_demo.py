"""seed_demo builds the demo district with one login per role, and a second run duplicates nothing."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory

from community.access import scope_for
from community.models import Area, AreaKind, Organisation, OrgKind, PartyMember, Person, Role, RoleGrant, User
from core.seeding import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

MODELS = [Area, Organisation, Person, PartyMember, User, RoleGrant]


def counts():
    return {m.__name__: m.objects.count() for m in MODELS}


def test_seed_demo_is_complete_and_idempotent():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    first = counts()
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())
    assert counts() == first

    assert Area.objects.filter(kind=AreaKind.DISTRICT).count() == 1
    assert 2 <= Area.objects.filter(kind=AreaKind.STREET).count() <= 3
    assert 4 <= Area.objects.filter(kind=AreaKind.COMMUNITY).count() <= 6
    assert Area.objects.filter(kind=AreaKind.COMPOUND).exists()
    assert Area.objects.filter(kind=AreaKind.GRID).exists()
    unit_types = set(Organisation.objects.filter(kind=OrgKind.UNIT_PARTY).values_list("unit_type", flat=True))
    assert len(unit_types) >= 3, "units of several kinds"
    assert PartyMember.objects.filter(membership_type="registered").exists()
    assert PartyMember.objects.filter(membership_type="in_service").exists()
    # Every role of DOMAIN.md §7 has a demo login, and the printed list names them.
    granted = set(RoleGrant.objects.values_list("role", flat=True))
    assert granted == set(Role.values)
    printed = out.getvalue()
    for username in ["qu_zuzhibu", "yuedu_shuji", "renmin_yiyuan", "dangyuan_wang", "jumin_li"]:
        assert username in printed


def test_every_demo_login_signs_in_with_the_printed_password():
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())
    request = RequestFactory().post("/accounts/login/")
    for user in User.objects.all():
        assert authenticate(request, username=user.username, password=DEMO_PASSWORD) == user, user.username
    secretary = User.objects.get(username="yuedu_shuji")
    assert authenticate(request, username=secretary.phone, password=DEMO_PASSWORD) == secretary
    assert scope_for(secretary).roles == {Role.COMMUNITY_SECRETARY}


def test_member_and_resident_logins_are_linked_to_people():
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())
    assert Person.objects.get(user__username="dangyuan_wang").party_member.grid is not None
    assert Person.objects.get(user__username="jumin_li").community.name == "越都社区"


def test_bad_scale_is_refused_with_a_clear_message():
    with pytest.raises(CommandError, match="--scale"):
        call_command("seed_demo", "--scale", "lots")
    assert Area.objects.count() == 0
