"""The demo district on the map and the portal: every point placed around Yuecheng, a second seed changes
nothing, and no resident's name or phone from the demo appears on the public pages."""

from __future__ import annotations

import html
from io import StringIO

import pytest
from django.core.management import call_command

from community.models import Area, AreaKind, Organisation, OrgKind, Person, User
from core.seeding import DemoContext
from dashboards import demo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_the_demo_is_on_the_map_and_the_public_pages_show_nobody(client):
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())

    mapped = Area.objects.filter(
        kind__in=(AreaKind.DISTRICT, AreaKind.STREET, AreaKind.COMMUNITY, AreaKind.COMPOUND)
    )
    assert not mapped.filter(latitude__isnull=True).exists()
    orgs = Organisation.objects.filter(kind__in=(OrgKind.COMMUNITY_PARTY, OrgKind.UNIT_PARTY))
    assert not orgs.filter(latitude__isnull=True).exists()
    assert not orgs.filter(address="").exists()
    for place in [*mapped, *orgs]:
        assert 29.95 < place.latitude < 30.05 and 120.53 < place.longitude < 120.63, place.name

    # Idempotent: what is set stays as it is.
    before = list(Area.objects.order_by("pk").values_list("latitude", "longitude"))
    demo.seed(DemoContext(stdout=StringIO(), style=None))
    assert list(Area.objects.order_by("pk").values_list("latitude", "longitude")) == before

    body = client.get("/api/v1/map-points/").json()
    assert body["features"] and all(f["geometry"] for f in body["features"])
    assert {f["properties"]["kind"] for f in body["features"]} == {
        "station",
        "organisation",
        "compound",
        "activity",
    }

    pages = [client.get(url) for url in ("/", "/dashboards/map/", "/api/v1/map-points/")]
    residents = list(Person.objects.values_list("name", "phone"))
    logins = list(User.objects.exclude(phone=None).values_list("phone", flat=True))
    assert residents and logins
    for response in pages:
        assert response.status_code == 200
        text = html.unescape(response.content.decode())
        for name, phone in residents:
            assert name not in text, name
            assert not phone or phone not in text
        for phone in logins:
            assert phone not in text
