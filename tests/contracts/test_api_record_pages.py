"""A contract's fulfilment records in cursor pages: every record exactly once however many share a
day, with the filters, and the same number of queries for every page."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from contracts import services
from contracts.api import FulfilmentRecordPagination
from contracts.models import FulfilmentRecord
from contracts.workflow import ContractState
from tests.api.helpers import walk_pages
from tests.contracts.support import contract_in, pairing_world

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def record(w, contract, done_on, item_index=0, **fields) -> FulfilmentRecord:
    return services.contract_record(
        actor=w.d.unit_contact1,
        contract=contract,
        item_index=item_index,
        done_on=done_on,
        description="义诊",
        **fields,
    )


def ids_of(pages) -> list[int]:
    return [row["id"] for page in pages for row in page]


def latest_first(records) -> list[int]:
    return [r.pk for r in sorted(records, key=lambda r: (r.done_on, r.pk), reverse=True)]


@pytest.fixture
def published(district):
    w = pairing_world(district)
    return w, contract_in(w, ContractState.PUBLISHED)


def test_walking_the_pages_gives_every_record_once_when_they_share_a_day(published, monkeypatch):
    monkeypatch.setattr(FulfilmentRecordPagination, "offset_cutoff", 2)  # no offsets needed
    w, contract = published
    same_day = [record(w, contract, date(2026, 3, 7), item_index=n % 2) for n in range(7)]
    later = record(w, contract, date(2026, 4, 1))
    earlier = record(w, contract, date(2026, 2, 1))
    client = api(w.d.district_admin)
    url = f"/api/v1/contracts/{contract.pk}/records/"

    pages = walk_pages(client, url, {"page_size": 2})

    assert [len(page) for page in pages] == [2, 2, 2, 2, 1]
    assert ids_of(pages) == [later.pk, *sorted((r.pk for r in same_day), reverse=True), earlier.pk]
    assert ids_of(pages) == latest_first(FulfilmentRecord.objects.filter(contract=contract))


def test_the_filters_hold_on_every_page(published):
    w, contract = published
    wanted = [record(w, contract, date(2026, 3, day), item_index=1) for day in (1, 1, 2, 3, 3)]
    record(w, contract, date(2026, 3, 2), item_index=0)
    record(w, contract, date(2026, 5, 1), item_index=1)  # outside the dates asked for
    client = api(w.d.district_admin)
    url = f"/api/v1/contracts/{contract.pk}/records/"

    pages = walk_pages(client, url, {"item_index": 1, "done_on_before": "2026-03-31", "page_size": 2})

    assert [len(page) for page in pages] == [2, 2, 1]
    assert ids_of(pages) == latest_first(wanted)


def test_every_page_costs_the_same_queries(published):
    w, contract = published
    for day in range(1, 8):
        record(w, contract, date(2026, 3, day), served_by=[w.d.member_user])
    client = api(w.d.district_admin)
    url, params = f"/api/v1/contracts/{contract.pk}/records/", {"page_size": 3}
    client.get(url, params)

    counts = []
    while url is not None:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, params)
        assert all(row["served_by"] == [w.d.member_user.pk] for row in response.json()["results"])
        counts.append(len(queries))
        url, params = response.json()["next"], None

    assert len(counts) == 3
    assert len(set(counts)) == 1, counts
