"""A failing evaluation opens rectification (整改) with a deadline; the sides report it done; the public sees it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from contracts import services
from contracts.models import Rectification
from contracts.workflow import ContractState
from core.exceptions import ApplicationError
from tests.contracts.support import contract_in, pairing_world

pytestmark = pytest.mark.django_db


def failed(w):
    d = w.d
    contract = contract_in(w, ContractState.EVALUATING)
    services.contract_rate(actor=d.resident_user, contract=contract, score=2)
    services.contract_rate(actor=d.secretary1, contract=contract, score=2)
    return services.contract_close_evaluation(actor=d.secretary1, contract=contract)


def test_a_failing_grade_opens_rectification_and_the_unit_reports_it_done(district, settings):
    settings.CONTRACT_RECTIFICATION_DAYS = 30
    w = pairing_world(district)
    contract = failed(w)

    assert contract.grade == "fail"
    item = Rectification.objects.get(contract=contract)
    assert item.due_on == timezone.localdate() + timedelta(days=30) and "不满意" in item.description
    extra = services.rectification_add(
        actor=district.secretary1,
        contract=contract,
        description="义诊频次补足",
        due_on=timezone.localdate() + timedelta(days=10),
    )
    services.rectification_done(actor=district.unit_contact1, rectification=extra, note="已补开两次义诊")
    with pytest.raises(ApplicationError) as error:
        services.rectification_done(actor=district.unit_contact1, rectification=extra, note="again")
    assert error.value.code == "already_done"

    html = Client().get(f"/contracts/{contract.pk}/").content.decode()
    assert "义诊频次补足" in html and "已补开两次义诊" in html


def test_a_good_grade_opens_none_and_bad_rectification_input_is_refused(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.EVALUATING)
    services.contract_rate(actor=district.resident_user, contract=contract, score=5)
    contract = services.contract_close_evaluation(actor=district.secretary1, contract=contract)
    assert not Rectification.objects.exists()
    for kwargs, code in [
        ({"description": "", "due_on": timezone.localdate()}, "invalid_description"),
        ({"description": "补", "due_on": timezone.localdate() - timedelta(days=1)}, "invalid_date"),
    ]:
        with pytest.raises(ApplicationError) as error:
            services.rectification_add(actor=district.secretary1, contract=contract, **kwargs)
        assert error.value.code == code
    with pytest.raises(ApplicationError) as error:
        services.rectification_add(
            actor=district.unit_contact1, contract=contract, description="补", due_on=timezone.localdate()
        )
    assert error.value.status_code == 403
    published = contract_in(w, ContractState.PUBLISHED)
    with pytest.raises(ApplicationError) as error:
        services.rectification_add(
            actor=district.secretary1, contract=published, description="补", due_on=timezone.localdate()
        )
    assert error.value.status_code == 409
    assert not Rectification.objects.exists()
