"""The points ledger: accounts and transfers between them (double entry, append-only).

Every movement of points is one `Transfer` from a source account to a destination account, made by
`points.services.points_transfer` and never edited or deleted; a correction is a reversing transfer.
Balances are kept on `Account` in the same transaction. The district fund is the one account that
may go below zero: it is where points come from, so the sum of all balances is always zero.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from community.access import ScopedQuerySet
from core.models import TimeStampedModel


class AccountKind(models.TextChoices):
    DISTRICT_FUND = "district_fund", _("District fund")
    COMMUNITY = "community", _("Community issuing account")
    WALLET = "wallet", _("Wallet")
    MERCHANT = "merchant", _("Market merchant")
    EXPIRY_SINK = "expiry_sink", _("Expired points")


# Accounts whose balance may never go below zero (the district fund issues, so it may).
NON_NEGATIVE_KINDS = [
    AccountKind.COMMUNITY,
    AccountKind.WALLET,
    AccountKind.MERCHANT,
    AccountKind.EXPIRY_SINK,
]


class Account(models.Model):
    """A holder of points. Its area decides who may see it (a wallet's area is its holder's community)."""

    SCOPE_AREA = "area"
    SCOPE_ORG = "organisation"
    SCOPE_OWNER = "user"

    kind = models.CharField(_("kind"), max_length=20, choices=AccountKind.choices)
    area = models.ForeignKey(
        "community.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="points_accounts"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("holder"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="points_accounts",
    )
    organisation = models.ForeignKey(
        "community.Organisation",
        verbose_name=_("merchant organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="points_accounts",
    )
    name = models.CharField(_("name"), max_length=120)
    balance = models.BigIntegerField(_("balance"), default=0, editable=False)
    # A community's issuing account pays every earning in the community, so it would be one row
    # that every payment locks until commit. It is split into tills (ADR 0006): sub-accounts of
    # the same kind, area and name that pay in parallel. The account's points are its own balance
    # plus its tills' (`total_balance`); `tills` counts them, `parent` is set on a till.
    parent = models.ForeignKey(
        "self",
        verbose_name=_("till of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="till_accounts",
        db_index=False,  # a partial index below: every wallet's balance update would write a full one
    )
    tills = models.PositiveSmallIntegerField(_("tills"), default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        ordering = ["kind", "name"]
        indexes = [
            models.Index(
                fields=["parent"], condition=Q(parent__isnull=False), name="points_account_till_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0) | Q(kind=AccountKind.DISTRICT_FUND),
                name="points_account_non_negative",
            ),
            # One wallet per person, one issuing account per community, one account per merchant,
            # one fund and one expiry sink per district.
            models.UniqueConstraint(
                fields=["user"], condition=Q(kind=AccountKind.WALLET), name="points_one_wallet"
            ),
            models.UniqueConstraint(
                fields=["area"],
                condition=Q(kind=AccountKind.COMMUNITY, parent__isnull=True),
                name="points_one_community_account",
            ),
            # Only a community's issuing account has tills, and a till has none of its own.
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | Q(kind=AccountKind.COMMUNITY, tills=0),
                name="points_till_of_a_community",
            ),
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(kind=AccountKind.MERCHANT),
                name="points_one_merchant_account",
            ),
            models.UniqueConstraint(
                fields=["area", "kind"],
                condition=Q(kind__in=[AccountKind.DISTRICT_FUND, AccountKind.EXPIRY_SINK]),
                name="points_one_fund_and_sink_per_district",
            ),
            models.CheckConstraint(
                condition=~Q(kind=AccountKind.WALLET) | Q(user__isnull=False), name="points_wallet_has_holder"
            ),
            models.CheckConstraint(
                condition=~Q(kind=AccountKind.MERCHANT) | Q(organisation__isnull=False),
                name="points_merchant_has_organisation",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def total_balance(self) -> int:
        """The account's points: its balance plus its tills', as stored now (a query when it has tills)."""
        if not self.tills:
            return self.balance
        return Account.total_of(self.pk)

    @staticmethod
    def total_of(account_id: int) -> int:
        """An account's balance plus its tills', as stored now (one query)."""
        accounts = Account.objects.filter(Q(pk=account_id) | Q(parent_id=account_id))
        return accounts.aggregate(total=models.Sum("balance"))["total"]


class AppendOnlyError(Exception):
    """Code other than the ledger service tried to change or remove a transfer.

    Not an ApplicationError: no user action can lead here, only a programming mistake. A correction
    is a reversing transfer (`points.services.points_reverse`).
    """


class TransferQuerySet(ScopedQuerySet):
    def delete(self):
        raise AppendOnlyError("Points transfers are never deleted; record a reversing transfer instead.")

    delete.queryset_only = True

    def update(self, **kwargs):
        raise AppendOnlyError("Points transfers are never changed; record a reversing transfer instead.")

    update.queryset_only = True

    def bulk_update(self, objs, fields, batch_size=None):
        # Refused here, before Django's own atomic block, which would leave the caller's broken.
        raise AppendOnlyError("Points transfers are never changed; record a reversing transfer instead.")


class TransferKind(models.TextChoices):
    ALLOCATION = "allocation", _("Allocation to a community")
    EARNING = "earning", _("Points earned")
    MANUAL_AWARD = "manual_award", _("Manual award")
    MANUAL_DEDUCTION = "manual_deduction", _("Manual deduction")
    REDEMPTION = "redemption", _("Market redemption")
    EXPIRY = "expiry", _("Expiry")
    REVERSAL = "reversal", _("Reversal")
    # Points moved between an issuing account and its own tills; never seen by a holder.
    TILL = "till", _("Between an account's tills")


class Transfer(models.Model):
    """One movement of points, never edited or deleted (PostgreSQL refuses it with a trigger).

    `key` is the idempotency key derived from the cause (`wish:123:fulfilled`): the same key with
    the same content returns the first transfer, with different content it is refused.
    """

    SCOPE_AREA = ("source__area", "destination__area")
    SCOPE_OWNER = None

    # Unique by a constraint, not `unique=True`, which on PostgreSQL adds a second (LIKE) index.
    # Every index here is written by every transfer: the ledger keeps only those it reads by.
    key = models.CharField(_("idempotency key"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=TransferKind.choices)
    # Looked up through the (account, -id) indexes below, which serve a plain account lookup too.
    source = models.ForeignKey(
        Account, verbose_name=_("from"), on_delete=models.PROTECT, related_name="outgoing", db_index=False
    )
    destination = models.ForeignKey(
        Account, verbose_name=_("to"), on_delete=models.PROTECT, related_name="incoming", db_index=False
    )
    amount = models.BigIntegerField(_("points"))
    # What caused it, for the statement: a short reference ("volunteers.Wish:123") and a sentence.
    cause = models.CharField(_("cause"), max_length=120, blank=True)
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("made by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # a partial index below: most transfers are made by jobs, not people
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    objects = TransferQuerySet.as_manager()

    class Meta:
        verbose_name = _("points transfer")
        verbose_name_plural = _("points transfers")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["key"], name="points_transfer_key_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="points_transfer_amount_positive"),
            models.CheckConstraint(
                condition=~Q(source=models.F("destination")), name="points_transfer_two_accounts"
            ),
        ]
        indexes = [
            models.Index(fields=["source", "-id"], name="points_transfer_source_idx"),
            models.Index(fields=["destination", "-id"], name="points_transfer_dest_idx"),
            models.Index(
                fields=["created_by"], condition=Q(created_by__isnull=False), name="points_transfer_actor_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} → {self.destination}: {self.amount}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Points transfers are never changed; record a reversing transfer instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Points transfers are never deleted; record a reversing transfer instead.")


# --- Livelihood market -------------------------------------------------------------------------
# Units and merchants offer goods and services for points; residents and members redeem them.
# Every change goes through points.market; the states of a redemption are in points.workflow.

from django.core.validators import FileExtensionValidator  # noqa: E402  (kept inside the market's section)

from .workflow import RedemptionState  # noqa: E402


class MarketItemQuerySet(ScopedQuerySet):
    def visible_to(self, user) -> MarketItemQuerySet:
        """Staff and the merchant's contacts by their scope; residents and members: items of their community."""
        q = _market_item_scope_q(user)
        return self.all() if q is None else self.filter(q)


def _market_item_scope_q(user) -> Q | None:
    from community.access import scope_q

    q = scope_q(MarketItem, user)
    if q is None:
        return None
    person = getattr(user, "person", None) if user is not None and user.is_authenticated else None
    if person is not None:
        q |= Q(community_id=person.community_id)
    return q


class MarketItem(models.Model):
    """Something a unit or merchant offers in one community's market, for points."""

    SCOPE_AREA = "community"
    SCOPE_ORG = "merchant"

    merchant = models.ForeignKey(
        "community.Organisation",
        verbose_name=_("offered by"),
        on_delete=models.PROTECT,
        related_name="market_items",
    )
    community = models.ForeignKey(
        "community.Area",
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="market_items",
        limit_choices_to={"kind": "community"},
        help_text=_("The community whose residents and Party members may redeem it."),
    )
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    price = models.PositiveIntegerField(_("price (points)"))
    stock = models.PositiveIntegerField(_("stock"), default=0)
    per_person_limit = models.PositiveSmallIntegerField(
        _("limit per person"), default=1, help_text=_("How many one person may hold (reserved or collected).")
    )
    available_from = models.DateTimeField(_("available from"))
    available_until = models.DateTimeField(_("available until"), null=True, blank=True)
    pickup_place = models.CharField(_("pickup place"), max_length=200)
    active = models.BooleanField(_("on offer"), default=True)
    # A FileField with an image-extension check: the platform does not depend on Pillow.
    photo = models.FileField(
        _("photo"),
        upload_to="market/%Y/%m/",
        blank=True,
        validators=[FileExtensionValidator(["jpg", "jpeg", "png", "webp"])],
        help_text=_("Optional: a JPEG, PNG or WebP picture."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = MarketItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("market item")
        verbose_name_plural = _("market items")
        ordering = ["community__path", "price", "name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="points_market_item_price_positive"),
            models.CheckConstraint(condition=Q(stock__gte=0), name="points_market_item_stock_not_negative"),
            models.CheckConstraint(
                condition=Q(per_person_limit__gte=1), name="points_market_item_limit_at_least_one"
            ),
            models.CheckConstraint(
                condition=Q(available_until__isnull=True) | Q(available_until__gt=models.F("available_from")),
                name="points_market_item_window_ordered",
            ),
        ]
        indexes = [models.Index(fields=["community", "active"], name="points_item_community_idx")]

    def __str__(self) -> str:
        return self.name

    def is_available(self, now) -> bool:
        return (
            self.active
            and self.available_from <= now
            and (self.available_until is None or now < self.available_until)
        )


class Redemption(models.Model):
    """One redemption of an item: points reserved with the merchant until the code is verified.

    `code` (8 digits) is what the holder shows or reads out; `token` is the secret carried by the
    QR code, so a scanned code cannot be guessed from the digits alone.
    """

    SCOPE_AREA = "item__community"
    SCOPE_ORG = "item__merchant"
    SCOPE_OWNER = "user"

    item = models.ForeignKey(
        MarketItem, verbose_name=_("item"), on_delete=models.PROTECT, related_name="redemptions"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("holder"),
        on_delete=models.PROTECT,
        related_name="redemptions",
    )
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1)
    points = models.PositiveIntegerField(_("points"))
    code = models.CharField(_("redemption code"), max_length=8, unique=True)
    token = models.CharField(_("QR token"), max_length=32, editable=False)
    state = models.CharField(
        _("state"), max_length=20, choices=RedemptionState.choices, default=RedemptionState.RESERVED
    )
    reserve_transfer = models.OneToOneField(
        Transfer,
        verbose_name=_("reserving transfer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    refund_transfer = models.OneToOneField(
        Transfer,
        verbose_name=_("refunding transfer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reserved_at = models.DateTimeField(_("reserved at"))
    expires_at = models.DateTimeField(_("valid until"), db_index=True)
    completed_at = models.DateTimeField(_("collected at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("cancelled or expired at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        ordering = ["-reserved_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="points_redemption_quantity_positive"),
            models.CheckConstraint(condition=Q(points__gt=0), name="points_redemption_points_positive"),
            models.CheckConstraint(
                condition=~Q(state=RedemptionState.COMPLETED) | Q(completed_at__isnull=False),
                name="points_redemption_completed_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=[RedemptionState.CANCELLED, RedemptionState.EXPIRED])
                | Q(refund_transfer__isnull=False),
                name="points_redemption_closed_is_refunded",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-reserved_at"], name="points_redemption_user_idx"),
            models.Index(fields=["item", "user", "state"], name="points_redemption_limit_idx"),
            models.Index(fields=["state", "expires_at"], name="points_redemption_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.item} · {self.grouped_code}"

    @property
    def grouped_code(self) -> str:
        """1234 5678: easier to read out and to type."""
        return f"{self.code[:4]} {self.code[4:]}"


class RedemptionTransition(models.Model):
    """One step of a redemption: who, when, from which state to which, why."""

    SCOPE_AREA = "redemption__item__community"
    SCOPE_ORG = "redemption__item__merchant"
    SCOPE_OWNER = "redemption__user"

    redemption = models.ForeignKey(
        Redemption, verbose_name=_("redemption"), on_delete=models.CASCADE, related_name="transitions"
    )
    from_state = models.CharField(_("from"), max_length=20, choices=RedemptionState.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=20, choices=RedemptionState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("time"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("redemption step")
        verbose_name_plural = _("redemption steps")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.redemption_id}: {self.from_state or '—'} → {self.to_state}"


# --- Earning rules and manual awards ---------------------------------------------------------
# Owned by the earning side (points/earning.py, points/selectors.py, points/admin.py): the rules
# that decide how many points an event is worth, the record of what each event paid, and manual
# awards and deductions by a community's secretary or social workers.


class EventType(models.TextChoices):
    """What other apps report; an `EarningRule` decides what each is worth."""

    WISH_FULFILLED = "wish_fulfilled", _("Micro-wish fulfilled")
    ORDER_COMPLETED = "order_completed", _("Service order completed and rated")
    ACTIVITY_HOURS = "activity_hours", _("Hours served in an activity")
    MEETING_ATTENDED = "meeting_attended", _("Meeting attended")
    CONTRACT_ITEM_DELIVERED = "contract_item_delivered", _("Contract item delivered")
    CROWDFUNDING_LABOUR = "crowdfunding_labour", _("Labour given to a crowdfunded project")
    ISSUE_REPORTED = "issue_reported", _("Issue reported to a council")
    MEMBER_REPORTED = "member_reported", _("Party member reported to the residential community")


class EarningRuleQuerySet(ScopedQuerySet):
    def visible_to(self, user) -> EarningRuleQuerySet:
        """Rules in the user's areas, plus the district-wide defaults of the districts they work in.

        A community secretary cannot change the district's defaults, but must see what applies
        where their community has no override of its own.
        """
        from community.access import scope_for, scope_q

        q = scope_q(self.model, user)
        if q is None:
            return self.all()
        ancestor_ids = {
            int(part) for path in scope_for(user).area_paths for part in path.strip("/").split("/") if part
        }
        if ancestor_ids:
            q |= Q(community__isnull=True, district_id__in=sorted(ancestor_ids))
        return self.filter(q)


class EarningRule(TimeStampedModel):
    """How many points one unit of an event is worth, with caps per person.

    A rule without a community is the district's default; a community's own rule for the same
    event overrides it while active and valid. Rules are never deleted (switch `active` off) and
    every change is kept in their history.
    """

    SCOPE_AREA = ("district", "community")

    event_type = models.CharField(_("event"), max_length=40, choices=EventType.choices)
    district = models.ForeignKey(
        "community.Area",
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        related_name="district_earning_rules",
        limit_choices_to={"kind": "district"},
    )
    community = models.ForeignKey(
        "community.Area",
        verbose_name=_("community"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="earning_rules",
        limit_choices_to={"kind": "community"},
        help_text=_("Empty: the district-wide default. A community's own rule overrides the default."),
    )
    points = models.PositiveIntegerField(
        _("points per unit"), help_text=_("0 means this event earns nothing here.")
    )
    unit_label = models.CharField(
        _("unit"), max_length=20, blank=True, help_text=_('What one unit is, e.g. "hour" or "meeting".')
    )
    daily_cap = models.PositiveIntegerField(
        _("daily cap per person"),
        null=True,
        blank=True,
        help_text=_("At most this many points a day per person for this event. Empty: no cap."),
    )
    monthly_cap = models.PositiveIntegerField(
        _("monthly cap per person"),
        null=True,
        blank=True,
        help_text=_("At most this many points a month per person for this event. Empty: no cap."),
    )
    active = models.BooleanField(_("active"), default=True)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True, help_text=_("Empty: no end."))
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = EarningRuleQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("earning rule")
        verbose_name_plural = _("earning rules")
        ordering = ["event_type", "community_id", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(daily_cap__isnull=True) | Q(daily_cap__gt=0),
                name="points_rule_daily_cap_positive",
            ),
            models.CheckConstraint(
                condition=Q(monthly_cap__isnull=True) | Q(monthly_cap__gt=0),
                name="points_rule_monthly_cap_positive",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="points_rule_valid_period",
            ),
        ]
        indexes = [
            models.Index(fields=["event_type", "district", "community"], name="points_rule_lookup_idx")
        ]

    def __str__(self) -> str:
        where = self.community.name if self.community_id else _("district default")
        return f"{self.get_event_type_display()} · {where}"


class Earning(models.Model):
    """What one reported event paid: the rule that decided it and the transfer that paid it.

    The caps are sums over these rows (per person, event type and local day or month).
    """

    SCOPE_AREA = ("community", "transfer__destination__area")
    SCOPE_OWNER = "user"

    transfer = models.OneToOneField(
        Transfer, verbose_name=_("transfer"), on_delete=models.PROTECT, related_name="earning"
    )
    event_type = models.CharField(_("event"), max_length=40, choices=EventType.choices)
    rule = models.ForeignKey(
        EarningRule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="earnings"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("holder"),
        on_delete=models.PROTECT,
        related_name="points_earnings",
    )
    community = models.ForeignKey(
        "community.Area",
        verbose_name=_("paying community"),
        on_delete=models.PROTECT,
        related_name="points_earnings",
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    points_per_unit = models.PositiveIntegerField(_("points per unit"))
    points = models.PositiveIntegerField(_("points paid"))
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("earning")
        verbose_name_plural = _("earnings")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["user", "event_type", "created_at"], name="points_earning_cap_idx"),
            models.Index(fields=["community", "created_at"], name="points_earning_community_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_type_display()}: {self.points}"

    @property
    def was_capped(self) -> bool:
        return self.points < self.quantity * self.points_per_unit


class AdjustmentDirection(models.TextChoices):
    AWARD = "award", _("Award")
    DEDUCTION = "deduction", _("Deduction")


class ManualAdjustment(models.Model):
    """A manual award or deduction by a community's secretary or social worker, with its reason.

    Written only by `points.earning.points_manual_adjust`, which also appends it to the public record.
    """

    SCOPE_AREA = "community"
    SCOPE_OWNER = "wallet__user"

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("made by"), on_delete=models.PROTECT, related_name="+"
    )
    wallet = models.ForeignKey(
        Account, verbose_name=_("wallet"), on_delete=models.PROTECT, related_name="manual_adjustments"
    )
    community = models.ForeignKey(
        "community.Area", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    direction = models.CharField(_("award or deduction"), max_length=10, choices=AdjustmentDirection.choices)
    amount = models.PositiveIntegerField(_("points"))
    reason = models.CharField(_("reason"), max_length=200)
    request_key = models.CharField(_("request id"), max_length=100, unique=True)
    transfer = models.OneToOneField(
        Transfer, verbose_name=_("transfer"), on_delete=models.PROTECT, related_name="manual_adjustment"
    )
    record = models.ForeignKey(
        "audit.Entry",
        verbose_name=_("public record entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("manual award or deduction")
        verbose_name_plural = _("manual awards and deductions")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="points_manual_amount_positive")
        ]
        indexes = [
            models.Index(fields=["community", "direction", "created_at"], name="points_manual_limit_idx")
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.amount}"


# --- Flows: points issued and spent per community and local day (points.flows, ADR 0010) ----------


class FlowKind(models.TextChoices):
    ISSUED = "issued", _("Points issued")
    SPENT = "spent", _("Points spent")


class _FlowRow(models.Model):
    flow = models.CharField(_("flow"), max_length=8, choices=FlowKind.choices)
    day = models.DateField(_("day"))

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.day} {self.flow} {self.amount}"


class FlowDay(_FlowRow):
    """Points issued into (or spent from) the wallets of one community on one local day, net of the
    reversals known when the day's moves were folded in. Written only by `points.flows.fold`."""

    area = models.ForeignKey(
        "community.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    amount = models.BigIntegerField(_("points"), default=0)

    class Meta:
        verbose_name = _("points flow of a day")
        verbose_name_plural = _("points flows by day")
        constraints = [models.UniqueConstraint(fields=["flow", "area", "day"], name="points_flowday_unique")]
        indexes = [models.Index(fields=["flow", "day"], name="points_flowday_day_idx")]


class FlowPending(_FlowRow):
    """One move not yet folded into FlowDay: written by a database trigger on every transfer that
    issues or spends points of a wallet (or reverses one), in the transfer's own transaction."""

    area = models.ForeignKey(
        "community.Area",
        verbose_name=_("area"),
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
    )
    amount = models.BigIntegerField(_("points"))

    class Meta:
        verbose_name = _("points flow not yet folded")
        verbose_name_plural = _("points flows not yet folded")


class Flow(_FlowRow):
    """FlowDay and FlowPending together (the database view points_flow, read in one statement):
    what the dashboards sum instead of the transfers. Never written."""

    area = models.ForeignKey(
        "community.Area",
        verbose_name=_("area"),
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
    )
    amount = models.BigIntegerField(_("points"))

    class Meta:
        managed = False
        db_table = "points_flow"
        verbose_name = _("points flow")
        verbose_name_plural = _("points flows")
