"""评约 criteria: the two sides rate each other on the configured criteria and weights; a side's rating
counts as the weighted mean of its scores; residents keep one overall score."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.checks import run_checks
from django.test import Client

from contracts import services
from contracts.models import Rating
from contracts.workflow import ContractState
from core.exceptions import ValidationFailed
from tests.contracts.support import contract_in, pairing_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _criteria(settings):
    settings.CONTRACT_EVALUATION_CRITERIA = {"delivery": 40, "quality": 30, "cooperation": 30}
    settings.CONTRACT_EVALUATION_WEIGHTS = {"resident": 50, "community": 25, "unit": 25}


def test_a_sides_rating_is_the_weighted_mean_of_its_criteria(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.EVALUATING)
    rating = services.contract_rate(
        actor=district.secretary1, contract=contract, scores={"delivery": 5, "quality": 4, "cooperation": 3}
    )
    assert (
        rating.scores == {"delivery": 5, "quality": 4, "cooperation": 3} and rating.score == 4
    )  # 4.1 rounded
    services.contract_rate(
        actor=district.unit_contact1, contract=contract, score=5
    )  # one score for all criteria
    # Exact: community's rating of the unit 4.1 → 82, the unit's 5 → 100; equal weights → 91.0.
    assert services.evaluation_score(contract) == Decimal("91.0")
    services.contract_close_evaluation(actor=district.secretary1, contract=contract)
    page = Client().get(f"/contracts/{contract.pk}/").content.decode()
    assert page.count('data-testid="side-rating"') == 2 and "91.0" in page


@pytest.mark.parametrize(
    ("scores", "code"),
    [
        ({"delivery": 5, "quality": 4}, "invalid_scores"),
        ({"delivery": 5, "quality": 4, "cooperation": 3, "residents": 5}, "invalid_scores"),
        ({"delivery": 6, "quality": 4, "cooperation": 3}, "invalid_score"),
        ({"delivery": "5", "quality": 4, "cooperation": 3}, "invalid_score"),
        (["delivery"], "invalid_scores"),
    ],
)
def test_bad_scores_are_refused_and_nothing_is_rated(district, scores, code):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.EVALUATING)
    with pytest.raises(ValidationFailed) as refused:
        services.contract_rate(actor=district.secretary1, contract=contract, scores=scores)
    assert refused.value.code == code
    assert not Rating.objects.exists()


def test_the_workspace_asks_a_side_for_each_criterion(district, settings):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.EVALUATING)
    client = Client()
    client.force_login(district.unit_contact1)
    page = client.get(f"/contracts/mine/{contract.pk}/")
    assert page.content.decode().count('data-testid="criterion"') == 3
    missing = client.post(
        f"/contracts/mine/{contract.pk}/", {"step": "rate", "c_delivery": 5, "c_quality": 4}
    )
    assert missing.status_code == 400 and not Rating.objects.exists()
    done = client.post(
        f"/contracts/mine/{contract.pk}/",
        {"step": "rate", "c_delivery": 5, "c_quality": 4, "c_cooperation": 4},
    )
    assert done.status_code == 302
    assert Rating.objects.get().scores == {"delivery": 5, "quality": 4, "cooperation": 4}
    # With one criterion configured, one radio group.
    settings.CONTRACT_EVALUATION_CRITERIA = {"delivery": 100}
    other = Client()
    other.force_login(district.secretary1)
    assert other.get(f"/contracts/mine/{contract.pk}/").content.decode().count('data-testid="criterion"') == 1


def test_the_api_takes_scores_by_criterion(district):
    from rest_framework.test import APIClient

    w = pairing_world(district)
    contract = contract_in(w, ContractState.EVALUATING)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(district.unit_contact1)
    url = f"/api/v1/contracts/{contract.pk}/rate/"
    assert client.post(url, {"comment": "x"}, format="json").status_code == 400
    response = client.post(url, {"scores": {"delivery": 4, "quality": 4, "cooperation": 5}}, format="json")
    assert response.status_code == 201 and response.json()["scores"]["cooperation"] == 5


def test_an_unknown_criterion_in_the_settings_is_a_system_check_error(settings):
    settings.CONTRACT_EVALUATION_CRITERIA = {"speed": 50}
    ids = {message.id for message in run_checks()}
    assert {"contracts.E001", "contracts.E002"} <= ids
