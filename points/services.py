"""The only way to move points: `points_transfer`, and `points_reverse` for corrections.

Both lock the two accounts in id order (so A→B and B→A at once cannot deadlock), check the
rules, write one transfer row and both balances in one transaction. Idempotency keys come from
the cause, so a retried request or job returns the first transfer instead of paying twice.

On PostgreSQL a move is one call of the database function `points_transfer_move` (migrations
0009 and 0011: lock both accounts, check the source's balance, insert the transfer unless its key
or its reversed entry is taken, update both balances; a community's issuing account pays through
whichever of its tills is free, ADR 0006): one round trip, atomic by itself, so it needs
neither a transaction of its own nor a savepoint inside the caller's. Elsewhere (SQLite for the
demo, whose write transactions are serialised) the same steps are ORM queries in one transaction.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, Q, When
from django.utils import timezone
from django.utils.translation import gettext as _

from community.models import Area, AreaKind, Organisation, User
from core.exceptions import Conflict, NotFound, ValidationFailed

from .models import NON_NEGATIVE_KINDS, Account, AccountKind, Transfer, TransferKind

# Far above any real award (the whole district issued ≈2.2 M in years), far below BIGINT.
MAX_AMOUNT = 1_000_000
MAX_KEY_LENGTH = Transfer._meta.get_field("key").max_length
MAX_CAUSE_LENGTH = Transfer._meta.get_field("cause").max_length
MAX_MEMO_LENGTH = Transfer._meta.get_field("memo").max_length
_KINDS = frozenset(TransferKind.values)
# The transfer a move returns is built from what was written, in field order (no query). A new
# field on Transfer must be written by points_transfer_move too: this fails loudly until it is.
_TRANSFER_FIELDS = [field.attname for field in Transfer._meta.concrete_fields]


class InsufficientPoints(Conflict):
    default_code = "insufficient_points"


# --- Checks shared by both ways of moving ------------------------------------------------------


def _check_amount(amount) -> int:
    # bool is an int in Python; "5", 5.0 and Decimal("5") are not amounts.
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValidationFailed(_("The number of points must be a whole number."), code="invalid_amount")
    if amount <= 0:
        raise ValidationFailed(_("The number of points must be greater than zero."), code="invalid_amount")
    if amount > MAX_AMOUNT:
        raise ValidationFailed(
            _("At most %(max)s points can be moved at once.") % {"max": MAX_AMOUNT}, code="invalid_amount"
        )
    return amount


def _check_key(key) -> str:
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed(
            _("Every transfer needs a key naming its cause (at most %(max)s characters).")
            % {"max": MAX_KEY_LENGTH},
            code="invalid_key",
        )
    return key


def _grouped(account: Account) -> bool:
    """An issuing account with tills, or a till (ADR 0006)."""
    return bool(account.tills) or account.parent_id is not None


def _account_id(account) -> int:
    pk = getattr(account, "pk", None)
    if not isinstance(account, Account) or pk is None:
        raise NotFound(_("Account not found."), code="account_not_found")
    return pk


@dataclass(frozen=True)
class _Move:
    """What one transfer is: the content a replayed key must match, and what is written."""

    key: str
    kind: str
    source_id: int
    destination_id: int
    amount: int
    reverses_id: int | None
    cause: str
    memo: str
    actor_id: int | None
    # An issuing account with tills, or a till, is on either side (ADR 0006).
    grouped: bool = False
    # The source is an issuing account with tills and the destination a plain account: any of
    # its tills may pay.
    use_tills: bool = False

    def same_content(self, existing: Transfer) -> bool:
        # cause and memo are descriptions, not content: a retry may word them differently.
        return (
            (
                existing.source_id == self.source_id
                or (
                    self.use_tills
                    and Account.objects.filter(pk=existing.source_id, parent_id=self.source_id).exists()
                )
            )
            and existing.destination_id == self.destination_id
            and existing.amount == self.amount
            and existing.kind == self.kind
            and existing.reverses_id == self.reverses_id
        )


def _key_reused() -> Conflict:
    return Conflict(
        _("This operation was already recorded with different details; nothing was changed."),
        code="idempotency_key_reused",
    )


def _already_reversed() -> Conflict:
    return Conflict(_("This entry has already been reversed."), code="already_reversed")


def _insufficient(balance: int, amount: int) -> InsufficientPoints:
    return InsufficientPoints(
        _("Not enough points: %(balance)s available, %(amount)s needed.")
        % {"balance": balance, "amount": amount}
    )


def _recorded(move: _Move, *, accept_existing_reversal: bool) -> Transfer | None:
    """The transfer already recorded for this move (same key, or the same entry reversed), if any.

    Same key, same content: that transfer (a replay). Same key, other content: refused. Another
    reversal of the same entry: returned only when the caller named no key of its own.
    """
    existing = Transfer.objects.filter(key=move.key).first()
    if existing is not None:
        if not move.same_content(existing):
            raise _key_reused()
        return existing
    if move.reverses_id is not None:
        existing = Transfer.objects.filter(reverses_id=move.reverses_id).first()
        if existing is not None:
            if accept_existing_reversal:
                return existing
            raise _already_reversed()
    return None


# --- PostgreSQL: one function call ----------------------------------------------------------

# points_transfer_move (migration 0009) moves between plain accounts: it locks both in id order,
# checks the source may pay, inserts the transfer unless its key or the entry it reverses is taken
# (ON CONFLICT DO NOTHING), and moves both balances. points_transfer_move_grouped (migration 0011)
# does the same when an issuing account with tills, or a till, is involved: plain accounts are
# locked first, and any free till of a paying issuing account may pay. Neither refuses by
# raising; they return what they saw.
_MOVE_SQL = "SELECT *, NULL FROM points_transfer_move(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
_MOVE_GROUPED_SQL = "SELECT * FROM points_transfer_move_grouped(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
# When every till that could pay is busy and the account itself is short, the points exist but
# are held by payments in flight: look again a few times before giving up.
_BUSY_RETRIES = (0.005, 0.02, 0.05, 0.1)


def _call_move(move: _Move, now) -> tuple:
    params = [
        move.source_id,
        move.destination_id,
        move.amount,
        move.key,
        move.kind,
        move.cause,
        move.memo,
        move.reverses_id,
        move.actor_id,
        now,
    ]
    with connection.cursor() as cursor:
        if move.grouped:
            cursor.execute(_MOVE_GROUPED_SQL, [*params, move.use_tills])
        else:
            cursor.execute(_MOVE_SQL, params)
        transfer_id, accounts, source_kind, source_balance, destination_balance, paid_from = cursor.fetchone()
    return (
        transfer_id,
        accounts,
        source_kind,
        source_balance,
        destination_balance,
        paid_from or move.source_id,
    )


def _move_postgresql(move: _Move, *, accept_existing_reversal: bool) -> tuple[Transfer, dict[int, int]]:
    now = timezone.now()
    transfer_id, accounts, source_kind, source_balance, destination_balance, paid_from = _call_move(move, now)
    for pause in _BUSY_RETRIES:
        if transfer_id is not None or accounts != 2 or source_balance < move.amount or not move.use_tills:
            break
        if _recorded(move, accept_existing_reversal=accept_existing_reversal) is not None:
            break
        time.sleep(pause)
        transfer_id, accounts, source_kind, source_balance, destination_balance, paid_from = _call_move(
            move, now
        )
    if transfer_id is not None:
        written = {
            "id": transfer_id,
            "key": move.key,
            "kind": move.kind,
            "source_id": paid_from,
            "destination_id": move.destination_id,
            "amount": move.amount,
            "cause": move.cause,
            "memo": move.memo,
            "reverses_id": move.reverses_id,
            "created_by_id": move.actor_id,
            "created_at": now,
        }
        transfer = Transfer.from_db(
            connection.alias, _TRANSFER_FIELDS, [written[f] for f in _TRANSFER_FIELDS]
        )
        return transfer, {move.source_id: source_balance, move.destination_id: destination_balance}
    # Nothing was written: say why. A replay wins over a balance that has since run short.
    if accounts != 2:
        raise NotFound(_("Account not found."), code="account_not_found")
    existing = _recorded(move, accept_existing_reversal=accept_existing_reversal)
    if existing is not None:
        return existing, {}
    if source_kind in NON_NEGATIVE_KINDS and source_balance < move.amount:
        raise _insufficient(source_balance, move.amount)
    # The points exist but stayed held by other payments, or a concurrent insert vanished.
    raise Conflict(_("The transfer could not be recorded; please try again."), code="transfer_failed")


# --- Other databases: ORM queries in one serialised transaction --------------------------------


def _till_move_portable(from_id: int, to_id: int, amount: int) -> None:
    Transfer.objects.create(
        key=f"till:{uuid.uuid4()}",
        kind=TransferKind.TILL,
        source_id=from_id,
        destination_id=to_id,
        amount=amount,
    )
    Account.objects.filter(pk__in=[from_id, to_id]).update(
        balance=Case(When(pk=from_id, then=F("balance") - amount), default=F("balance") + amount)
    )


def _sweep_portable(account_id: int, balance: int, needed: int) -> int:
    """Move what the tills hold into the account until it has `needed`; returns its new balance."""
    tills = Account.objects.select_for_update().filter(parent_id=account_id, balance__gt=0)
    for till_id, till_balance in tills.order_by("-balance", "pk").values_list("pk", "balance"):
        if balance >= needed:
            break
        _till_move_portable(till_id, account_id, till_balance)
        balance += till_balance
    return balance


def _move_portable(move: _Move, *, accept_existing_reversal: bool) -> tuple[Transfer, dict[int, int]]:
    """The same steps as points_transfer_move, as ORM queries in one transaction."""
    with transaction.atomic():
        existing = _recorded(move, accept_existing_reversal=accept_existing_reversal)
        if existing is not None:
            return existing, {}
        # Lock in id order (a no-op on SQLite, whose IMMEDIATE transactions already serialise writers).
        locked = {
            pk: (kind, balance, tills)
            for pk, kind, balance, tills in Account.objects.select_for_update()
            .filter(pk__in=[move.source_id, move.destination_id])
            .order_by("pk")
            .values_list("pk", "kind", "balance", "tills")
        }
        if len(locked) != 2:
            raise NotFound(_("Account not found."), code="account_not_found")
        source_kind, balance, tills = locked[move.source_id]
        paid_from = move.source_id
        if move.use_tills:
            till = (
                Account.objects.select_for_update()
                .filter(parent_id=move.source_id, balance__gte=move.amount)
                .order_by("pk")
                .values_list("pk", "balance")
                .first()
            )
            if till is not None:
                paid_from, balance = till
        if paid_from == move.source_id and tills and balance < move.amount:
            balance = _sweep_portable(move.source_id, balance, move.amount)
        if source_kind in NON_NEGATIVE_KINDS and balance < move.amount:
            raise _insufficient(Account.total_of(move.source_id) if tills else balance, move.amount)
        try:
            with transaction.atomic():
                transfer = Transfer.objects.create(
                    key=move.key,
                    kind=move.kind,
                    source_id=paid_from,
                    destination_id=move.destination_id,
                    amount=move.amount,
                    cause=move.cause,
                    memo=move.memo,
                    reverses_id=move.reverses_id,
                    created_by_id=move.actor_id,
                )
        except IntegrityError:
            # A database that does not serialise writers let another transaction take the key first.
            existing = _recorded(move, accept_existing_reversal=accept_existing_reversal)
            if existing is None:
                raise
            return existing, {}
        Account.objects.filter(pk__in=[paid_from, move.destination_id]).update(
            balance=Case(
                When(pk=paid_from, then=F("balance") - move.amount),
                default=F("balance") + move.amount,
            )
        )
        balance -= move.amount
        if move.use_tills and paid_from == move.source_id and tills and balance // (tills + 1) > 0:
            emptiest = Account.objects.filter(parent_id=move.source_id).order_by("balance", "pk").first()
            if emptiest is not None:
                _till_move_portable(move.source_id, emptiest.pk, balance // (tills + 1))
        source_balance = Account.total_of(move.source_id) if tills or move.use_tills else balance
    return transfer, {
        move.source_id: source_balance,
        move.destination_id: locked[move.destination_id][1] + move.amount,
    }


def _move(
    *,
    source_id: int,
    destination_id: int,
    amount: int,
    key: str,
    kind: str,
    cause: str,
    memo: str,
    actor: User | None,
    reverses_id: int | None = None,
    accept_existing_reversal: bool = False,
    grouped: bool = False,
    use_tills: bool = False,
) -> tuple[Transfer, dict[int, int]]:
    """Record one move; returns the transfer and the new balances ({} when it was already recorded)."""
    key = _check_key(key)
    if source_id == destination_id:
        raise ValidationFailed(_("Points cannot be moved to the same account."), code="same_account")
    move = _Move(
        key=key,
        kind=kind,
        source_id=source_id,
        destination_id=destination_id,
        amount=amount,
        reverses_id=reverses_id,
        cause=(cause or "")[:MAX_CAUSE_LENGTH],
        memo=(memo or "")[:MAX_MEMO_LENGTH],
        actor_id=getattr(actor, "pk", None),
        grouped=grouped or use_tills,
        use_tills=use_tills,
    )
    if connection.vendor == "postgresql":
        return _move_postgresql(move, accept_existing_reversal=accept_existing_reversal)
    return _move_portable(move, accept_existing_reversal=accept_existing_reversal)


# --- The two services ------------------------------------------------------------------------


def points_transfer(
    *,
    source: Account,
    destination: Account,
    amount: int,
    key: str,
    kind: str,
    cause: str = "",
    memo: str = "",
    actor: User | None = None,
) -> Transfer:
    """Move `amount` points from `source` to `destination`, once per `key`.

    The same key again with the same accounts, amount and kind returns the first transfer; with
    anything else it is refused (`idempotency_key_reused`) and nothing changes. On success the
    `balance` of the two account objects passed in is brought up to date (but for an issuing
    account with tills, whose points are its `total_balance`; ADR 0006).
    """
    amount = _check_amount(amount)
    if kind == TransferKind.REVERSAL:
        raise ValidationFailed(_("Use points_reverse to correct a transfer."), code="invalid_kind")
    if kind not in _KINDS:
        raise ValidationFailed(_("Unknown kind of transfer."), code="invalid_kind")
    if kind == TransferKind.TILL:
        raise ValidationFailed(_("Points move between tills by themselves."), code="invalid_kind")
    source_id, destination_id = _account_id(source), _account_id(destination)
    transfer, balances = _move(
        source_id=source_id,
        destination_id=destination_id,
        amount=amount,
        key=key,
        kind=kind,
        cause=cause,
        memo=memo,
        actor=actor,
        grouped=_grouped(source) or _grouped(destination),
        use_tills=bool(source.tills) and not _grouped(destination),
    )
    if balances:
        destination.balance = balances[destination_id]
        transfer.destination = destination
        if not source.tills:
            # An account with tills keeps its stale own share; `total_balance` asks the database.
            source.balance = balances[source_id]
        if transfer.source_id == source_id:
            transfer.source = source
    return transfer


def points_reverse(
    *, transfer: Transfer, memo: str, actor: User | None = None, key: str | None = None
) -> Transfer:
    """Undo `transfer` with an opposite transfer. An entry is reversed at most once; a reversal never.

    Without `key` the reversal's key is `reversal:<id>`, and asking again returns the reversal
    already made. With a key, a second reversal under another key is refused (`already_reversed`).
    """
    if transfer.pk is None:
        raise NotFound(_("Transfer not found."), code="transfer_not_found")
    if transfer.kind == TransferKind.REVERSAL:
        raise Conflict(_("A reversal cannot itself be reversed."), code="reversal_of_reversal")
    if transfer.kind == TransferKind.TILL:
        raise Conflict(
            _("Points moved between a community's tills are not reversed."), code="till_not_reversible"
        )
    reversal, _balances = _move(
        grouped=Account.objects.filter(
            Q(tills__gt=0) | Q(parent__isnull=False), pk__in=[transfer.source_id, transfer.destination_id]
        ).exists(),
        source_id=transfer.destination_id,
        destination_id=transfer.source_id,
        amount=transfer.amount,
        key=f"reversal:{transfer.pk}" if key is None else key,
        kind=TransferKind.REVERSAL,
        cause=transfer.cause,
        memo=memo,
        actor=actor,
        reverses_id=transfer.pk,
        accept_existing_reversal=key is None,
    )
    if reversal.reverses_id == transfer.pk:
        reversal.reverses = transfer
    return reversal


# --- Accounts --------------------------------------------------------------------------------


def _district_of(area: Area) -> Area:
    district = area.ancestor_of_kind(AreaKind.DISTRICT)
    if district is None:
        raise ValidationFailed(_("This area is not inside a district."))
    return district


def district_fund(*, area: Area) -> Account:
    district = _district_of(area)
    account, _created = Account.objects.get_or_create(
        kind=AccountKind.DISTRICT_FUND, area=district, defaults={"name": f"{district.name}积分基金"}
    )
    return account


def expiry_sink(*, area: Area) -> Account:
    district = _district_of(area)
    account, _created = Account.objects.get_or_create(
        kind=AccountKind.EXPIRY_SINK, area=district, defaults={"name": f"{district.name}过期积分"}
    )
    return account


def community_account(*, community: Area) -> Account:
    """The community's issuing account, opened with its tills (POINTS_COMMUNITY_TILLS) on first use."""
    if community.kind != AreaKind.COMMUNITY:
        raise ValidationFailed(_("An issuing account belongs to a community."))
    existing = Account.objects.filter(kind=AccountKind.COMMUNITY, area=community, parent__isnull=True).first()
    if existing is not None:
        return existing
    tills = settings.POINTS_COMMUNITY_TILLS
    name = f"{community.name}积分账户"
    try:
        with transaction.atomic():
            account = Account.objects.create(
                kind=AccountKind.COMMUNITY, area=community, name=name, tills=tills
            )
            Account.objects.bulk_create(
                Account(kind=AccountKind.COMMUNITY, area=community, name=name, parent=account)
                for _number in range(tills)
            )
    except IntegrityError:
        return Account.objects.get(kind=AccountKind.COMMUNITY, area=community, parent__isnull=True)
    return account


def merchant_account(*, organisation: Organisation) -> Account:
    account, _created = Account.objects.get_or_create(
        kind=AccountKind.MERCHANT,
        organisation=organisation,
        defaults={"area": organisation.area, "name": organisation.name},
    )
    return account


def wallet_for(*, user: User) -> Account:
    """The user's wallet, opened in their community on first use."""
    existing = Account.objects.filter(kind=AccountKind.WALLET, user=user).first()
    if existing is not None:
        return existing
    person = getattr(user, "person", None)
    if person is None:
        raise ValidationFailed(_("Only residents and Party members registered in a community have a wallet."))
    try:
        with transaction.atomic():
            return Account.objects.create(
                kind=AccountKind.WALLET, user=user, area=person.community, name=f"{person.name}的积分"
            )
    except IntegrityError:
        return Account.objects.get(kind=AccountKind.WALLET, user=user)
