"""Fulfil (履约): records with evidence for published contracts. Evaluate (评约): one rating each, a score, a grade."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import Entry
from contracts import services
from contracts.models import FulfilmentRecord, Rating
from contracts.workflow import ContractState
from core.exceptions import ApplicationError
from tests.contracts.support import contract_in, pairing_world, refresh

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100


def refused(call, status: int, code: str | None = None):
    with pytest.raises(ApplicationError) as error:
        call()
    assert error.value.status_code == status, (error.value.code, str(error.value.message))
    if code:
        assert error.value.code == code
    assert str(error.value.message)


def record(w, contract, actor=None, **fields):
    values = {
        "item_index": 0,
        "done_on": date(2026, 3, 7),
        "description": "社区党群服务中心义诊，量血压48人次",
        "people_served": 48,
        "hours": 3,
        **fields,
    }
    return services.contract_record(actor=actor or w.d.unit_contact1, contract=contract, **values)


def test_the_unit_reports_what_it_did_with_a_photo(district, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = pairing_world(district)
    contract = contract_in(w, ContractState.PUBLISHED)

    done = record(w, contract, evidence=SimpleUploadedFile("义诊.png", PNG, content_type="image/png"))

    assert (done.side, done.people_served, done.hours) == ("unit", 48, Decimal("3.0"))
    assert done.evidence.name.endswith(".png")


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"item_index": 9}, "invalid_item"),
        ({"done_on": date(2025, 12, 31)}, "invalid_date"),
        ({"description": ""}, "invalid_description"),
        ({"people_served": -1}, "invalid_people"),
        ({"hours": "三小时"}, "invalid_hours"),
        (
            {"evidence": SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")},
            "evidence_type",
        ),
        (
            {
                "evidence": SimpleUploadedFile(
                    "big.pdf", b"0" * (10 * 1024 * 1024 + 1), content_type="application/pdf"
                )
            },
            "evidence_too_large",
        ),
    ],
)
def test_bad_records_are_refused_and_nothing_is_recorded(district, fields, code):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.PUBLISHED)
    refused(lambda: record(w, contract, **fields), 400, code)
    assert not FulfilmentRecord.objects.exists()


def test_records_need_a_published_contract_and_a_party(district):
    w = pairing_world(district)
    signed = contract_in(w, ContractState.SIGNED)
    refused(lambda: record(w, signed), 409, "already_signed")
    published = contract_in(w, ContractState.PUBLISHED)
    refused(lambda: record(w, published, actor=district.unit_contact2), 404)
    refused(lambda: record(w, published, actor=district.district_admin), 403, "not_a_party")


def test_ratings_make_a_score_and_a_grade_that_go_into_the_record(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.EVALUATING)
    services.contract_rate(actor=district.resident_user, contract=contract, score=5, comment="义诊很方便")
    services.contract_rate(actor=district.member_user, contract=contract, score=4)
    services.contract_rate(actor=district.secretary1, contract=contract, score=5)
    services.contract_rate(actor=district.unit_contact1, contract=contract, score=4)

    closed = services.contract_close_evaluation(actor=district.secretary1, contract=contract)

    # residents 4.5 × 20 = 90 (weight 50), community 100 (25), unit 80 (25): 90.0
    assert (closed.score, closed.grade) == (Decimal("90.0"), "excellent")
    entry = Entry.objects.get(kind="contracts.evaluated")
    assert entry.payload["score"] == "90.0" and entry.payload["ratings"] == {
        "resident": 2,
        "community": 1,
        "unit": 1,
    }


def test_no_ratings_give_no_score(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.EVALUATED)
    assert (refresh(contract).score, refresh(contract).grade) == (None, "")


def test_rating_twice_outside_the_window_or_out_of_range_is_refused(district):
    w = pairing_world(district)
    published = contract_in(w, ContractState.PUBLISHED)
    refused(
        lambda: services.contract_rate(actor=district.resident_user, contract=published, score=5),
        409,
        "not_evaluating",
    )
    contract = contract_in(w, ContractState.EVALUATING)
    refused(
        lambda: services.contract_rate(actor=district.resident_user, contract=contract, score=6),
        400,
        "invalid_score",
    )
    services.contract_rate(actor=district.resident_user, contract=contract, score=3)
    refused(
        lambda: services.contract_rate(actor=district.resident_user, contract=contract, score=4),
        409,
        "already_rated",
    )
    services.contract_rate(actor=district.secretary1, contract=contract, score=4)
    refused(
        lambda: services.contract_rate(actor=w.community_signer, contract=contract, score=5),
        409,
        "already_rated",
    )
    refused(
        lambda: services.contract_rate(actor=district.secretary3, contract=contract, score=5),
        403,
        "not_a_rater",
    )
    assert Rating.objects.filter(contract=contract).count() == 2
