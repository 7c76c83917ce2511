"""A project on phones, after triage: the convener opens a crowdfunding campaign and adds a task, a
resident joins the discussion and pledges, the convener records the pledge as given and the task's
progress with a photo, resolves the issue, and the resident rates the result with one tap."""

from __future__ import annotations

import struct
import zlib
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import include, path, re_path
from django.utils import timezone
from django.views.static import serve

from councils import services
from councils.models import Campaign, Issue, Pledge, Post, ResultRating, Task
from councils.workflow import IssueState, Track
from tests.councils.support import council_world
from tests.e2e.conftest import PHONE, sign_in
from tests.factories import build_district

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _media(request, path):
    return serve(request, path, document_root=settings.MEDIA_ROOT)


# The live server does not serve uploads (DEBUG is off): this test's URLs add them, to see the photo.
urlpatterns = [re_path(r"^media/(?P<path>.*)$", _media), path("", include("config.urls"))]


def _png(width: int = 64, height: int = 48) -> bytes:
    """A small green picture, written by hand (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\0" + bytes((46, 139, 87)) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _step(page, test_id):
    page.get_by_test_id(test_id).click()
    page.wait_for_load_state()


def test_a_resident_pledges_and_the_convener_records_progress(
    live_server, new_page, screenshot, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.ROOT_URLCONF = __name__
    d = build_district()
    w = council_world(d)
    issue = services.issue_raise(
        actor=d.resident_user,
        council=w.council,
        category="facilities",
        title="花园里加装休闲座椅",
        description="小区花园没有座椅，老人散步累了没处坐，希望在凉亭旁加装几张。",
        building=d.building1,
    )
    services.issue_triage(actor=d.convener1, issue=issue, track=Track.SMALL)
    base = live_server.url
    url = f"{base}/councils/issues/{issue.pk}/"

    # 居民众筹 and 民办: the convener, on a phone, opens a campaign and adds a task.
    convener = new_page(viewport=PHONE)
    sign_in(convener, base, "convener1")
    convener.goto(url)
    convener.get_by_test_id("campaign-open").locator("summary").click()
    convener.locator("#campaign_title").fill("花园座椅众筹")
    convener.locator("#campaign_description").fill("买6张防腐木座椅，居民出钱出力，周六一起安装。")
    convener.locator("#campaign_money_goal").fill("3000")
    convener.locator("#campaign_hours_goal").fill("20")
    convener.locator("#campaign_materials").fill("防腐木、螺丝")
    screenshot(convener, "1-open-campaign")
    _step(convener, "campaign-submit")
    campaign = Campaign.objects.get()
    assert campaign.money_goal == 3000
    convener.get_by_test_id("task-add").locator("summary").click()
    convener.locator("#task_title").fill("采购并安装座椅")
    convener.locator("#task_owner").fill("物业公司")
    convener.locator("#task_due_on").fill((timezone.localdate() + timedelta(days=10)).isoformat())
    _step(convener, "task-submit")
    task = Task.objects.get()
    assert task.owner == "物业公司"

    # 云协商 and a pledge: the resident, on a phone.
    resident = new_page(viewport=PHONE)
    sign_in(resident, base, "resident1")
    resident.goto(url)
    resident.locator("#post_body").fill("建议放在凉亭旁边，晚上有路灯。")
    _step(resident, "post-submit")
    assert Post.objects.get().author == d.resident_user
    form = resident.get_by_test_id("pledge-form")
    form.locator(f"label[for=pledge{campaign.pk}_kind_0]").click()  # money
    form.locator(f"#pledge{campaign.pk}_amount").fill("200")
    _step(resident, "pledge")
    services.pledge_make(actor=d.member_user, campaign=campaign, kind="labour", hours=4)
    resident.goto(url)
    assert "¥200" in resident.get_by_test_id("pledges").inner_text()
    screenshot(resident, "2-handling-pledged")

    # The convener records the labour as given and the task's progress with a photo, done.
    convener.goto(url)
    labour = Pledge.objects.get(kind="labour")
    with convener.expect_navigation():
        convener.locator(f"form[action='/councils/pledges/{labour.pk}/fulfil/'] button").click()
    assert Pledge.objects.get(pk=labour.pk).fulfilled_at is not None
    report = convener.locator(f"#task-{task.pk}")
    report.locator("summary").click()
    report.locator(f"#report{task.pk}_note").fill("6张座椅已安装在凉亭旁。")
    report.locator(f"#report{task.pk}_photo").set_input_files(
        files=[{"name": "座椅.png", "mimeType": "image/png", "buffer": _png()}]
    )
    report.locator(f"#report{task.pk}_done").check()
    _step(convener, "report")
    assert Task.objects.get().done_at is not None
    assert convener.get_by_test_id("update-photo").evaluate("img => img.naturalWidth") == 64
    screenshot(convener, "3-handling-convener")

    # 民评: resolved; the resident rates with one tap and sees the tally.
    _step(convener, "step-resolve")
    assert Issue.objects.get().state == IssueState.RESOLVED
    resident.goto(url)
    assert resident.get_by_test_id("rate-satisfied").is_visible()
    screenshot(resident, "4-resolved-survey")
    _step(resident, "rate-satisfied")
    assert ResultRating.objects.get().rating == "satisfied"
    assert resident.get_by_test_id("rated").is_visible()
    assert resident.get_by_test_id("survey-count").first.inner_text() == "1"  # satisfied: 1
    screenshot(resident, "5-rated")
