"""The market under concurrent redeemers on PostgreSQL: threads, each with its own connection.

Never oversold, never beyond the per-person limit, never refunded twice.
"""

from __future__ import annotations

import pytest

from community import services as community_services
from core.exceptions import ApplicationError
from points import market as svc
from points.ledger import verify_ledger
from points.models import Redemption, Transfer
from tests.concurrency import run_together
from tests.factories import make_user
from tests.points import market_support
from tests.points.market_support import balance, give, make_item, stock

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("require_postgres")]

market = market_support.market  # the fixture


def ten_residents(d) -> list:
    users = []
    for n in range(10):
        user = make_user(f"redeemer{n}")
        community_services.person_create(actor=None, name=f"居民{n}", community=d.community1, user=user)
        user.refresh_from_db()
        give(user, 100)
        users.append(user)
    return users


def test_ten_residents_redeem_the_last_three_exactly_three_get_one(market):
    d = market
    item = make_item(d, name="最后三份粮油礼包", price=40, stock=3, per_person_limit=1)
    users = ten_residents(d)

    results, errors = run_together(10, lambda n: svc.redemption_create(actor=users[n], item=item))

    assert errors == []
    made = [r for r in results if isinstance(r, Redemption)]
    refused = [r for r in results if isinstance(r, ApplicationError)]
    assert len(made) == 3 and len(refused) == 7
    assert {r.code for r in refused} == {"out_of_stock"}
    assert stock(item) == 0
    winners = {r.user_id for r in made}
    for user in users:
        assert balance(user) == (60 if user.pk in winners else 100)
    assert balance(d.merchant) == 120
    assert Redemption.objects.filter(item=item).count() == 3
    assert verify_ledger().breaches == []


def test_one_person_redeeming_from_five_phones_gets_only_the_limit(market):
    d = market
    item = make_item(d, name="限兑一份", price=10, stock=50, per_person_limit=1)

    results, errors = run_together(5, lambda n: svc.redemption_create(actor=d.member_user, item=item))

    assert errors == []
    assert sum(isinstance(r, Redemption) for r in results) == 1
    assert {r.code for r in results if isinstance(r, ApplicationError)} == {"limit_reached"}
    assert stock(item) == 49 and balance(d.member_user) == 190


def test_redeem_cancel_and_expire_at_once_neither_deadlock_nor_oversell(market):
    d = market
    item = make_item(d, name="热门理发券", price=10, stock=4, per_person_limit=3)
    users = ten_residents(d)
    held = [svc.redemption_create(actor=users[n], item=item) for n in range(2)]  # stock 2 left

    def work(n: int):
        if n == 0:
            return svc.redemption_cancel(actor=users[0], redemption=held[0])
        if n == 1:
            return svc.redemptions_expire(now=held[1].expires_at)
        return svc.redemption_create(actor=users[n], item=item)

    results, errors = run_together(10, work)

    assert errors == []
    made = [r for r in results if isinstance(r, Redemption) and r.state == "reserved"]
    # Two were left, and up to two more came back: never more than four out at once.
    assert 2 <= len(made) <= 4
    assert stock(item) == 4 - len(made)
    assert Redemption.objects.filter(item=item, state="reserved").count() == len(made)
    assert verify_ledger().breaches == []


def test_the_expiry_job_twice_at_once_refunds_once(market):
    d = market
    users = ten_residents(d)
    item = make_item(d, name="过期测试", price=10, stock=20, per_person_limit=1)
    redemptions = [svc.redemption_create(actor=user, item=item) for user in users]
    later = max(r.expires_at for r in redemptions)

    results, errors = run_together(4, lambda n: svc.redemptions_expire(now=later))

    assert errors == []
    assert sum(results) == 10
    for r in redemptions:
        assert Transfer.objects.filter(reverses_id=r.reserve_transfer_id).count() == 1
    assert all(balance(user) == 100 for user in users)
    assert stock(item) == 20
    assert verify_ledger().breaches == []
