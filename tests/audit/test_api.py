"""The read-only API: list with filters and cursor pages, one entry by hash, verify a hash."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from audit.models import Entry
from audit.services import audit_append

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/record-entries/"
VERIFY_URL = "/api/v1/record-entries/verify/"


@pytest.fixture
def api():
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


def test_list_is_public_and_latest_first(api, make_chain, district):
    entries = make_chain(3, area=district.community1)

    response = api.get(LIST_URL)

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["seq"] for r in results] == [3, 2, 1]
    first = results[0]
    assert first == {
        "seq": 3,
        "kind": "contract.signed",
        "subject": "contracts.Contract:3",
        "area": district.community1.pk,
        "area_name": "越都社区",
        "payload": {"n": 3, "title": "越都社区共建契约 3", "items": [3, "结对共建"]},
        "created_at": first["created_at"],
        "prev_hash": entries[1].entry_hash,
        "entry_hash": entries[2].entry_hash,
    }
    assert first["created_at"].startswith("2026-03-01T09:00:02.12347")  # local time with offset


def test_list_walks_every_entry_with_cursor_pages(api, make_chain):
    make_chain(5)
    seen, url = [], f"{LIST_URL}?page_size=2"
    while url:
        body = api.get(url).json()
        seen += [r["seq"] for r in body["results"]]
        url = body["next"]
    assert seen == [5, 4, 3, 2, 1]


@pytest.mark.parametrize("count", [3, 40])
def test_list_queries_do_not_grow_with_entries(api, make_chain, district, django_assert_num_queries, count):
    make_chain(count, area=district.compound1)
    with django_assert_num_queries(1):
        assert api.get(LIST_URL).status_code == 200


def test_list_filters(api, make_chain, district):
    d = district
    make_chain(2, area=d.compound1)
    vote = audit_append(kind="vote.tallied", subject="councils.Vote:1", payload={}, area=d.community3)
    first_time = Entry.objects.get(seq=1).created_at

    def seqs(**params):
        response = api.get(LIST_URL, params)
        assert response.status_code == 200, response.json()
        return [r["seq"] for r in response.json()["results"]]

    assert seqs(kind="vote.tallied") == [vote.seq]
    assert seqs(subject="contracts.Contract:2") == [2]
    assert seqs(area=d.community1.pk) == [2, 1]  # the compound is inside the community
    assert seqs(area=d.compound3.pk) == []
    assert seqs(area=d.district.pk) == [3, 2, 1]
    assert seqs(created_at_after=(first_time + timedelta(microseconds=1)).isoformat()) == [3, 2]
    assert seqs(created_at_before=first_time.isoformat()) == [1]


def test_list_rejects_a_bad_filter_as_json_400(api):
    response = api.get(LIST_URL, {"area": 999999})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_detail_by_hash(api, make_chain):
    entry = make_chain(2)[1]

    response = api.get(f"{LIST_URL}{entry.entry_hash}/")
    upper = api.get(f"{LIST_URL}{entry.entry_hash.upper()}/")

    assert response.status_code == 200
    assert response.json()["seq"] == 2 and response.json()["entry_hash"] == entry.entry_hash
    assert upper.status_code == 200


@pytest.mark.parametrize("lookup", ["ab" * 32, "not-a-hash", "1"])
def test_detail_unknown_or_malformed_is_json_404(api, make_chain, lookup):
    make_chain(1)
    response = api.get(f"{LIST_URL}{lookup}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_verify_a_valid_hash(api, make_chain):
    entry = make_chain(3)[1]

    response = api.get(VERIFY_URL, {"hash": entry.entry_hash})

    assert response.status_code == 200
    assert response.json() == {
        "hash": entry.entry_hash,
        "found": True,
        "entry_valid": True,
        "chain_valid_to_entry": True,
        "seq": 2,
        "first_break": None,
    }


def test_verify_an_unknown_hash(api, make_chain):
    make_chain(1)
    response = api.get(VERIFY_URL, {"hash": ("CD" * 32)})
    assert response.status_code == 200
    assert response.json() == {
        "hash": "cd" * 32,
        "found": False,
        "entry_valid": None,
        "chain_valid_to_entry": None,
        "seq": None,
        "first_break": None,
    }


@pytest.mark.parametrize("params", [{}, {"hash": ""}, {"hash": "xyz"}, {"hash": "a" * 65}])
def test_verify_a_malformed_hash_is_400(api, params):
    response = api.get(VERIFY_URL, params)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "not a record hash" in response.json()["detail"]


def test_verify_reports_the_first_break(api, make_chain, tamper):
    entries = make_chain(4)
    with tamper() as cursor:
        cursor.execute("DELETE FROM audit_entry WHERE id = %s", [entries[1].pk])

    body = api.get(VERIFY_URL, {"hash": entries[3].entry_hash}).json()

    assert body["found"] and body["entry_valid"]
    assert body["chain_valid_to_entry"] is False
    assert body["first_break"]["seq"] == 3 and body["first_break"]["reason"] == "missing"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_record_cannot_be_written_through_the_api(api, make_chain, method):
    entry = make_chain(1)[0]
    url = LIST_URL if method == "post" else f"{LIST_URL}{entry.entry_hash}/"
    assert getattr(api, method)(url, {"payload": {}}, format="json").status_code == 405
    assert Entry.objects.get().payload == entry.payload


def test_schema_documents_the_endpoints(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert set(paths) >= {
        "/api/v1/record-entries/",
        "/api/v1/record-entries/{entry_hash}/",
        "/api/v1/record-entries/verify/",
    }
    verify = paths["/api/v1/record-entries/verify/"]["get"]
    assert [p["name"] for p in verify["parameters"]] == ["hash"]
    list_params = {p["name"] for p in paths["/api/v1/record-entries/"]["get"]["parameters"]}
    assert list_params >= {"kind", "subject", "area", "created_at_after", "created_at_before", "cursor"}
