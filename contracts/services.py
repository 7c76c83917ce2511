"""Every change to pairings and contracts: one function per step, one transaction, the rules checked.

Who may act: the community side is the community's Party secretary (or a contact named on the
pairing for that side); the unit side is the unit's contact (or a contact named for it). Signing
needs a contact with `can_sign`, and the password again. A district administrator may terminate.
A contract the actor may not see answers 404 (`NotFound`); one they see but may not act on, 403;
a step the state does not allow, 409. Every transition locks the contract row first, so two
people acting at once are serialised, and writes a `ContractEvent`.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from audit.chain import document_hash
from audit.services import audit_append, subject_for
from community.access import scope_for
from community.models import Area, AreaKind, Organisation, OrgKind, Role, User
from core.exceptions import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from core.outbox import enqueue

from . import workflow
from .models import (
    Comment,
    Contract,
    ContractEvent,
    ContractVersion,
    Criterion,
    FulfilmentRecord,
    Meeting,
    MenuKind,
    MenuOffer,
    Need,
    Pairing,
    PairingContact,
    RaterKind,
    Rating,
    Rectification,
    Side,
    Signature,
    SigningOrder,
)
from .workflow import ContractState, ContractStep

MAX_ITEMS = 60
ITEM_TEXT_LIMITS = {"title": 120, "deliverable": 500, "unit": 20, "schedule": 120}
MAX_BUDGET = 100_000_000  # yuan
MAX_MILESTONES = 12
MILESTONE_TEXT_LIMIT = 120


# --- Who is acting ----------------------------------------------------------------------------


def sides_of(actor: User | None, pairing: Pairing) -> set[str]:
    """The sides of `pairing` that `actor` may act for."""
    if actor is None or not actor.is_authenticated:
        return set()
    sides: set[str] = set()
    scope = scope_for(actor)
    if (
        scope.for_roles((Role.COMMUNITY_SECRETARY,)).covers_path(pairing.community.path)
        and not scope.everything
    ):
        sides.add(Side.COMMUNITY)
    if pairing.unit_org_id in scope.for_roles((Role.UNIT_CONTACT,)).org_ids:
        sides.add(Side.UNIT)
    sides.update(PairingContact.objects.filter(pairing=pairing, user=actor).values_list("side", flat=True))
    return sides


def _visible_contract(actor: User | None, contract: Contract, *, lock: bool) -> Contract:
    queryset = Contract.objects.select_related(
        "pairing__community", "pairing__community_org", "pairing__unit_org"
    )
    if actor is not None:
        queryset = queryset.visible_to(actor)
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    found = queryset.filter(pk=contract.pk).first()
    if found is None:
        raise NotFound(_("Contract not found."), code="contract_not_found")
    return found


def _require_party(actor: User | None, contract: Contract) -> set[str]:
    sides = sides_of(actor, contract.pairing)
    if not sides:
        raise PermissionDenied(
            _("Only the two paired organisations' secretaries and contacts can take this step."),
            code="not_a_party",
        )
    return sides


def _record(contract: Contract, step: str, from_state: str, actor: User | None, note: str = "") -> None:
    ContractEvent.objects.create(
        contract=contract,
        step=step,
        from_state=from_state,
        to_state=contract.state,
        actor=actor if actor is not None and actor.is_authenticated else None,
        note=note[:200],
    )


# --- Pairings -----------------------------------------------------------------------------------


def pairing_create(
    *, actor: User | None, community_org: Organisation, unit_org: Organisation, since: date
) -> Pairing:
    """Pair a community Party organisation with a unit Party organisation (district admin or the community's secretary)."""
    if community_org.kind != OrgKind.COMMUNITY_PARTY:
        raise ValidationFailed(
            _("The first side must be a community Party organisation."), code="not_community_org"
        )
    if unit_org.kind != OrgKind.UNIT_PARTY:
        raise ValidationFailed(_("The second side must be a unit Party organisation."), code="not_unit_org")
    community = community_org.area
    if community.kind != AreaKind.COMMUNITY:
        community = community.ancestor_of_kind(AreaKind.COMMUNITY)
    if community is None:
        raise ValidationFailed(_("The community Party organisation is not attached to a community."))
    if actor is not None:
        scope = scope_for(actor).for_roles((Role.DISTRICT_ADMIN, Role.STREET_ADMIN, Role.COMMUNITY_SECRETARY))
        if not scope.covers_path(community.path):
            raise PermissionDenied(
                _("Only the community's secretary or the district's administrators can pair it with a unit."),
                code="not_allowed",
            )
    if Pairing.objects.filter(community_org=community_org, unit_org=unit_org).exists():
        raise ValidationFailed(_("These two organisations are already paired."), code="already_paired")
    return Pairing.objects.create(
        community=community, community_org=community_org, unit_org=unit_org, since=since
    )


def pairing_contact_add(
    *, actor: User | None, pairing: Pairing, user: User, side: str, title: str = "", can_sign: bool = False
) -> PairingContact:
    if side not in Side.values:
        raise ValidationFailed(_("Unknown side."), code="invalid_side")
    if actor is not None and side not in sides_of(actor, pairing) and not scope_for(actor).everything:
        raise PermissionDenied(_("Each side names its own contacts and signers."), code="not_your_side")
    if not Pairing.objects.visible_to(user).filter(pk=pairing.pk).exists():
        raise ValidationFailed(
            _("Give this person the community secretary's or the unit contact's role first."),
            code="contact_has_no_role",
        )
    contact, _created = PairingContact.objects.update_or_create(
        pairing=pairing, side=side, user=user, defaults={"title": title[:60], "can_sign": can_sign}
    )
    return contact


# --- Items and versions -------------------------------------------------------------------------


def _clean_milestones(number: int, raw: Any, term: tuple[date, date] | None) -> list[dict[str, str]]:
    """An item's dated milestones (节点): `[{"due": "2026-03-31", "what": "..."}]`, sorted by date."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list) or len(raw) > MAX_MILESTONES:
        raise ValidationFailed(
            _("Item %(n)s: at most %(max)s milestones, each with a date and what is due.")
            % {"n": number, "max": MAX_MILESTONES},
            code="invalid_milestone",
        )
    milestones = []
    for milestone in raw:
        what = milestone.get("what") if isinstance(milestone, dict) else None
        due = milestone.get("due") if isinstance(milestone, dict) else None
        if isinstance(due, date):
            due = due.isoformat()
        try:
            day = date.fromisoformat(due) if isinstance(due, str) else None
        except ValueError:
            day = None
        if (
            day is None
            or not isinstance(what, str)
            or not what.strip()
            or len(what.strip()) > MILESTONE_TEXT_LIMIT
        ):
            raise ValidationFailed(
                _(
                    "Item %(n)s: each milestone needs a date (2026-03-31) and what is due, in at most %(max)s characters."
                )
                % {"n": number, "max": MILESTONE_TEXT_LIMIT},
                code="invalid_milestone",
            )
        if term is not None and not term[0] <= day <= term[1]:
            raise ValidationFailed(
                _("Item %(n)s: the milestone of %(day)s is outside the contract's term.")
                % {"n": number, "day": day.isoformat()},
                code="milestone_outside_term",
            )
        milestones.append({"due": day.isoformat(), "what": what.strip()})
    return sorted(milestones, key=lambda m: m["due"])


def clean_items(items: Any, term: tuple[date, date] | None = None) -> list[dict[str, Any]]:
    """The contract's items in their canonical form; a clear error for the first thing wrong.

    `term` (start, end), when given, bounds the items' milestone dates.
    """
    if not isinstance(items, list) or not items:
        raise ValidationFailed(_("A contract needs at least one item."), code="no_items")
    if len(items) > MAX_ITEMS:
        raise ValidationFailed(
            _("A contract has at most %(max)s items.") % {"max": MAX_ITEMS}, code="too_many_items"
        )
    cleaned = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise ValidationFailed(_("Item %(n)s is not an item.") % {"n": number}, code="invalid_item")
        side, kind = item.get("side"), item.get("kind")
        if side not in Side.values:
            raise ValidationFailed(
                _("Item %(n)s: say which side provides it.") % {"n": number}, code="invalid_item"
            )
        if kind not in MenuKind.values:
            raise ValidationFailed(
                _("Item %(n)s: choose responsibility, service, resource or personalised.") % {"n": number},
                code="invalid_item",
            )
        row: dict[str, Any] = {"side": side, "kind": kind}
        for field, limit in ITEM_TEXT_LIMITS.items():
            value = item.get(field) or ""
            if not isinstance(value, str) or len(value.strip()) > limit:
                raise ValidationFailed(
                    _("Item %(n)s: %(field)s must be text of at most %(max)s characters.")
                    % {"n": number, "field": field, "max": limit},
                    code="invalid_item",
                )
            row[field] = value.strip()
        if not row["title"]:
            raise ValidationFailed(_("Item %(n)s needs a title.") % {"n": number}, code="invalid_item")
        for field, maximum in (("quantity", 100_000), ("budget", MAX_BUDGET)):
            value = item.get(field)
            if value in (None, ""):
                row[field] = None
                continue
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
                raise ValidationFailed(
                    _("Item %(n)s: %(field)s must be a whole number from 0 to %(max)s.")
                    % {"n": number, "field": field, "max": maximum},
                    code="invalid_item",
                )
            row[field] = value
        row["milestones"] = _clean_milestones(number, item.get("milestones"), term)
        cleaned.append(row)
    return cleaned


def canonical_text(contract: Contract, items: list[dict[str, Any]]) -> dict[str, Any]:
    """What is signed: the parties, the term and the items (the SHA-256 of its canonical JSON)."""
    pairing = contract.pairing
    return {
        "contract": contract.pk,
        "title": contract.title,
        "community_org": pairing.community_org.name,
        "unit_org": pairing.unit_org.name,
        "term_start": contract.term_start.isoformat(),
        "term_end": contract.term_end.isoformat(),
        "items": items,
    }


def _new_version(
    contract: Contract, items: list[dict[str, Any]], actor: User | None, note: str
) -> ContractVersion:
    last = contract.versions.order_by("-number").values_list("number", flat=True).first() or 0
    return ContractVersion.objects.create(
        contract=contract,
        number=last + 1,
        items=items,
        note=note[:200],
        text_hash=document_hash(canonical_text(contract, items)),
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )


# --- Negotiate (谈约) ----------------------------------------------------------------------------


@transaction.atomic
def contract_create(
    *,
    actor: User | None,
    pairing: Pairing,
    title: str,
    term_start: date,
    term_end: date,
    items: Any,
    signing_order: str = SigningOrder.COMMUNITY_FIRST,
    renewed_from: Contract | None = None,
) -> Contract:
    """Draft a contract for a pairing and a term; its first version holds `items`."""
    if actor is not None and not sides_of(actor, pairing):
        if not Pairing.objects.visible_to(actor).filter(pk=pairing.pk).exists():
            raise NotFound(_("Pairing not found."), code="pairing_not_found")
        raise PermissionDenied(
            _("Only the two paired organisations can draft their contract."), code="not_a_party"
        )
    if not pairing.active:
        raise ValidationFailed(_("This pairing has ended."), code="pairing_ended")
    title = (title or "").strip()
    if not title or len(title) > 120:
        raise ValidationFailed(
            _("Give the contract a title of at most 120 characters."), code="invalid_title"
        )
    if term_end <= term_start:
        raise ValidationFailed(_("The term must end after it starts."), code="invalid_term")
    if signing_order not in SigningOrder.values:
        raise ValidationFailed(_("Unknown signing order."), code="invalid_signing_order")
    cleaned = clean_items(items, (term_start, term_end))
    contract = Contract.objects.create(
        pairing=pairing,
        title=title,
        term_start=term_start,
        term_end=term_end,
        signing_order=signing_order,
        renewed_from=renewed_from,
    )
    _new_version(contract, cleaned, actor, _("First draft"))
    _record(contract, ContractStep.REVISE, ContractState.DRAFT, actor, _("Drafted"))
    return contract


@transaction.atomic
def contract_revise(*, actor: User | None, contract: Contract, items: Any, note: str = "") -> ContractVersion:
    """A new version of the draft; any agreement to an earlier version lapses."""
    contract = _visible_contract(actor, contract, lock=True)
    if actor is not None:
        _require_party(actor, contract)
    workflow.check(ContractStep.REVISE, contract.state)
    version = _new_version(
        contract, clean_items(items, (contract.term_start, contract.term_end)), actor, note
    )
    contract.community_agreed = contract.unit_agreed = None
    contract.save(update_fields=["community_agreed", "unit_agreed", "updated_at"])
    _record(
        contract,
        ContractStep.REVISE,
        ContractState.DRAFT,
        actor,
        note or _("Version %(n)s") % {"n": version.number},
    )
    return version


@transaction.atomic
def contract_agree(*, actor: User | None, contract: Contract, version: int) -> Contract:
    """The actor's side agrees to the latest version; when both have, it is frozen for signature.

    `actor=None` is the system (demo data, imports): both sides' agreement at once.
    """
    contract = _visible_contract(actor, contract, lock=True)
    # No actor: the system (the demo, an import) records both sides' agreement.
    sides = {Side.COMMUNITY, Side.UNIT} if actor is None else _require_party(actor, contract)
    workflow.check(ContractStep.AGREE, contract.state)
    latest = contract.versions.order_by("-number").first()
    if latest is None or version != latest.number:
        raise ValidationFailed(
            _("Only the latest version (%(n)s) can be agreed to.") % {"n": latest.number if latest else 0},
            code="not_latest_version",
        )
    if Side.COMMUNITY in sides:
        contract.community_agreed = version
    if Side.UNIT in sides:
        contract.unit_agreed = version
    before = contract.state
    if contract.community_agreed == version and contract.unit_agreed == version:
        contract.state = ContractState.AGREED
        contract.frozen_version = latest
        contract.sign_by = timezone.now() + timedelta(days=settings.CONTRACT_SIGNING_DAYS)
    contract.save()
    _record(contract, ContractStep.AGREE, before, actor, _("Agreed to version %(n)s") % {"n": version})
    return contract


@transaction.atomic
def contract_request_change(*, actor: User | None, contract: Contract, reason: str) -> Contract:
    """Back to negotiation before both have signed; any signature is voided."""
    contract = _visible_contract(actor, contract, lock=True)
    if actor is not None:
        _require_party(actor, contract)
    workflow.check(ContractStep.REQUEST_CHANGE, contract.state)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say what should change."), code="reason_required")
    now = timezone.now()
    contract.signatures.filter(voided_at__isnull=True).update(voided_at=now)
    before = contract.state
    contract.state = ContractState.DRAFT
    contract.frozen_version = None
    contract.sign_by = None
    contract.community_agreed = contract.unit_agreed = None
    contract.save()
    _record(contract, ContractStep.REQUEST_CHANGE, before, actor, reason)
    return contract


# --- Sign (签约) ---------------------------------------------------------------------------------


@transaction.atomic
def contract_sign(
    *,
    actor: User,
    contract: Contract,
    version: int,
    password: str,
    ip_address: str | None = None,
    user_agent: str = "",
) -> Signature:
    """The actor signs the frozen version for their side, after entering their password again."""
    contract = _visible_contract(actor, contract, lock=True)
    signer_sides = set(
        PairingContact.objects.filter(pairing=contract.pairing, user=actor, can_sign=True).values_list(
            "side", flat=True
        )
    )
    if not signer_sides:
        _require_party(actor, contract)
        raise PermissionDenied(
            _("Only an authorised signer of one of the two organisations can sign."), code="not_a_signer"
        )
    workflow.check(ContractStep.SIGN, contract.state)
    frozen = contract.frozen_version
    if frozen is None or version != frozen.number:
        raise ValidationFailed(
            _("Only the version agreed for signature (%(n)s) can be signed.")
            % {"n": frozen.number if frozen else 0},
            code="not_the_frozen_version",
        )
    if not password or not actor.check_password(password):
        raise PermissionDenied(_("The password is not correct; nothing was signed."), code="wrong_password")
    now = timezone.now()
    if contract.sign_by is not None and now > contract.sign_by:
        raise InvalidTransition(
            _("The time for signing this version has passed; agree to it again to sign."),
            code="signing_expired",
        )
    signed = set(contract.signatures.filter(voided_at__isnull=True).values_list("side", flat=True))
    open_sides = signer_sides - signed
    if not open_sides:
        raise InvalidTransition(
            _("Your side has already signed this contract."), code="already_signed_by_side"
        )
    order = contract.signing_order
    first = {SigningOrder.COMMUNITY_FIRST: Side.COMMUNITY, SigningOrder.UNIT_FIRST: Side.UNIT}.get(order)
    if first is not None and first not in signed:
        if first not in open_sides:
            raise InvalidTransition(
                _("The %(side)s signs first.") % {"side": Side(first).label}, code="not_your_turn"
            )
        side = first
    else:
        side = sorted(open_sides)[0]
    organisation = contract.pairing.community_org if side == Side.COMMUNITY else contract.pairing.unit_org
    signature = Signature.objects.create(
        contract=contract,
        version=frozen,
        side=side,
        signer=actor,
        organisation=organisation,
        signed_at=now,
        ip_address=ip_address or None,
        user_agent=(user_agent or "")[:300],
        text_hash=frozen.text_hash,
    )
    before = contract.state
    if signed | {side} >= {Side.COMMUNITY, Side.UNIT}:
        contract.state = ContractState.SIGNED
        contract.signed_at = now
        contract.save(update_fields=["state", "signed_at", "updated_at"])
    _record(contract, ContractStep.SIGN, before, actor, Side(side).label)
    audit_append(
        kind="contracts.signature",
        subject=subject_for(contract),
        payload={
            "contract_id": contract.pk,
            "version": frozen.number,
            "side": side,
            "organisation": organisation.name,
            "text_hash": frozen.text_hash,
            "signed_at": now.isoformat(),
        },
        area=contract.pairing.community,
    )
    return signature


# --- Publish (亮约), evaluation window, termination -----------------------------------------------


def _require_secretary(actor: User | None, contract: Contract) -> None:
    if actor is None:
        return
    if (
        not scope_for(actor)
        .for_roles((Role.COMMUNITY_SECRETARY,))
        .covers_path(contract.pairing.community.path)
    ):
        raise PermissionDenied(
            _("Only the community's Party secretary can take this step."), code="not_secretary"
        )


@transaction.atomic
def contract_publish(*, actor: User | None, contract: Contract) -> Contract:
    """Show the signed contract to the public (亮约); the publication goes into the public record."""
    contract = _visible_contract(actor, contract, lock=True)
    _require_secretary(actor, contract)
    workflow.check(ContractStep.PUBLISH, contract.state)
    before = contract.state
    contract.state = ContractState.PUBLISHED
    contract.published_at = timezone.now()
    contract.save(update_fields=["state", "published_at", "updated_at"])
    _record(contract, ContractStep.PUBLISH, before, actor)
    signatures = (
        contract.signatures.filter(voided_at__isnull=True)
        .select_related("organisation")
        .order_by("signed_at")
    )
    audit_append(
        kind="contracts.published",
        subject=subject_for(contract),
        payload={
            "contract_id": contract.pk,
            "title": contract.title,
            "community_org": contract.pairing.community_org.name,
            "unit_org": contract.pairing.unit_org.name,
            "term": [contract.term_start.isoformat(), contract.term_end.isoformat()],
            "text_hash": contract.frozen_version.text_hash,
            "signatures": [
                {"side": s.side, "organisation": s.organisation.name, "signed_at": s.signed_at.isoformat()}
                for s in signatures
            ],
        },
        area=contract.pairing.community,
    )
    return contract


@transaction.atomic
def contract_open_evaluation(*, actor: User | None, contract: Contract) -> Contract:
    contract = _visible_contract(actor, contract, lock=True)
    _require_secretary(actor, contract)
    workflow.check(ContractStep.OPEN_EVALUATION, contract.state)
    before, contract.state = contract.state, ContractState.EVALUATING
    contract.save(update_fields=["state", "updated_at"])
    _record(contract, ContractStep.OPEN_EVALUATION, before, actor)
    return contract


GRADES = [(90, "excellent"), (80, "good"), (60, "pass"), (0, "fail")]


def criteria_weights() -> dict[str, int]:
    """The configured criteria (CONTRACT_EVALUATION_CRITERIA) that are known and weigh something."""
    return {
        code: int(weight)
        for code, weight in settings.CONTRACT_EVALUATION_CRITERIA.items()
        if code in Criterion.values and int(weight) > 0
    }


def weighted_mean(scores: dict[str, int]) -> Decimal:
    """A rating's value from its scores by criterion (1–5), by the criteria's weights."""
    weights = criteria_weights()
    total = sum(weights[code] for code in scores)
    return sum(Decimal(scores[code]) * weights[code] for code in scores) / total


def _rating_value(score: int, scores: dict[str, int]) -> Decimal:
    weights = criteria_weights()
    if scores and set(scores) <= set(weights):
        return weighted_mean(scores)
    return Decimal(score)


def evaluation_score(contract: Contract) -> Decimal | None:
    """0–100: each group's average rating (1–5) × 20, weighted by CONTRACT_EVALUATION_WEIGHTS over the groups that rated.

    A side's rating on the criteria counts as the weighted mean of its scores (not the rounded `score`).
    """
    weights = settings.CONTRACT_EVALUATION_WEIGHTS
    sums: dict[str, list[Decimal]] = {}
    for kind, score, scores in contract.ratings.values_list("rater_kind", "score", "scores"):
        sums.setdefault(kind, []).append(_rating_value(score, scores))
    averages = {kind: sum(values) / len(values) for kind, values in sums.items()}
    present = {kind: Decimal(weights.get(kind, 0)) for kind in averages if weights.get(kind, 0) > 0}
    if not present:
        return None
    total_weight = sum(present.values())
    score = sum(averages[kind] * 20 * weight for kind, weight in present.items()) / total_weight
    return score.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def grade_for(score: Decimal | None) -> str:
    if score is None:
        return ""
    return next(grade for floor, grade in GRADES if score >= floor)


@transaction.atomic
def contract_close_evaluation(*, actor: User | None, contract: Contract) -> Contract:
    """Close the window: the score and grade are computed, stored, and go into the public record."""
    contract = _visible_contract(actor, contract, lock=True)
    _require_secretary(actor, contract)
    workflow.check(ContractStep.CLOSE_EVALUATION, contract.state)
    before, contract.state = contract.state, ContractState.EVALUATED
    contract.score = evaluation_score(contract)
    contract.grade = grade_for(contract.score)
    contract.save(update_fields=["state", "score", "grade", "updated_at"])
    if contract.grade == "fail":
        with override(settings.LANGUAGE_CODE):
            Rectification.objects.create(
                contract=contract,
                description=_(
                    "The evaluation found the contract unsatisfactory: both sides put right what the ratings name."
                ),
                due_on=timezone.localdate() + timedelta(days=settings.CONTRACT_RECTIFICATION_DAYS),
            )
    _record(contract, ContractStep.CLOSE_EVALUATION, before, actor, contract.grade)
    counts = dict(contract.ratings.values_list("rater_kind").annotate(n=Count("id")))
    audit_append(
        kind="contracts.evaluated",
        subject=subject_for(contract),
        payload={
            "contract_id": contract.pk,
            "score": str(contract.score) if contract.score is not None else None,
            "grade": contract.grade,
            "ratings": {kind: counts.get(kind, 0) for kind in RaterKind.values},
        },
        area=contract.pairing.community,
    )
    return contract


# --- Fulfil (履约) and rate (评约) ------------------------------------------------------------------

EVIDENCE_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".pdf": "application/pdf"}
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024


def _check_evidence(evidence) -> None:
    if evidence is None:
        return
    name = (getattr(evidence, "name", "") or "").lower()
    extension = name[name.rfind(".") :] if "." in name else ""
    if extension not in EVIDENCE_TYPES:
        raise ValidationFailed(
            _("Evidence must be a photo (JPG or PNG) or a PDF."),
            code="evidence_type",
            extra={"evidence": [_("Wrong type.")]},
        )
    if evidence.size > EVIDENCE_MAX_BYTES:
        raise ValidationFailed(
            _("Evidence files may be at most 10 MB."),
            code="evidence_too_large",
            extra={"evidence": [_("Too large.")]},
        )


@transaction.atomic
def contract_record(
    *,
    actor: User,
    contract: Contract,
    item_index: int,
    done_on: date,
    description: str,
    people_served: int = 0,
    hours: Decimal | int | str = 0,
    evidence=None,
    served_by=(),
    milestone: int | None = None,
) -> FulfilmentRecord:
    """Record something done for one item of a published contract, by either side.

    `milestone`, the index of one of the item's dated milestones, marks that milestone reached (once).
    """
    contract = _visible_contract(actor, contract, lock=False)
    sides = _require_party(actor, contract)
    if contract.state != ContractState.PUBLISHED:
        message, code = workflow.refusal(contract.state)
        raise InvalidTransition(message, code=code)
    items = contract.frozen_version.items
    if isinstance(item_index, bool) or not isinstance(item_index, int) or not 0 <= item_index < len(items):
        raise ValidationFailed(_("Choose one of the contract's items."), code="invalid_item")
    if done_on > timezone.localdate() or not contract.term_start <= done_on <= contract.term_end:
        raise ValidationFailed(
            _("The date must be within the contract's term and not in the future."), code="invalid_date"
        )
    description = (description or "").strip()
    if not description or len(description) > 500:
        raise ValidationFailed(_("Say what was done, in at most 500 characters."), code="invalid_description")
    if (
        isinstance(people_served, bool)
        or not isinstance(people_served, int)
        or not 0 <= people_served <= 100_000
    ):
        raise ValidationFailed(_("People served must be a whole number."), code="invalid_people")
    try:
        hours = Decimal(str(hours)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(_("Hours must be a number."), code="invalid_hours") from None
    if not Decimal(0) <= hours <= Decimal(9999):
        raise ValidationFailed(_("Hours must be a number from 0 to 9999."), code="invalid_hours")
    _check_evidence(evidence)
    if milestone is not None:
        milestones = items[item_index].get("milestones") or []
        if (
            isinstance(milestone, bool)
            or not isinstance(milestone, int)
            or not 0 <= milestone < len(milestones)
        ):
            raise ValidationFailed(_("Choose one of the item's milestones."), code="invalid_milestone")
        if FulfilmentRecord.objects.filter(
            contract=contract, item_index=item_index, milestone=milestone
        ).exists():
            raise Conflict(_("This milestone has already been reported reached."), code="milestone_reached")
    served_by = list(served_by or [])
    community = contract.pairing.community
    for person_user in served_by:
        person = getattr(person_user, "person", None)
        if person is None:
            raise ValidationFailed(
                _("%(name)s is not registered as a resident or Party member.") % {"name": person_user},
                code="invalid_server",
            )
    try:
        with transaction.atomic():
            record = FulfilmentRecord.objects.create(
                contract=contract,
                item_index=item_index,
                done_on=done_on,
                description=description,
                people_served=people_served,
                hours=hours,
                evidence=evidence or "",
                side=sorted(sides)[0],
                reported_by=actor,
                milestone=milestone,
            )
    except IntegrityError:  # the same milestone reported by both sides at once
        raise Conflict(
            _("This milestone has already been reported reached."), code="milestone_reached"
        ) from None
    if served_by:
        record.served_by.set(served_by)
        # Each earns the rule's points through the points service, after commit, once per record and person.
        for person_user in served_by:
            enqueue(
                "points.award_for_event",
                "contract_item_delivered",
                person_user.pk,
                community.pk,
                f"contract:{contract.pk}:record:{record.pk}:user:{person_user.pk}",
                1,
                f"contracts.FulfilmentRecord:{record.pk}",
                contract.frozen_version.items[item_index]["title"][:120],
            )
    return record


@transaction.atomic
def _clean_scores(scores: Any) -> dict[str, int]:
    weights = criteria_weights()
    if not isinstance(scores, dict) or set(scores) != set(weights):
        raise ValidationFailed(
            _("Rate each of: %(criteria)s.")
            % {"criteria": "、".join(str(Criterion(c).label) for c in weights)},
            code="invalid_scores",
        )
    for value in scores.values():
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise ValidationFailed(_("Give each criterion a score from 1 to 5."), code="invalid_score")
    return {code: scores[code] for code in weights}


def contract_rate(
    *, actor: User, contract: Contract, score: int | None = None, scores: Any = None, comment: str = ""
) -> Rating:
    """Rate a contract in its evaluation window: each side rates once, each resident of the community once.

    A resident gives one score (1–5); a side may rate the other on each criterion (`scores`), which
    then makes its score, or give one score for all of them.
    """
    contract = Contract.objects.select_related("pairing__community").filter(pk=contract.pk).first()
    if contract is None:
        raise NotFound(_("Contract not found."), code="contract_not_found")
    sides = sides_of(actor, contract.pairing)
    person = getattr(actor, "person", None)
    if sides:
        kind = RaterKind.COMMUNITY if Side.COMMUNITY in sides else RaterKind.UNIT
    elif person is not None and person.community_id == contract.pairing.community_id:
        kind = RaterKind.RESIDENT
    else:
        raise PermissionDenied(
            _("The contract is rated by the two sides and by residents of its community."), code="not_a_rater"
        )
    if contract.state != ContractState.EVALUATING:
        raise InvalidTransition(_("This contract is not open for evaluation now."), code="not_evaluating")
    if scores not in (None, {}):
        scores = _clean_scores(scores)
        score = int(weighted_mean(scores).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    else:
        scores = {}
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationFailed(_("Give a score from 1 to 5."), code="invalid_score")
    taken = Rating.objects.filter(contract=contract, rater=actor)
    if kind != RaterKind.RESIDENT:
        taken = Rating.objects.filter(contract=contract, rater_kind=kind)
    if taken.exists():
        raise Conflict(_("This has already been rated."), code="already_rated")
    try:
        with transaction.atomic():
            return Rating.objects.create(
                contract=contract,
                rater_kind=kind,
                rater=actor,
                score=score,
                scores=scores,
                comment=(comment or "").strip()[:300],
            )
    except IntegrityError:
        raise Conflict(_("This has already been rated."), code="already_rated") from None


@transaction.atomic
def contract_terminate(*, actor: User | None, contract: Contract, reason: str) -> Contract:
    """End a contract early: the district's administrator, with a reason."""
    contract = _visible_contract(actor, contract, lock=True)
    if actor is not None and not scope_for(actor).for_roles((Role.DISTRICT_ADMIN,)).covers_path(
        contract.pairing.community.path
    ):
        raise PermissionDenied(
            _("Only the district's administrator can terminate a contract."), code="not_allowed"
        )
    workflow.check(ContractStep.TERMINATE, contract.state)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give the reason for terminating the contract."), code="reason_required")
    before = contract.state
    contract.state = ContractState.TERMINATED
    contract.terminated_at = timezone.now()
    contract.termination_reason = reason[:200]
    contract.save(update_fields=["state", "terminated_at", "termination_reason", "updated_at"])
    _record(contract, ContractStep.TERMINATE, before, actor, reason)
    audit_append(
        kind="contracts.terminated",
        subject=subject_for(contract),
        payload={"contract_id": contract.pk, "from_state": before, "reason": reason[:200]},
        area=contract.pairing.community,
    )
    return contract


# --- Consultation (谈约): meetings and comments --------------------------------------------------

NEGOTIATING_STATES = frozenset({ContractState.DRAFT, ContractState.AGREED})


@transaction.atomic
def meeting_record(
    *,
    actor: User,
    contract: Contract,
    held_on: date,
    place: str,
    attendees: str,
    minutes: str,
    decisions: str = "",
) -> Meeting:
    """Minutes of a consultation meeting, by either side, while the contract is negotiated."""
    contract = _visible_contract(actor, contract, lock=False)
    _require_party(actor, contract)
    if contract.state not in NEGOTIATING_STATES:
        message, code = workflow.refusal(contract.state)
        raise InvalidTransition(message, code=code)
    if held_on > timezone.localdate():
        raise ValidationFailed(_("A meeting is recorded after it was held."), code="invalid_date")
    fields = {"place": (place, 120), "attendees": (attendees, 500), "minutes": (minutes, 5000)}
    cleaned = {}
    for name, (value, limit) in fields.items():
        value = (value or "").strip()
        if not value or len(value) > limit:
            label = Meeting._meta.get_field(name).verbose_name
            raise ValidationFailed(
                _("Fill in %(field)s (at most %(max)s characters).") % {"field": label, "max": limit},
                code="invalid_meeting",
                extra={name: [_("Required.")]},
            )
        cleaned[name] = value
    decisions = (decisions or "").strip()
    if len(decisions) > 2000:
        raise ValidationFailed(_("Decisions may be at most 2000 characters."), code="invalid_meeting")
    return Meeting.objects.create(
        contract=contract, held_on=held_on, decisions=decisions, recorded_by=actor, **cleaned
    )


@transaction.atomic
def comment_add(
    *, actor: User, contract: Contract, version: int, body: str, item_index: int | None = None
) -> Comment:
    """A remark on a version of the draft (or one of its items), by either side."""
    contract = _visible_contract(actor, contract, lock=False)
    sides = _require_party(actor, contract)
    if contract.state not in NEGOTIATING_STATES:
        message, code = workflow.refusal(contract.state)
        raise InvalidTransition(message, code=code)
    found = contract.versions.filter(number=version).first()
    if found is None:
        raise ValidationFailed(_("There is no such version."), code="invalid_version")
    if item_index is not None and not 0 <= item_index < len(found.items):
        raise ValidationFailed(_("Choose one of the contract's items."), code="invalid_item")
    body = (body or "").strip()
    if not body or len(body) > 500:
        raise ValidationFailed(_("Write a comment of at most 500 characters."), code="invalid_comment")
    return Comment.objects.create(
        contract=contract,
        version=version,
        item_index=item_index,
        body=body,
        side=sorted(sides)[0],
        author=actor,
    )


# --- The four menus (四类菜单) and needs -----------------------------------------------------------


def _clean_menu_text(title: str, description: str) -> tuple[str, str]:
    title, description = (title or "").strip(), (description or "").strip()
    if not title or len(title) > 120:
        raise ValidationFailed(_("Give a title of at most 120 characters."), code="invalid_title")
    if len(description) > 500:
        raise ValidationFailed(
            _("The description may be at most 500 characters."), code="invalid_description"
        )
    return title, description


def _may_speak_for(actor: User | None, organisation: Organisation) -> bool:
    if actor is None:
        return True
    scope = scope_for(actor)
    if organisation.kind == OrgKind.UNIT_PARTY:
        return organisation.pk in scope.for_roles((Role.UNIT_CONTACT,)).org_ids
    return scope.for_roles((Role.COMMUNITY_SECRETARY,)).covers_path(organisation.area.path)


@transaction.atomic
def menu_offer_create(
    *,
    actor: User | None,
    organisation: Organisation,
    kind: str,
    title: str,
    description: str = "",
    quantity: int | None = None,
    unit: str = "",
    estimated_value: int | None = None,
) -> MenuOffer:
    """Put an item on an organisation's menu: a unit's contact for the unit, the secretary for the community."""
    if organisation.kind not in (OrgKind.UNIT_PARTY, OrgKind.COMMUNITY_PARTY):
        raise ValidationFailed(
            _("Menus belong to community and unit Party organisations."), code="invalid_organisation"
        )
    if not _may_speak_for(actor, organisation):
        raise PermissionDenied(
            _("Only the organisation's own contact or secretary can change its menu."), code="not_allowed"
        )
    if kind not in MenuKind.values:
        raise ValidationFailed(
            _("Choose responsibility, service, resource or personalised."), code="invalid_kind"
        )
    title, description = _clean_menu_text(title, description)
    for name, value in (("quantity", quantity), ("estimated_value", estimated_value)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_BUDGET
        ):
            raise ValidationFailed(
                _("%(field)s must be a whole number.") % {"field": name}, code="invalid_number"
            )
    community = (
        organisation.area
        if organisation.area.kind == AreaKind.COMMUNITY
        else organisation.area.ancestor_of_kind(AreaKind.COMMUNITY)
    )
    return MenuOffer.objects.create(
        organisation=organisation,
        area=community or organisation.area,
        kind=kind,
        title=title,
        description=description,
        quantity=quantity,
        unit=(unit or "").strip()[:20],
        estimated_value=estimated_value,
        created_by=actor,
    )


@transaction.atomic
def need_post(*, actor: User | None, community: Area, kind: str, title: str, description: str = "") -> Need:
    """A community posts a need (its secretary)."""
    if community.kind != AreaKind.COMMUNITY:
        raise ValidationFailed(_("Needs are posted by a community."), code="invalid_community")
    if actor is not None and not scope_for(actor).for_roles((Role.COMMUNITY_SECRETARY,)).covers_path(
        community.path
    ):
        raise PermissionDenied(_("Only the community's secretary can post its needs."), code="not_allowed")
    if kind not in MenuKind.values:
        raise ValidationFailed(
            _("Choose responsibility, service, resource or personalised."), code="invalid_kind"
        )
    title, description = _clean_menu_text(title, description)
    return Need.objects.create(
        community=community, kind=kind, title=title, description=description, posted_by=actor
    )


def item_from_offer(offer: MenuOffer) -> dict[str, Any]:
    """A contract item started from a menu offer: the offering side provides what the offer describes."""
    side = Side.COMMUNITY if offer.organisation.kind == OrgKind.COMMUNITY_PARTY else Side.UNIT
    return {
        "side": side,
        "kind": offer.kind,
        "title": offer.title,
        "deliverable": offer.description,
        "quantity": offer.quantity,
        "unit": offer.unit,
        "schedule": "",
        "budget": offer.estimated_value,
        "milestones": [],
    }


# --- Renew: next year's negotiation from this contract's items --------------------------------------

RENEWABLE_STATES = frozenset({ContractState.PUBLISHED, ContractState.EVALUATING, ContractState.EVALUATED})


def _next_year(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


@transaction.atomic
def contract_renew(*, actor: User | None, contract: Contract) -> Contract:
    """Start next year's draft from this contract's signed items (either side; once per contract)."""
    contract = _visible_contract(actor, contract, lock=True)
    if actor is not None:
        _require_party(actor, contract)
    if contract.state not in RENEWABLE_STATES:
        message, code = workflow.refusal(contract.state)
        raise InvalidTransition(message, code=code)
    if Contract.objects.filter(renewed_from=contract).exists():
        raise Conflict(
            _("Next year's contract has already been started from this one."), code="already_renewed"
        )
    year = str(contract.term_start.year)
    title = contract.title.replace(year, str(contract.term_start.year + 1), 1)
    if title == contract.title:
        title = f"{contract.title}（{contract.term_start.year + 1}）"
    return contract_create(
        actor=actor,
        pairing=contract.pairing,
        title=title[:120],
        term_start=_next_year(contract.term_start),
        term_end=_next_year(contract.term_end),
        items=[
            {
                **item,
                "milestones": [
                    {**m, "due": _next_year(date.fromisoformat(m["due"])).isoformat()}
                    for m in item.get("milestones") or []
                ],
            }
            for item in contract.frozen_version.items
        ],
        signing_order=contract.signing_order,
        renewed_from=contract,
    )


# --- Rectification (整改) after a poor evaluation ---------------------------------------------------


@transaction.atomic
def rectification_add(
    *, actor: User | None, contract: Contract, description: str, due_on: date
) -> Rectification:
    """The community's secretary adds something to put right, with a deadline, to an evaluated contract."""
    contract = _visible_contract(actor, contract, lock=False)
    _require_secretary(actor, contract)
    if contract.state != ContractState.EVALUATED:
        raise InvalidTransition(_("Rectification follows the evaluation."), code="not_evaluated")
    description = (description or "").strip()
    if not description or len(description) > 300:
        raise ValidationFailed(
            _("Say what must be put right, in at most 300 characters."), code="invalid_description"
        )
    if due_on < timezone.localdate():
        raise ValidationFailed(_("The deadline cannot be in the past."), code="invalid_date")
    return Rectification.objects.create(contract=contract, description=description, due_on=due_on)


@transaction.atomic
def rectification_done(*, actor: User, rectification: Rectification, note: str) -> Rectification:
    """Either side reports a rectification item done, saying what was done; once."""
    rectification = Rectification.objects.select_for_update().get(pk=rectification.pk)
    contract = _visible_contract(actor, rectification.contract, lock=False)
    _require_party(actor, contract)
    if rectification.done_on is not None:
        raise Conflict(_("This item was already reported done."), code="already_done")
    note = (note or "").strip()
    if not note or len(note) > 300:
        raise ValidationFailed(_("Say what was done, in at most 300 characters."), code="invalid_note")
    rectification.done_on = timezone.localdate()
    rectification.done_note = note
    rectification.save(update_fields=["done_on", "done_note"])
    return rectification


# --- Termination by agreement of both sides -------------------------------------------------------


@transaction.atomic
def contract_terminate_by_agreement(*, actor: User, contract: Contract, reason: str) -> Contract:
    """One side proposes ending the contract; when the other side agrees too, it is terminated."""
    contract = _visible_contract(actor, contract, lock=True)
    sides = _require_party(actor, contract)
    workflow.check(ContractStep.TERMINATE, contract.state)
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise ValidationFailed(_("Give the reason for terminating the contract."), code="reason_required")
    proposed = contract.termination_proposed_by
    if proposed and proposed not in sides:
        before = contract.state
        contract.state = ContractState.TERMINATED
        contract.terminated_at = timezone.now()
        contract.termination_reason = reason
        contract.save(update_fields=["state", "terminated_at", "termination_reason", "updated_at"])
        _record(contract, ContractStep.TERMINATE, before, actor, reason)
        audit_append(
            kind="contracts.terminated",
            subject=subject_for(contract),
            payload={"contract_id": contract.pk, "from_state": before, "reason": reason, "by": "agreement"},
            area=contract.pairing.community,
        )
        return contract
    if proposed:
        raise Conflict(
            _("Your side has already proposed ending this contract; the other side must agree."),
            code="already_proposed",
        )
    contract.termination_proposed_by = sorted(sides)[0]
    contract.termination_reason = reason
    contract.save(update_fields=["termination_proposed_by", "termination_reason", "updated_at"])
    return contract
