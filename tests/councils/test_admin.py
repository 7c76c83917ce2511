"""The back office lists councils, issues, motions, meetings and campaigns, scoped to the user's areas."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from councils import services
from tests.councils.support import council_world

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def raise_some(w, n):
    for k in range(n):
        services.issue_raise(
            actor=w.d.resident_user, council=w.council, category="other", title=f"问题{k}", description="说明"
        )


def test_the_issue_list_is_scoped_and_costs_the_same_queries_for_few_or_many(district):
    w = council_world(district)
    raise_some(w, 2)
    client = signed_in(district.secretary1)
    for path in ("council", "issue", "motion", "meeting", "campaign"):
        assert client.get(f"/admin/councils/{path}/").status_code == 200
    client.get("/admin/councils/issue/")
    with CaptureQueriesContext(connection) as few:
        client.get("/admin/councils/issue/")
    raise_some(w, 18)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/admin/councils/issue/")
    assert len(response.context["cl"].result_list) == 20
    assert len(many) == len(few)
    # Another community's secretary sees none of them.
    other = signed_in(district.secretary3).get("/admin/councils/issue/")
    assert len(other.context["cl"].result_list) == 0
