"""The wallet statement's cursor pages: every transfer once, from the newest, the same queries for every page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from points import selectors
from points.services import wallet_for
from tests.api.helpers import walk_pages
from tests.points import market_support
from tests.points.market_support import give

pytestmark = pytest.mark.django_db

market = market_support.market  # the fixture
URL = "/api/v1/wallet/statement/"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_walking_the_statement_gives_every_line_once_newest_first(market):
    for _ in range(6):
        give(market.member_user, 1)
    wallet = wallet_for(user=market.member_user)
    expected = list(selectors.statement(account=wallet).values_list("id", flat=True))
    client = api(market.member_user)

    pages = walk_pages(client, URL, {"page_size": 4})

    assert [row["id"] for page in pages for row in page] == expected
    assert [len(page) for page in pages[:-1]] == [4] * (len(pages) - 1)
    assert len(expected) >= 7


def test_every_statement_page_costs_the_same_queries(market):
    for _ in range(8):
        give(market.member_user, 1)
    client = api(market.member_user)
    url, params = URL, {"page_size": 3}
    client.get(url, params)

    counts = []
    while url is not None:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, params)
        counts.append(len(queries))
        url, params = response.json()["next"], None

    assert len(counts) >= 3
    assert len(set(counts)) == 1, counts
