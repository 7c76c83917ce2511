"""The issue list's cursor pages: every issue exactly once however many share a timestamp, with
filters and other orderings, and the same number of queries for every page."""

from __future__ import annotations

import base64
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from councils import services
from councils.api import IssuePagination
from councils.models import Issue
from tests.api.helpers import assert_error, walk_pages
from tests.councils.support import council_world

pytestmark = pytest.mark.django_db

URL = "/api/v1/issues/"


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def raise_issues(w, count: int, category: str = "parking") -> list[Issue]:
    return [
        services.issue_raise(
            actor=w.d.resident_user,
            council=w.council,
            category=category,
            title=f"问题{n}",
            description="说明",
        )
        for n in range(count)
    ]


def ids_of(pages) -> list[int]:
    return [row["id"] for page in pages for row in page]


def newest_first(issues) -> list[int]:
    return [i.pk for i in sorted(issues, key=lambda i: (i.created_at, i.pk), reverse=True)]


def test_walking_the_pages_gives_every_issue_once_when_they_share_a_timestamp(district, monkeypatch):
    # DRF's own cursor pages through ties with an offset, capped at offset_cutoff: past the cap it
    # repeats rows. The keyset cursor needs no offset; a tiny cap shows it.
    monkeypatch.setattr(IssuePagination, "offset_cutoff", 2)
    w = council_world(district)
    issues = raise_issues(w, 11)
    moment = timezone.now().replace(microsecond=0)
    # Nine raised at the same instant (an import, a batch), one before and one after them.
    Issue.objects.filter(pk__in=[i.pk for i in issues[1:10]]).update(created_at=moment)
    Issue.objects.filter(pk=issues[0].pk).update(created_at=moment + timedelta(seconds=1))
    Issue.objects.filter(pk=issues[10].pk).update(created_at=moment - timedelta(seconds=1))
    expected = newest_first(Issue.objects.all())
    client = api(district.convener1)

    pages = walk_pages(client, URL, {"page_size": 3})

    assert [len(page) for page in pages] == [3, 3, 3, 2]
    assert ids_of(pages) == expected  # each once, newest first, the same instant by id
    assert expected[0] == issues[0].pk and expected[-1] == issues[10].pk

    # And back from the last page to the first through the `previous` links.
    response = client.get(URL, {"page_size": 3})
    while response.json()["next"] is not None:
        response = client.get(response.json()["next"])
    backwards = walk_pages(client, URL, backwards_from=response)
    assert ids_of(reversed(backwards)) == expected


def test_a_filter_holds_on_every_page(district):
    w = council_world(district)
    parking = raise_issues(w, 5, "parking")
    raise_issues(w, 4, "environment")
    client = api(district.convener1)

    pages = walk_pages(client, URL, {"category": "parking", "page_size": 2})

    assert [len(page) for page in pages] == [2, 2, 1]
    assert ids_of(pages) == newest_first(parking)
    assert all(row["category"] == "parking" for page in pages for row in page)


@pytest.mark.parametrize("ordering", ["due_on", "-due_on", "state", "-created_at"])
def test_another_ordering_is_still_walked_exactly_once(district, ordering):
    w = council_world(district)
    issues = raise_issues(w, 7)
    # Some with a due date (two on the same day), the rest without one (NULL).
    for issue, due_on in zip(issues, [date(2026, 5, 1), date(2026, 4, 1), date(2026, 5, 1)], strict=False):
        Issue.objects.filter(pk=issue.pk).update(due_on=due_on)
    rows = list(Issue.objects.all())
    field, descending = ordering.lstrip("-"), ordering.startswith("-")

    def key(issue):
        value = getattr(issue, field)
        # NULL sorts as the largest value, on every database.
        return (value is None, value or date.min) if field == "due_on" else (value,)

    expected = [i.pk for i in sorted(rows, key=lambda i: (key(i), i.pk), reverse=descending)]

    pages = walk_pages(api(district.convener1), URL, {"ordering": ordering, "page_size": 2})

    assert ids_of(pages) == expected


def test_every_page_costs_the_same_queries(district):
    w = council_world(district)
    raise_issues(w, 7)
    client = api(district.convener1)
    client.get(URL, {"page_size": 3})

    counts, url, params = [], URL, {"page_size": 3}
    while url is not None:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, params)
        counts.append(len(queries))
        url, params = response.json()["next"], None

    assert len(counts) == 3
    assert len(set(counts)) == 1, counts
    assert not any(
        "COUNT(" in q["sql"].upper() and "councils_issue" in q["sql"] for q in queries.captured_queries
    )


def test_a_cursor_that_was_not_made_by_the_server_is_a_404(district):
    council_world(district)
    client = api(district.convener1)

    def cursor(text: str) -> str:
        return base64.b64encode(text.encode()).decode()

    assert_error(client.get(URL, {"cursor": "not base64!"}), 404)
    assert_error(
        client.get(URL, {"cursor": cursor('p=["2026-01-01T00:00:00+00:00"]')}), 404
    )  # one value of two
    assert_error(client.get(URL, {"cursor": cursor('p=["yesterday","1"]')}), 404)
    assert_error(client.get(URL, {"cursor": cursor("p=12")}), 404)


def test_the_schema_describes_the_cursor(district):
    schema = api(district.district_admin).get("/api/schema/", {"format": "json"}).json()
    parameters = {p["name"] for p in schema["paths"][URL]["get"]["parameters"]}
    assert {"cursor", "page_size", "state", "category", "compound", "council", "ordering"} <= parameters
    assert "page" not in parameters
    page = schema["components"]["schemas"]["PaginatedIssueOutputList"]
    assert set(page["properties"]) == {"next", "previous", "results"}
