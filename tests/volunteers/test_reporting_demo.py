"""The reporting demo: 越都社区's members reported in their grids (two awaiting the secretary, one
declined), the year's 锋领十条 in two versions with most members on the second; seeding twice adds nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management.color import no_style
from django.test import Client

from community import demo as community_demo
from community.models import Area, PartyMember, User
from core.seeding import DemoContext
from points import demo as points_demo
from volunteers import demo_reporting
from volunteers.models import PledgeSignature, PledgeText, Report
from volunteers.selectors import reporting as selectors

pytestmark = pytest.mark.django_db


def seed() -> DemoContext:
    ctx = DemoContext(stdout=StringIO(), style=no_style())
    community_demo.seed(ctx)
    points_demo.seed(ctx)
    demo_reporting.seed(ctx)
    return ctx


def test_the_demo_reports_every_member_and_shows_the_pledge_prompt_to_dangyuan_wang():
    seed()
    counts = (Report.objects.count(), PledgeText.objects.count(), PledgeSignature.objects.count())
    ctx = seed()
    assert (Report.objects.count(), PledgeText.objects.count(), PledgeSignature.objects.count()) == counts

    yuedu = Area.objects.get(name="越都社区")
    members = PartyMember.objects.filter(person__community=yuedu)
    assert members.count() >= 12
    reports = Report.objects.filter(community=yuedu)
    assert reports.count() == members.count()
    assert sorted(reports.values_list("state", flat=True)).count("pending") == 2
    assert reports.filter(state="declined").count() == 1 and reports.get(state="declined").note
    accepted = reports.filter(state="accepted").select_related("grid")
    assert accepted.count() == members.count() - 3
    assert all(r.grid is not None and r.grid.parent_id == yuedu.pk and r.skills for r in accepted)
    assert members.filter(membership_type="in_service", workplace__isnull=False).count() >= 4
    assert Report.objects.get(member__person__name="周国平").state == "accepted"
    assert len(ctx.objects["reported_members"]) == accepted.count()

    wang = User.objects.get(username="dangyuan_wang")
    assert Report.objects.get(member__person__user=wang).state == "accepted"
    v1, v2 = PledgeText.objects.filter(community=yuedu).order_by("version")
    assert (v1.version, v2.version) == (1, 2) and v1.body != v2.body and "锋领十条" in v2.title
    assert selectors.pledge_to_sign(actor=wang) == v2
    assert PledgeSignature.objects.filter(text=v1, member__person__user=wang).exists()

    secretary = User.objects.get(username="yuedu_shuji")
    status = selectors.pledge_status(actor=secretary, community=yuedu)
    assert status["signed_count"] > status["unsigned_count"] > 0
    assert sum(1 for r in status["unsigned"] if r.signed_version == 1) >= 2

    client = Client()
    client.force_login(wang)
    assert b'data-testid="sign-new-version"' in client.get("/volunteers/pledge/").content
    client.force_login(secretary)
    registry = client.get("/volunteers/registry/")
    assert len(registry.context["pending"]) == 2
