"""On phones: a member sees an award in the statement, redeems an item, the merchant verifies the code."""

from __future__ import annotations

import re

import pytest

from points.models import MarketItem, Redemption, TransferKind
from points.services import community_account, points_transfer, wallet_for
from tests.e2e.conftest import PHONE, sign_in
from tests.factories import build_district
from tests.points.market_support import fund, make_item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_member_redeems_and_the_merchant_verifies_on_phones(live_server, new_page, screenshot):
    d = build_district()
    fund(d.community1)
    item = make_item(
        d, name="理发券", price=30, stock=5, per_person_limit=1, pickup_place="越都社区党群服务中心一楼"
    )
    points_transfer(
        source=community_account(community=d.community1),
        destination=wallet_for(user=d.member_user),
        amount=80,
        key="e2e:award:1",
        kind=TransferKind.EARNING,
        memo="义诊进社区志愿服务 4小时",
    )

    # The member: the award is in the statement.
    member = new_page(viewport=PHONE)
    sign_in(member, live_server.url, "member1")
    member.goto(f"{live_server.url}/points/")
    assert member.get_by_test_id("balance").inner_text().strip() == "80"
    first_line = member.get_by_test_id("statement-line").first
    assert "义诊进社区志愿服务 4小时" in first_line.inner_text()
    assert "+80" in first_line.get_by_test_id("statement-amount").inner_text()
    screenshot(member, "1-statement")

    # … redeems the haircut through the confirm step …
    member.goto(f"{live_server.url}/points/market/")
    card = member.locator(f"[data-testid=market-item][data-item='{item.pk}']")
    assert card.get_by_test_id("item-stock").get_attribute("data-stock") == "5"
    card.get_by_test_id("redeem-start").click()
    member.wait_for_url(re.compile(rf"/points/market/{item.pk}/$"))
    screenshot(member, "2-confirm")
    member.get_by_test_id("redeem-confirm").click()
    member.wait_for_url(re.compile(r"/points/codes/#redemption-\d+$"))
    code_card = member.get_by_test_id("open-code").first
    code = code_card.get_attribute("data-code")
    assert re.fullmatch(r"\d{8}", code)
    assert code_card.get_by_test_id("code-digits").inner_text().strip() == f"{code[:4]} {code[4:]}"
    assert code_card.locator("svg.points-qr").is_visible()
    screenshot(member, "3-code")

    # The merchant's contact, on another phone, types the code and completes it.
    merchant = new_page(viewport=PHONE)
    sign_in(merchant, live_server.url, "unit_contact1")
    merchant.goto(f"{live_server.url}/points/verify/")
    merchant.locator("#id_code").fill(f"{code[:4]} {code[4:]}")
    merchant.get_by_test_id("verify-lookup").click()
    found = merchant.get_by_test_id("verify-found")
    found.wait_for()
    assert "理发券" in found.inner_text() and "王*国" in found.inner_text()
    screenshot(merchant, "4-found")
    merchant.get_by_test_id("verify-complete").click()
    merchant.wait_for_url(f"{live_server.url}/points/verify/")
    assert merchant.locator(".site-messages .alert-success").is_visible()
    screenshot(merchant, "5-completed")

    # The stock dropped by one, the code is used, the member's wallet paid once.
    assert MarketItem.objects.get(pk=item.pk).stock == 4
    assert Redemption.objects.get(code=code).state == "completed"
    member.goto(f"{live_server.url}/points/market/")
    assert card.get_by_test_id("item-stock").get_attribute("data-stock") == "4"
    member.goto(f"{live_server.url}/points/")
    assert member.get_by_test_id("balance").inner_text().strip() == "50"
    screenshot(member, "6-after")
