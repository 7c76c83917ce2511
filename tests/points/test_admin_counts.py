"""The ledger's admin list never counts the whole table: PostgreSQL's estimate when the list is the
whole table and the estimate is large, an exact count when the list is narrowed (a filter, a search,
a date, a smaller scope), and exact counts of small tables on every database."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.admin_paging import EstimatedCountPaginator, table_row_estimate
from points.models import Transfer, TransferKind
from tests.factories import make_user
from tests.points.earning_support import funded
from tests.points.market_support import give

pytestmark = pytest.mark.django_db

URL = "/admin/points/transfer/"
COUNT_OF_TRANSFERS = re.compile(r'SELECT COUNT\(\*\).*\bFROM "points_transfer"', re.S)


@pytest.fixture
def d(district):
    d = funded(district)
    for _ in range(12):
        give(d.member_user, 1)
    return d


@pytest.fixture
def root(db):
    return make_user("root", is_superuser=True, is_staff=True)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def changelist(client, **params):
    client.get(URL, params)  # the session, the content types
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, params)
    assert response.status_code == 200
    counts = [q["sql"] for q in queries.captured_queries if COUNT_OF_TRANSFERS.search(q["sql"])]
    return response.context["cl"], counts


def analyze_transfers() -> int:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE points_transfer")
    return table_row_estimate(Transfer)


@pytest.fixture
def large(require_postgres, monkeypatch):
    """The table's estimate taken now, and "large" made small enough for a test's ledger."""
    estimate = analyze_transfers()
    assert estimate == Transfer.objects.count()  # ANALYZE reads a small table whole
    monkeypatch.setattr(EstimatedCountPaginator, "estimate_from", 10)
    return estimate


@pytest.mark.postgres
@pytest.mark.parametrize("who", ["root", "district_admin"])
def test_the_whole_ledger_is_listed_with_the_estimate_and_no_count(d, root, large, who):
    give(d.member_user, 1)  # after ANALYZE: in the table, not yet in the estimate

    cl, counts = changelist(signed_in(root if who == "root" else d.district_admin))

    assert counts == []
    assert cl.paginator.estimated
    assert cl.result_count == large == Transfer.objects.count() - 1
    assert len(cl.result_list) == Transfer.objects.count()  # the rows themselves are all there


@pytest.mark.postgres
@pytest.mark.parametrize(
    "params",
    [
        {"kind__exact": TransferKind.EARNING},
        {"q": "test:earn"},
        {"created_at__gte": "2000-01-01 00:00:00+00:00"},
    ],
    ids=["filter", "search", "date"],
)
def test_a_narrowed_list_shows_the_exact_count(d, root, large, params):
    give(d.member_user, 1)
    earned = Transfer.objects.filter(kind=TransferKind.EARNING).count()

    cl, counts = changelist(signed_in(root), **params)

    assert len(counts) == 1
    assert not cl.paginator.estimated
    expected = earned if "kind__exact" in params or "q" in params else Transfer.objects.count()
    assert cl.result_count == expected


@pytest.mark.postgres
def test_a_smaller_scope_is_counted_exactly(d, large):
    cl, counts = changelist(signed_in(d.secretary1))

    assert len(counts) == 1
    assert not cl.paginator.estimated
    assert cl.result_count == Transfer.objects.visible_to(d.secretary1).count() < Transfer.objects.count()


def test_a_small_table_is_counted_exactly_on_any_database(d, root):
    if connection.vendor == "postgresql":
        analyze_transfers()

    cl, counts = changelist(signed_in(root))

    assert len(counts) == 1
    assert not cl.paginator.estimated
    assert cl.result_count == Transfer.objects.count()
    assert cl.full_result_count is None  # and no second count of the unfiltered list


def test_only_postgresql_gives_an_estimate(d, monkeypatch):
    on_postgres = connection.vendor == "postgresql"
    if on_postgres:
        analyze_transfers()
    monkeypatch.setattr(EstimatedCountPaginator, "estimate_from", 0)

    paginator = EstimatedCountPaginator(Transfer.objects.all(), 10)

    assert paginator.count == Transfer.objects.count()
    assert paginator.estimated is on_postgres
