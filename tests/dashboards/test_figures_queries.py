"""The dashboard page and a figure's list cost the same number of queries with a few rows as with
hundreds more: the figures are aggregates in the database, not loops in Python."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contracts.models import Meeting as ContractMeeting
from councils.models import Issue, ResultRating
from tests.dashboards.test_figures_support import Y, figures_world, local
from volunteers.models import Activity, ServiceOrder, Signup, Wish, WishClaim

pytestmark = pytest.mark.django_db
PERIOD = f"from={Y}-01-01&to={Y}-12-31"
MORE = 300


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _add_many(w) -> None:
    d = w.d
    now = timezone.now()
    issues = Issue.objects.bulk_create(
        Issue(
            council=w.council,
            compound=d.compound1,
            raised_by=d.resident,
            category="environment",
            title=f"批量问题{n}",
            description="……",
            state="resolved" if n % 3 else "handling",
            triage_by=date(Y, 12, 31),
            resolved_at=local(Y, 6, 1, 9) + timedelta(hours=n) if n % 3 else None,
        )
        for n in range(MORE)
    )
    Issue.objects.filter(pk__in=[i.pk for i in issues]).update(created_at=local(Y, 5, 1, 9))
    ResultRating.objects.bulk_create(
        ResultRating(issue=issue, person=d.resident, rating="satisfied") for issue in issues
    )
    ServiceOrder.objects.bulk_create(
        ServiceOrder(
            community=d.community1,
            resident=d.resident,
            ordered_by=d.resident_user,
            field="everyday",
            description="买菜",
            address="越都花园1幢",
            window_start=now,
            window_end=now + timedelta(hours=1),
            state=["ordered", "accepted", "rated", "done"][n % 4],
            accepted_at=now if n % 4 else None,
        )
        for n in range(MORE)
    )
    wishes = Wish.objects.bulk_create(
        Wish(
            community=d.community1,
            beneficiary=d.resident,
            posted_by=d.resident_user,
            title=f"心愿{n}",
            category="daily",
            due_on=date(Y, 12, 31),
            state="claimed",
        )
        for n in range(MORE)
    )
    WishClaim.objects.bulk_create(WishClaim(wish=wish, user=w.members[0]) for wish in wishes)
    activities = Activity.objects.bulk_create(
        Activity(
            community=d.community1,
            title=f"活动{n}",
            field="environment",
            place="越都花园",
            starts_at=local(Y, 8, 1, 9),
            ends_at=local(Y, 8, 1, 11),
            signup_deadline=local(Y, 7, 31, 9),
            capacity=10,
            created_by=d.secretary1,
        )
        for n in range(MORE)
    )
    Signup.objects.bulk_create(
        Signup(activity=activity, user=w.members[1], state="attended", hours=Decimal("2"))
        for activity in activities
    )
    ContractMeeting.objects.bulk_create(
        ContractMeeting(
            contract=w.published,
            held_on=date(Y, 4, 1),
            place="党群服务中心",
            attendees="双方",
            minutes="……",
            recorded_by=d.secretary1,
        )
        for _n in range(MORE)
    )


def test_the_dashboard_costs_the_same_queries_with_hundreds_more_rows(
    district, django_assert_max_num_queries
):
    w = figures_world(district)
    client = Client()
    client.force_login(district.district_admin)
    url = f"/dashboards/{district.district.pk}/?{PERIOD}"
    few = _count(client, url)
    _add_many(w)
    with django_assert_max_num_queries(few):
        page = client.get(url)
    assert page.status_code == 200
    raised = next(
        f for s in page.context["sections"] for f in s["tiles"] if f["key"] == "councils.issues_raised"
    )
    assert raised["value"] == 4 + MORE


@pytest.mark.parametrize(
    "key",
    [
        "councils.issues_raised",
        "volunteers.claims",
        "volunteers.hours",
        "councils.ratings",
        "volunteers.orders_taken",
    ],
)
def test_a_figures_list_costs_the_same_queries_with_hundreds_more_rows(
    district, django_assert_max_num_queries, key
):
    w = figures_world(district)
    client = Client()
    client.force_login(district.district_admin)
    url = f"/dashboards/{district.district.pk}/figures/{key}/?{PERIOD}"
    few = _count(client, url)
    _add_many(w)
    with django_assert_max_num_queries(few):
        page = client.get(url)
    assert page.context["paginator"].count > 50
    assert len(page.context["rows"]) == 50
    second = client.get(f"{url}&page=2")
    assert second.status_code == 200 and second.context["page_obj"].number == 2
