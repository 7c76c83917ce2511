"""The only way to move points: `points_transfer`, and `points_reverse` for corrections.

Both lock the two accounts in id order (so A→B and B→A at once cannot deadlock), check the
rules, write one transfer row and both balances in one transaction. Idempotency keys come from
the cause, so a retried request or job returns the first transfer instead of paying twice.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from community.models import Area, AreaKind, Organisation, User
from core.exceptions import Conflict, NotFound, ValidationFailed

from .models import NON_NEGATIVE_KINDS, Account, AccountKind, Transfer, TransferKind

# Far above any real award (the whole district issued ≈2.2 M in years), far below BIGINT.
MAX_AMOUNT = 1_000_000
MAX_KEY_LENGTH = 200


class InsufficientPoints(Conflict):
    default_code = "insufficient_points"


def _check_amount(amount) -> int:
    # bool is an int in Python; "5" and 5.0 are not amounts.
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValidationFailed(_("The number of points must be a whole number."), code="invalid_amount")
    if amount <= 0:
        raise ValidationFailed(_("The number of points must be greater than zero."), code="invalid_amount")
    if amount > MAX_AMOUNT:
        raise ValidationFailed(
            _("At most %(max)s points can be moved at once.") % {"max": MAX_AMOUNT}, code="invalid_amount"
        )
    return amount


def _same_content(existing: Transfer, *, source_id, destination_id, amount, kind, reverses_id) -> bool:
    return (
        existing.source_id == source_id
        and existing.destination_id == destination_id
        and existing.amount == amount
        and existing.kind == kind
        and existing.reverses_id == reverses_id
    )


def _replay(key: str, **content) -> Transfer | None:
    """The transfer already made under `key`, if its content matches; a mismatch is refused."""
    existing = Transfer.objects.filter(key=key).first()
    if existing is None:
        return None
    if not _same_content(existing, **content):
        raise Conflict(
            _("This operation was already recorded with different details; nothing was changed."),
            code="idempotency_key_reused",
        )
    return existing


@transaction.atomic
def _move(
    *,
    source: Account,
    destination: Account,
    amount: int,
    key: str,
    kind: str,
    cause: str,
    memo: str,
    actor: User | None,
    reverses: Transfer | None = None,
) -> Transfer:
    content = {
        "source_id": source.pk,
        "destination_id": destination.pk,
        "amount": amount,
        "kind": kind,
        "reverses_id": reverses.pk if reverses else None,
    }
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed(_("Every transfer needs a key of its cause (at most 200 characters)."))
    if source.pk == destination.pk:
        raise ValidationFailed(_("Points cannot be moved to the same account."), code="same_account")
    replay = _replay(key, **content)
    if replay is not None:
        return replay

    # Lock both accounts, always lowest id first.
    locked = {
        a.pk: a
        for a in Account.objects.select_for_update().filter(pk__in=[source.pk, destination.pk]).order_by("pk")
    }
    if len(locked) != 2:
        raise NotFound(_("Account not found."))
    src = locked[source.pk]
    if src.kind in NON_NEGATIVE_KINDS and src.balance < amount:
        raise InsufficientPoints(
            _("Not enough points: %(balance)s available, %(amount)s needed.")
            % {"balance": src.balance, "amount": amount}
        )
    try:
        with transaction.atomic():
            transfer = Transfer.objects.create(
                key=key,
                kind=kind,
                source_id=source.pk,
                destination_id=destination.pk,
                amount=amount,
                cause=cause[:120],
                memo=memo[:200],
                reverses=reverses,
                created_by=actor,
            )
    except IntegrityError:
        # Another transaction committed the same key (or reversed the same entry) meanwhile.
        replay = _replay(key, **content)
        if replay is not None:
            return replay
        raise Conflict(_("This entry has already been reversed."), code="already_reversed") from None
    Account.objects.filter(pk=source.pk).update(balance=F("balance") - amount)
    Account.objects.filter(pk=destination.pk).update(balance=F("balance") + amount)
    source.balance = locked[source.pk].balance - amount
    destination.balance = locked[destination.pk].balance + amount
    return transfer


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
    """Move `amount` points from `source` to `destination`, once per `key`."""
    amount = _check_amount(amount)
    if kind == TransferKind.REVERSAL:
        raise ValidationFailed(_("Use points_reverse to correct a transfer."))
    if kind not in TransferKind.values:
        raise ValidationFailed(_("Unknown kind of transfer."))
    return _move(
        source=source,
        destination=destination,
        amount=amount,
        key=key,
        kind=kind,
        cause=cause,
        memo=memo,
        actor=actor,
    )


def points_reverse(
    *, transfer: Transfer, memo: str, actor: User | None = None, key: str | None = None
) -> Transfer:
    """Undo `transfer` with an opposite transfer. An entry is reversed at most once; a reversal never."""
    if transfer.kind == TransferKind.REVERSAL:
        raise Conflict(_("A reversal cannot itself be reversed."), code="reversal_of_reversal")
    existing = Transfer.objects.filter(reverses=transfer).first()
    if existing is not None:
        if key is None or existing.key == key:
            return existing
        raise Conflict(_("This entry has already been reversed."), code="already_reversed")
    return _move(
        source=transfer.destination,
        destination=transfer.source,
        amount=transfer.amount,
        key=key or f"reversal:{transfer.pk}",
        kind=TransferKind.REVERSAL,
        cause=transfer.cause,
        memo=memo,
        actor=actor,
        reverses=transfer,
    )


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
    if community.kind != AreaKind.COMMUNITY:
        raise ValidationFailed(_("An issuing account belongs to a community."))
    account, _created = Account.objects.get_or_create(
        kind=AccountKind.COMMUNITY, area=community, defaults={"name": f"{community.name}积分账户"}
    )
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
