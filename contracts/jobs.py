"""The contracts' daily job: deadlines and windows move on, people are reminded, each thing once.

Run by `contracts.daily` (beat, every morning), recorded per day so a second beat or a retry does
nothing; and every step below is also safe on its own when repeated: it acts only on contracts
still in the state it expects, and notices carry keys.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from core.exceptions import ApplicationError
from notices.services import NoticeDraft, notices_send_batch

from . import selectors, services
from .models import Contract, PairingContact, Rating, Signature
from .workflow import ContractState

logger = logging.getLogger(__name__)

IDLE_DAYS = 7
SIGN_REMINDER_DAYS = 2


class Contact(NamedTuple):
    side: str
    user_id: int
    can_sign: bool


def _contacts(contracts) -> dict[int, list[Contact]]:
    """The contacts of the pairings of `contracts` (a queryset), by pairing: one query.

    Every step below tells the contacts of many contracts at once; it asks for them together, so a
    run costs the same few queries however many contracts it looks at (and builds no model objects:
    a notice needs only the user's id).
    """
    by_pairing: dict[int, list[Contact]] = {}
    rows = (
        PairingContact.objects.filter(pairing__in=contracts.values("pairing_id"))
        .order_by("pk")
        .values_list("pairing_id", "side", "user_id", "can_sign")
    )
    for pairing_id, side, user_id, can_sign in rows:
        by_pairing.setdefault(pairing_id, []).append(Contact(side, user_id, can_sign))
    return by_pairing


def _drafts(contacts, *, key: str, kind: str, title: str, contract: Contract) -> list[NoticeDraft]:
    """One notice per contact's user, keyed `<key>:<user id>` as `notice_send_each` keys them."""
    url = f"/contracts/mine/{contract.pk}/"
    return [
        NoticeDraft(recipient_id=c.user_id, key=f"{key}:{c.user_id}", kind=kind, title=title, url=url)
        for c in contacts
    ]


def _milestone_reminders(today) -> tuple[int, int]:
    """Tell the providing side of a milestone due within 7 days, and both sides of one overdue; once each.

    Milestones live in the frozen version's items, so every published contract is looked at (in
    Python); the queries are a fixed few: the contracts, the milestones reached, the contacts, and
    one lookup per 500 notices.
    """
    published = Contract.objects.filter(state=ContractState.PUBLISHED, frozen_version__isnull=False)
    contracts = [
        contract
        for contract in published.select_related("frozen_version").order_by("pk")
        if any(item.get("milestones") for item in contract.frozen_version.items)
    ]
    if not contracts:
        return 0, 0
    reached = selectors.milestones_reached(published)
    contacts = _contacts(published)
    soon: list[NoticeDraft] = []
    overdue: list[NoticeDraft] = []
    for contract in contracts:
        items = contract.frozen_version.items
        by_item = selectors.milestones_by_item(contract, items, today, reached=reached.get(contract.pk, {}))
        for index, rows in by_item.items():
            for row in rows:
                if row["status"] not in ("due_soon", "overdue"):
                    continue
                values = {
                    "day": row["due"],
                    "what": row["what"],
                    "item": items[index]["title"],
                    "title": contract.title,
                }
                key = f"contract-milestone:{contract.pk}:{index}:{row['index']}:{row['due']:%Y%m%d}"
                sides = contacts.get(contract.pairing_id, [])
                if row["status"] == "due_soon":
                    soon += _drafts(
                        [c for c in sides if c.side == items[index]["side"]],
                        key=f"{key}:soon",
                        kind="contract-milestone-soon",
                        title=_("Milestone due on %(day)s: %(what)s (“%(item)s”, %(title)s).") % values,
                        contract=contract,
                    )
                else:
                    overdue += _drafts(
                        sides,
                        key=f"{key}:overdue",
                        kind="contract-milestone-overdue",
                        title=_("Milestone overdue since %(day)s: %(what)s (“%(item)s”, %(title)s).")
                        % values,
                        contract=contract,
                    )
    return notices_send_batch(soon), notices_send_batch(overdue)


EVALUATION_CLOSING_DAYS = 3


def _evaluation_notices(today) -> int:
    """Each side that has not rated yet: told once that the evaluation is open, once when it closes soon."""
    evaluating = Contract.objects.filter(state=ContractState.EVALUATING)
    rated: dict[int, set[str]] = {}
    for contract_id, kind in (
        Rating.objects.filter(contract__in=evaluating)
        .exclude(rater_kind="resident")
        .values_list("contract_id", "rater_kind")
        .order_by()
    ):
        rated.setdefault(contract_id, set()).add(kind)
    contacts = _contacts(evaluating)
    drafts: list[NoticeDraft] = []
    for contract in evaluating.order_by("pk"):
        waiting = {"community", "unit"} - rated.get(contract.pk, set())
        if not waiting:
            continue
        closes_on = contract.term_end + timedelta(days=settings.CONTRACT_EVALUATION_DAYS)
        waiting_contacts = [c for c in contacts.get(contract.pairing_id, []) if c.side in waiting]
        drafts += _drafts(
            waiting_contacts,
            key=f"contract-evaluation-open:{contract.pk}",
            kind="contract-evaluation-open",
            title=_("“%(title)s” is being evaluated: rate the other side by %(day)s.")
            % {"title": contract.title, "day": closes_on.isoformat()},
            contract=contract,
        )
        if closes_on - today <= timedelta(days=EVALUATION_CLOSING_DAYS):
            drafts += _drafts(
                waiting_contacts,
                key=f"contract-evaluation-closing:{contract.pk}",
                kind="contract-evaluation-closing",
                title=_("The evaluation of “%(title)s” closes on %(day)s; your side has not rated yet.")
                % {"title": contract.title, "day": closes_on.isoformat()},
                contract=contract,
            )
    return notices_send_batch(drafts)


def _sign_reminders(now) -> int:
    """Signers of a side that has not signed, once per version, two days before the deadline."""
    due = Contract.objects.filter(
        state=ContractState.AGREED, sign_by__gte=now, sign_by__lte=now + timedelta(days=SIGN_REMINDER_DAYS)
    )
    signed: dict[int, set[str]] = {}
    for contract_id, side in (
        Signature.objects.filter(contract__in=due, voided_at__isnull=True)
        .values_list("contract_id", "side")
        .order_by()
    ):
        signed.setdefault(contract_id, set()).add(side)
    contacts = _contacts(due)
    drafts: list[NoticeDraft] = []
    for contract in due.order_by("pk"):
        waiting = {"community", "unit"} - signed.get(contract.pk, set())
        drafts += _drafts(
            [c for c in contacts.get(contract.pairing_id, []) if c.can_sign and c.side in waiting],
            key=f"contract-sign-soon:{contract.pk}:{contract.frozen_version_id}",
            kind="contract-sign-soon",
            title=_("Please sign “%(title)s” by %(when)s.")
            % {
                "title": contract.title,
                "when": timezone.localtime(contract.sign_by).strftime("%Y-%m-%d %H:%M"),
            },
            contract=contract,
        )
    return notices_send_batch(drafts)


def _idle_reminders(now) -> int:
    """Both sides of a draft that has not moved for a week, once per idle stretch."""
    idle = Contract.objects.filter(state=ContractState.DRAFT, updated_at__lt=now - timedelta(days=IDLE_DAYS))
    contacts = _contacts(idle)
    drafts: list[NoticeDraft] = []
    for contract in idle.order_by("pk"):
        drafts += _drafts(
            contacts.get(contract.pairing_id, []),
            key=f"contract-idle:{contract.pk}:{contract.updated_at:%Y%m%d%H%M%S}",
            kind="contract-idle",
            title=_("The draft “%(title)s” has not moved for a week.") % {"title": contract.title},
            contract=contract,
        )
    return notices_send_batch(drafts)


def contracts_daily(*, now=None) -> dict[str, int]:
    now = now or timezone.now()
    today = timezone.localdate(now)
    done = {"signing_expired": 0, "sign_reminders": 0, "idle_reminders": 0, "opened": 0, "closed": 0}
    with override(settings.LANGUAGE_CODE):
        late = Contract.objects.filter(state=ContractState.AGREED, sign_by__lt=now)
        contacts = _contacts(late)
        for contract in late.order_by("pk"):
            with transaction.atomic():
                sign_by = contract.sign_by
                try:
                    services.contract_request_change(
                        actor=None,
                        contract=contract,
                        reason=_("The signing deadline passed; agree again to sign."),
                    )
                except ApplicationError:
                    continue
                done["signing_expired"] += 1
                notices_send_batch(
                    _drafts(
                        contacts.get(contract.pairing_id, []),
                        key=f"contract-sign-expired:{contract.pk}:{sign_by:%Y%m%d%H%M}",
                        kind="contract-sign-expired",
                        title=_("The signing deadline of “%(title)s” passed; it is back in negotiation.")
                        % {"title": contract.title},
                        contract=contract,
                    )
                )
        done["sign_reminders"] = _sign_reminders(now)
        done["idle_reminders"] = _idle_reminders(now)
        milestones_soon, milestones_overdue = _milestone_reminders(today)
        done["milestones_soon"] = milestones_soon
        done["milestones_overdue"] = milestones_overdue
        for contract in Contract.objects.filter(state=ContractState.PUBLISHED, term_end__lt=today):
            try:
                services.contract_open_evaluation(actor=None, contract=contract)
            except ApplicationError:
                continue
            done["opened"] += 1
        done["evaluation_notices"] = _evaluation_notices(today)
        closing = today - timedelta(days=settings.CONTRACT_EVALUATION_DAYS)
        for contract in Contract.objects.filter(state=ContractState.EVALUATING, term_end__lt=closing):
            try:
                services.contract_close_evaluation(actor=None, contract=contract)
            except ApplicationError:
                continue
            done["closed"] += 1
    logger.info("contracts daily job: %s", done)
    return done
