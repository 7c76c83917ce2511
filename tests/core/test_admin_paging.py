"""core.admin_paging: when a list is the whole table (so an estimate may stand for its count), and
which users' scope leaves nothing of the district out."""

from __future__ import annotations

import pytest

from community.models import Person
from core.admin_paging import lists_whole_table, sees_every_area, where_sql
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_only_an_unnarrowed_queryset_is_the_whole_table(district):
    people = Person.objects.all()

    assert lists_whole_table(people)
    assert lists_whole_table(people.order_by("-id").select_related("community"))
    assert not lists_whole_table(people.filter(name="李秀英"))
    assert not lists_whole_table(people.visible_to(district.secretary1))
    assert not lists_whole_table(people.distinct())
    assert not lists_whole_table(people[:5])
    assert not lists_whole_table(people.none())
    assert where_sql(people.none()) is None


def test_the_same_filters_give_the_same_where_clause(district):
    def scoped():
        return Person.objects.visible_to(district.street_admin)

    assert where_sql(scoped()) == where_sql(scoped().order_by("name"))
    assert where_sql(scoped()) != where_sql(scoped().filter(name="李秀英"))


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("root", True),
        ("district_admin", True),
        ("street_admin", False),
        ("secretary1", False),
        ("unit_contact1", False),
        ("resident_user", False),
    ],
)
def test_who_sees_every_area(district, who, expected):
    user = make_user("root", is_superuser=True, is_staff=True) if who == "root" else getattr(district, who)

    assert sees_every_area(user) is expected
