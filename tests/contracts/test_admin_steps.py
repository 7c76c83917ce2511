"""The contract's change page in the back office offers the steps its state allows; each button calls the service."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import translation

from contracts.models import Contract
from contracts.workflow import ContractState
from tests.contracts.support import contract_in, pairing_world, refresh

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def change_url(contract: Contract) -> str:
    return reverse("admin:contracts_contract_change", args=[contract.pk])


def step_url(contract: Contract, step: str) -> str:
    return reverse("admin:contracts_contract_step", args=[contract.pk, step])


def post_step(client: Client, contract: Contract, step: str, **data):
    """Open the change page for its CSRF token, as the browser does, then press the step's button."""
    page = client.get(change_url(contract))
    assert page.status_code == 200
    return client.post(step_url(contract, step), {"csrfmiddlewaretoken": page.context["csrf_token"], **data})


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def as_shown(message: str) -> str:
    """A message as the back office shows it: in the pages' language, Chinese first."""
    with translation.override(settings.LANGUAGE_CODE):
        return translation.gettext(message)


def test_the_change_page_of_a_signed_contract_offers_publishing_and_links_the_workspace(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.SIGNED)
    assert district.secretary1.is_staff

    page = signed_in(district.secretary1).get(change_url(contract))

    html = page.content.decode()
    assert page.status_code == 200
    assert f'action="{step_url(contract, "publish")}"' in html
    assert reverse("contracts:workspace", args=[contract.pk]) in html
    assert step_url(contract, "close_evaluation") not in html
    assert step_url(contract, "open_evaluation") not in html
    # Termination is the district administrator's; not public yet, so no public link.
    assert step_url(contract, "terminate") not in html
    assert 'data-testid="public-link"' not in html


def test_the_community_secretary_publishes_from_the_back_office(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.SIGNED)
    client = signed_in(district.secretary1)

    response = post_step(client, contract, "publish")

    assert response.status_code == 302 and response.url == change_url(contract)
    contract = refresh(contract)
    assert contract.state == ContractState.PUBLISHED and contract.published_at is not None
    assert contract.events.filter(step="publish", actor=district.secretary1).exists()
    assert len(messages_of(response)) == 1
    page = client.get(change_url(contract)).content.decode()
    assert reverse("contracts:public", args=[contract.pk]) in page
    assert step_url(contract, "open_evaluation") in page


def test_a_step_the_state_does_not_allow_shows_the_services_reason_and_changes_nothing(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.DRAFT)
    events = contract.events.count()

    response = post_step(signed_in(district.secretary1), contract, "close_evaluation")

    assert response.status_code == 302 and response.url == change_url(contract)
    assert messages_of(response) == [
        as_shown("This contract is still being negotiated; nothing has been agreed yet.")
    ]
    assert refresh(contract).state == ContractState.DRAFT
    assert contract.events.count() == events


def test_terminating_without_a_reason_changes_nothing(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.PUBLISHED)

    response = post_step(signed_in(district.district_admin), contract, "terminate", reason="   ")

    assert response.status_code == 302
    assert messages_of(response) == [as_shown("Give the reason for terminating the contract.")]
    contract = refresh(contract)
    assert contract.state == ContractState.PUBLISHED and contract.termination_reason == ""


def test_the_district_administrator_terminates_with_a_reason(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.PUBLISHED)
    client = signed_in(district.district_admin)
    assert step_url(contract, "terminate") in client.get(change_url(contract)).content.decode()

    response = post_step(client, contract, "terminate", reason="单位撤并")

    assert response.status_code == 302 and response.url == change_url(contract)
    contract = refresh(contract)
    assert contract.state == ContractState.TERMINATED and contract.termination_reason == "单位撤并"


def test_a_secretary_cannot_terminate_even_by_posting(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.PUBLISHED)

    response = post_step(signed_in(district.secretary1), contract, "terminate", reason="单位撤并")

    assert messages_of(response) == [as_shown("Only the district's administrator can terminate a contract.")]
    assert refresh(contract).state == ContractState.PUBLISHED


def test_a_secretary_of_another_community_gets_404(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.SIGNED)
    client = Client()
    client.force_login(district.secretary3)

    response = client.post(step_url(contract, "publish"))

    assert response.status_code == 404
    assert refresh(contract).state == ContractState.SIGNED


def test_an_unknown_step_is_404(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.SIGNED)
    client = Client()
    client.force_login(district.secretary1)

    assert client.post(step_url(contract, "sign")).status_code == 404


def test_a_step_is_never_taken_by_get(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.SIGNED)

    response = signed_in(district.secretary1).get(step_url(contract, "publish"))

    assert response.status_code == 405
    assert refresh(contract).state == ContractState.SIGNED


def test_a_step_without_the_csrf_token_is_refused(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.SIGNED)

    response = signed_in(district.secretary1).post(step_url(contract, "publish"))

    assert response.status_code == 403
    assert refresh(contract).state == ContractState.SIGNED


def test_renewing_opens_next_years_draft(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.PUBLISHED)
    client = signed_in(district.secretary1)

    response = post_step(client, contract, "renew")

    renewed = Contract.objects.get(renewed_from=contract)
    assert response.status_code == 302 and response.url == change_url(renewed)
    assert renewed.state == ContractState.DRAFT and renewed.term_start.year == 2027
    # Once renewed, the button is gone.
    assert step_url(contract, "renew") not in client.get(change_url(contract)).content.decode()
