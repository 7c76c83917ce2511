"""The district-scale contracts (contracts.demo_scale through core.scale): a pairing per unit, three
years of contracts in the states the workflow allows, and every row as the services would have
written it — canonical texts and their hashes, signatures by the authorised signers, histories that
follow the step table, scores as the evaluation computes them, and a public record that verifies."""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db.models import Count, Max, Min
from django.test import Client
from django.utils import timezone
from zeal import zeal_ignore

from audit.chain import document_hash
from audit.models import Entry
from audit.verify import verify_chain
from community.models import Person
from contracts import services
from contracts.models import (
    Comment,
    Contract,
    ContractEvent,
    ContractVersion,
    FulfilmentRecord,
    Meeting,
    MenuOffer,
    Need,
    Pairing,
    PairingContact,
    RaterKind,
    Rating,
    Rectification,
    Signature,
)
from contracts.workflow import TEXT_FIXED_STATES, TRANSITIONS, ContractState, ContractStep
from core.scale import ScaleWorld, seed_scale

pytestmark = pytest.mark.django_db

FACTOR = 0.005
S = ContractState


@pytest.fixture
def world() -> ScaleWorld:
    made = seed_scale(FACTOR)
    assert made is not None
    return made


def _contracts():
    return Contract.objects.select_related(
        "pairing__community", "pairing__community_org", "pairing__unit_org", "frozen_version"
    ).order_by("pk")


def _by_contract(queryset) -> dict[int, list]:
    rows = defaultdict(list)
    for row in queryset:
        rows[row.contract_id].append(row)
    return rows


def _check_pairings_and_years(world):
    assert Pairing.objects.count() == len(world.units) == world.made["pairings"]
    secretaries = {c.area_id: c.secretary_user_id for c in world.communities}
    pairings = {
        p.unit_org_id: p
        for p in Pairing.objects.select_related("community").prefetch_related("contacts__user")
    }
    for unit in world.units:
        pairing = pairings[unit.org_id]
        assert pairing.community_id == unit.community_area_id
        contacts = list(pairing.contacts.all())
        signers = {(c.side, c.user_id) for c in contacts if c.can_sign}
        assert signers == {("community", secretaries[unit.community_area_id]), ("unit", unit.contact_user_id)}
        # The services recognise each contact as a party of its side.
        for contact in contacts:
            assert contact.side in services.sides_of(contact.user, pairing)

    first, last, this = world.years
    assert Contract.objects.count() == world.made["contracts"]
    by_year = defaultdict(set)
    contracts = {c.pk: c for c in Contract.objects.all()}
    for contract in contracts.values():
        by_year[contract.term_start.year].add(contract.state)
        assert contract.term_end > contract.term_start
    # The past years are closed: evaluated, or terminated.
    assert by_year[first] <= {S.EVALUATED, S.TERMINATED} and S.EVALUATED in by_year[first]
    assert by_year[last] <= {S.EVALUATED, S.TERMINATED} and S.EVALUATED in by_year[last]
    # This year's contracts are in the states of the workflow, mostly being fulfilled.
    assert by_year[this] and by_year[this] <= set(S.values) and S.PUBLISHED in by_year[this]
    # Next year's contracts are being negotiated since the autumn; none is fulfilled or evaluated yet.
    assert by_year[this + 1] <= {S.DRAFT, S.AGREED, S.SIGNED, S.PUBLISHED}
    assert set(by_year) <= {first, last, this, this + 1}
    # Long-standing pairings have one contract a year (and next year's, once begun), new ones their first;
    # renewals continue the year before's.
    per_pairing = Contract.objects.values("pairing").annotate(n=Count("pk"))
    assert {row["n"] for row in per_pairing} <= {1, 3, 4}
    for contract in contracts.values():
        if contract.renewed_from_id is not None:
            previous = contracts[contract.renewed_from_id]
            assert previous.pairing_id == contract.pairing_id
            assert previous.term_start.year == contract.term_start.year - 1
            assert previous.state in (S.PUBLISHED, S.EVALUATING, S.EVALUATED)

    assert Meeting.objects.count() == world.made["consultation meetings"] >= len(contracts) // 2
    assert MenuOffer.objects.count() == world.made["menu offers"] >= len(world.units)
    assert Need.objects.count() == world.made["community needs"] >= len(world.communities)
    assert FulfilmentRecord.objects.count() == world.made["fulfilment records"] > 0
    assert Rating.objects.count() == world.made["contract ratings"] > 0


def _check_texts_signatures_and_histories(world):
    now = timezone.now()
    versions = _by_contract(ContractVersion.objects.order_by("contract", "number"))
    signatures = _by_contract(Signature.objects.select_related("version").order_by("signed_at"))
    events = _by_contract(ContractEvent.objects.order_by("at", "pk"))
    signers = {(c.pairing_id, c.side, c.user_id) for c in PairingContact.objects.filter(can_sign=True)}

    for contract in _contracts():
        term = (contract.term_start, contract.term_end)
        mine = versions[contract.pk]
        assert [v.number for v in mine] == list(range(1, len(mine) + 1))
        for version in mine:
            # Canonical items, hashed as the services hash the text.
            assert services.clean_items(version.items, term) == version.items
            assert version.text_hash == document_hash(services.canonical_text(contract, version.items))
        # The history is a path through the step table, ending in the contract's state.
        history = events[contract.pk]
        assert history[0].step == ContractStep.REVISE and history[0].from_state == S.DRAFT
        state = S.DRAFT
        for event in history:
            sources, target = TRANSITIONS[event.step]
            assert event.from_state == state and event.from_state in sources, (contract, event)
            assert target is None or event.to_state == target
            state = event.to_state
        assert state == contract.state
        assert history[-1].at <= now
        assert contract.created_at <= history[0].at <= contract.updated_at <= now
        # Signatures: by an authorised signer of the side, of the frozen text; one standing per side.
        live = [s for s in signatures[contract.pk] if s.voided_at is None]
        assert len({s.side for s in live}) == len(live)
        for signature in signatures[contract.pk]:
            assert (contract.pairing_id, signature.side, signature.signer_id) in signers
            assert signature.text_hash == signature.version.text_hash
        if contract.state in TEXT_FIXED_STATES:
            assert contract.frozen_version == mine[-1]
            assert {s.side for s in live} == {"community", "unit"}
            assert all(s.version_id == contract.frozen_version_id for s in live)
            assert contract.signed_at == max(s.signed_at for s in live)
            assert contract.community_agreed == contract.unit_agreed == contract.frozen_version.number
        if contract.state == S.AGREED:
            assert contract.frozen_version == mine[-1] and len(live) <= 1 and contract.sign_by > now
        if contract.state == S.DRAFT:
            assert contract.frozen_version is None and not live
        if contract.state in (S.PUBLISHED, S.EVALUATING, S.EVALUATED):
            assert contract.published_at is not None and contract.published_at > contract.signed_at
        if contract.state == S.TERMINATED:
            assert contract.terminated_at == history[-1].at and contract.termination_reason


def _check_fulfilment_meetings_and_ratings(world):
    now = timezone.now()
    events = _by_contract(ContractEvent.objects.order_by("at", "pk"))
    meetings = _by_contract(Meeting.objects.all())
    records = _by_contract(FulfilmentRecord.objects.all())
    ratings = _by_contract(Rating.objects.select_related("rater"))
    rectified = set(Rectification.objects.values_list("contract_id", flat=True))
    version_numbers = set(ContractVersion.objects.values_list("contract_id", "number"))
    assert {(c.contract_id, c.version) for c in Comment.objects.all()} <= version_numbers
    communities = dict(Person.objects.exclude(user=None).values_list("user_id", "community_id"))

    for contract in _contracts():
        steps = {e.step: e.at for e in events[contract.pk]}
        for meeting in meetings[contract.pk]:
            assert meeting.held_on <= timezone.localtime(meeting.created_at).date()
            assert contract.signed_at is None or meeting.created_at < contract.signed_at
        ended = steps.get(ContractStep.OPEN_EVALUATION) or steps.get(ContractStep.TERMINATE) or now
        for record in records[contract.pk]:
            assert contract.published_at < record.created_at <= ended
            assert contract.term_start <= record.done_on <= timezone.localtime(record.created_at).date()
            items = contract.frozen_version.items
            assert 0 <= record.item_index < len(items)
            if record.milestone is not None:
                assert record.milestone < len(items[record.item_index]["milestones"])
        if ratings[contract.pk]:
            opened = steps[ContractStep.OPEN_EVALUATION]
            closed = steps.get(ContractStep.CLOSE_EVALUATION, now)
            assert all(opened < r.created_at < closed for r in ratings[contract.pk])
        for rating in ratings[contract.pk]:
            if rating.rater_kind == RaterKind.RESIDENT:
                assert communities[rating.rater_id] == contract.pairing.community_id
            else:
                assert services.sides_of(rating.rater, contract.pairing) == {rating.rater_kind}
                mean = services.weighted_mean(rating.scores)
                assert rating.score == int(mean.quantize(Decimal(1), rounding=ROUND_HALF_UP))
        if contract.state == S.EVALUATED:
            with zeal_ignore():
                assert contract.score == services.evaluation_score(contract)
            assert contract.grade == services.grade_for(contract.score)
            assert contract.grade != "fail" or contract.pk in rectified
        else:
            assert contract.score is None and contract.grade == ""
    for rectification in Rectification.objects.select_related("contract"):
        assert rectification.contract.state == S.EVALUATED
        assert rectification.due_on >= timezone.localtime(rectification.created_at).date()
        assert rectification.done_on is None or rectification.done_on <= timezone.localdate()
    # Nothing is dated in the future, nor long before the three years.
    for model, column in (
        (ContractEvent, "at"),
        (Signature, "signed_at"),
        (FulfilmentRecord, "created_at"),
        (Rating, "created_at"),
        (Meeting, "created_at"),
        (MenuOffer, "created_at"),
        (Need, "created_at"),
    ):
        span = model.objects.aggregate(first=Min(column), last=Max(column))
        assert span["last"] <= now, model
        assert span["first"].year >= world.years[0] - 1, model


def _check_public_record_and_pages(world):
    result = verify_chain()
    assert result.ok, result.breach
    assert Entry.objects.filter(kind="contracts.signature").count() == Signature.objects.count()
    # Published, and still public or terminated since.
    public = Contract.objects.filter(state__in=(S.PUBLISHED, S.EVALUATING, S.EVALUATED))
    hashes = dict(Contract.objects.exclude(published_at=None).values_list("pk", "frozen_version__text_hash"))
    assert public.count() + Contract.objects.filter(state=S.TERMINATED).count() >= len(hashes) > 0
    published = Entry.objects.filter(kind="contracts.published")
    assert {e.payload["contract_id"]: e.payload["text_hash"] for e in published} == hashes
    assert all(e.subject == f"contracts.Contract:{e.payload['contract_id']}" for e in published)
    evaluated = Entry.objects.filter(kind="contracts.evaluated").count()
    assert evaluated == Contract.objects.filter(state=S.EVALUATED).count()

    contract = public.select_related("pairing").order_by("pk").first()
    secretary = PairingContact.objects.get(pairing=contract.pairing, side="community", can_sign=True).user
    staff = Client()
    staff.force_login(secretary)
    for url in (
        "/contracts/mine/",
        f"/contracts/mine/{contract.pk}/",
        f"/contracts/mine/{contract.pk}/certificate/",
        "/contracts/menus/",
        f"/dashboards/{contract.pairing.community_id}/",
    ):
        assert staff.get(url).status_code == 200, url
    for url in ("/contracts/", f"/contracts/{contract.pk}/"):
        assert Client().get(url).status_code == 200, url


# Seeding the whole district (every part) takes a while even at this factor: two tests share the checks.


def test_pairings_contracts_texts_signatures_and_histories(world):
    _check_pairings_and_years(world)
    _check_texts_signatures_and_histories(world)


def test_fulfilment_ratings_the_public_record_and_the_pages(world):
    _check_fulfilment_meetings_and_ratings(world)
    _check_public_record_and_pages(world)
