"""The demo's points: wallets with a history, a stocked market, redemptions in every state; twice is once."""

from io import StringIO

import pytest
from django.core.management import call_command

from community.models import User
from points import market as svc
from points.ledger import verify_ledger
from points.models import Account, MarketItem, Redemption, RedemptionTransition, Transfer
from points.selectors import statement
from points.workflow import RedemptionState

pytestmark = pytest.mark.django_db

MODELS = [Account, Transfer, MarketItem, Redemption, RedemptionTransition]


def counts():
    return {m.__name__: m.objects.count() for m in MODELS}


def test_the_demo_has_wallets_a_market_and_redemptions_in_every_state_and_runs_twice():
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())
    first = counts()
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())
    assert counts() == first

    for username in ("dangyuan_wang", "jumin_li"):
        wallet = Account.objects.get(kind="wallet", user__username=username)
        lines = list(statement(account=wallet))
        assert wallet.balance > 0 and len(lines) >= 5
        assert all(line.memo for line in lines), "every line says what it was for"
        assert [line.pk for line in lines] == sorted((line.pk for line in lines), reverse=True) and [
            line.created_at for line in lines
        ] == sorted((line.created_at for line in lines), reverse=True)
    assert MarketItem.objects.filter(community__name="越都社区", stock__gt=0).count() >= 5
    assert set(Redemption.objects.values_list("state", flat=True)) == set(RedemptionState.values)
    assert verify_ledger().breaches == []


def test_the_hospitals_contact_can_verify_the_members_open_code():
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())
    code = Redemption.objects.get(user__username="dangyuan_wang", state=RedemptionState.RESERVED)
    merchant = User.objects.get(username="renmin_yiyuan")

    assert svc.redemption_lookup(actor=merchant, code=code.code).pk == code.pk


def test_the_demo_has_the_districts_rules_and_one_community_override():
    from points.models import EarningRule, EventType

    call_command("seed_demo", "--quiet-logins", stdout=StringIO())
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())

    assert EarningRule.objects.count() == len(EventType.values) + 1
    defaults = EarningRule.objects.filter(community__isnull=True)
    assert set(defaults.values_list("event_type", flat=True)) == set(EventType.values)
    override = EarningRule.objects.get(community__isnull=False)
    assert (override.community.name, override.event_type) == ("越都社区", EventType.ACTIVITY_HOURS)
