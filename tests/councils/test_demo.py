"""The demo reproduces the pilot's figures for 越都社区 (11 compounds, 159 meetings, 212 issues, 190
solved) and the public board shows the rate they give; seeding twice adds nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from community.models import Area
from councils.models import Council, Meeting, Motion

pytestmark = pytest.mark.django_db


def test_the_demo_has_the_pilot_figures_and_the_board_shows_their_rate():
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())

    yuedu = Area.objects.get(name="越都社区")
    councils = Council.objects.filter(compound__parent=yuedu)
    assert councils.count() == 11
    assert Meeting.objects.filter(council__in=councils).count() == 159
    page = Client().get(f"/councils/board/?community={yuedu.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    total = page.context["total"]
    assert (total.raised, total.resolved) == (212, 190)
    assert "89.6%" in html  # 190 / 212
    outcomes = sorted(Motion.objects.exclude(outcome="").values_list("outcome", flat=True))
    assert outcomes == ["no_quorum", "passed", "threshold_missed"]
    # 越都花园's seat holders rated its resolved issues: 4 satisfied, 1 basically, 1 unsatisfied each.
    huayuan = Area.objects.get(name="越都花园")
    board = Client().get(f"/councils/board/?compound={huayuan.pk}")
    satisfaction = board.context["satisfaction"]
    assert satisfaction.total > 0 and satisfaction.rate == 83.3
    assert "83.3%" in board.content.decode()
