"""Reporting and the pledge in the browser: a member reports on a phone with skills and services, the
secretary accepts them into a grid from the registry, and the member signs the pledge with one tap and
sees the public record's hash, which the record's page verifies."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import PHONE, browser, new_page, screenshot, sign_in  # noqa: F401 - fixtures
from tests.factories import build_district
from volunteers.models import PledgeSignature, Report
from volunteers.services import reporting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_reports_is_accepted_and_signs_the_pledge_on_a_phone(live_server, new_page, screenshot):  # noqa: F811
    d = build_district()
    reporting.pledge_publish(
        actor=None, community=d.community1, title="2026年“锋领十条”党员承诺", body="一、亮身份"
    )
    base = live_server.url

    member = new_page(viewport=PHONE)
    sign_in(member, base, "member1")
    member.goto(f"{base}/volunteers/report/")
    member.locator("#id_skills").fill("电工, 家电维修")
    member.locator("label[for=id_service_fields_7]").click()  # appliance repair
    member.locator("label[for=id_service_fields_3]").click()  # safe electricity
    screenshot(member, "1-report")
    member.get_by_test_id("report").click()
    member.wait_for_load_state()
    report = Report.objects.get(member=d.member)
    assert report.state == "pending" and set(report.service_fields) == {"repair", "electricity"}
    assert member.get_by_test_id("report-state").inner_text().strip()

    secretary = new_page()
    sign_in(secretary, base, "secretary1")
    secretary.goto(f"{base}/volunteers/registry/")
    card = secretary.locator(f"[data-testid=pending-report][data-report='{report.pk}']")
    card.locator("select[name=grid]").select_option(str(d.grid1.pk))
    screenshot(secretary, "2-registry")
    card.get_by_test_id("accept").click()
    secretary.wait_for_load_state()
    report.refresh_from_db()
    assert (report.state, report.grid) == ("accepted", d.grid1)
    assert secretary.locator(f"[data-testid=member-row][data-report='{report.pk}']").count() == 1

    member.goto(f"{base}/volunteers/report/")
    member.get_by_test_id("pledge-prompt").click()
    member.wait_for_url(re.compile(r"/volunteers/pledge/$"))
    member.get_by_test_id("sign").click()
    member.wait_for_load_state()
    signature = PledgeSignature.objects.get(member=d.member)
    link = member.get_by_test_id("record-link")
    assert signature.record_hash in link.inner_text()
    screenshot(member, "3-signed")
    link.click()
    member.wait_for_url(re.compile(r"/record/verify/\?hash="))
    assert signature.record_hash in member.content()
