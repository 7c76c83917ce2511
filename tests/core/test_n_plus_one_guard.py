"""The N+1 guard (tests/nplusone.py): a request that queries once per row fails its test."""

import pytest
from django.http import HttpResponse
from django.urls import path
from zeal import NPlusOneError

from community.models import Area, AreaKind
from tests import nplusone


def _communities():
    return Area.objects.filter(kind=AreaKind.COMMUNITY).order_by("pk")


def street_names_lazily(request):
    return HttpResponse(", ".join(community.parent.name for community in _communities()))


def street_names_joined(request):
    rows = _communities().select_related("parent")
    return HttpResponse(", ".join(community.parent.name for community in rows))


def areas_one_by_one(request):
    pks = Area.objects.order_by("pk").values_list("pk", flat=True)[: int(request.GET["n"])]
    return HttpResponse(", ".join(Area.objects.get(pk=pk).name for pk in pks))


urlpatterns = [
    path("lazy/", street_names_lazily),
    path("joined/", street_names_joined),
    path("one-by-one/", areas_one_by_one),
]

pytestmark = pytest.mark.urls(__name__)


def test_a_page_reading_a_foreign_key_per_row_fails_the_test(district, client):
    with pytest.raises(NPlusOneError, match=r"N\+1 detected on community\.Area\.parent"):
        client.get("/lazy/")


def test_the_same_page_with_select_related_passes(district, client):
    response = client.get("/joined/")
    assert response.content.decode().count(district.street1.name) == 2


def test_a_get_per_row_fails_from_the_threshold_on(district, client):
    assert client.get("/one-by-one/", {"n": nplusone.GET_THRESHOLD - 1}).status_code == 200
    with pytest.raises(NPlusOneError, match=r"community\.Area\.get\(\)"):
        client.get("/one-by-one/", {"n": nplusone.GET_THRESHOLD})


@pytest.mark.allow_n_plus_one("shows that the marker switches the guard off")
def test_the_marker_switches_the_guard_off(district, client):
    assert client.get("/lazy/").status_code == 200


def test_outside_requests_a_loop_is_not_checked(district):
    # Tests and the demo seeding call services once per object on purpose.
    assert [community.parent.name for community in _communities()]
