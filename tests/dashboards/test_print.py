"""Print views: the monthly report (who may open it, the month's figures from known data, bad months)
and a signed contract with its certificate (parties and staff in full, the public once published,
404 for the rest), both with the print button and the print stylesheet, no inline script."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from django.conf import settings
from django.test import Client

from contracts.workflow import ContractState
from dashboards.periods import Period
from dashboards.report import report_figures
from tests.contracts.support import contract_in, pairing_world
from tests.dashboards.test_portal_support import KNOWN, known_world
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def signed_in(user, *, english: bool = True) -> Client:
    client = Client()
    client.force_login(user)
    if english:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def report_url(area, month="2026-03") -> str:
    return f"/dashboards/{area.pk}/report/{month}/print/"


def shown_values(text: str) -> dict[str, str]:
    """{figure key: value as printed} of the report's rows."""
    rows = re.findall(
        r'data-testid="report-row" data-key="([\w.]+)">(?:(?!</tr>).)*?data-testid="report-value">([^<]*)</span>',
        text,
        re.S,
    )
    return dict(rows)


def no_inline_script(text: str) -> bool:
    return all("src=" in tag for tag in re.findall(r"<script[^>]*>", text) if "application/json" not in tag)


# --- The monthly report ------------------------------------------------------------------------


def test_the_report_figures_count_the_known_data_by_area_and_month(district):
    """dashboards.report (the portal's totals) over a month: the known data, only where and when it is."""
    known_world(district)
    march = Period(date(2026, 3, 1), date(2026, 3, 31))

    figures = report_figures(area=district.community1, period=march)

    assert {key: getattr(figures, key) for key in KNOWN} == KNOWN
    # The same for the street and the district; nothing in another community or another month.
    assert report_figures(area=district.street1, period=march) == figures
    assert report_figures(area=district.district, period=march) == figures
    empty = report_figures(area=district.community3, period=march)
    assert all(not getattr(empty, key) for key in KNOWN)
    april = Period(date(2026, 4, 1), date(2026, 4, 30))
    assert all(not getattr(report_figures(area=district.community1, period=april), key) for key in KNOWN)


# What the printed report shows for March 2026 of 越都社区 (the dashboard's figures, dashboards.figures).
ON_PAPER = {
    "contracts.consultation_meetings": "1",
    "contracts.published": "1",
    "contracts.projects": "2",
    "councils.issues_raised": "2",
    "councils.issues_solved": "1",
    "councils.resolution_rate": "50.0%",
    "councils.meetings": "1",
    "volunteers.members_reported": "3",
    "volunteers.wishes_fulfilled": "1",
    "volunteers.activities": "1",
    "volunteers.hours": "2.5",
    "volunteers.orders_done": "1",
    "points.issued": "250",
    "points.spent": "30",
}


def test_the_report_page_shows_the_month(district):
    known_world(district)

    response = signed_in(district.secretary1).get(report_url(district.community1))

    assert response.status_code == 200
    text = html.unescape(response.content.decode())
    values = shown_values(text)
    assert {key: values.get(key) for key in ON_PAPER} == ON_PAPER
    assert [s for s in re.findall(r'data-section="(\w+)"', text)] == [
        "contracts",
        "councils",
        "volunteers",
        "points",
    ]
    assert "March 2026" in text and district.community1.name in text
    assert 'data-print data-testid="print-button"' in text
    assert "css/dashboards-print.css" in text and "js/dashboards-print.js" in text
    assert no_inline_script(text)
    # The months either side (the previous one exists; the next one too, as it is not in the future).
    assert 'data-testid="previous-month"' in text and report_url(district.community1, "2026-02") in text
    assert report_url(district.community1, "2026-04") in text


def test_a_month_without_records_prints_zeros(district):
    known_world(district)

    text = html.unescape(
        signed_in(district.secretary1).get(report_url(district.community1, "2026-02")).content.decode()
    )

    values = shown_values(text)
    for key in (
        "councils.issues_raised",
        "volunteers.activities",
        "points.issued",
        "contracts.consultation_meetings",
    ):
        assert values[key] == "0", key
    assert values["councils.resolution_rate"] == "—"


def test_the_same_month_for_the_street_adds_up_its_communities(district):
    known_world(district)

    street = shown_values(
        html.unescape(signed_in(district.street_admin).get(report_url(district.street1)).content.decode())
    )

    assert {key: street.get(key) for key in ON_PAPER} == ON_PAPER


@pytest.mark.parametrize(
    ("who", "area", "status"),
    [
        ("district_admin", "community1", 200),
        ("street_admin", "community1", 200),
        ("street_admin", "street1", 200),
        ("secretary1", "community1", 200),
        ("secretary1", "community2", 404),  # another community
        ("street_admin", "community3", 404),  # another street
        ("secretary1", "district", 404),  # above the user's area
        ("convener1", "community1", 404),  # no dashboard at all
        ("unit_contact1", "community1", 404),
        ("member_user", "community1", 404),
    ],
)
def test_who_may_print_which_report(district, who, area, status):
    response = signed_in(getattr(district, who)).get(report_url(getattr(district, area)))

    assert response.status_code == status


def test_the_report_asks_a_visitor_to_sign_in(client, district):
    response = client.get(report_url(district.community1))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "2007-12", "2099-01"])
def test_a_month_outside_the_platform_is_refused(district, month):
    response = signed_in(district.secretary1).get(report_url(district.community1, month))

    assert response.status_code == 400
    assert "Choose a month" in html.unescape(response.content.decode())


def test_a_malformed_month_is_no_page(district):
    response = signed_in(district.secretary1).get(
        f"/dashboards/{district.community1.pk}/report/2026-3/print/"
    )

    assert response.status_code == 404


# --- A signed contract -------------------------------------------------------------------------


@pytest.fixture
def w(district):
    return pairing_world(district)


def print_url(contract) -> str:
    return f"/dashboards/contracts/{contract.pk}/print/"


def test_the_parties_print_the_full_text_and_certificate(w):
    contract = contract_in(w, ContractState.SIGNED)

    for user in (w.d.secretary1, w.d.unit_contact1, w.d.street_admin, w.d.district_admin, w.unit_signer):
        response = signed_in(user).get(print_url(contract))
        assert response.status_code == 200, user
    text = html.unescape(response.content.decode())
    assert contract.title in text
    assert "每月义诊一次" in text and "提供活动场地" in text  # both sides' items
    assert contract.frozen_version.text_hash in text
    assert text.count('data-testid="signature"') == 2
    # In full: who signed, from which address.
    assert str(w.community_signer) in text and str(w.unit_signer) in text
    assert "IP address" in text
    assert 'data-testid="public-link"' not in text  # not published yet
    assert 'data-print data-testid="print-button"' in text and no_inline_script(text)


def test_nobody_else_sees_an_unpublished_contract(w, client):
    contract = contract_in(w, ContractState.SIGNED)
    outsider = make_user("outsider_secretary", "community_secretary", area=w.d.community3)

    assert signed_in(outsider).get(print_url(contract)).status_code == 404
    assert signed_in(w.d.unit_contact2).get(print_url(contract)).status_code == 404
    assert signed_in(w.d.resident_user).get(print_url(contract)).status_code == 404
    response = client.get(print_url(contract))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("state", [ContractState.DRAFT, ContractState.AGREED, ContractState.TERMINATED])
def test_a_contract_never_signed_has_nothing_to_print(w, state):
    contract = contract_in(w, state)

    assert signed_in(w.d.secretary1).get(print_url(contract)).status_code == 404


def test_a_missing_contract_is_404(w):
    assert signed_in(w.d.secretary1).get("/dashboards/contracts/99999/print/").status_code == 404


@pytest.mark.parametrize(
    "state", [ContractState.PUBLISHED, ContractState.EVALUATING, ContractState.EVALUATED]
)
def test_a_published_contract_prints_for_anyone_without_the_signers(w, client, state):
    contract = contract_in(w, state)
    english = client
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = english.get(print_url(contract))

    assert response.status_code == 200
    text = html.unescape(response.content.decode())
    assert contract.title in text and contract.frozen_version.text_hash in text
    assert text.count('data-testid="signature"') == 2
    assert w.d.party1.name in text and w.d.unit1.name in text
    # The public sees the organisations that signed, not the people nor where they signed from.
    for user in (w.community_signer, w.unit_signer):
        assert str(user) not in text
        assert user.phone not in text
    assert "IP address" not in text
    # The public page's link and QR code, for the bulletin board.
    assert 'data-testid="public-link"' in text and f"/contracts/{contract.pk}/" in text
    assert "<svg" in text


def test_a_published_contract_prints_in_full_for_its_parties(w):
    contract = contract_in(w, ContractState.PUBLISHED)

    text = html.unescape(signed_in(w.d.secretary1).get(print_url(contract)).content.decode())

    assert str(w.community_signer) in text and "IP address" in text
    assert 'data-testid="public-link"' in text


# --- Where the print views are linked from ---------------------------------------------------------


def test_the_contract_pages_link_the_print_view_once_signed(w, client):
    unsigned = contract_in(w, ContractState.AGREED)
    signed = contract_in(w, ContractState.PUBLISHED)
    secretary = signed_in(w.d.secretary1)

    for contract, linked in ((unsigned, False), (signed, True)):
        for page in (f"/contracts/mine/{contract.pk}/", f"/contracts/mine/{contract.pk}/certificate/"):
            response = secretary.get(page)
            if response.status_code == 404:  # the certificate exists once a version is frozen
                assert page.endswith("certificate/") and not linked
                continue
            assert response.status_code == 200, page
            assert (print_url(contract) in response.content.decode()) is linked, page
    # The public contract page links the public print view.
    assert print_url(signed) in client.get(f"/contracts/{signed.pk}/").content.decode()


def test_the_dashboard_links_the_monthly_report_and_the_ledgers(district):
    client = signed_in(district.street_admin)

    text = client.get(f"/dashboards/{district.street1.pk}/?from=2026-01-01&to=2026-03-31").content.decode()

    assert f'href="{report_url(district.street1, "2026-03")}"' in text
    assert f"/dashboards/ledgers/?area={district.street1.pk}&amp;from=2026-01-01&amp;to=2026-03-31" in text
