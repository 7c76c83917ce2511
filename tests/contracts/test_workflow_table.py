"""Every (state, step, actor): the step is taken, or refused with 403/404/409 and nothing changes."""

from __future__ import annotations

import pytest

from contracts import services
from contracts.models import Contract, ContractEvent, Signature
from contracts.workflow import TRANSITIONS, ContractState, ContractStep
from core.exceptions import ApplicationError
from tests.contracts.support import ITEMS, contract_in, pairing_world, refresh
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

S, T = ContractState, ContractStep
ACTORS = [
    "secretary1",  # the community's secretary
    "unit_contact1",  # the unit's contact
    "community_signer",  # authorised signer, community side
    "unit_signer",  # authorised signer, unit side
    "district_admin",
    "secretary3",  # another community's secretary
    "unit_contact2",  # another unit's contact
    "resident_user",  # no role
]
PARTIES = {"secretary1", "unit_contact1", "community_signer", "unit_signer"}
SECRETARIES = {"secretary1", "community_signer"}  # both hold the community secretary's role
OUTSIDERS = {"secretary3", "unit_contact2", "resident_user"}


def expected(state: str, step: str, actor: str) -> tuple[int, str | None]:
    """(HTTP-like status, state after) — 200 means the step is taken."""
    if actor in OUTSIDERS:
        return 404, None
    sources, target = TRANSITIONS[step]
    if step in (T.REVISE, T.AGREE, T.REQUEST_CHANGE):
        allowed = actor in PARTIES
    elif step == T.SIGN:
        allowed = actor in ("community_signer", "unit_signer")
    elif step in (T.PUBLISH, T.OPEN_EVALUATION, T.CLOSE_EVALUATION):
        allowed = actor in SECRETARIES
    else:  # terminate
        allowed = actor == "district_admin"
    if not allowed:
        return 403, None
    if state not in sources:
        return 409, None
    if step == T.SIGN and actor == "unit_signer":
        return 409, None  # community first: not the unit's turn yet
    if step == T.SIGN:
        return 200, S.AGREED  # the first of two signatures
    if step == T.AGREE:
        return 200, S.DRAFT  # one side's agreement; the other has not agreed yet
    return 200, target


def take(step: str, contract: Contract, actor):
    latest = contract.versions.order_by("-number").first().number
    calls = {
        T.REVISE: lambda: services.contract_revise(
            actor=actor, contract=contract, items=ITEMS, note="调整义诊次数"
        ),
        T.AGREE: lambda: services.contract_agree(actor=actor, contract=contract, version=latest),
        T.REQUEST_CHANGE: lambda: services.contract_request_change(
            actor=actor, contract=contract, reason="预算需调整"
        ),
        T.SIGN: lambda: services.contract_sign(actor=actor, contract=contract, version=1, password=PASSWORD),
        T.PUBLISH: lambda: services.contract_publish(actor=actor, contract=contract),
        T.OPEN_EVALUATION: lambda: services.contract_open_evaluation(actor=actor, contract=contract),
        T.CLOSE_EVALUATION: lambda: services.contract_close_evaluation(actor=actor, contract=contract),
        T.TERMINATE: lambda: services.contract_terminate(actor=actor, contract=contract, reason="单位撤并"),
    }
    return calls[step]()


@pytest.mark.parametrize("actor_name", ACTORS)
@pytest.mark.parametrize("step", T.values)
@pytest.mark.parametrize("state", S.values)
def test_every_state_step_and_actor(district, state, step, actor_name):
    w = pairing_world(district)
    contract = contract_in(w, state)
    actor = getattr(w, actor_name, None) or getattr(district, actor_name)
    before = (
        contract.state,
        ContractEvent.objects.count(),
        Signature.objects.count(),
        contract.versions.count(),
    )
    status, after = expected(state, step, actor_name)

    try:
        take(step, contract, actor)
    except ApplicationError as refusal:
        assert refusal.status_code == status, (refusal.status_code, refusal.code, str(refusal.message))
        assert str(refusal.message)
        now = refresh(contract)
        assert (
            now.state,
            ContractEvent.objects.count(),
            Signature.objects.count(),
            now.versions.count(),
        ) == before
        return
    assert status == 200, f"expected {status}, the step was taken"
    assert refresh(contract).state == after
    assert ContractEvent.objects.count() == before[1] + 1
