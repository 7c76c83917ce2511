"""A council in the browser: a resident raises an issue on a phone, the convener triages it as a big
matter, schedules a council meeting with it on the agenda, drafts the motion and opens the vote, the
seats vote on their phones, the convener closes and counts it, and anyone, logged out, reads the
result on the public board."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import Entry
from councils.models import Ballot, Issue, Meeting, MeetingState, Motion
from councils.workflow import IssueState, MotionState
from tests.councils.support import council_world
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

    # 民议: the convener, on a phone, schedules a council meeting with the issue on its agenda.
    convener_phone = new_page(viewport=PHONE)
    sign_in(convener_phone, base, "convener1")
    convener_phone.goto(f"{base}/councils/issues/")
    _step(convener_phone, "meetings-link")
    screenshot(convener_phone, "6-meetings-empty")
    _step(convener_phone, "schedule-meeting")
    starts_at = timezone.localtime(timezone.now() + timedelta(days=2)).replace(hour=19, minute=30)
    convener_phone.locator("#id_title").fill("第二季度红管家议事会")
    convener_phone.locator("#id_starts_at").fill(starts_at.strftime("%Y-%m-%dT%H:%M"))
    convener_phone.locator("#id_place").fill("越都花园党群议事角")
    convener_phone.locator(f"input[name=agenda][value='{issue.pk}']").check()
    screenshot(convener_phone, "7-schedule-meeting")
    _step(convener_phone, "submit-meeting")
    meeting = Meeting.objects.get()
    convener_phone.wait_for_url(re.compile(rf"/councils/meetings/{meeting.pk}/$"))
    assert (meeting.council, meeting.state, list(meeting.agenda.all())) == (
        w.council,
        MeetingState.SCHEDULED,
        [issue],
    )
    assert meeting.starts_at == starts_at.replace(second=0, microsecond=0)
    assert "1幢楼道灯坏了" in convener_phone.get_by_test_id("agenda").inner_text()
    screenshot(convener_phone, "8-meeting")
    convener_phone.goto(f"{base}/councils/meetings/")
    screenshot(convener_phone, "9-meetings")

    # 民决: from the agenda, the convener drafts the motion on the issue (desktop) and opens the vote.
    convener.goto(f"{base}/councils/meetings/{meeting.pk}/")
    _step(convener, "draft-motion")
    convener.wait_for_url(re.compile(rf"/councils/motions/new/\?issue={issue.pk}$"))
    assert convener.locator("#id_issue").input_value() == str(issue.pk)
    convener.locator("#id_title").fill("是否更换1幢全部楼道灯")
    convener.locator("#id_options").fill("赞成\n反对")
    # The window proposed by the form: from now (to the minute) for three days; quorum 50%, simple majority.
    screenshot(convener, "10-draft-motion")
    _step(convener, "submit-motion")
    m = Motion.objects.get()
    url = f"{base}/councils/motions/{m.pk}/"
    convener.wait_for_url(url)
    assert (m.issue, m.options, m.state) == (issue, ["赞成", "反对"], MotionState.DRAFT)
    screenshot(convener, "11-motion-draft")
    _step(convener, "motion-open")
    assert Motion.objects.get().state == MotionState.OPEN
    assert convener.get_by_test_id("rule-hash").is_visible()
    screenshot(convener, "12-motion-open")

    # Three seats vote on their phones.
    for n, option in [(0, "0"), (1, "0"), (2, "1")]:
        seat = new_page(viewport=PHONE)
        sign_in(seat, base, f"seat{n}")
        seat.goto(url)
        seat.locator(f"input[name=option][value='{option}']").check()
        if n == 0:
            screenshot(seat, "13-vote")
        _step(seat, "vote")
        assert seat.get_by_test_id("voted").is_visible()
        if n == 0:
            screenshot(seat, "14-voted")
            first = seat
    assert Ballot.objects.filter(motion=m).count() == 3

    # The close is refused before the window ends. The test cannot wait three days, so it moves the
    # window's end into the past with a queryset update; then the convener closes and counts the vote.
    convener.goto(url)
    _step(convener, "motion-close")
    assert Motion.objects.get().state == MotionState.OPEN
    Motion.objects.filter(pk=m.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    convener.goto(url)
    _step(convener, "motion-close")
    assert Motion.objects.get().state == MotionState.CLOSED
    assert convener.get_by_test_id("outcome").is_visible()
    screenshot(convener, "15-closed-convener")
    first.goto(url)
    assert first.get_by_test_id("my-receipt").is_visible()
    screenshot(first, "16-closed")

    # Anyone, logged out: the results board with the tally and the record entry's hash.
    entry = Entry.objects.get(kind="councils.motion_closed", subject=f"councils.Motion:{m.pk}")
    public = new_page(viewport=PHONE)
    public.goto(f"{base}/councils/board/")
    board = public.get_by_test_id("board-motion").inner_text()
    assert "是否更换1幢全部楼道灯" in board and entry.entry_hash in board
    assert "赞成: 2" in board and "反对: 1" in board
    assert public.get_by_test_id("raised").inner_text() == "1"
    screenshot(public, "17-board-phone")
    desktop = new_page()
    desktop.goto(f"{base}/councils/board/?community={d.community1.pk}")
    screenshot(desktop, "18-board-desktop")
