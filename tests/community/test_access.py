"""Who sees what: the scope of each role over areas, organisations and people."""

import pytest
from django.http import Http404

from community.access import get_visible_or_404, scope_for
from community.models import Area, Organisation, Person

pytestmark = pytest.mark.django_db


def names(qs):
    return set(qs.values_list("name", flat=True))


def test_community_secretary_sees_only_their_community(district):
    d = district
    areas = names(Area.objects.visible_to(d.secretary1))
    assert areas == {"越都社区", "越都一网格", "越都花园", "1幢"}
    assert names(Organisation.objects.visible_to(d.secretary1)) == {"越都社区党委", "越城区人民医院党委"}
    assert names(Person.objects.visible_to(d.secretary1)) == {"王建国", "李秀英"}


def test_street_admin_sees_their_street_and_below(district):
    d = district
    areas = names(Area.objects.visible_to(d.street_admin))
    assert "治平社区" in areas and "越都社区" in areas
    assert "府山社区" not in areas and "越城区" not in areas


def test_district_admin_sees_everything_in_the_district(district):
    assert Area.objects.visible_to(district.district_admin).count() == Area.objects.count()


def test_unit_contact_sees_their_organisation_only(district):
    d = district
    assert names(Organisation.objects.visible_to(d.unit_contact1)) == {"越城区人民医院党委"}
    assert Area.objects.visible_to(d.unit_contact1).count() == 0


def test_resident_sees_only_their_own_person_record(district):
    d = district
    assert names(Person.objects.visible_to(d.resident_user)) == {"李秀英"}
    assert scope_for(d.resident_user).is_empty


def test_out_of_scope_object_is_404(district):
    d = district
    with pytest.raises(Http404):
        get_visible_or_404(Person.objects, d.secretary1, pk=d.resident3.pk)
    assert get_visible_or_404(Person.objects, d.secretary3, pk=d.resident3.pk) == d.resident3


def test_anonymous_sees_nothing(district):
    from django.contrib.auth.models import AnonymousUser

    assert Area.objects.visible_to(AnonymousUser()).count() == 0


def test_staff_flag_follows_roles(district):
    d = district
    assert d.secretary1.is_staff and d.district_admin.is_staff
    assert not d.unit_contact1.is_staff and not d.resident_user.is_staff


def test_scope_narrowed_to_roles(district):
    from community.models import Role

    d = district
    scope = scope_for(d.street_admin)
    assert scope.for_roles([Role.STREET_ADMIN]).covers(d.community1)
    assert scope.for_roles([Role.COMMUNITY_SECRETARY]).is_empty
    assert not scope.for_roles([Role.STREET_ADMIN]).covers(d.community3)


def test_covers_needs_no_query_when_the_area_is_loaded(district, django_assert_num_queries):
    d = district
    people = list(Person.objects.select_related("community"))
    scope = scope_for(d.secretary1)

    with django_assert_num_queries(0):
        covered = {p.name for p in people if scope.covers(p)}
    assert covered == {"王建国", "李秀英"}


def test_a_unit_contacts_grant_belongs_to_the_units_community(district):
    from community.models import RoleGrant

    d = district
    grant = RoleGrant.objects.get(user=d.unit_contact1)
    assert RoleGrant.objects.visible_to(d.secretary1).filter(pk=grant.pk).exists()
    assert not RoleGrant.objects.visible_to(d.secretary3).filter(pk=grant.pk).exists()


def test_logins_visible_to_a_secretary(district):
    from community.models import User

    d = district
    visible = set(User.objects.visible_to(d.secretary1).values_list("username", flat=True))
    assert visible == {"secretary1", "convener1", "unit_contact1", "member1", "resident1"}
    assert set(User.objects.visible_to(d.resident_user).values_list("username", flat=True)) == {"resident1"}
    assert User.objects.visible_to(d.district_admin).filter(username="secretary3").exists()
