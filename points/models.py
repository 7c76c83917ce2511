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

from community.access import ScopedQuerySet


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
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        ordering = ["kind", "name"]
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
                fields=["area"], condition=Q(kind=AccountKind.COMMUNITY), name="points_one_community_account"
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


class TransferKind(models.TextChoices):
    ALLOCATION = "allocation", _("Allocation to a community")
    EARNING = "earning", _("Points earned")
    MANUAL_AWARD = "manual_award", _("Manual award")
    MANUAL_DEDUCTION = "manual_deduction", _("Manual deduction")
    REDEMPTION = "redemption", _("Market redemption")
    EXPIRY = "expiry", _("Expiry")
    REVERSAL = "reversal", _("Reversal")


class Transfer(models.Model):
    """One movement of points, never edited or deleted (PostgreSQL refuses it with a trigger).

    `key` is the idempotency key derived from the cause (`wish:123:fulfilled`): the same key with
    the same content returns the first transfer, with different content it is refused.
    """

    SCOPE_AREA = ("source__area", "destination__area")
    SCOPE_OWNER = None

    key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=TransferKind.choices)
    source = models.ForeignKey(
        Account, verbose_name=_("from"), on_delete=models.PROTECT, related_name="outgoing"
    )
    destination = models.ForeignKey(
        Account, verbose_name=_("to"), on_delete=models.PROTECT, related_name="incoming"
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
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("points transfer")
        verbose_name_plural = _("points transfers")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="points_transfer_amount_positive"),
            models.CheckConstraint(
                condition=~Q(source=models.F("destination")), name="points_transfer_two_accounts"
            ),
        ]
        indexes = [
            models.Index(fields=["source", "-id"], name="points_transfer_source_idx"),
            models.Index(fields=["destination", "-id"], name="points_transfer_dest_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.source} → {self.destination}: {self.amount}"
