"""Earning points: rules decide what a reported event pays, within caps; manual awards and
deductions; allocation from the district fund to communities; the yearly expiry of points.

Every movement goes through `points.services.points_transfer`, with a key derived from its cause
so that a retry never pays twice:

| write                    | key                              | from → to                           |
|--------------------------|----------------------------------|-------------------------------------|
| points_allocate          | allocation:<request id>          | district fund → community account   |
| points_award_for_event   | earn:<cause key>                 | community account → wallet          |
| points_manual_adjust     | manual:<request id>              | community account ⇄ wallet          |
| points_expire            | expiry:<wallet id>:<year>        | wallet → district expiry sink       |

`<year>` in the expiry key is the year at whose end the points expired (points earned in 2024
expire at the end of 2025 with the default POINTS_EXPIRY_YEARS = 1: key `expiry:<id>:2025`).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit.services import audit_append, subject_for
from community.access import scope_for
from community.models import Area, AreaKind, Role, User
from core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from notices.services import NoticeDraft, notice_send, notices_send_batch

from .models import (
    Account,
    AdjustmentDirection,
    Earning,
    EarningRule,
    EventType,
    ManualAdjustment,
    Transfer,
    TransferKind,
)
from .selectors import (
    earning_rule_for,
    expiry_cutoffs,
    expiry_notice_date,
    expiry_years,
    local_day_start,
    local_tz,
    manual_monthly_limit,
    mask_initial,
    month_bounds,
    wallets_expiring,
)
from .services import (
    MAX_AMOUNT,
    InsufficientPoints,
    community_account,
    district_fund,
    expiry_sink,
    points_transfer,
    wallet_for,
)

logger = logging.getLogger(__name__)

KEY_MAX_LENGTH = 200
REQUEST_KEY_MAX_LENGTH = ManualAdjustment._meta.get_field("request_key").max_length
REASON_MAX_LENGTH = ManualAdjustment._meta.get_field("reason").max_length
REASON_MIN_LENGTH = 4
# One event reports at most this many units (hours, meetings…); more is a caller's mistake.
MAX_QUANTITY = 1000
# A rule worth more than this per unit is a typing mistake, not a policy.
MAX_RULE_POINTS = 10_000

# Who may award and deduct by hand, in their own community.
MANUAL_ROLES = frozenset({Role.COMMUNITY_SECRETARY, Role.SOCIAL_WORKER})
ALLOCATION_ROLES = frozenset({Role.DISTRICT_ADMIN})
DISTRICT_RULE_ROLES = frozenset({Role.DISTRICT_ADMIN})
COMMUNITY_RULE_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.COMMUNITY_SECRETARY})

# The reason of a manual award is published: it must not carry a phone or ID number.
NUMBER_RUN = re.compile(r"\d{7,}")


# --- Checks shared by the writes ------------------------------------------------------------------


def _whole_positive(value, *, maximum: int, what: str) -> int:
    # bool is an int in Python; "5", 5.0 and Decimal("5") are not counts.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed(_("%(what)s must be a whole number.") % {"what": what}, code="invalid_amount")
    if value <= 0:
        raise ValidationFailed(
            _("%(what)s must be greater than zero.") % {"what": what}, code="invalid_amount"
        )
    if value > maximum:
        raise ValidationFailed(
            _("%(what)s can be at most %(max)s.") % {"what": what, "max": maximum}, code="invalid_amount"
        )
    return value


def _request_key(value) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > REQUEST_KEY_MAX_LENGTH:
        raise ValidationFailed(
            _("Every request needs a request id of at most %(max)s characters.")
            % {"max": REQUEST_KEY_MAX_LENGTH},
            code="invalid_request_key",
        )
    return value.strip()


def _lock_accounts(*accounts: Account) -> dict[int, Account]:
    """Lock the accounts in the order points_transfer uses, so nothing can deadlock.

    Plain accounts (wallets, the fund) first, then issuing accounts and tills; by id within each.
    """
    ids = sorted({a.pk for a in accounts})
    grouped = ExpressionWrapper(Q(tills__gt=0) | Q(parent__isnull=False), output_field=BooleanField())
    locked = Account.objects.select_for_update().filter(pk__in=ids).order_by(grouped, "pk")
    return {a.pk: a for a in locked}


def _community_short_of_points(community: Area, balance: int, amount: int) -> InsufficientPoints:
    return InsufficientPoints(
        _(
            "The points account of %(community)s has %(balance)s points and %(amount)s are needed; "
            "the district must allocate more points to %(community)s first."
        )
        % {"community": community.name, "balance": balance, "amount": amount}
    )


def _district_of(area: Area) -> Area:
    district = area.ancestor_of_kind(AreaKind.DISTRICT)
    if district is None:
        raise ValidationFailed(_("This area is not inside a district."))
    return district


# --- Earning rules --------------------------------------------------------------------------------

RULE_FIELDS = frozenset(
    {
        "event_type",
        "district",
        "community",
        "points",
        "unit_label",
        "daily_cap",
        "monthly_cap",
        "active",
        "valid_from",
        "valid_until",
        "note",
    }
)


def _require_rule_editor(actor: User | None, *, district: Area, community: Area | None) -> None:
    """District defaults: the district's administrator. A community's rule: also its secretary."""
    if actor is None:
        return
    scope = scope_for(actor)
    if community is None:
        if not scope.for_roles(DISTRICT_RULE_ROLES).covers_path(district.path):
            raise PermissionDenied(
                _("Only the district's administrator can change its default earning rules.")
            )
    elif not scope.for_roles(COMMUNITY_RULE_ROLES).covers_path(community.path):
        raise PermissionDenied(_("This community is outside your responsibility."))


def _only_district_of(actor: User | None) -> Area | None:
    """The district an actor administers, when there is exactly one."""
    if actor is None:
        return None
    paths = scope_for(actor).for_roles(DISTRICT_RULE_ROLES).area_paths
    if len(paths) != 1:
        return None
    return Area.objects.filter(path=paths[0], kind=AreaKind.DISTRICT).first()


def _clean_rule(rule: EarningRule) -> None:
    try:
        rule.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ValidationFailed(
            " ".join(
                f"{rule._meta.get_field(k).verbose_name}: {' '.join(v)}" if k != "__all__" else " ".join(v)
                for k, v in exc.message_dict.items()
            ),
            extra=exc.message_dict,
        ) from exc
    if rule.points > MAX_RULE_POINTS:
        raise ValidationFailed(
            _("A rule can give at most %(max)s points per unit.") % {"max": MAX_RULE_POINTS},
            extra={"points": [_("At most %(max)s.") % {"max": MAX_RULE_POINTS}]},
        )
    for name in ("daily_cap", "monthly_cap"):
        value = getattr(rule, name)
        if value is not None and not 0 < value <= MAX_AMOUNT:
            raise ValidationFailed(
                _("A cap is a number of points between 1 and %(max)s.") % {"max": MAX_AMOUNT},
                extra={name: [_("Between 1 and %(max)s.") % {"max": MAX_AMOUNT}]},
            )
    if rule.daily_cap and rule.monthly_cap and rule.daily_cap > rule.monthly_cap:
        raise ValidationFailed(
            _("The daily cap cannot be larger than the monthly cap."),
            extra={"daily_cap": [_("Larger than the monthly cap.")]},
        )
    if rule.valid_until is not None and rule.valid_until < rule.valid_from:
        raise ValidationFailed(
            _("A rule cannot end before it starts."), extra={"valid_until": [_("Before the start date.")]}
        )


@transaction.atomic
def earning_rule_save(*, actor: User | None, rule: EarningRule | None = None, **fields: Any) -> EarningRule:
    """Create a rule (`rule=None`) or change one; every version is kept in the rule's history.

    A district default (no community) is the district administrator's; a community's override is
    also its secretary's. Two active rules for the same event and place may not overlap in time.
    """
    unknown = set(fields) - RULE_FIELDS
    if unknown:
        raise ValidationFailed(_("Unknown fields: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    if rule is not None and rule.pk is not None:
        rule = (
            EarningRule.objects.select_for_update(of=("self",))
            .select_related("district", "community")
            .get(pk=rule.pk)
        )
        # The actor must be allowed to edit the rule as it is, and as it will be.
        _require_rule_editor(actor, district=rule.district, community=rule.community)
    else:
        rule = EarningRule(valid_from=timezone.localdate())

    if rule.pk is None or "community" in fields or "district" in fields:
        community = fields.pop("community", rule.community if rule.pk else None)
        district = fields.pop("district", None)
        if community is not None:
            if community.kind != AreaKind.COMMUNITY:
                raise ValidationFailed(_("A rule's community must be a community."))
            community_district = _district_of(community)
            if district is not None and district.pk != community_district.pk:
                raise ValidationFailed(_("The community is not in this district."))
            district = community_district
        else:
            district = district or (rule.district if rule.pk else None) or _only_district_of(actor)
            if district is None:
                raise ValidationFailed(
                    _("Choose the district of this default rule."), extra={"district": [_("Required.")]}
                )
            if district.kind != AreaKind.DISTRICT:
                raise ValidationFailed(_("A default rule belongs to a district."))
        rule.community, rule.district = community, district
    for name, value in fields.items():
        setattr(rule, name, value)
    _require_rule_editor(actor, district=rule.district, community=rule.community)
    _clean_rule(rule)

    # Serialise saves for one place (the community or district row), then look for an overlap.
    Area.objects.select_for_update().filter(pk=(rule.community or rule.district).pk).first()
    if rule.active:
        overlapping = EarningRule.objects.filter(
            event_type=rule.event_type, district=rule.district, community=rule.community, active=True
        ).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=rule.valid_from))
        if rule.valid_until is not None:
            overlapping = overlapping.filter(valid_from__lte=rule.valid_until)
        if rule.pk is not None:
            overlapping = overlapping.exclude(pk=rule.pk)
        if overlapping.exists():
            raise ValidationFailed(
                _(
                    "Another active rule for this event and place is valid at the same time; "
                    "end it or switch it off first."
                ),
                code="overlapping_rule",
            )
    rule._history_user = actor
    rule.save()
    return rule


# --- Allocation: district fund → community --------------------------------------------------------


@transaction.atomic
def points_allocate(
    *, actor: User | None, community: Area, amount: int, reason: str, request_key: str
) -> Transfer:
    """Fund a community's issuing account from the district fund (the district administrator's job).

    `request_key` is the client's id of this request: sending it again returns the first transfer.
    The allocation is appended to the public record.
    """
    if community.kind != AreaKind.COMMUNITY:
        raise ValidationFailed(_("Points are allocated to a community."))
    if actor is not None and not scope_for(actor).for_roles(ALLOCATION_ROLES).covers_path(community.path):
        raise PermissionDenied(_("Only the district's administrator can allocate points to its communities."))
    amount = _whole_positive(amount, maximum=MAX_AMOUNT, what=_("The number of points"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give the reason for this allocation."), extra={"reason": [_("Required.")]})
    key = f"allocation:{_request_key(request_key)}"
    source, destination = district_fund(area=community), community_account(community=community)
    # Locked first, so that a double submission waits here and then finds the first one's transfer.
    _lock_accounts(source, destination)
    existing = Transfer.objects.filter(key=key).first()
    transfer = points_transfer(
        source=source,
        destination=destination,
        amount=amount,
        key=key,
        kind=TransferKind.ALLOCATION,
        cause=subject_for(community),
        memo=reason[:200],
        actor=actor,
    )
    if existing is None:
        audit_append(
            kind="points.allocation",
            subject=subject_for(transfer),
            payload={
                "community_id": community.pk,
                "community": community.name,
                "amount": amount,
                "reason": reason[:200],
                "transfer_id": transfer.pk,
            },
            area=community,
        )
    return transfer


# --- Events: the rule decides ---------------------------------------------------------------------


def points_award_for_event(
    *,
    event_type: str,
    user: User,
    community: Area,
    cause_key: str,
    quantity: int = 1,
    cause: str = "",
    memo: str = "",
) -> Transfer | None:
    """Pay `user` what the rule for `event_type` in `community` gives for `quantity` units.

    The community's issuing account pays, within the rule's daily and monthly caps per person
    (sums of the person's earnings for this event type in the local day and month, whichever
    community paid them). Returns the transfer; None, with nothing recorded, when no rule applies,
    the rule gives 0 or the caps are reached. The same `cause_key` (say "wish:123:fulfilled")
    returns the first transfer, even if the rule or the caps changed since.
    """
    if event_type not in EventType.values:
        raise ValidationFailed(_("Unknown event type."), code="unknown_event")
    quantity = _whole_positive(quantity, maximum=MAX_QUANTITY, what=_("The quantity"))
    if not isinstance(cause_key, str) or not cause_key or len(cause_key) > KEY_MAX_LENGTH - len("earn:"):
        raise ValidationFailed(_("Every earning needs the key of its cause (at most 195 characters)."))
    key = f"earn:{cause_key}"
    with transaction.atomic():
        existing = Transfer.objects.filter(key=key).first()
        if existing is not None:
            return existing
        now = timezone.now()
        rule = earning_rule_for(event_type=event_type, community=community, on=timezone.localdate(now))
        if rule is None or rule.points == 0:
            return None
        source = community_account(community=community)
        wallet = wallet_for(user=user)
        # The wallet's lock serialises this person's caps. The issuing account is not locked here:
        # its tills pay side by side (ADR 0006), and points_transfer refuses if it is short.
        _lock_accounts(wallet)
        # A concurrent retry of the same event may have paid while this one waited for the locks.
        existing = Transfer.objects.filter(key=key).first()
        if existing is not None:
            return existing

        points = rule.points * quantity
        day_start = local_day_start(now)
        month_start, _month_end = month_bounds(now)
        earned = Earning.objects.filter(
            user=user,
            event_type=event_type,
            created_at__gte=month_start,
            transfer__reversed_by__isnull=True,
        ).aggregate(day=Sum("points", filter=Q(created_at__gte=day_start)), month=Sum("points"))
        if rule.daily_cap is not None:
            points = min(points, rule.daily_cap - (earned["day"] or 0))
        if rule.monthly_cap is not None:
            points = min(points, rule.monthly_cap - (earned["month"] or 0))
        if points <= 0:
            return None
        if points > MAX_AMOUNT:
            raise ValidationFailed(
                _("One event can earn at most %(max)s points.") % {"max": MAX_AMOUNT}, code="invalid_amount"
            )
        if not memo:
            with translation.override(settings.LANGUAGE_CODE):
                memo = str(EventType(event_type).label)
        try:
            transfer = points_transfer(
                source=source,
                destination=wallet,
                amount=points,
                key=key,
                kind=TransferKind.EARNING,
                cause=cause or event_type,
                memo=memo,
            )
        except InsufficientPoints:
            raise _community_short_of_points(community, source.total_balance, points) from None
        Earning.objects.create(
            transfer=transfer,
            event_type=event_type,
            rule=rule,
            user=user,
            community=community,
            quantity=quantity,
            points_per_unit=rule.points,
            points=points,
        )
        return transfer


# --- Manual awards and deductions -----------------------------------------------------------------


def _manual_max() -> int:
    return int(getattr(settings, "POINTS_MANUAL_MAX_PER_AWARD", 500))


def _check_reason(reason, *, holder_name: str) -> str:
    reason = reason.strip() if isinstance(reason, str) else ""
    if len(reason) < REASON_MIN_LENGTH:
        raise ValidationFailed(
            _("Give the reason (at least %(min)s characters); it is published in the public record.")
            % {"min": REASON_MIN_LENGTH},
            code="reason_required",
            extra={"reason": [_("At least %(min)s characters.") % {"min": REASON_MIN_LENGTH}]},
        )
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationFailed(
            _("The reason can have at most %(max)s characters.") % {"max": REASON_MAX_LENGTH},
            extra={"reason": [_("At most %(max)s characters.") % {"max": REASON_MAX_LENGTH}]},
        )
    if NUMBER_RUN.search(reason) or (len(holder_name) >= 2 and holder_name in reason):
        raise ValidationFailed(
            _("The reason is published: leave out the recipient's name and any phone or ID number."),
            code="personal_data_in_reason",
            extra={"reason": [_("No names or numbers of people.")]},
        )
    return reason


def _earlier_adjustment(request_key: str, *, actor, user, amount, direction) -> ManualAdjustment | None:
    """The adjustment already made for this request; the same request id with other details is refused."""
    existing = ManualAdjustment.objects.select_related("wallet").filter(request_key=request_key).first()
    if existing is None:
        return None
    if (
        existing.actor_id == actor.pk
        and existing.wallet.user_id == user.pk
        and existing.amount == amount
        and existing.direction == direction
    ):
        return existing
    raise Conflict(
        _("This request was already recorded with different details; nothing was changed."),
        code="idempotency_key_reused",
    )


@transaction.atomic
def points_manual_adjust(
    *, actor: User, user: User, amount: int, direction: str, reason: str, request_key: str
) -> ManualAdjustment:
    """Award points to, or deduct them from, a person's wallet by hand, with a published reason.

    Only a secretary or social worker of the wallet's community may; awards come from (and
    deductions return to) the community's issuing account. Each is limited in size
    (POINTS_MANUAL_MAX_PER_AWARD) and, per community and local month, in total
    (POINTS_MANUAL_MONTHLY_LIMIT for awards, POINTS_MANUAL_DEDUCTION_MONTHLY_LIMIT for
    deductions). The public record gets the community, the amount, the reason and the
    recipient's masked initial — no name, no number. The same `request_key` returns the first
    adjustment.
    """
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied()
    if direction not in AdjustmentDirection.values:
        raise ValidationFailed(_("Choose award or deduction."), extra={"direction": [_("Required.")]})
    amount = _whole_positive(amount, maximum=_manual_max(), what=_("The number of points"))
    request_key = _request_key(request_key)

    existing = _earlier_adjustment(request_key, actor=actor, user=user, amount=amount, direction=direction)
    if existing is not None:
        return existing

    # Out of the actor's sight it does not exist; in sight but not theirs to award, it is refused.
    if not User.objects.visible_to(actor).filter(pk=user.pk).exists():
        raise NotFound()
    if user.pk == actor.pk:
        raise PermissionDenied(_("You cannot award points to yourself or deduct them from yourself."))
    person = getattr(user, "person", None)
    if person is None:
        raise ValidationFailed(_("Only residents and Party members registered in a community have a wallet."))
    wallet = wallet_for(user=user)
    community = Area.objects.get(pk=wallet.area_id)
    if not scope_for(actor).for_roles(MANUAL_ROLES).covers_path(community.path):
        raise PermissionDenied(
            _("Only a secretary or social worker of %(community)s can award or deduct its residents' points.")
            % {"community": community.name}
        )
    reason = _check_reason(reason, holder_name=person.name)
    issuing = community_account(community=community)

    # The community's issuing account is in every adjustment: locking it serialises the limit check
    # and a double submission, which then finds the first one's adjustment.
    locked = _lock_accounts(issuing, wallet)
    existing = _earlier_adjustment(request_key, actor=actor, user=user, amount=amount, direction=direction)
    if existing is not None:
        return existing
    month_start, month_end = month_bounds(timezone.now())
    used = (
        ManualAdjustment.objects.filter(
            community=community, direction=direction, created_at__gte=month_start, created_at__lt=month_end
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )
    limit = manual_monthly_limit(direction)
    if used + amount > limit:
        raise Conflict(
            _(
                "%(community)s has used %(used)s of its %(limit)s points of manual %(what)s this month; "
                "at most %(left)s more are possible."
            )
            % {
                "community": community.name,
                "used": used,
                "limit": limit,
                "left": max(0, limit - used),
                "what": _("awards") if direction == AdjustmentDirection.AWARD else _("deductions"),
            },
            code="monthly_limit_reached",
        )
    if direction == AdjustmentDirection.AWARD:
        source, destination, kind = issuing, wallet, TransferKind.MANUAL_AWARD
        if locked[issuing.pk].total_balance < amount:
            raise _community_short_of_points(community, locked[issuing.pk].total_balance, amount)
    else:
        source, destination, kind = wallet, issuing, TransferKind.MANUAL_DEDUCTION
        if locked[wallet.pk].balance < amount:
            raise InsufficientPoints(
                _("%(holder)s has %(balance)s points; no more than that can be deducted.")
                % {"holder": person.name, "balance": locked[wallet.pk].balance}
            )

    transfer = points_transfer(
        source=source,
        destination=destination,
        amount=amount,
        key=f"manual:{request_key}",
        kind=kind,
        cause="points.ManualAdjustment",
        memo=reason,
        actor=actor,
    )
    adjustment = ManualAdjustment.objects.create(
        actor=actor,
        wallet=wallet,
        community=community,
        direction=direction,
        amount=amount,
        reason=reason,
        request_key=request_key,
        transfer=transfer,
    )
    with translation.override(settings.LANGUAGE_CODE):
        if direction == AdjustmentDirection.AWARD:
            title = _("%(community)s awarded you %(amount)s points") % {
                "community": community.name,
                "amount": amount,
            }
        else:
            title = _("%(community)s deducted %(amount)s points from you") % {
                "community": community.name,
                "amount": amount,
            }
    notice_send(
        recipient=user,
        key=f"points-manual:{adjustment.pk}",
        kind=f"points-manual-{direction}",
        title=title,
        body=reason,
    )
    # Last in the transaction: the chain lock is held until it ends.
    adjustment.record = audit_append(
        kind=f"points.manual_{direction}",
        subject=subject_for(adjustment),
        payload={
            "community_id": community.pk,
            "community": community.name,
            "direction": direction,
            "amount": amount,
            "reason": reason,
            "transfer_id": transfer.pk,
            "recipient": mask_initial(person.name),
        },
        area=community,
    )
    adjustment.save(update_fields=["record"])
    return adjustment


# --- Expiry -----------------------------------------------------------------------------------------


def points_expire(*, year: int) -> dict[str, int]:
    """Move what expired at the end of `year` from every wallet to its district's expiry sink.

    The amounts come from one query (`selectors.wallets_expiring`); each wallet's expiry is one
    transfer keyed `expiry:<wallet id>:<year>`, so running this again moves nothing twice. Only
    after the year has ended; a no-op when points never expire.
    """
    if expiry_years() == 0:
        return {"wallets": 0, "points": 0}
    _earned_before, year_end = expiry_cutoffs(year)
    if timezone.now() < year_end:
        raise ValidationFailed(
            _("Points expiring at the end of %(year)s can be moved only after it.") % {"year": year}
        )
    done = set(
        Transfer.objects.filter(
            kind=TransferKind.EXPIRY, key__startswith="expiry:", key__endswith=f":{year}"
        ).values_list("source_id", flat=True)
    )
    sinks: dict[int, Account] = {}
    wallets = points = 0
    for wallet in wallets_expiring(year=year).iterator(chunk_size=500):
        if wallet.pk in done:
            continue
        # Spending after the year's end came out of points that should have gone: never below zero.
        amount = min(wallet.expiring, wallet.balance)
        if amount <= 0:
            continue
        sink = sinks.get(wallet.area_id)
        if sink is None:
            sink = sinks[wallet.area_id] = expiry_sink(area=Area.objects.get(pk=wallet.area_id))
        with transaction.atomic():
            points_transfer(
                source=wallet,
                destination=sink,
                amount=amount,
                key=f"expiry:{wallet.pk}:{year}",
                kind=TransferKind.EXPIRY,
                cause=f"expiry:{year}",
                memo=_expiry_memo(year),
            )
        wallets += 1
        points += amount
    logger.info("points expired at the end of %s: %s points from %s wallets", year, points, wallets)
    return {"wallets": wallets, "points": points}


def _expiry_memo(year: int) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("Points earned before %(year)s expired at the end of %(end)s") % {
            "year": year - expiry_years() + 1,
            "end": year,
        }


def points_expiry_notify(*, year: int) -> dict[str, int]:
    """Tell every holder whose points expire at the end of `year` how many, once (from 1 December).

    Notice key `expiry-notice:<wallet id>:<year>`: a second run sends nothing new. Tens of thousands
    of holders at district scale: the notices go together, 500 a query (`notices_send_batch`).
    """
    if expiry_years() == 0:
        return {"notices": 0}
    if timezone.localdate() < expiry_notice_date(year):
        raise ValidationFailed(_("The expiry notice for %(year)s is sent from 1 December.") % {"year": year})
    drafts: list[NoticeDraft] = []
    for wallet in wallets_expiring(year=year).iterator(chunk_size=500):
        amount = min(wallet.expiring, wallet.balance)
        if amount <= 0:
            continue
        with translation.override(settings.LANGUAGE_CODE):
            title = _("%(points)s of your points expire on 31 December %(year)s") % {
                "points": amount,
                "year": year,
            }
            body = _(
                "Points you earned before %(since)s that you have not spent expire at the end of the year. "
                "Spend them in the livelihood market before then."
            ) % {"since": year - expiry_years() + 1}
        drafts.append(
            NoticeDraft(
                recipient_id=wallet.user_id,
                key=f"expiry-notice:{wallet.pk}:{year}",
                kind="points-expiry",
                title=title,
                body=body,
            )
        )
    return {"notices": notices_send_batch(drafts)}


def local_year(when=None) -> int:
    return timezone.localtime(when or timezone.now(), local_tz()).year
