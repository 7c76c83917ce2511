"""Many members tap "light up" at the same moment (PostgreSQL, real threads, one connection each): a wish
with k places gets exactly k claimants; everyone else is told, and nothing else is written."""

from __future__ import annotations

import pytest
from django.db import connection

from core.exceptions import Conflict
from notices.models import Notice
from tests.concurrency import run_together
from tests.volunteers.test_wishes_support import post, wish_world
from volunteers.models import Wish, WishClaim, WishEvent
from volunteers.services import wishes as services
from volunteers.workflow import WishState

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("require_postgres")]


@pytest.mark.parametrize(("group_size", "code"), [(1, "wish_taken"), (3, "wish_full")])
def test_ten_members_tap_at_once_and_exactly_the_places_are_taken(district, group_size, code):
    w = wish_world(district, members=10)
    wish = post(w, title="楼道粉刷" if group_size > 1 else "一袋大米", group_size=group_size)

    results, errors = run_together(10, lambda n: services.wish_claim(actor=w.members[n], wish=wish))

    assert errors == []
    won = [r for r in results if isinstance(r, WishClaim)]
    lost = [r for r in results if isinstance(r, Conflict)]
    assert len(won) == group_size and len(lost) == 10 - group_size
    assert {r.code for r in lost} == {code}
    assert WishClaim.objects.filter(wish=wish).count() == group_size
    assert WishEvent.objects.filter(wish=wish, step="claim").count() == group_size
    assert Wish.objects.get(pk=wish.pk).state == WishState.CLAIMED
    assert Notice.objects.filter(kind="wish-lit").count() == 1
    assert connection.vendor == "postgresql"


def test_one_member_tapping_ten_times_at_once_claims_once(district):
    w = wish_world(district, members=2)
    wish = post(w, title="楼道粉刷", group_size=4)

    results, errors = run_together(10, lambda n: services.wish_claim(actor=w.members[0], wish=wish))

    assert errors == []
    assert sum(isinstance(r, WishClaim) for r in results) == 1
    assert {r.code for r in results if isinstance(r, Conflict)} == {"already_claimed"}
    assert WishClaim.objects.filter(wish=wish).count() == 1
