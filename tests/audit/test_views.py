"""The public pages: the record's latest entries and the check of one entry by its hash."""

from html import unescape

import pytest
from django.template import Context, Template
from django.urls import reverse

from audit.models import Entry
from audit.services import audit_append

pytestmark = pytest.mark.django_db

LIST_URL = "/record/"
VERIFY_URL = "/record/verify/"


def test_urls_are_named_under_audit():
    assert reverse("audit:entry_list") == LIST_URL
    assert reverse("audit:verify") == VERIFY_URL


def test_list_shows_kind_subject_time_and_hash_without_login(client, make_chain, district):
    entries = make_chain(3, area=district.community1)

    response = client.get(LIST_URL)

    assert response.status_code == 200
    html = response.content.decode()
    for entry in entries:
        assert entry.entry_hash in html
        assert entry.subject in html
    assert "contract.signed" in html
    assert "越都社区" in html  # the area's name
    assert "2026-03-01 09:00:0" in html  # local time (Asia/Shanghai), not UTC
    # Payloads stay on the verification page; the list shows the reference only.
    assert "越都社区共建契约" not in html
    assert html.index(entries[2].entry_hash) < html.index(entries[0].entry_hash)  # latest first


def test_list_filters_by_subject_and_kind(client, make_chain):
    make_chain(3)
    audit_append(kind="vote.tallied", subject="councils.Vote:1", payload={})

    by_subject = client.get(LIST_URL, {"subject": "contracts.Contract:2"}).context["entries"]
    by_kind = client.get(LIST_URL, {"kind": "vote.tallied"}).context["entries"]

    assert [e.subject for e in by_subject] == ["contracts.Contract:2"]
    assert [e.kind for e in by_kind] == ["vote.tallied"]


def test_list_is_paginated_and_a_bad_page_is_404(client, make_chain):
    make_chain(55)

    first = client.get(LIST_URL)
    second = client.get(LIST_URL, {"page": 2})

    assert len(first.context["entries"]) == 50 and first.context["is_paginated"]
    assert [e.seq for e in second.context["entries"]] == [5, 4, 3, 2, 1]
    assert client.get(LIST_URL, {"page": 99}).status_code == 404
    assert client.get(LIST_URL, {"page": "x"}).status_code == 404


@pytest.mark.parametrize("count", [3, 60])
def test_list_queries_do_not_grow_with_entries(
    client, make_chain, district, django_assert_num_queries, count
):
    make_chain(count, area=district.compound1)
    # count, one page of entries with their areas, the head
    with django_assert_num_queries(3):
        assert client.get(LIST_URL).status_code == 200


def test_empty_record_page(client):
    response = client.get(LIST_URL)
    assert response.status_code == 200
    assert "The record has no entries yet." in response.content.decode()


def test_verify_page_for_a_valid_hash(client, make_chain):
    entries = make_chain(4)
    entry = entries[2]

    response = client.get(VERIFY_URL, {"hash": entry.entry_hash})

    assert response.status_code == 200
    html = response.content.decode()
    check = response.context["check"]
    assert check.entry == entry and check.entry_valid and check.chain_valid_to_entry
    assert "Intact" in html
    assert entry.prev_hash in html and entry.entry_hash in html
    assert "越都社区共建契约 3" in html  # the payload
    assert "contract.signed" in html
    # The exact text that was hashed, for anyone to recompute.
    assert '"created_at":"2026-03-01T01:00:02.123470Z"' in unescape(html)


def test_verify_page_accepts_upper_case_and_spaces(client, make_chain):
    entry = make_chain(1)[0]
    response = client.get(VERIFY_URL, {"hash": f"  {entry.entry_hash.upper()} "})
    assert response.status_code == 200
    assert response.context["check"].entry == entry


def test_verify_page_for_an_unknown_hash_is_404(client, make_chain):
    make_chain(2)

    response = client.get(VERIFY_URL, {"hash": "ab" * 32})

    assert response.status_code == 404
    assert "There is no entry with this hash in the record." in response.content.decode()


@pytest.mark.parametrize(
    "raw",
    [
        "abc",
        "g" * 64,
        "ab" * 33,
        "<script>alert(1)</script>",
        "../../etc/passwd",
        "越都" * 32,
        "0x" + "a" * 62,
    ],
)
def test_verify_page_explains_a_malformed_hash(client, raw):
    response = client.get(VERIFY_URL, {"hash": raw})

    assert response.status_code == 400
    html = response.content.decode()
    assert "This is not a record hash" in html
    assert "<script>alert(1)</script>" not in html


def test_verify_page_without_a_hash_shows_the_form(client):
    response = client.get(VERIFY_URL)
    assert response.status_code == 200
    assert 'name="hash"' in response.content.decode()


def test_verify_page_reports_a_break_before_the_entry(client, make_chain, tamper):
    entries = make_chain(5)
    with tamper():
        Entry.objects.filter(pk=entries[1].pk).update(payload={"n": 2, "title": "改过的"})

    response = client.get(VERIFY_URL, {"hash": entries[3].entry_hash})

    assert response.status_code == 200
    check = response.context["check"]
    assert check.entry_valid is True and check.chain_valid_to_entry is False
    assert check.breach.seq == 2
    assert "The record is broken at entry no. 2" in response.content.decode()


def test_verify_page_reports_an_altered_entry(client, make_chain, tamper):
    entries = make_chain(3)
    with tamper():
        Entry.objects.filter(pk=entries[2].pk).update(subject="contracts.Contract:999")

    response = client.get(VERIFY_URL, {"hash": entries[2].entry_hash})

    assert response.status_code == 200
    assert response.context["check"].entry_valid is False
    assert "it was altered" in response.content.decode()


def test_record_link_tag_shows_the_hash_and_links_to_verification(make_chain):
    entry = make_chain(1)[0]
    html = Template("{% load audit_tags %}{% record_link entry %}").render(Context({"entry": entry}))
    assert entry.entry_hash in html
    assert f"/record/verify/?hash={entry.entry_hash}" in html
    assert Template("{% load audit_tags %}{% record_link None %}").render(Context()).strip() == ""
