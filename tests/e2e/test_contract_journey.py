"""The five steps in the browser: the secretary drafts, both agree and sign, the secretary publishes,
the unit reports from a phone, both rate, the secretary closes; then anyone sees it on the board."""

from __future__ import annotations

import re
from datetime import date

import pytest

from contracts import services
from contracts.models import Contract, Side
from contracts.workflow import ContractState
from tests.e2e.conftest import PHONE, sign_in
from tests.factories import PASSWORD, build_district

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _step(page, test_id):
    page.get_by_test_id(test_id).click()
    page.wait_for_load_state()


def test_a_contract_through_all_five_steps_then_on_the_public_board(live_server, new_page, screenshot):
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
    base = live_server.url

    # 谈约: the secretary drafts on a desktop.
    secretary = new_page()
    sign_in(secretary, base, "secretary1")
    secretary.goto(f"{base}/contracts/mine/")
    _step(secretary, "new-contract")
    secretary.locator("#id_pairing").select_option(str(pairing.pk))
    secretary.locator("#id_title").fill("2026年度越都社区与人民医院共建契约")
    secretary.locator("#id_term_start").fill("2026-01-01")
    secretary.locator("#id_term_end").fill("2026-12-31")
    secretary.locator("#id_items-0-side").select_option("unit")
    secretary.locator("#id_items-0-kind").select_option("service")
    secretary.locator("#id_items-0-title").fill("每月健康义诊")
    secretary.locator("#id_items-0-quantity").fill("12")
    secretary.locator("#id_items-0-unit").fill("次")
    secretary.locator("#id_items-1-side").select_option("community")
    secretary.locator("#id_items-1-kind").select_option("resource")
    secretary.locator("#id_items-1-title").fill("提供义诊场地")
    screenshot(secretary, "1-draft")
    secretary.locator("button[type=submit]", has_text=re.compile("保存草稿|Save the draft")).click()
    secretary.wait_for_url(re.compile(r"/contracts/mine/\d+/$"))
    contract = Contract.objects.get()
    workspace = f"{base}/contracts/mine/{contract.pk}/"
    _step(secretary, "agree")

    # The unit contact, on a phone, agrees: the version is frozen; …
    unit = new_page(viewport=PHONE)
    sign_in(unit, base, "unit_contact1")
    unit.goto(workspace)
    _step(unit, "agree")
    assert Contract.objects.get().state == ContractState.AGREED

    # 签约: both sign with their password again.
    secretary.goto(workspace)
    secretary.locator("#id_password").fill(PASSWORD)
    _step(secretary, "sign")
    unit.goto(workspace)
    unit.locator("#id_password").fill("wrong-password")
    _step(unit, "sign")
    assert "密码不正确" in unit.content() or "password is not correct" in unit.content()
    unit.locator("#id_password").fill(PASSWORD)
    _step(unit, "sign")
    screenshot(unit, "2-signed")
    assert Contract.objects.get().state == ContractState.SIGNED

    # 亮约: the secretary publishes.
    secretary.goto(workspace)
    _step(secretary, "publish")

    # 履约: the unit reports from the phone.
    unit.goto(workspace)
    unit.locator("#id_item_index").select_option("0")
    unit.locator("#id_done_on").fill("2026-03-07")
    unit.locator("#id_description").fill("社区党群服务中心义诊，量血压48人次")
    unit.locator("#id_people_served").fill("48")
    unit.locator("#id_hours").fill("3")
    _step(unit, "record")
    screenshot(unit, "3-recorded")
    assert contract.records.count() == 1

    # 评约: the secretary opens the evaluation, both rate, the secretary closes it.
    secretary.goto(workspace)
    _step(secretary, "open-evaluation")
    for radio in secretary.locator("[data-testid=criterion] input[value='5']").all():
        radio.check()  # each criterion (CONTRACT_EVALUATION_CRITERIA)
    _step(secretary, "rate")
    unit.goto(workspace)
    for radio in unit.locator("[data-testid=criterion] input[value='4']").all():
        radio.check()
    screenshot(unit, "3b-rating-criteria")
    _step(unit, "rate")
    secretary.goto(workspace)
    _step(secretary, "close-evaluation")
    assert Contract.objects.get().state == ContractState.EVALUATED

    # Anyone, logged out: the board and the contract's page with its commitments and score.
    public = new_page(viewport=PHONE)
    public.goto(f"{base}/contracts/")
    public.get_by_role("link", name="2026年度越都社区与人民医院共建契约").click()
    public.wait_for_url(re.compile(rf"/contracts/{contract.pk}/$"))
    assert "每月健康义诊" in public.get_by_test_id("unit-commitments").inner_text()
    assert "提供义诊场地" in public.get_by_test_id("community-commitments").inner_text()
    evaluation = public.get_by_test_id("evaluation").inner_text()
    assert "90.0" in evaluation and "优秀" in evaluation  # community 5 → 100, unit 4 → 80, equal weights
    screenshot(public, "4-public")
