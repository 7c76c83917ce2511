"""The community services obey the same table as the admin and the API: a role counts only where it is held."""

import pytest

from community import services
from community.models import AreaKind, Organisation, OrgKind, Role, RoleGrant, User
from core.exceptions import PermissionDenied, ValidationFailed
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker(district):
    return make_user("worker1", Role.SOCIAL_WORKER, area=district.community1)


def test_a_social_worker_keeps_registers_but_does_not_shape_the_tree_or_appoint(district, worker):
    d = district

    org = services.organisation_create(
        actor=worker, name="越都志愿队", kind=OrgKind.VOLUNTEER_TEAM, area=d.community1
    )
    assert org.pk
    with pytest.raises(PermissionDenied):
        services.area_create(actor=worker, name="新小区", kind=AreaKind.COMPOUND, parent=d.community1)
    with pytest.raises(PermissionDenied):
        services.role_grant(actor=worker, user=d.member_user, role=Role.GRID_WORKER, area=d.grid1)
    with pytest.raises(PermissionDenied):
        services.role_revoke(actor=worker, grant=RoleGrant.objects.get(user=d.convener1))
    assert RoleGrant.objects.filter(user=d.convener1).exists()


def test_a_role_held_elsewhere_lends_no_power(district):
    """Convener of 越都花园 and social worker of 府山社区: nothing may be created in 越都花园."""
    d = district
    services.role_grant(actor=None, user=d.convener1, role=Role.SOCIAL_WORKER, area=d.community3)
    d.convener1.refresh_from_db()

    with pytest.raises(PermissionDenied):
        services.organisation_create(
            actor=d.convener1, name="越都花园物业", kind=OrgKind.PROPERTY_COMPANY, area=d.compound1
        )
    assert services.organisation_create(
        actor=d.convener1, name="府山志愿队", kind=OrgKind.VOLUNTEER_TEAM, area=d.community3
    ).pk


def test_a_parent_organisation_must_be_one_the_actor_sees(district):
    d = district

    with pytest.raises(ValidationFailed):
        services.organisation_create(
            actor=d.secretary1,
            name="越都支部",
            kind=OrgKind.COMPOUND_BRANCH,
            area=d.compound1,
            parent=d.party3,
        )
    with pytest.raises(ValidationFailed):
        services.organisation_update(actor=d.secretary1, organisation=d.unit1, parent=d.party3)
    with pytest.raises(ValidationFailed):
        services.organisation_update(actor=d.secretary1, organisation=d.unit1, parent=d.unit1)
    assert not Organisation.objects.filter(name="越都支部").exists()


def test_an_area_under_a_role_keeps_its_kind(district):
    d = district

    with pytest.raises(ValidationFailed):
        services.area_update(actor=d.secretary1, area=d.community1, kind=AreaKind.STREET)
    d.community1.refresh_from_db()
    assert d.community1.kind == AreaKind.COMMUNITY
    assert (
        services.area_update(actor=d.secretary1, area=d.community1, name="越都社区（老城）").name
        == "越都社区（老城）"
    )


def test_an_area_cannot_be_moved_out_of_the_managers_areas(district):
    d = district

    with pytest.raises(PermissionDenied):
        services.area_update(actor=d.secretary1, area=d.compound1, parent=d.community3)
    d.compound1.refresh_from_db()
    assert d.compound1.parent == d.community1


def test_user_update_follows_the_change_user_rule(district):
    d = district
    services.person_create(actor=None, name="区管理员", community=d.community1, user=d.district_admin)

    updated = services.user_update(actor=d.secretary1, user=d.convener1, display_name="召集人老张")
    assert updated.display_name == "召集人老张"
    with pytest.raises(PermissionDenied):
        services.user_update(actor=d.secretary1, user=d.district_admin, display_name="x")
    with pytest.raises(PermissionDenied):
        services.user_update(actor=d.secretary1, user=d.convener1, is_superuser=True)
    with pytest.raises(ValidationFailed):
        services.user_update(actor=d.secretary1, user=d.convener1, is_staff=False)
    d.convener1.refresh_from_db()
    assert not d.convener1.is_superuser and d.convener1.is_staff


def test_only_a_platform_administrator_makes_another(district):
    d = district
    platform = make_user("platform", is_superuser=True, is_staff=True)

    services.user_update(actor=platform, user=d.member_user, is_superuser=True)

    d.member_user.refresh_from_db()
    assert d.member_user.is_superuser and d.member_user.is_staff
    with pytest.raises(PermissionDenied):
        services.user_create(actor=d.secretary1, username="root2", password=None, is_superuser=True)


def test_a_created_login_gets_no_staff_flag_from_its_creator(district):
    user = services.user_create(actor=district.secretary1, username="plain", password=None, is_staff=True)

    assert not User.objects.get(pk=user.pk).is_staff
