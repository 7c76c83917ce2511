"""A pairing between 越都社区党委 and 越城区人民医院党委 with a signer on each side, and contracts in any state."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from community.models import Role
from contracts import services
from contracts.models import Contract, Side
from contracts.workflow import ContractState
from tests.factories import PASSWORD, make_user

ITEMS = [
    {
        "side": "unit",
        "kind": "service",
        "title": "每月义诊一次",
        "deliverable": "在社区服务中心开展健康义诊",
        "quantity": 12,
        "unit": "次",
        "schedule": "每月第一个周六",
        "budget": 6000,
    },
    {
        "side": "community",
        "kind": "resource",
        "title": "提供活动场地",
        "deliverable": "党群服务中心多功能厅",
        "quantity": None,
        "unit": "",
        "schedule": "全年",
        "budget": None,
    },
]


def pairing_world(d) -> SimpleNamespace:
    w = SimpleNamespace(d=d)
    w.pairing = services.pairing_create(
        actor=d.secretary1, community_org=d.party1, unit_org=d.unit1, since=date(2024, 1, 1)
    )
    # Signers hold their side's role, as the community's secretary and the unit's contact do.
    w.community_signer = make_user("community_signer", Role.COMMUNITY_SECRETARY, area=d.community1)
    w.unit_signer = make_user("unit_signer", Role.UNIT_CONTACT, organisation=d.unit1)
    services.pairing_contact_add(
        actor=None,
        pairing=w.pairing,
        user=w.community_signer,
        side=Side.COMMUNITY,
        title="书记",
        can_sign=True,
    )
    services.pairing_contact_add(
        actor=None, pairing=w.pairing, user=w.unit_signer, side=Side.UNIT, title="党委书记", can_sign=True
    )
    return w


def draft(w, **fields) -> Contract:
    return services.contract_create(
        actor=w.d.secretary1,
        pairing=w.pairing,
        title=fields.pop("title", "2026年度越都社区与人民医院共建契约"),
        term_start=fields.pop("term_start", date(2026, 1, 1)),
        term_end=fields.pop("term_end", date(2026, 12, 31)),
        items=fields.pop("items", ITEMS),
        **fields,
    )


def contract_in(w, state: str, **fields) -> Contract:
    """A contract brought to `state` through the services (`fields` go to `draft`)."""
    d = w.d
    contract = draft(w, **fields)
    if state == ContractState.DRAFT:
        return contract
    if state == ContractState.TERMINATED:
        return services.contract_terminate(actor=d.district_admin, contract=contract, reason="单位撤并")
    services.contract_agree(actor=d.secretary1, contract=contract, version=1)
    services.contract_agree(actor=d.unit_contact1, contract=contract, version=1)
    if state == ContractState.AGREED:
        return refresh(contract)
    services.contract_sign(actor=w.community_signer, contract=contract, version=1, password=PASSWORD)
    services.contract_sign(actor=w.unit_signer, contract=contract, version=1, password=PASSWORD)
    if state == ContractState.SIGNED:
        return refresh(contract)
    services.contract_publish(actor=d.secretary1, contract=contract)
    if state == ContractState.PUBLISHED:
        return refresh(contract)
    services.contract_open_evaluation(actor=d.secretary1, contract=contract)
    if state == ContractState.EVALUATING:
        return refresh(contract)
    services.contract_close_evaluation(actor=d.secretary1, contract=contract)
    assert state == ContractState.EVALUATED
    return refresh(contract)


def refresh(contract: Contract) -> Contract:
    return Contract.objects.get(pk=contract.pk)
