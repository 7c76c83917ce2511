"""A council in the browser: a resident raises an issue on a phone, the convener triages it as a big
matter, the seats vote on their phones, and anyone, logged out, reads the result on the public board."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import Entry
from councils import services
from councils.models import Ballot, Issue, Motion
from councils.workflow import IssueState
from tests.councils.support import council_world, motion
from tests.e2e.conftest import PHONE, sign_in
from tests.factories import build_district

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _step(page, test_id):
    page.get_by_test_id(test_id).click()
    page.wait_for_load_state()


def test_an_issue_from_a_phone_to_a_vote_on_the_public_board(live_server, new_page, screenshot):
    d = build_district()
    w = council_world(d)
    base = live_server.url

    # 民提: the resident raises an issue on a phone.
    resident = new_page(viewport=PHONE)
    sign_in(resident, base, "resident1")
    resident.goto(f"{base}/councils/issues/")
    screenshot(resident, "1-my-issues")
    _step(resident, "raise-issue")
    resident.locator("label[for=id_category_1]").click()  # facilities
    resident.locator("#id_title").fill("1幢楼道灯坏了")
    resident.locator("#id_description").fill(
        "1幢2单元三楼到五楼的楼道灯坏了一个多星期，老人晚上上下楼不方便。"
    )
    resident.locator("#id_building").select_option(str(d.building1.pk))
    screenshot(resident, "2-raise")
    _step(resident, "submit-issue")
    issue = Issue.objects.get()
    resident.wait_for_url(re.compile(rf"/councils/issues/{issue.pk}/$"))
    assert issue.raised_by == d.resident
    screenshot(resident, "3-raised")

    # 四事分流: the convener, on a desktop, finds it in the queue and triages it as a big matter.
    convener = new_page()
    sign_in(convener, base, "convener1")
    convener.goto(f"{base}/councils/triage/")
    screenshot(convener, "4-triage-queue")
    convener.get_by_role("link", name=re.compile("1幢楼道灯坏了")).click()
    convener.wait_for_url(re.compile(rf"/councils/issues/{issue.pk}/$"))
    convener.locator("input[name=track][value=big]").check()
    screenshot(convener, "5-triage-form")
    _step(convener, "triage")
    assert Issue.objects.get().state == IssueState.ON_AGENDA
    screenshot(convener, "5-triaged-next-step")

    # 民决: a motion on the issue, opened through the services; three seats vote on their phones.
    m = services.motion_open(actor=d.convener1, motion=motion(w, issue=issue, title="是否更换1幢全部楼道灯"))
    url = f"{base}/councils/motions/{m.pk}/"
    for n, option in [(0, "0"), (1, "0"), (2, "1")]:
        seat = new_page(viewport=PHONE)
        sign_in(seat, base, f"seat{n}")
        seat.goto(url)
        seat.locator(f"input[name=option][value='{option}']").check()
        if n == 0:
            screenshot(seat, "6-vote")
        _step(seat, "vote")
        assert seat.get_by_test_id("voted").is_visible()
        if n == 0:
            screenshot(seat, "7-voted")
            first = seat
    assert Ballot.objects.filter(motion=m).count() == 3

    # The window ends; the convener's close computes the result into the public record.
    Motion.objects.filter(pk=m.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    services.motion_close(actor=None, motion=Motion.objects.get(pk=m.pk))
    first.goto(url)
    assert first.get_by_test_id("my-receipt").is_visible()
    screenshot(first, "8-closed")

    # Anyone, logged out: the results board with the tally and the record entry's hash.
    entry = Entry.objects.get(kind="councils.motion_closed", subject=f"councils.Motion:{m.pk}")
    public = new_page(viewport=PHONE)
    public.goto(f"{base}/councils/board/")
    board = public.get_by_test_id("board-motion").inner_text()
    assert "是否更换1幢全部楼道灯" in board and entry.entry_hash in board
    assert "赞成: 2" in board and "反对: 1" in board
    assert public.get_by_test_id("raised").inner_text() == "1"
    screenshot(public, "9-board-phone")
    desktop = new_page()
    desktop.goto(f"{base}/councils/board/?community={d.community1.pk}")
    screenshot(desktop, "10-board-desktop")
