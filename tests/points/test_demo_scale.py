"""The district-scale points (points.demo_scale through core.scale): a ledger `verify_ledger` accepts,
of the size the factor asks, whose every row the services could have written."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import pytest
from django.db.models import Count, Q, Sum
from django.utils import timezone

from core.models import JobRun
from core.scale import seed_scale
from points.demo_scale import EARNING_SHARE, TRANSFERS
from points.ledger import verify_ledger
from points.models import (
    Account,
    AccountKind,
    Earning,
    EarningRule,
    MarketItem,
    Redemption,
    Transfer,
    TransferKind,
)
from points.selectors import local_tz, wallets_expiring
from points.workflow import HOLDING_STATES, RedemptionState

pytestmark = pytest.mark.django_db

FACTOR = 0.005


@pytest.fixture
def world():
    made = seed_scale(FACTOR)
    assert made is not None
    return made


def test_the_ledger_is_whole_and_of_the_size_asked(world):
    report = verify_ledger()
    assert report.ok, report.breaches[:5]
    transfers = Transfer.objects.count()
    assert report.transfers == transfers == world.made["points transfers"]
    # ≈ 2.2 million transfers at factor 1, about nine in ten of them earnings.
    assert abs(transfers - TRANSFERS * FACTOR) < 0.15 * TRANSFERS * FACTOR
    earnings = Transfer.objects.filter(kind=TransferKind.EARNING).count()
    assert abs(earnings / transfers - EARNING_SHARE) < 0.05
    assert Earning.objects.count() == earnings == world.made["earnings"]
    kinds = set(Transfer.objects.values_list("kind", flat=True).distinct())
    assert {
        TransferKind.ALLOCATION,
        TransferKind.EARNING,
        TransferKind.REDEMPTION,
        TransferKind.REVERSAL,
    } <= kinds
    assert TransferKind.EXPIRY in kinds
    # Every key is unique by the database; those of the scale data say so.
    assert not Transfer.objects.exclude(Q(key__startswith="scale:") | Q(key__startswith="expiry:")).exists()
    # Ids follow time, as when the services write them, and nothing is dated in the future.
    times = list(Transfer.objects.order_by("id").values_list("created_at", flat=True))
    assert times == sorted(times)
    assert times[-1] <= timezone.now()

    # The accounts are those the services open: a wallet per holder, on first credit, …
    wallets = Account.objects.filter(kind=AccountKind.WALLET)
    holders = {u for c in world.communities for u in [*c.member_user_ids, *c.resident_user_ids] if u}
    assert set(wallets.values_list("user_id", flat=True)) <= holders
    assert wallets.count() >= 0.95 * len(holders)
    # A wallet is in its holder's community and was opened by its first credit.
    for wallet in wallets.select_related("user__person")[:50]:
        assert wallet.area_id == wallet.user.person.community_id
        first = Transfer.objects.filter(destination=wallet).order_by("id").first()
        assert first is not None and first.created_at == wallet.created_at
    communities = Account.objects.filter(kind=AccountKind.COMMUNITY, parent__isnull=True)
    assert communities.count() == len(world.communities)
    for account in communities:
        assert account.till_accounts.count() == account.tills
    assert Account.objects.filter(kind=AccountKind.DISTRICT_FUND).count() == 1
    # Only the fund is below zero; every merchant is a unit with goods in a market.
    assert not Account.objects.filter(balance__lt=0).exclude(kind=AccountKind.DISTRICT_FUND).exists()
    merchants = Account.objects.filter(kind=AccountKind.MERCHANT)
    assert merchants.exists()
    assert set(merchants.values_list("organisation_id", flat=True)) <= set(
        MarketItem.objects.values_list("merchant_id", flat=True)
    )


def test_earnings_follow_the_rules_and_their_caps(world):
    rules = {rule.pk: rule for rule in EarningRule.objects.all()}
    assert len([r for r in rules.values() if r.community_id is None]) == 8
    day_totals: dict[tuple, int] = defaultdict(int)
    month_totals: dict[tuple, int] = defaultdict(int)
    tz = local_tz()
    for earning in Earning.objects.select_related("transfer__destination", "transfer__source"):
        rule = rules[earning.rule_id]
        transfer = earning.transfer
        assert transfer.kind == TransferKind.EARNING and transfer.amount == earning.points
        assert transfer.created_at == earning.created_at
        assert transfer.destination.user_id == earning.user_id
        assert (
            transfer.source.kind == AccountKind.COMMUNITY and transfer.source.area_id == earning.community_id
        )
        assert earning.points_per_unit == rule.points
        assert 0 < earning.points <= earning.quantity * rule.points
        local = timezone.localtime(earning.created_at, tz)
        assert rule.valid_from <= local.date() and (
            rule.valid_until is None or local.date() <= rule.valid_until
        )
        assert rule.community_id in (None, earning.community_id)
        day_totals[(earning.user_id, earning.event_type, local.date(), earning.rule_id)] += earning.points
        month_totals[(earning.user_id, earning.event_type, local.year, local.month, earning.rule_id)] += (
            earning.points
        )
    for (*_key, rule_id), total in day_totals.items():
        assert rules[rule_id].daily_cap is None or total <= rules[rule_id].daily_cap
    for (*_key, rule_id), total in month_totals.items():
        assert rules[rule_id].monthly_cap is None or total <= rules[rule_id].monthly_cap


def test_redemptions_are_in_their_states_and_old_points_expired(world):
    redemptions = Redemption.objects.select_related("item", "reserve_transfer", "refund_transfer")
    assert redemptions.count() == world.made["redemptions"] > 0
    states = dict(redemptions.values_list("state").annotate(n=Count("id")))
    assert {RedemptionState.COMPLETED, RedemptionState.CANCELLED, RedemptionState.EXPIRED} <= set(states)
    now = timezone.now()
    for redemption in redemptions:
        reserve = redemption.reserve_transfer
        assert reserve.kind == TransferKind.REDEMPTION and reserve.amount == redemption.points
        assert redemption.points == redemption.item.price * redemption.quantity
        assert reserve.created_at == redemption.reserved_at
        assert redemption.expires_at == redemption.reserved_at + timedelta(days=7)
        steps = list(redemption.transitions.values_list("from_state", "to_state"))
        assert steps[0] == ("", RedemptionState.RESERVED)
        if redemption.state == RedemptionState.RESERVED:
            assert len(steps) == 1 and redemption.refund_transfer is None
            assert redemption.expires_at > now - timedelta(minutes=10)
            continue
        assert steps[1:] == [(RedemptionState.RESERVED, redemption.state)]
        if redemption.state == RedemptionState.COMPLETED:
            assert redemption.refund_transfer is None and redemption.verified_by_id is not None
            assert redemption.reserved_at < redemption.completed_at < redemption.expires_at
        else:
            refund = redemption.refund_transfer
            assert refund.kind == TransferKind.REVERSAL and refund.reverses_id == reserve.pk
            assert refund.created_at == redemption.closed_at > redemption.reserved_at
            if redemption.state == RedemptionState.EXPIRED:
                assert redemption.closed_at >= redemption.expires_at
    # Stock left never below zero; nobody holds more of an item than its limit.
    held = (
        Redemption.objects.filter(state__in=HOLDING_STATES)
        .values("item_id", "user_id", "item__per_person_limit")
        .annotate(n=Sum("quantity"))
    )
    assert all(row["n"] <= row["item__per_person_limit"] for row in held)
    assert not MarketItem.objects.filter(stock__lt=0).exists()

    # Points earned in the first year expired at the end of the second, FIFO, by the yearly job.
    year = world.years[1]
    assert JobRun.objects.filter(job="points.expire", period=str(year)).exists()
    expiring = {wallet.pk: wallet.expiring for wallet in wallets_expiring(year=year)}
    expired = Transfer.objects.filter(kind=TransferKind.EXPIRY, key__endswith=f":{year}")
    assert expired.exists()
    for transfer in expired:
        assert transfer.key == f"expiry:{transfer.source_id}:{year}"
        assert 0 < transfer.amount <= expiring[transfer.source_id]
