"""The demo's pilot figures for 越都社区's councils (212 issues raised, 190 solved, DOMAIN.md §1) give the
rate they really give, 89.6 %, on the dashboard, on its list and through the API."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from community.models import Area, User
from dashboards.figures import compute, rows_for
from dashboards.periods import Period

pytestmark = pytest.mark.django_db


def test_the_pilot_figures_of_yuedu_give_their_real_rate():
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())  # about 30 s: once for every check
    yuedu = Area.objects.get(name="越都社区", kind="community")
    # The pilot ran from March 2024; every year since the model began takes it all in.
    pilot = Period(date(2008, 1, 1), timezone.localdate())
    values = compute(["councils.resolution_rate"], yuedu, pilot)
    assert values["councils.issues_raised"] == 212
    assert values["councils.issues_solved"] == 190
    assert values["councils.resolution_rate"] == 89.6
    assert rows_for("councils.issues_solved", yuedu, pilot).count() == 190

    secretary = User.objects.get(username="yuedu_shuji")
    client = Client()
    client.force_login(secretary)
    query = f"from=2008-01-01&to={pilot.end.isoformat()}"
    page = client.get(f"/dashboards/?{query}")
    assert page.status_code == 200 and page.context["area"] == yuedu
    assert "89.6%" in page.content.decode()
    listed = client.get(f"/dashboards/{yuedu.pk}/figures/councils.issues_raised/?{query}")
    assert listed.context["paginator"].count == 212

    district_admin = User.objects.get(username="qu_zuzhibu")
    api = APIClient()
    api.force_authenticate(district_admin)
    body = api.get(f"/api/v1/stats/?area={yuedu.pk}&{query}").json()
    figures = {f["key"]: f["value"] for f in body["figures"]}
    assert (figures["councils.issues_raised"], figures["councils.issues_solved"]) == (212, 190)
    assert figures["councils.resolution_rate"] == 89.6
    # The district's dashboard opens on the seeded district with every section.
    district_page = Client()
    district_page.force_login(district_admin)
    assert district_page.get(f"/dashboards/?{query}").status_code == 200
