"""Shared pieces of the market tests: a district with a funded community, a merchant, wallets and items.

from tests.points.market_support import market  # noqa: F401   (the fixture)
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from community import services as community_services
from points import market as market_services
from points.models import Account, MarketItem, Redemption, RedemptionTransition, Transfer, TransferKind
from points.services import community_account, district_fund, merchant_account, points_transfer, wallet_for
from tests.factories import build_district, make_user

_serial = itertools.count(1)


def give(user, amount: int, *, memo: str = "志愿服务") -> Transfer:
    """Pay `user` `amount` points from their community's account (an earning)."""
    person = user.person
    return points_transfer(
        source=community_account(community=person.community),
        destination=wallet_for(user=user),
        amount=amount,
        key=f"test:earn:{next(_serial)}",
        kind=TransferKind.EARNING,
        memo=memo,
    )


def fund(community, amount: int = 100_000) -> Transfer:
    return points_transfer(
        source=district_fund(area=community),
        destination=community_account(community=community),
        amount=amount,
        key=f"test:allocate:{next(_serial)}",
        kind=TransferKind.ALLOCATION,
    )


def balance(user_or_account) -> int:
    if isinstance(user_or_account, Account):
        return Account.objects.get(pk=user_or_account.pk).balance
    account = Account.objects.filter(kind="wallet", user=user_or_account).first()
    return account.balance if account else 0


def stock(item: MarketItem) -> int:
    return MarketItem.objects.get(pk=item.pk).stock


def snapshot(*items: MarketItem) -> dict:
    """Everything a refused step must leave as it was."""
    return {
        "balances": dict(Account.objects.values_list("pk", "balance")),
        "stock": {item.pk: stock(item) for item in items},
        "transfers": Transfer.objects.count(),
        "redemptions": list(Redemption.objects.order_by("pk").values_list("pk", "state")),
        "steps": RedemptionTransition.objects.count(),
    }


def resident_of(community, username: str, name: str):
    user = make_user(username)
    community_services.person_create(actor=None, name=name, community=community, user=user)
    user.refresh_from_db()
    return user


def make_item(d, **fields) -> MarketItem:
    values = {
        "merchant": d.unit1,
        "community": d.community1,
        "name": f"理发券{next(_serial)}",
        "price": 30,
        "stock": 10,
        "per_person_limit": 2,
        "available_from": timezone.now() - timedelta(days=1),
        "pickup_place": "越都社区党群服务中心",
    }
    values.update(fields)
    return market_services.item_create(actor=None, **values)


@pytest.fixture
def market(db):
    """越城区 (tests.factories) with 越都社区 funded, the hospital (unit1) as merchant and two items.

    member (王建国) holds 200 points, resident (李秀英) 50; both live in 越都社区. resident3 (张桂兰)
    lives in 府山社区 (community3) and has 100 points. unit_contact1 is the hospital's contact,
    unit_contact2 the contact of a school in 府山社区.
    """
    d = build_district()
    fund(d.community1)
    fund(d.community3)
    d.resident3_user = make_user("resident3")
    community_services.person_update(actor=None, person=d.resident3, user=d.resident3_user)
    d.resident3_user.refresh_from_db()
    give(d.member_user, 200)
    give(d.resident_user, 50)
    give(d.resident3_user, 100)
    d.merchant = merchant_account(organisation=d.unit1)
    d.haircut = make_item(d, name="理发券", price=30, stock=10, per_person_limit=2)
    d.rice = make_item(d, name="粮油礼包", price=120, stock=5, per_person_limit=1)
    d.fushan_item = make_item(
        d,
        merchant=d.unit2,
        community=d.community3,
        name="图书借阅卡",
        price=20,
        pickup_place="府山小学传达室",
    )
    return d
