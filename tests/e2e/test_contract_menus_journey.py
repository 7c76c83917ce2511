"""From the menus to a published contract with dated milestones, in the browser: the secretary chooses
offers that match a need and drafts from them; the unit contact, on a phone, adds milestones as a new
version; after both sign, the secretary publishes from the back office; anyone sees the overdue one."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from contracts import services
from contracts.models import Contract, Side
from contracts.workflow import ContractState
from tests.e2e.conftest import PHONE, sign_in
from tests.factories import PASSWORD, build_district

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_offers_to_a_draft_milestones_on_a_phone_and_publishing_from_the_admin(
    live_server, new_page, screenshot
):
    d = build_district()
    pairing = services.pairing_create(
        actor=None, community_org=d.party1, unit_org=d.unit1, since=date(2024, 1, 1)
    )
    services.pairing_contact_add(
        actor=None, pairing=pairing, user=d.secretary1, side=Side.COMMUNITY, can_sign=True
    )
    services.pairing_contact_add(
        actor=None, pairing=pairing, user=d.unit_contact1, side=Side.UNIT, can_sign=True
    )
    offer = services.menu_offer_create(
        actor=None,
        organisation=d.unit1,
        kind="service",
        title="专家义诊进社区",
        description="内科、骨科专家坐诊",
        quantity=12,
        unit="次",
        estimated_value=6000,
    )
    venue = services.menu_offer_create(
        actor=None, organisation=d.party1, kind="resource", title="提供党群服务中心场地"
    )
    need = services.need_post(actor=None, community=d.community1, kind="service", title="老年人慢病随访")
    base = live_server.url
    today = timezone.localdate()

    # The secretary sees which offers match the community's need, and drafts from two offers.
    secretary = new_page()
    sign_in(secretary, base, "secretary1")
    secretary.goto(f"{base}/contracts/menus/")
    secretary.get_by_test_id("need-matches").click()
    secretary.wait_for_url(re.compile(rf"need={need.pk}"))
    assert "专家义诊进社区" in secretary.get_by_test_id("matching-need").locator("..").inner_text()
    secretary.locator(f"#offer-{offer.pk}").check()
    screenshot(secretary, "1-matching-offers")
    secretary.goto(f"{base}/contracts/menus/")
    secretary.locator(f"#offer-{offer.pk}").check()
    secretary.locator(f"#offer-{venue.pk}").check()
    secretary.get_by_test_id("draft-from-offers").click()
    secretary.wait_for_url(re.compile(r"/contracts/mine/new/\?"))
    # In the menu's order (resources before services): the venue first, then the clinic.
    assert secretary.locator("#id_items-0-title").input_value() == "提供党群服务中心场地"
    assert secretary.locator("#id_items-0-side").input_value() == "community"
    assert secretary.locator("#id_items-1-title").input_value() == "专家义诊进社区"
    assert secretary.locator("#id_items-1-side").input_value() == "unit"
    assert secretary.locator("#id_pairing").input_value() == str(pairing.pk)
    secretary.locator("#id_title").fill("越都社区与人民医院共建契约")
    secretary.locator("#id_term_start").fill((today - timedelta(days=200)).isoformat())
    secretary.locator("#id_term_end").fill((today + timedelta(days=100)).isoformat())
    screenshot(secretary, "2-draft-from-offers")
    secretary.locator("button[type=submit]", has_text=re.compile("保存草稿|Save the draft")).click()
    secretary.wait_for_url(re.compile(r"/contracts/mine/\d+/$"))
    contract = Contract.objects.get()
    assert [i["title"] for i in contract.versions.get().items] == ["提供党群服务中心场地", "专家义诊进社区"]

    # The unit contact, on a phone, adds dated milestones: a new version.
    unit = new_page(viewport=PHONE)
    sign_in(unit, base, "unit_contact1")
    unit.goto(f"{base}/contracts/mine/{contract.pk}/")
    unit.get_by_test_id("revise").click()
    unit.wait_for_url(re.compile(r"/revise/$"))
    overdue, later = today - timedelta(days=10), today + timedelta(days=30)
    unit.locator("#id_items-1-milestones").fill(
        f"{overdue.isoformat()} 第一次义诊\n{later:%Y/%m/%d} 第二次义诊"
    )
    unit.locator("#id_note").fill("列明义诊时间节点")
    screenshot(unit, "3-revise-on-phone")
    unit.get_by_test_id("save-version").click()
    unit.wait_for_url(re.compile(rf"/contracts/mine/{contract.pk}/$"))
    latest = contract.versions.order_by("-number").first()
    assert latest.number == 2
    assert [m["what"] for m in latest.items[1]["milestones"]] == ["第一次义诊", "第二次义诊"]

    # Both agree and sign (walked in the browser by the five-steps test), then the secretary
    # publishes from the back office's contract page.
    services.contract_agree(actor=d.secretary1, contract=contract, version=2)
    services.contract_agree(actor=d.unit_contact1, contract=contract, version=2)
    services.contract_sign(actor=d.secretary1, contract=contract, version=2, password=PASSWORD)
    services.contract_sign(actor=d.unit_contact1, contract=contract, version=2, password=PASSWORD)
    secretary.goto(f"{base}/admin/contracts/contract/{contract.pk}/change/")
    screenshot(secretary, "4-admin-steps")
    secretary.get_by_test_id("step-publish").locator("button").click()
    secretary.wait_for_load_state()
    assert Contract.objects.get().state == ContractState.PUBLISHED

    # Anyone, on a phone: the overdue milestone stands out.
    public = new_page(viewport=PHONE)
    public.goto(f"{base}/contracts/{contract.pk}/")
    overdue_row = public.locator("[data-testid=milestones] li[data-status=overdue]")
    assert "第一次义诊" in overdue_row.inner_text()
    assert "0个" in public.get_by_test_id("overall-progress").inner_text()
    screenshot(public, "5-public-milestones")
    english = new_page(viewport=PHONE, locale="en-US")
    english.context.add_cookies([{"name": "django_language", "value": "en", "url": base}])
    english.goto(f"{base}/contracts/{contract.pk}/")
    assert "overdue" in english.get_by_test_id("milestones").first.inner_text()
    screenshot(english, "6-public-milestones-en")
    sign_in(english, base, "secretary1")
    english.goto(f"{base}/contracts/menus/")
    assert "Draft a contract with the chosen offers" in english.content()
    screenshot(english, "7-menus-en")
