"""Signing (签约): the frozen version only, the password again, in order; the text never changes afterwards."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from audit.models import Entry
from contracts import services
from contracts.models import ContractEvent, Signature, SigningOrder
from contracts.workflow import ContractState, ContractStep
from core.exceptions import ApplicationError
from tests.contracts.support import ITEMS, contract_in, draft, pairing_world, refresh
from tests.factories import PASSWORD
from tests.points.test_concurrency import run_together


def agreed(w, **fields):
    contract = draft(w, **fields)
    services.contract_agree(actor=w.d.secretary1, contract=contract, version=1)
    services.contract_agree(actor=w.d.unit_contact1, contract=contract, version=1)
    return refresh(contract)


def refused(call, status: int, code: str):
    with pytest.raises(ApplicationError) as error:
        call()
    assert (error.value.status_code, error.value.code) == (status, code), str(error.value.message)
    assert str(error.value.message)


@pytest.mark.django_db
class TestSigning:
    def test_both_sign_and_the_record_keeps_the_hash_of_the_text(self, district):
        w = pairing_world(district)
        contract = agreed(w)
        frozen = contract.frozen_version

        first = services.contract_sign(
            actor=w.community_signer,
            contract=contract,
            version=1,
            password=PASSWORD,
            ip_address="10.0.0.8",
            user_agent="UA",
        )
        assert refresh(contract).state == ContractState.AGREED
        second = services.contract_sign(actor=w.unit_signer, contract=contract, version=1, password=PASSWORD)

        assert refresh(contract).state == ContractState.SIGNED
        assert (first.side, first.organisation, first.ip_address, first.user_agent) == (
            "community",
            district.party1,
            "10.0.0.8",
            "UA",
        )
        assert first.text_hash == second.text_hash == frozen.text_hash and len(frozen.text_hash) == 64
        entries = Entry.objects.filter(
            kind="contracts.signature", subject=f"contracts.Contract:{contract.pk}"
        )
        assert sorted(e.payload["side"] for e in entries) == ["community", "unit"]
        assert {e.payload["text_hash"] for e in entries} == {frozen.text_hash}

    def test_a_wrong_password_signs_nothing(self, district):
        w = pairing_world(district)
        contract = agreed(w)
        refused(
            lambda: services.contract_sign(
                actor=w.community_signer, contract=contract, version=1, password="guess"
            ),
            403,
            "wrong_password",
        )
        assert Signature.objects.count() == 0 and refresh(contract).state == ContractState.AGREED

    def test_only_the_frozen_version_can_be_signed(self, district):
        w = pairing_world(district)
        contract = agreed(w)
        refused(
            lambda: services.contract_sign(
                actor=w.community_signer, contract=contract, version=2, password=PASSWORD
            ),
            400,
            "not_the_frozen_version",
        )
        assert Signature.objects.count() == 0

    def test_a_contact_who_may_not_sign_is_refused(self, district):
        w = pairing_world(district)
        contract = agreed(w)
        refused(
            lambda: services.contract_sign(
                actor=district.unit_contact1, contract=contract, version=1, password=PASSWORD
            ),
            403,
            "not_a_signer",
        )

    def test_signing_order_unit_first_and_either(self, district):
        w = pairing_world(district)
        contract = agreed(w, signing_order=SigningOrder.UNIT_FIRST)
        refused(
            lambda: services.contract_sign(
                actor=w.community_signer, contract=contract, version=1, password=PASSWORD
            ),
            409,
            "not_your_turn",
        )
        services.contract_sign(actor=w.unit_signer, contract=contract, version=1, password=PASSWORD)
        refused(
            lambda: services.contract_sign(
                actor=w.unit_signer, contract=contract, version=1, password=PASSWORD
            ),
            409,
            "already_signed_by_side",
        )
        services.contract_sign(actor=w.community_signer, contract=contract, version=1, password=PASSWORD)
        assert refresh(contract).state == ContractState.SIGNED

    def test_an_expired_signing_request_is_refused(self, district):
        w = pairing_world(district)
        contract = agreed(w)
        type(contract).objects.filter(pk=contract.pk).update(sign_by=timezone.now() - timedelta(minutes=1))
        refused(
            lambda: services.contract_sign(
                actor=w.community_signer, contract=contract, version=1, password=PASSWORD
            ),
            409,
            "signing_expired",
        )

    def test_asking_for_a_change_after_one_signature_voids_it(self, district):
        w = pairing_world(district)
        contract = agreed(w)
        signature = services.contract_sign(
            actor=w.community_signer, contract=contract, version=1, password=PASSWORD
        )

        services.contract_request_change(
            actor=district.unit_contact1, contract=contract, reason="义诊次数需增加"
        )

        now = refresh(contract)
        assert (now.state, now.frozen_version, now.community_agreed) == (ContractState.DRAFT, None, None)
        assert Signature.objects.get(pk=signature.pk).voided_at is not None
        version = services.contract_revise(
            actor=district.secretary1, contract=contract, items=ITEMS[:1], note="删除场地条目"
        )
        assert version.number == 2 and version.text_hash != signature.text_hash

    def test_a_signed_contract_cannot_be_edited_or_changed(self, district):
        w = pairing_world(district)
        contract = contract_in(w, ContractState.SIGNED)
        refused(
            lambda: services.contract_revise(actor=district.secretary1, contract=contract, items=ITEMS),
            409,
            "already_signed",
        )
        refused(
            lambda: services.contract_request_change(
                actor=district.secretary1, contract=contract, reason="改"
            ),
            409,
            "already_signed",
        )
        assert refresh(contract).versions.count() == 1

    def test_publishing_goes_into_the_public_record(self, district):
        w = pairing_world(district)
        contract = contract_in(w, ContractState.PUBLISHED)
        entry = Entry.objects.get(kind="contracts.published")
        assert entry.payload["text_hash"] == contract.frozen_version.text_hash
        assert [s["side"] for s in entry.payload["signatures"]] == ["community", "unit"]

    @pytest.mark.parametrize(
        ("items", "status"),
        [
            ([], 400),
            ("一些承诺", 400),
            ([{"side": "both", "kind": "service", "title": "义诊"}], 400),
            ([{"side": "unit", "kind": "other", "title": "义诊"}], 400),
            ([{"side": "unit", "kind": "service", "title": ""}], 400),
            ([{"side": "unit", "kind": "service", "title": "义诊", "budget": -5}], 400),
            ([{"side": "unit", "kind": "service", "title": "义诊", "quantity": 1.5}], 400),
            ([{"side": "unit", "kind": "service", "title": "义" * 121}], 400),
        ],
    )
    def test_bad_items_are_refused_and_nothing_is_drafted(self, district, items, status):
        w = pairing_world(district)
        with pytest.raises(ApplicationError) as error:
            draft(w, items=items)
        assert error.value.status_code == status and error.value.code in ("no_items", "invalid_item")
        assert not ContractEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("require_postgres")
def test_two_signers_at_the_same_moment_make_one_signed_transition_and_two_signatures(district):
    w = pairing_world(district)
    contract = agreed(w, signing_order=SigningOrder.ANY)
    signers = [w.community_signer, w.unit_signer]

    results, errors = run_together(
        2, lambda n: services.contract_sign(actor=signers[n], contract=contract, version=1, password=PASSWORD)
    )

    assert errors == []
    assert all(isinstance(r, Signature) for r in results), results
    assert refresh(contract).state == ContractState.SIGNED
    assert Signature.objects.filter(contract=contract, voided_at__isnull=True).count() == 2
    signed = ContractEvent.objects.filter(
        contract=contract, step=ContractStep.SIGN, to_state=ContractState.SIGNED
    )
    assert signed.count() == 1
    assert connection.vendor == "postgresql"
