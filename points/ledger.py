"""Proof that the points ledger is whole: recompute every balance from the transfers, check every rule.

`verify_ledger()` reads; it never repairs. Each breach it finds is named (a code, the account or
transfer, what was expected and what was found), so an operator can go straight to it.
`ledger_check_and_alert()` is what the nightly job runs: the same check, and a notice to every
district administrator when anything is wrong.

The balances, their recomputation and the total come from one statement, so they are one snapshot
even while transfers are being made; the per-transfer checks look at rows that never change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext as _

from community.models import Role, RoleGrant

from .models import AccountKind, TransferKind

logger = logging.getLogger(__name__)

BALANCE_MISMATCH = "balance_mismatch"
NEGATIVE_BALANCE = "negative_balance"
TOTAL_NOT_ZERO = "total_not_zero"
NON_POSITIVE_AMOUNT = "non_positive_amount"
SAME_ACCOUNT = "same_account"
REVERSAL_WITHOUT_ORIGINAL = "reversal_without_original"
REVERSAL_KIND_MISMATCH = "reversal_kind_mismatch"
REVERSAL_OF_REVERSAL = "reversal_of_reversal"
REVERSAL_MISMATCH = "reversal_mismatch"
REVERSED_TWICE = "reversed_twice"
TILL_MISMATCH = "till_mismatch"
FLOW_MISMATCH = "flow_mismatch"

# Moves of kind "till" go between an issuing account and one of its own tills (ADR 0006).
_TILL_SQL = """
SELECT t.id, t.source_id, t.destination_id FROM points_transfer AS t
JOIN points_account AS s ON s.id = t.source_id
JOIN points_account AS d ON d.id = t.destination_id
WHERE t.kind = %(till)s
  AND NOT (s.parent_id IS NOT NULL AND s.parent_id = d.id)
  AND NOT (d.parent_id IS NOT NULL AND d.parent_id = s.id)
ORDER BY t.id
"""

# Breaches listed in the administrators' notice; the command prints them all.
NOTICE_BREACH_LINES = 20


@dataclass(frozen=True)
class Breach:
    code: str
    detail: str  # technical and in English: the operator's command prints it as is
    account_id: int | None = None
    transfer_id: int | None = None

    def __str__(self) -> str:
        return f"BREACH {self.code}: {self.detail}"


@dataclass
class LedgerReport:
    accounts: int = 0
    transfers: int = 0
    total: int = 0  # the sum of the stored balances of all accounts
    breaches: list[Breach] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaches

    def summary(self) -> str:
        state = "OK" if self.ok else f"{len(self.breaches)} BREACH(ES)"
        return f"{state}: {self.accounts} accounts, {self.transfers} transfers, total {self.total}"

    def codes(self) -> set[str]:
        return {breach.code for breach in self.breaches}


# Each transfer is two legs: +amount to its destination, -amount from its source.
_ACCOUNTS_SQL = """
SELECT a.id, a.kind, a.balance, COALESCE(legs.net, 0)
FROM points_account AS a
LEFT JOIN (
    SELECT account_id, SUM(delta) AS net FROM (
        SELECT destination_id AS account_id, amount AS delta FROM points_transfer
        UNION ALL
        SELECT source_id AS account_id, -amount AS delta FROM points_transfer
    ) AS leg
    GROUP BY account_id
) AS legs ON legs.account_id = a.id
ORDER BY a.id
"""

_MALFORMED_SQL = """
SELECT id, source_id, destination_id, amount FROM points_transfer
WHERE amount <= 0 OR source_id = destination_id
ORDER BY id
"""

# Reversals that do not exactly mirror an original that is not itself a reversal.
_REVERSALS_SQL = """
SELECT r.id, r.kind, r.reverses_id, o.id, o.kind,
       r.source_id, r.destination_id, r.amount, o.source_id, o.destination_id, o.amount
FROM points_transfer AS r
LEFT JOIN points_transfer AS o ON o.id = r.reverses_id
WHERE (r.kind = %(reversal)s OR r.reverses_id IS NOT NULL)
  AND NOT (
      r.kind = %(reversal)s AND o.id IS NOT NULL AND o.kind <> %(reversal)s
      AND r.source_id = o.destination_id AND r.destination_id = o.source_id AND r.amount = o.amount
  )
ORDER BY r.id
"""

_REVERSED_TWICE_SQL = """
SELECT reverses_id, COUNT(*) FROM points_transfer
WHERE reverses_id IS NOT NULL
GROUP BY reverses_id
HAVING COUNT(*) > 1
ORDER BY reverses_id
"""


def _check_accounts(cursor, report: LedgerReport) -> None:
    cursor.execute(_ACCOUNTS_SQL)
    for account_id, kind, stored, recomputed in cursor.fetchall():
        report.accounts += 1
        report.total += stored
        if stored != recomputed:
            report.breaches.append(
                Breach(
                    BALANCE_MISMATCH,
                    f"account {account_id} ({kind}) stores balance {stored}, its transfers give {recomputed}",
                    account_id=account_id,
                )
            )
        if kind != AccountKind.DISTRICT_FUND and min(stored, recomputed) < 0:
            report.breaches.append(
                Breach(
                    NEGATIVE_BALANCE,
                    f"account {account_id} ({kind}) may not go below zero: "
                    f"stored {stored}, from its transfers {recomputed}",
                    account_id=account_id,
                )
            )
    if report.total != 0:
        report.breaches.append(
            Breach(
                TOTAL_NOT_ZERO, f"the balances of all {report.accounts} accounts sum to {report.total}, not 0"
            )
        )


def _check_transfers(cursor, report: LedgerReport) -> None:
    cursor.execute("SELECT COUNT(*) FROM points_transfer")
    report.transfers = cursor.fetchone()[0]

    cursor.execute(_MALFORMED_SQL)
    for transfer_id, source_id, destination_id, amount in cursor.fetchall():
        if amount <= 0:
            report.breaches.append(
                Breach(
                    NON_POSITIVE_AMOUNT,
                    f"transfer {transfer_id} moves {amount} points; every amount must be above 0",
                    transfer_id=transfer_id,
                )
            )
        if source_id == destination_id:
            report.breaches.append(
                Breach(
                    SAME_ACCOUNT,
                    f"transfer {transfer_id} moves points from account {source_id} to itself",
                    transfer_id=transfer_id,
                )
            )

    cursor.execute(_REVERSALS_SQL, {"reversal": TransferKind.REVERSAL.value})
    for row in cursor.fetchall():
        report.breaches.append(_reversal_breach(*row))

    cursor.execute(_TILL_SQL, {"till": TransferKind.TILL.value})
    for transfer_id, source_id, destination_id in cursor.fetchall():
        report.breaches.append(
            Breach(
                TILL_MISMATCH,
                f"transfer {transfer_id} is a move between tills, but accounts {source_id} and "
                f"{destination_id} are not an issuing account and one of its tills",
                transfer_id=transfer_id,
            )
        )

    cursor.execute(_REVERSED_TWICE_SQL)
    for original_id, count in cursor.fetchall():
        report.breaches.append(
            Breach(
                REVERSED_TWICE,
                f"transfer {original_id} is reversed {count} times; an entry is reversed at most once",
                transfer_id=original_id,
            )
        )


def _reversal_breach(
    r_id,
    r_kind,
    reverses_id,
    o_id,
    o_kind,
    r_source,
    r_destination,
    r_amount,
    o_source,
    o_destination,
    o_amount,
) -> Breach:
    if reverses_id is None:
        return Breach(
            REVERSAL_WITHOUT_ORIGINAL,
            f"transfer {r_id} is a reversal but names no transfer it reverses",
            transfer_id=r_id,
        )
    if o_id is None:
        return Breach(
            REVERSAL_WITHOUT_ORIGINAL,
            f"transfer {r_id} reverses transfer {reverses_id}, which does not exist",
            transfer_id=r_id,
        )
    if r_kind != TransferKind.REVERSAL:
        return Breach(
            REVERSAL_KIND_MISMATCH,
            f"transfer {r_id} reverses transfer {reverses_id} but is of kind {r_kind!r}, not 'reversal'",
            transfer_id=r_id,
        )
    if o_kind == TransferKind.REVERSAL:
        return Breach(
            REVERSAL_OF_REVERSAL,
            f"transfer {r_id} reverses transfer {reverses_id}, which is itself a reversal",
            transfer_id=r_id,
        )
    return Breach(
        REVERSAL_MISMATCH,
        f"transfer {r_id} ({r_source}→{r_destination}, {r_amount}) does not mirror the transfer it "
        f"reverses, {reverses_id} ({o_source}→{o_destination}, {o_amount})",
        transfer_id=r_id,
    )


def verify_ledger() -> LedgerReport:
    """Recompute every balance from the transfers and check every invariant of the ledger.

    Checks: each account's balance equals its incoming minus its outgoing transfers; no account
    but the district fund is below zero; all balances sum to zero; every amount is above zero and
    moves between two different accounts; every reversal mirrors (swapped accounts, same amount)
    an original that is not itself a reversal; no entry is reversed twice.
    """
    report = LedgerReport()
    with connection.cursor() as cursor:
        _check_accounts(cursor, report)
        _check_transfers(cursor, report)
    _check_flows(report)
    return report


def _check_flows(report: LedgerReport) -> None:
    """The dashboards' totals per community and day (points.flows) against the transfers."""
    from .flows import mismatches

    count, first = mismatches()
    for flow, area_id, day, expected, counted in first:
        report.breaches.append(
            Breach(
                FLOW_MISMATCH,
                f"points {flow} in area {area_id} on {day}: the transfers make {expected}, the "
                f"dashboards' totals {counted} (manage.py shell: points.flows.rebuild() recomputes them)",
            )
        )
    if count > len(first):
        report.breaches.append(Breach(FLOW_MISMATCH, f"… and {count - len(first)} more day totals differ"))


# --- The nightly check -------------------------------------------------------------------------


def ledger_check_and_alert(*, day: str) -> dict:
    """Run `verify_ledger`; on a breach, a notice to every district administrator (once per `day`).

    Returns a summary for the job's record.
    """
    from notices.services import notice_send

    report = verify_ledger()
    result = {
        "ok": report.ok,
        "accounts": report.accounts,
        "transfers": report.transfers,
        "total": report.total,
        "breaches": [str(breach) for breach in report.breaches[:NOTICE_BREACH_LINES]],
        "breach_count": len(report.breaches),
    }
    if report.ok:
        return result
    logger.error("points ledger check on %s: %s", day, report.summary())
    administrators = {
        grant.user_id: grant.user
        for grant in RoleGrant.objects.filter(role=Role.DISTRICT_ADMIN, user__is_active=True).select_related(
            "user"
        )
    }
    lines = [str(breach) for breach in report.breaches[:NOTICE_BREACH_LINES]]
    if len(report.breaches) > NOTICE_BREACH_LINES:
        lines.append(f"… {len(report.breaches) - NOTICE_BREACH_LINES} more")
    # Workers have no request: write in the platform's language.
    with translation.override(settings.LANGUAGE_CODE):
        title = _("The points ledger failed its nightly check (%(day)s)") % {"day": day}
        body = "\n".join(
            [
                _(
                    "%(count)s problem(s) were found. Points must not be moved by hand; run "
                    "“manage.py verify_ledger” for the full list and correct each entry with a "
                    "reversing transfer."
                )
                % {"count": len(report.breaches)},
                "",
                *lines,
            ]
        )
    notified = 0
    for user_id, user in sorted(administrators.items()):
        # One notice per administrator and day: the key of a notice is unique across recipients.
        _notice, created = notice_send(
            recipient=user,
            key=f"ledger-breach:{day}:{user_id}",
            kind="ledger-breach",
            title=title,
            body=body,
            email=True,
        )
        notified += created
    result["notified"] = notified
    return result
