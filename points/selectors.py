"""Reads of the points ledger: statements, leaderboards, what expires when, which rule applies.

Periods are local (Asia/Shanghai): a day or a month starts at local midnight, whatever the
server's clock says. Every list here is one query, however many rows it returns.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Rank
from django.utils import timezone

from .models import (
    Account,
    AccountKind,
    AdjustmentDirection,
    Earning,
    EarningRule,
    EventType,
    ManualAdjustment,
    Transfer,
    TransferKind,
)

if TYPE_CHECKING:
    from community.models import Area

# Transfers that count as "earned" on a leaderboard.
EARNED_KINDS = (TransferKind.EARNING, TransferKind.MANUAL_AWARD)
LEADERBOARD_SIZE = 50


# --- Local periods ----------------------------------------------------------------------------


def local_tz():
    return timezone.get_default_timezone()


def local_day_start(when: datetime) -> datetime:
    """Local midnight at the start of the day containing `when`."""
    local = timezone.localtime(when, local_tz())
    return datetime(local.year, local.month, local.day, tzinfo=local_tz())


def month_bounds(month: date | datetime) -> tuple[datetime, datetime]:
    """[start, end) of the local calendar month containing `month`."""
    if isinstance(month, datetime):
        month = timezone.localtime(month, local_tz()).date()
    start = datetime(month.year, month.month, 1, tzinfo=local_tz())
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return start, datetime(following.year, following.month, 1, tzinfo=local_tz())


def year_start(year: int) -> datetime:
    return datetime(year, 1, 1, tzinfo=local_tz())


def expiry_years() -> int:
    """Points earned in year Y expire at the end of year Y + this; 0 means points never expire."""
    return max(0, int(getattr(settings, "POINTS_EXPIRY_YEARS", 1)))


def expiry_cutoffs(year: int) -> tuple[datetime, datetime]:
    """For the points expiring at the end of `year`: (earned before, spent before).

    FIFO: what expires at the end of `year` is what was credited before the first year whose
    points are still valid, less everything debited up to the end of `year` (earlier expiries
    included), never below zero.
    """
    return year_start(year - expiry_years() + 1), year_start(year + 1)


# --- Rules --------------------------------------------------------------------------------------


def earning_rule_for(*, event_type: str, community: Area, on: date | None = None) -> EarningRule | None:
    """The rule that applies to `event_type` in `community` on a local date: the community's own
    active rule if it has one, otherwise the district's default. One query."""
    on = on or timezone.localdate()
    return (
        EarningRule.objects.filter(
            Q(community=community) | Q(community__isnull=True, district_id__in=community.ancestor_ids()),
            event_type=event_type,
            active=True,
            valid_from__lte=on,
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
        .order_by(F("community_id").asc(nulls_last=True), "-valid_from", "-id")
        .first()
    )


def earning_rules_for(*, community: Area, on: date | None = None) -> list[EarningRule]:
    """The rule in force for each event type in `community` (for a "how to earn" page). One query."""
    on = on or timezone.localdate()
    rules = (
        EarningRule.objects.filter(
            Q(community=community) | Q(community__isnull=True, district_id__in=community.ancestor_ids()),
            active=True,
            valid_from__lte=on,
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
        .order_by("event_type", F("community_id").asc(nulls_last=True), "-valid_from", "-id")
    )
    chosen: dict[str, EarningRule] = {}
    for rule in rules:
        chosen.setdefault(rule.event_type, rule)
    return [chosen[value] for value in EventType.values if value in chosen]


# --- Statements ---------------------------------------------------------------------------------


def statement(*, account: Account) -> QuerySet[Transfer]:
    """Every transfer touching `account`, newest first, annotated from the account's side.

    `direction` is "in" or "out", `signed_amount` is positive for credits and negative for debits,
    `counterparty_name` names the other account; `source` and `destination` are joined. An issuing
    account's statement includes what its tills paid, not what moved between them (ADR 0006).
    """
    if account.tills:
        ids = [account.pk, *Account.objects.filter(parent_id=account.pk).values_list("pk", flat=True)]
        incoming = Q(destination_id__in=ids)
        touching = (Q(source_id__in=ids) | incoming) & ~Q(kind=TransferKind.TILL)
    else:
        incoming = Q(destination_id=account.pk)
        touching = Q(source_id=account.pk) | incoming
    return (
        Transfer.objects.filter(touching)
        .select_related("source", "destination")
        .annotate(
            direction=Case(When(incoming, then=Value("in")), default=Value("out"), output_field=CharField()),
            signed_amount=Case(
                When(incoming, then=F("amount")), default=-F("amount"), output_field=BigIntegerField()
            ),
            counterparty_name=Case(
                When(incoming, then=F("source__name")),
                default=F("destination__name"),
                output_field=CharField(),
            ),
        )
        .order_by("-id")
    )


# --- Leaderboards -------------------------------------------------------------------------------


def mask_name(name: str) -> str:
    """王*国, 李*, 欧**月: recognisable to neighbours, not a full name for the public."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*" if name else ""
    if len(name) == 2:
        return f"{name[0]}*"
    return f"{name[0]}{'*' * (len(name) - 2)}{name[-1]}"


def mask_initial(name: str) -> str:
    """王**: only the first character (the public record's way of naming a recipient)."""
    name = (name or "").strip()
    if not name:
        return "*"
    return f"{name[0]}{'*' * max(1, len(name) - 1)}"


def leaderboard(
    *, community: Area, month: date, limit: int | None = LEADERBOARD_SIZE
) -> list[dict[str, Any]]:
    """Who earned most in `community` in the local month of `month`, with names masked for the public.

    Earned = earnings and manual awards paid into the community's wallets in the month (transfers
    reversed since do not count). Equal points share a rank (1, 1, 3). One aggregate query.
    """
    start, end = month_bounds(month)
    rows = (
        Transfer.objects.filter(
            kind__in=EARNED_KINDS,
            destination__kind=AccountKind.WALLET,
            destination__area=community,
            created_at__gte=start,
            created_at__lt=end,
            reversed_by__isnull=True,
        )
        .values("destination_id")
        .annotate(
            holder_id=F("destination__user_id"),
            person_name=F("destination__user__person__name"),
            display_name=F("destination__user__display_name"),
            points=Sum("amount"),
        )
        .annotate(rank=Window(Rank(), order_by=Sum("amount").desc()))
        .order_by("-points", "destination_id")
    )
    if limit is not None:
        rows = rows[:limit]
    return [
        {
            "rank": row["rank"],
            "user_id": row["holder_id"],
            "name": mask_name(row["person_name"] or row["display_name"] or ""),
            "points": row["points"],
        }
        for row in rows
    ]


# --- Summaries ----------------------------------------------------------------------------------


def earnings_summary(*, community: Area, month: date) -> dict[str, Any]:
    """What `community` paid out in the local month: per event type, and manual awards/deductions.

    Two aggregate queries. Reversed earnings are left out.
    """
    start, end = month_bounds(month)
    by_event = {
        row["event_type"]: row
        for row in Earning.objects.filter(
            community=community,
            created_at__gte=start,
            created_at__lt=end,
            transfer__reversed_by__isnull=True,
        )
        .values("event_type")
        .annotate(count=Count("id"), points=Sum("points"))
        .order_by()
    }
    events = [
        {
            "event_type": value,
            "label": label,
            "count": by_event[value]["count"],
            "points": by_event[value]["points"],
        }
        for value, label in EventType.choices
        if value in by_event
    ]
    manual = manual_adjustment_usage(community=community, month=month)
    return {
        "month": start.date(),
        "events": events,
        "earned": sum(row["points"] for row in events),
        "manual_awarded": manual["awarded"],
        "manual_deducted": manual["deducted"],
    }


def manual_adjustment_usage(*, community: Area, month: date | datetime) -> dict[str, int]:
    """Manual awards and deductions of `community` in the local month, and what the limits leave."""
    start, end = month_bounds(month)
    totals = ManualAdjustment.objects.filter(
        community=community, created_at__gte=start, created_at__lt=end
    ).aggregate(
        awarded=Coalesce(Sum("amount", filter=Q(direction=AdjustmentDirection.AWARD)), 0),
        deducted=Coalesce(Sum("amount", filter=Q(direction=AdjustmentDirection.DEDUCTION)), 0),
    )
    award_limit = manual_monthly_limit(AdjustmentDirection.AWARD)
    deduction_limit = manual_monthly_limit(AdjustmentDirection.DEDUCTION)
    return {
        "awarded": totals["awarded"],
        "deducted": totals["deducted"],
        "award_limit": award_limit,
        "deduction_limit": deduction_limit,
        "award_remaining": max(0, award_limit - totals["awarded"]),
        "deduction_remaining": max(0, deduction_limit - totals["deducted"]),
    }


def manual_monthly_limit(direction: str) -> int:
    if direction == AdjustmentDirection.DEDUCTION:
        return int(getattr(settings, "POINTS_MANUAL_DEDUCTION_MONTHLY_LIMIT", 2000))
    return int(getattr(settings, "POINTS_MANUAL_MONTHLY_LIMIT", 2000))


# --- Expiry ---------------------------------------------------------------------------------------


def expiring_points(*, account: Account, now: datetime | None = None) -> list[tuple[date, int]]:
    """What of `account`'s balance expires when, oldest first: [(31 Dec of the year, points), …].

    FIFO on today's ledger: spending so far uses up the oldest points first. One aggregate query.
    """
    years = expiry_years()
    if years == 0 or account.kind != AccountKind.WALLET:
        return []
    now = now or timezone.now()
    this_year = timezone.localtime(now, local_tz()).year
    # The points of the year-ends from this one until everything held so far has a date.
    year_ends = list(range(this_year, this_year + years + 1))
    credited = {
        f"c{year}": Coalesce(
            Sum("amount", filter=Q(destination_id=account.pk, created_at__lt=expiry_cutoffs(year)[0])), 0
        )
        for year in year_ends
    }
    totals = Transfer.objects.filter(Q(destination_id=account.pk) | Q(source_id=account.pk)).aggregate(
        debited=Coalesce(Sum("amount", filter=Q(source_id=account.pk)), 0), **credited
    )
    result: list[tuple[date, int]] = []
    already = 0
    for year in year_ends:
        amount = max(0, totals[f"c{year}"] - totals["debited"] - already)
        already += amount
        if amount:
            result.append((date(year, 12, 31), amount))
    return result


def wallets_expiring(*, year: int) -> QuerySet[Account]:
    """Wallets with points expiring at the end of `year`, annotated with `expiring` (computed in the DB).

    Counts the debits up to the end of `year`: run after the year ended (the yearly job), that is
    the FIFO rule; run before (the notice a month ahead), it is every debit so far.
    """
    earned_before, spent_before = expiry_cutoffs(year)
    credits = (
        Transfer.objects.filter(destination_id=OuterRef("pk"), created_at__lt=earned_before)
        .order_by()
        .values("destination_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    debits = (
        Transfer.objects.filter(source_id=OuterRef("pk"), created_at__lt=spent_before)
        .order_by()
        .values("source_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return (
        Account.objects.filter(kind=AccountKind.WALLET)
        .annotate(
            credited=Coalesce(Subquery(credits, output_field=BigIntegerField()), 0),
            debited=Coalesce(Subquery(debits, output_field=BigIntegerField()), 0),
        )
        .annotate(expiring=F("credited") - F("debited"))
        .filter(expiring__gt=0)
        .select_related("user")
        .order_by("pk")
    )


def expiry_notice_date(year: int) -> date:
    """Holders are told on 1 December, a month before their points expire at the end of `year`."""
    return date(year, 12, 1)
