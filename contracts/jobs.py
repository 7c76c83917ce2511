"""The contracts' daily job: deadlines and windows move on, people are reminded, each thing once.

Run by `contracts.daily` (beat, every morning), recorded per day so a second beat or a retry does
nothing; and every step below is also safe on its own when repeated: it acts only on contracts
still in the state it expects, and notices carry keys.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from core.exceptions import ApplicationError
from notices.services import notice_send_each

from . import selectors, services
from .models import Contract, PairingContact
from .workflow import ContractState

logger = logging.getLogger(__name__)

IDLE_DAYS = 7
SIGN_REMINDER_DAYS = 2


def _contacts(contract: Contract, *, signers_only: bool = False, sides=None):
    contacts = PairingContact.objects.filter(pairing=contract.pairing).select_related("user")
    if signers_only:
        contacts = contacts.filter(can_sign=True)
    if sides is not None:
        contacts = contacts.filter(side__in=sides)
    return [c.user for c in contacts]


def _tell(users, *, key: str, kind: str, title: str, contract: Contract) -> int:
    return notice_send_each(users, key=key, kind=kind, title=title, url=f"/contracts/mine/{contract.pk}/")


def _milestone_reminders(today) -> tuple[int, int]:
    """Tell the providing side of a milestone due within 7 days, and both sides of one overdue; once each."""
    soon = overdue = 0
    contracts = Contract.objects.filter(state=ContractState.PUBLISHED).select_related(
        "pairing", "frozen_version"
    )
    for contract in contracts:
        items = contract.frozen_version.items if contract.frozen_version else []
        if not any(item.get("milestones") for item in items):
            continue
        contacts = list(PairingContact.objects.filter(pairing=contract.pairing).select_related("user"))
        for index, rows in selectors.milestones_by_item(contract, items, today).items():
            for row in rows:
                title = items[index]["title"]
                key = f"contract-milestone:{contract.pk}:{index}:{row['index']}:{row['due']:%Y%m%d}"
                if row["status"] == "due_soon":
                    soon += _tell(
                        [c.user for c in contacts if c.side == items[index]["side"]],
                        key=f"{key}:soon",
                        kind="contract-milestone-soon",
                        title=_("Milestone due on %(day)s: %(what)s (“%(item)s”, %(title)s).")
                        % {"day": row["due"], "what": row["what"], "item": title, "title": contract.title},
                        contract=contract,
                    )
                elif row["status"] == "overdue":
                    overdue += _tell(
                        [c.user for c in contacts],
                        key=f"{key}:overdue",
                        kind="contract-milestone-overdue",
                        title=_("Milestone overdue since %(day)s: %(what)s (“%(item)s”, %(title)s).")
                        % {"day": row["due"], "what": row["what"], "item": title, "title": contract.title},
                        contract=contract,
                    )
    return soon, overdue


EVALUATION_CLOSING_DAYS = 3


def _evaluation_notices(today) -> int:
    """Each side that has not rated yet: told once that the evaluation is open, once when it closes soon."""
    sent = 0
    for contract in Contract.objects.filter(state=ContractState.EVALUATING).select_related("pairing"):
        rated = set(contract.ratings.exclude(rater_kind="resident").values_list("rater_kind", flat=True))
        waiting = {"community", "unit"} - rated
        if not waiting:
            continue
        closes_on = contract.term_end + timedelta(days=settings.CONTRACT_EVALUATION_DAYS)
        users = _contacts(contract, sides=waiting)
        sent += _tell(
            users,
            key=f"contract-evaluation-open:{contract.pk}",
            kind="contract-evaluation-open",
            title=_("“%(title)s” is being evaluated: rate the other side by %(day)s.")
            % {"title": contract.title, "day": closes_on.isoformat()},
            contract=contract,
        )
        if closes_on - today <= timedelta(days=EVALUATION_CLOSING_DAYS):
            sent += _tell(
                users,
                key=f"contract-evaluation-closing:{contract.pk}",
                kind="contract-evaluation-closing",
                title=_("The evaluation of “%(title)s” closes on %(day)s; your side has not rated yet.")
                % {"title": contract.title, "day": closes_on.isoformat()},
                contract=contract,
            )
    return sent


def contracts_daily(*, now=None) -> dict[str, int]:
    now = now or timezone.now()
    today = timezone.localdate(now)
    done = {"signing_expired": 0, "sign_reminders": 0, "idle_reminders": 0, "opened": 0, "closed": 0}
    with override(settings.LANGUAGE_CODE):
        for contract in Contract.objects.filter(state=ContractState.AGREED, sign_by__lt=now).select_related(
            "pairing"
        ):
            with transaction.atomic():
                try:
                    services.contract_request_change(
                        actor=None,
                        contract=contract,
                        reason=_("The signing deadline passed; agree again to sign."),
                    )
                except ApplicationError:
                    continue
                done["signing_expired"] += 1
                _tell(
                    _contacts(contract),
                    key=f"contract-sign-expired:{contract.pk}:{contract.sign_by:%Y%m%d%H%M}",
                    kind="contract-sign-expired",
                    title=_("The signing deadline of “%(title)s” passed; it is back in negotiation.")
                    % {"title": contract.title},
                    contract=contract,
                )
        soon = now + timedelta(days=SIGN_REMINDER_DAYS)
        for contract in Contract.objects.filter(
            state=ContractState.AGREED, sign_by__gte=now, sign_by__lte=soon
        ).select_related("pairing", "frozen_version"):
            signed = set(contract.signatures.filter(voided_at__isnull=True).values_list("side", flat=True))
            waiting = {"community", "unit"} - signed
            done["sign_reminders"] += _tell(
                _contacts(contract, signers_only=True, sides=waiting),
                key=f"contract-sign-soon:{contract.pk}:{contract.frozen_version_id}",
                kind="contract-sign-soon",
                title=_("Please sign “%(title)s” by %(when)s.")
                % {
                    "title": contract.title,
                    "when": timezone.localtime(contract.sign_by).strftime("%Y-%m-%d %H:%M"),
                },
                contract=contract,
            )
        idle_before = now - timedelta(days=IDLE_DAYS)
        for contract in Contract.objects.filter(
            state=ContractState.DRAFT, updated_at__lt=idle_before
        ).select_related("pairing"):
            done["idle_reminders"] += _tell(
                _contacts(contract),
                key=f"contract-idle:{contract.pk}:{contract.updated_at:%Y%m%d%H%M%S}",
                kind="contract-idle",
                title=_("The draft “%(title)s” has not moved for a week.") % {"title": contract.title},
                contract=contract,
            )
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
