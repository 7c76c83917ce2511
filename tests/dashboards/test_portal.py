"""The public portal (/): the district's headline figures from known data, the sections linking to the
public pages with their teasers, no personal data, and a fixed number of queries."""

from __future__ import annotations

import html
import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from community.models import Person, User
from dashboards.portal import HEADLINE_CACHE_KEY, headline_numbers
from tests.dashboards.test_portal_support import KNOWN, known_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def figures_on(text: str) -> dict[str, str]:
    """{key: value as shown} of the headline figures on the page."""
    found = re.findall(
        r'data-testid="headline-figure" data-key="(\w+)">\s*<div class="site-figure-value" '
        r'data-testid="headline-value">([^<]*)</div>',
        text,
    )
    return dict(found)


def test_the_headline_figures_count_the_known_data(client, district):
    known_world(district)

    text = html.unescape(english(client).get("/").content.decode())

    assert figures_on(text) == {
        "contracts_signed": str(KNOWN["contracts_signed"]),
        "items_delivered": str(KNOWN["items_delivered"]),
        "issues_solved": str(KNOWN["issues_solved"]),
        "members_reported": str(KNOWN["members_reported"]),
        "wishes_fulfilled": str(KNOWN["wishes_fulfilled"]),
        "orders_done": str(KNOWN["orders_done"]),
        "points_issued": str(KNOWN["points_issued"]),
        "units": "2",
    }
    assert "Resolution rate 50.0%" in text
    assert "The district has 3 communities" in text


def test_with_nothing_yet_the_figures_are_zero_and_there_is_no_rate(client, district):
    numbers = headline_numbers()

    assert numbers["contracts_signed"] == numbers["issues_solved"] == numbers["points_issued"] == 0
    assert numbers["resolution_rate"] is None
    text = html.unescape(english(client).get("/").content.decode())
    assert "Resolution rate" not in text


def test_the_figures_are_cached_briefly(client, district):
    headline_numbers()
    assert cache.get(HEADLINE_CACHE_KEY) is not None

    with CaptureQueriesContext(connection) as queries:
        headline_numbers()
    assert len(queries) == 0


def test_the_sections_link_to_the_public_pages_with_their_teasers(client, district):
    c, _k, _v = known_world(district)

    text = html.unescape(english(client).get("/").content.decode())

    for name in ("contracts:board", "councils:board", "volunteers:wishes", "points:market", "dashboards:map"):
        assert f'href="{reverse(name)}"' in text, name
    assert f'href="{reverse("audit:verify")}"' in text
    # 亮约: the published contract's title links to its public page.
    assert "1 contract is on public display" in text
    assert f'href="{reverse("contracts:public", args=[c.contract.pk])}"' in text
    # The wish wall's teaser: how many open wishes, by category, no names.
    assert "1 micro-wish is waiting to be lit up" in text
    assert re.search(r'data-testid="wish-categories">.*Health 1', " ".join(text.split()))
    assert "Sign in to light up a wish" in text
    # The market: the offer with stock left.
    assert "1 offer now" in text


def test_no_personal_data_on_the_portal(client, district):
    known_world(district)
    client.get("/")  # fills the cache; the second page is the one most visitors see

    for response in (client.get("/"), english(client).get("/")):
        text = html.unescape(response.content.decode())
        for person in Person.objects.all():
            assert person.name not in text
            if person.phone:
                assert person.phone not in text
        for user in User.objects.exclude(phone=None):
            assert user.phone not in text
            assert user.display_name not in text


def test_the_home_page_runs_a_fixed_number_of_queries(client, district):
    cache.clear()
    with CaptureQueriesContext(connection) as empty:
        assert client.get("/").status_code == 200
    known_world(district)
    cache.clear()
    with CaptureQueriesContext(connection) as full:
        assert client.get("/").status_code == 200
    assert len(full) == len(empty) <= 20
    # Cached, only the teasers are counted again.
    with CaptureQueriesContext(connection) as cached:
        assert client.get("/").status_code == 200
    assert len(cached) <= 6


def test_the_portal_is_in_chinese_by_default(client, district):
    text = html.unescape(client.get("/").content.decode())

    assert '<html lang="zh-hans">' in text
    assert text.count('data-testid="headline-figure"') == 8
    assert 'data-testid="portal-sections"' in text
