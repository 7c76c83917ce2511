"""The area tree through the API: filters by kind, parent, depth, name and subtree."""

import pytest

from tests.api.helpers import assert_error, ids

pytestmark = pytest.mark.django_db

URL = "/api/v1/areas/"


def test_within_gives_a_subtree(district, api):
    d = district
    client = api(d.district_admin)

    assert ids(client.get(URL, {"within": d.compound1.pk})) == {d.compound1.pk, d.building1.pk}
    assert ids(client.get(URL, {"within": d.street2.pk})) == {d.street2.pk, d.community3.pk, d.compound3.pk}


def test_parent_depth_kind_and_search(district, api):
    d = district
    client = api(d.district_admin)

    assert ids(client.get(URL, {"parent": d.street1.pk})) == {d.community1.pk, d.community2.pk}
    assert ids(client.get(URL, {"depth": 2})) == {d.community1.pk, d.community2.pk, d.community3.pk}
    assert ids(client.get(URL, {"kind": "grid"})) == {d.grid1.pk}
    assert ids(client.get(URL, {"search": "府山"})) == {d.street2.pk, d.community3.pk, d.compound3.pk}


def test_filters_combine_with_the_scope(district, api):
    d = district
    client = api(d.street_admin)

    assert ids(client.get(URL, {"depth": 2})) == {d.community1.pk, d.community2.pk}
    assert_error(client.get(URL, {"within": d.district.pk}), 400, "invalid")


@pytest.mark.parametrize(("param", "value"), [("kind", "planet"), ("depth", "deep"), ("within", "abc")])
def test_malformed_filters_are_400(district, api, param, value):
    body = assert_error(api(district.district_admin).get(URL, {param: value}), 400, "invalid")

    assert param in body["errors"]


def test_an_area_shows_no_path_or_ancestors_outside_the_scope(district, api):
    body = api(district.secretary1).get(f"{URL}{district.community1.pk}/").json()

    assert "path" not in body
    assert body["parent"] == district.street1.pk
    assert body["depth"] == 2
