"""Every write of the livelihood market: items, and redemptions from reservation to collection, cancellation or expiry.

Points only move through points.services: redeeming reserves them from the holder's wallet to the
merchant's account (`points_transfer`, key `redeem:<id>`); cancelling or expiring reverses that
transfer (`points_reverse`, key `redeem:<id>:refund`); collecting leaves them with the merchant.

Locks are always taken in the same order — item, then redemption, then the two accounts (inside
points.services) — so concurrent redeem, cancel and expire cannot deadlock. Stock is decremented
with a conditional UPDATE under the item's row lock: it can never go below zero.
"""

from __future__ import annotations

import logging
import re
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from community.models import AreaKind, Organisation
from core.exceptions import (
    ApplicationError,
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from notices.services import notice_send, reminder_cancel, reminder_schedule

from . import market_rules  # noqa: F401  (registers the market's permissions)
from .models import MarketItem, Redemption, RedemptionTransition, TransferKind
from .services import merchant_account, points_reverse, points_transfer, wallet_for
from .workflow import HOLDING_STATES, RedemptionState, RedemptionStep, target_state

if TYPE_CHECKING:
    from community.models import User

logger = logging.getLogger(__name__)

# How long a reserved code may be collected.
REDEMPTION_VALID_FOR = timedelta(days=7)
# At most this many of one item in one redemption (and the per-person limit applies on top).
MAX_QUANTITY = 20
# Wrong codes one verifier may try before waiting: 10⁸ codes are unguessable only if guessing is slow.
VERIFY_ATTEMPTS = 10
VERIFY_LOCKOUT = timedelta(minutes=15)
CODE_DIGITS = 8
NOTICE_KIND = "market"


class TooManyAttempts(ApplicationError):
    status_code = 429
    default_code = "too_many_attempts"


def _when(value: datetime) -> str:
    return date_format(timezone.localtime(value), "DATETIME_FORMAT")


# --- Items -------------------------------------------------------------------------------------

ITEM_FIELDS = {
    "merchant",
    "community",
    "name",
    "description",
    "price",
    "stock",
    "per_person_limit",
    "available_from",
    "available_until",
    "pickup_place",
    "active",
    "photo",
}


def _whole(value, field: str, *, minimum: int, errors: dict) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        errors.setdefault(field, []).append(
            _("Enter a whole number of at least %(minimum)s.") % {"minimum": minimum}
        )


def _validate_item(item: MarketItem) -> None:
    errors: dict[str, list[str]] = {}
    if not (item.name or "").strip():
        errors.setdefault("name", []).append(_("Give the item a name."))
    if not (item.pickup_place or "").strip():
        errors.setdefault("pickup_place", []).append(_("Say where the item is collected."))
    _whole(item.price, "price", minimum=1, errors=errors)
    _whole(item.stock, "stock", minimum=0, errors=errors)
    _whole(item.per_person_limit, "per_person_limit", minimum=1, errors=errors)
    if item.community_id is None or item.community.kind != AreaKind.COMMUNITY:
        errors.setdefault("community", []).append(_("An item is offered in one community."))
    if item.merchant_id is None or not item.merchant.is_active:
        errors.setdefault("merchant", []).append(_("Choose an active organisation that offers the item."))
    if item.available_from is None:
        errors.setdefault("available_from", []).append(_("Say from when the item may be redeemed."))
    elif item.available_until is not None and item.available_until <= item.available_from:
        errors.setdefault("available_until", []).append(_("The end of the offer must come after its start."))
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(first, extra=errors)


def _check_item_permission(actor: User | None, item: MarketItem, permission: str) -> None:
    if actor is None:  # the platform itself (demo data, data migrations)
        return
    if not actor.has_perm(permission, item):
        raise PermissionDenied(_("You may manage market items only in your own areas."))
    if not Organisation.objects.visible_to(actor).filter(pk=item.merchant_id).exists():
        raise PermissionDenied(_("You may offer items only for organisations in your areas."))


@transaction.atomic
def item_create(*, actor: User | None, **fields: Any) -> MarketItem:
    """Offer a new item. `fields` are those of MarketItem in ITEM_FIELDS."""
    unknown = set(fields) - ITEM_FIELDS
    if unknown:
        raise ValidationFailed(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    fields.setdefault("available_from", timezone.now())
    item = MarketItem(created_by=actor, **fields)
    _validate_item(item)
    _check_item_permission(actor, item, "points.add_marketitem")
    item.save()
    return item


@transaction.atomic
def item_update(*, actor: User | None, item: MarketItem, **changes: Any) -> MarketItem:
    """Change an item. Stock is set under the item's lock, so it never races a redemption."""
    unknown = set(changes) - ITEM_FIELDS
    if unknown:
        raise ValidationFailed(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    locked = MarketItem.objects.select_for_update().get(pk=item.pk)
    _check_item_permission(actor, locked, "points.change_marketitem")
    for name, value in changes.items():
        setattr(locked, name, value)
    _validate_item(locked)
    _check_item_permission(actor, locked, "points.change_marketitem")  # and where it moves to
    if changes:
        locked.save(update_fields=[*changes, "updated_at"])
    return locked


# --- Redeem ------------------------------------------------------------------------------------


def _new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def _log(redemption: Redemption, *, from_state: str, to_state: str, actor, at: datetime, note: str = ""):
    RedemptionTransition.objects.create(
        redemption=redemption, from_state=from_state, to_state=to_state, actor=actor, at=at, note=note[:200]
    )


def _codes_url(redemption: Redemption) -> str:
    return f"{reverse('points:codes')}#redemption-{redemption.pk}"


def _check_available(item: MarketItem, now: datetime) -> None:
    if not item.active:
        raise ValidationFailed(_("This item is no longer on offer."), code="not_available")
    if now < item.available_from:
        raise ValidationFailed(
            _("This item can be redeemed from %(when)s.") % {"when": _when(item.available_from)},
            code="not_available",
        )
    if item.available_until is not None and now >= item.available_until:
        raise ValidationFailed(
            _("This offer ended on %(when)s.") % {"when": _when(item.available_until)}, code="not_available"
        )


def redemption_create(
    *, actor: User, item: MarketItem, quantity: int = 1, now: datetime | None = None
) -> Redemption:
    """Redeem `quantity` of `item`: take stock, reserve the points with the merchant, issue a code.

    Everything happens in one transaction under the item's row lock: beyond stock, beyond the
    per-person limit, outside the offer's window or without enough points, nothing changes.
    """
    now = now or timezone.now()
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationFailed(
            _("Redeem between 1 and %(max)s at a time.") % {"max": MAX_QUANTITY}, code="invalid_quantity"
        )
    if not MarketItem.objects.visible_to(actor).filter(pk=item.pk).exists():
        raise NotFound()
    person = getattr(actor, "person", None)
    if person is None:
        raise ValidationFailed(
            _("Only residents and Party members registered in a community can redeem points."),
            code="no_wallet",
        )
    with transaction.atomic():
        item = MarketItem.objects.select_for_update(of=("self",)).select_related("merchant").get(pk=item.pk)
        if item.community_id != person.community_id:
            raise ValidationFailed(
                _("This item is offered to the residents of another community."), code="other_community"
            )
        _check_available(item, now)
        held = (
            Redemption.objects.filter(item=item, user=actor, state__in=HOLDING_STATES).aggregate(
                total=Sum("quantity")
            )["total"]
            or 0
        )
        if held + quantity > item.per_person_limit:
            raise ValidationFailed(
                _(
                    "Each person may hold at most %(limit)s of this item; you already have %(held)s "
                    "(reserved or collected)."
                )
                % {"limit": item.per_person_limit, "held": held},
                code="limit_reached",
            )
        # The conditional UPDATE is the guard: stock never goes below zero, whatever runs at once.
        if not MarketItem.objects.filter(pk=item.pk, stock__gte=quantity).update(stock=F("stock") - quantity):
            if item.stock <= 0:
                raise Conflict(_("Sorry, this item has just run out."), code="out_of_stock")
            raise Conflict(
                _("Only %(stock)s left; redeem fewer.") % {"stock": item.stock}, code="out_of_stock"
            )
        points = item.price * quantity
        redemption = _create_redemption(item=item, user=actor, quantity=quantity, points=points, now=now)
        # InsufficientPoints here rolls back the stock and the redemption with the transaction.
        redemption.reserve_transfer = points_transfer(
            source=wallet_for(user=actor),
            destination=merchant_account(organisation=item.merchant),
            amount=points,
            key=f"redeem:{redemption.pk}",
            kind=TransferKind.REDEMPTION,
            cause=f"points.Redemption:{redemption.pk}",
            memo=f"{item.name} ×{quantity}",
            actor=actor,
        )
        redemption.save(update_fields=["reserve_transfer"])
        _log(redemption, from_state="", to_state=RedemptionState.RESERVED, actor=actor, at=now)
        reminder_schedule(
            recipient=actor,
            key=f"redemption:{redemption.pk}:expiry-reminder",
            due_at=redemption.expires_at - timedelta(days=1),
            kind=NOTICE_KIND,
            title=_("Collect %(item)s by %(when)s")
            % {"item": item.name, "when": _when(redemption.expires_at)},
            body=_("Show code %(code)s at %(place)s. Uncollected, the points are refunded.")
            % {"code": redemption.grouped_code, "place": item.pickup_place},
            url=_codes_url(redemption),
        )
    return redemption


def _create_redemption(*, item: MarketItem, user, quantity: int, points: int, now: datetime) -> Redemption:
    """Insert with a fresh random code; a clash with an existing code (rare) draws another."""
    for _attempt in range(10):
        try:
            with transaction.atomic():
                return Redemption.objects.create(
                    item=item,
                    user=user,
                    quantity=quantity,
                    points=points,
                    code=_new_code(),
                    token=secrets.token_urlsafe(18)[:24],
                    state=RedemptionState.RESERVED,
                    reserved_at=now,
                    expires_at=now + REDEMPTION_VALID_FOR,
                )
        except IntegrityError:
            continue
    raise Conflict(_("Could not issue a code just now; please try again."), code="code_exhausted")


# --- Verify ------------------------------------------------------------------------------------

_NOT_DIGITS = re.compile(r"[\s\-–—·.]+")


def normalise_code(raw: str) -> str:
    """What a verifier typed or pasted ("1234 5678", "1234-5678") as 8 digits; "" if it cannot be one."""
    code = _NOT_DIGITS.sub("", str(raw or ""))
    return code if len(code) == CODE_DIGITS and code.isascii() and code.isdigit() else ""


def _attempts_key(actor) -> str:
    return f"points:verify-wrong:{actor.pk}"


def _check_not_locked_out(actor) -> None:
    if (cache.get(_attempts_key(actor)) or 0) >= VERIFY_ATTEMPTS:
        raise TooManyAttempts(
            _("Too many wrong codes. Please wait %(minutes)s minutes and try again.")
            % {"minutes": int(VERIFY_LOCKOUT.total_seconds() // 60)}
        )


def _note_wrong_code(actor) -> None:
    key = _attempts_key(actor)
    timeout = int(VERIFY_LOCKOUT.total_seconds())
    if not cache.add(key, 1, timeout):
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout)


def _wrong_code(actor) -> NotFound:
    _note_wrong_code(actor)
    return NotFound(
        _("There is no redemption with this code for you to verify. Please check the 8 digits."),
        code="wrong_code",
    )


def redemption_lookup(
    *, actor: User, code: str, token: str = "", for_update: bool = False, now: datetime | None = None
) -> Redemption:
    """The reserved redemption that `actor` may verify under `code` (and the QR's `token`, if scanned).

    A wrong code, a code of another merchant and a wrong token all read the same: "no such code".
    A used, cancelled or expired code says so, with when.
    """
    now = now or timezone.now()
    _check_not_locked_out(actor)
    if not actor.has_perm("points.verify_redemption"):
        raise PermissionDenied(_("Only the merchant's contacts and community staff verify codes."))
    normalised = normalise_code(code)
    if not normalised:
        raise ValidationFailed(_("A redemption code has 8 digits."), code="invalid_code")
    qs = Redemption.objects.select_related("item__merchant", "item__community", "user__person", "verified_by")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    redemption = qs.filter(code=normalised).first()
    if redemption is None or not actor.has_perm("points.verify_redemption", redemption):
        raise _wrong_code(actor)
    if token and not constant_time_compare(token, redemption.token):
        raise _wrong_code(actor)
    if redemption.state == RedemptionState.COMPLETED:
        raise InvalidTransition(
            _("This code was already used on %(when)s.") % {"when": _when(redemption.completed_at)},
            code="already_used",
        )
    if redemption.state == RedemptionState.RESERVED and redemption.expires_at <= now:
        raise InvalidTransition(
            _("This code expired on %(when)s; the points go back to the holder.")
            % {"when": _when(redemption.expires_at)},
            code="expired",
        )
    target_state(RedemptionStep.COMPLETE, redemption.state)  # cancelled, expired: refused with the reason
    return redemption


def redemption_verify(*, actor: User, code: str, token: str = "", now: datetime | None = None) -> Redemption:
    """The merchant hands the item over: the reserved redemption under `code` becomes completed."""
    now = now or timezone.now()
    with transaction.atomic():
        found = redemption_lookup(actor=actor, code=code, token=token, now=now)
        # Lock in the fixed order (item, then redemption) and look again under the lock.
        MarketItem.objects.select_for_update().filter(pk=found.item_id).first()
        redemption = redemption_lookup(actor=actor, code=code, token=token, for_update=True, now=now)
        from_state = redemption.state
        redemption.state = target_state(RedemptionStep.COMPLETE, from_state)
        redemption.completed_at = now
        redemption.verified_by = actor
        redemption.save(update_fields=["state", "completed_at", "verified_by"])
        _log(redemption, from_state=from_state, to_state=redemption.state, actor=actor, at=now)
        reminder_cancel(key=f"redemption:{redemption.pk}:expiry-reminder")
        notice_send(
            recipient=redemption.user,
            key=f"redemption:{redemption.pk}:completed",
            kind=NOTICE_KIND,
            title=_("You collected %(item)s") % {"item": redemption.item.name},
            body=_("Code %(code)s was verified by %(merchant)s.")
            % {"code": redemption.grouped_code, "merchant": redemption.item.merchant.name},
            url=_codes_url(redemption),
        )
    return redemption


# --- Cancel and expire -------------------------------------------------------------------------


def _close(
    *, redemption_id: int, step: str, actor: User | None, now: datetime, note: str, due_only: bool = False
) -> Redemption | None:
    """Cancel or expire: refund by reversing the reserving transfer, and put the stock back."""
    with transaction.atomic():
        item_id = Redemption.objects.filter(pk=redemption_id).values_list("item_id", flat=True).first()
        if item_id is None:
            raise NotFound()
        MarketItem.objects.select_for_update().filter(pk=item_id).first()
        redemption = (
            Redemption.objects.select_for_update(of=("self",))
            .select_related("item", "reserve_transfer", "user")
            .get(pk=redemption_id)
        )
        if due_only and (redemption.state != RedemptionState.RESERVED or redemption.expires_at > now):
            return None  # collected, cancelled or already expired since the job listed it
        from_state = redemption.state
        to_state = target_state(step, from_state)
        refund = points_reverse(
            transfer=redemption.reserve_transfer,
            memo=note or _("Refund: %(item)s") % {"item": redemption.item.name},
            actor=actor,
            key=f"redeem:{redemption.pk}:refund",
        )
        MarketItem.objects.filter(pk=item_id).update(stock=F("stock") + redemption.quantity)
        redemption.state = to_state
        redemption.closed_at = now
        redemption.refund_transfer = refund
        redemption.save(update_fields=["state", "closed_at", "refund_transfer"])
        _log(redemption, from_state=from_state, to_state=to_state, actor=actor, at=now, note=note)
        reminder_cancel(key=f"redemption:{redemption.pk}:expiry-reminder")
        return redemption


def redemption_cancel(
    *, actor: User, redemption: Redemption, note: str = "", now: datetime | None = None
) -> Redemption:
    """The holder (before collecting) or community staff withdraw a redemption: points refunded, stock back."""
    if not actor.has_perm("points.cancel_redemption", redemption):
        raise PermissionDenied(_("Only the holder or community staff may cancel a redemption."))
    closed = _close(
        redemption_id=redemption.pk,
        step=RedemptionStep.CANCEL,
        actor=actor,
        now=now or timezone.now(),
        note=note,
    )
    if closed.user_id != actor.pk:
        notice_send(
            recipient=closed.user,
            key=f"redemption:{closed.pk}:cancelled",
            kind=NOTICE_KIND,
            title=_("Your redemption of %(item)s was cancelled") % {"item": closed.item.name},
            body=_("%(points)s points were refunded to your wallet.") % {"points": closed.points},
            url=_codes_url(closed),
        )
    return closed


def redemptions_expire(*, now: datetime | None = None, batch: int = 200) -> int:
    """Expire every reserved redemption past its time, refunding it; safe to run twice. Returns how many."""
    now = now or timezone.now()
    expired = 0
    last_id = 0
    while True:
        ids = list(
            Redemption.objects.filter(state=RedemptionState.RESERVED, expires_at__lte=now, pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        for pk in ids:
            try:
                closed = _close(
                    redemption_id=pk, step=RedemptionStep.EXPIRE, actor=None, now=now, note="", due_only=True
                )
            except ApplicationError:
                # One that cannot be refunded now (say, the merchant's account was emptied) waits for
                # the next run; the others go on.
                logger.exception("redemption %s could not be expired", pk)
                continue
            if closed is not None:
                expired += 1
                notice_send(
                    recipient=closed.user,
                    key=f"redemption:{closed.pk}:expired",
                    kind=NOTICE_KIND,
                    title=_("Your code for %(item)s expired") % {"item": closed.item.name},
                    body=_("%(points)s points were refunded to your wallet.") % {"points": closed.points},
                    url=_codes_url(closed),
                )
        if len(ids) < batch:
            return expired
        last_id = ids[-1]
