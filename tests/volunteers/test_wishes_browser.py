"""A micro-wish in the browser, on phones: the resident posts it, a member finds it on the wish wall
(no name, no phone, no address), taps "light up", shows it fulfilled with a photo, and the resident
confirms; the points are on their way to the member."""

from __future__ import annotations

import re

import pytest

from core.models import OutboxMessage
from tests.e2e.conftest import PHONE, browser, new_page, screenshot, sign_in  # noqa: F401 - fixtures
from tests.factories import build_district
from tests.volunteers.support import PNG
from tests.volunteers.test_wishes_support import RESIDENT_NAME, RESIDENT_PHONE, days, wish_world
from volunteers.models import Wish
from volunteers.workflow import WishState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _tap(page, test_id):
    page.get_by_test_id(test_id).first.click()
    page.wait_for_load_state()


def test_a_wish_from_a_residents_phone_lit_up_fulfilled_and_confirmed(
    live_server,
    new_page,  # noqa: F811 - the e2e fixture imported above
    screenshot,  # noqa: F811
    settings,
    tmp_path,
):
    settings.MEDIA_ROOT = tmp_path
    d = build_district()
    w = wish_world(d)
    base = live_server.url

    # The resident posts a wish on a phone.
    resident = new_page(viewport=PHONE)
    sign_in(resident, base, "resident1")
    resident.goto(f"{base}/volunteers/wishes/new/")
    resident.locator("label[for=id_category_0]").click()  # daily necessities
    resident.locator("#id_title").fill("一袋大米")
    resident.locator("#id_description").fill("腿脚不便，想请人帮忙买一袋大米送上楼。")
    resident.locator("#id_due_on").fill(days(6).isoformat())
    screenshot(resident, "1-post")
    _tap(resident, "submit-wish")
    wish = Wish.objects.get()
    resident.wait_for_url(re.compile(rf"/volunteers/wishes/{wish.pk}/$"))
    assert wish.beneficiary == d.resident and wish.state == WishState.OPEN

    # A reported member sees it on the wall without personal details and lights it up.
    member = new_page(viewport=PHONE)
    sign_in(member, base, "member1")
    member.goto(f"{base}/volunteers/wishes/")
    card = member.get_by_test_id("wish-card")
    assert "一袋大米" in card.inner_text()
    wall = member.content()
    assert RESIDENT_NAME not in wall and RESIDENT_PHONE not in wall and "1幢" not in wall
    screenshot(member, "2-wall")
    _tap(member, "light-up")
    member.wait_for_url(re.compile(rf"/volunteers/wishes/{wish.pk}/$"))
    assert member.get_by_test_id("lit-by-me").is_visible()
    assert Wish.objects.get().state == WishState.CLAIMED

    # The member shows it fulfilled with a photo from the phone.
    member.locator("#id_note").fill("周六上午买了大米送到家。")
    member.locator("#id_photo").set_input_files({"name": "rice.png", "mimeType": "image/png", "buffer": PNG})
    screenshot(member, "3-fulfil")
    _tap(member, "fulfil")
    assert Wish.objects.get().state == WishState.FULFILLED
    assert member.get_by_test_id("wish-photo").is_visible()

    # The resident confirms; the member's points are queued once.
    resident.goto(f"{base}/volunteers/wishes/{wish.pk}/")
    screenshot(resident, "4-confirm")
    _tap(resident, "confirm")
    assert Wish.objects.get().state == WishState.CONFIRMED
    screenshot(resident, "5-confirmed")
    paid = OutboxMessage.objects.filter(task_name="points.award_for_event", args__0="wish_fulfilled")
    assert [m.args[1] for m in paid] == [w.members[0].pk]
