"""The wishes' demo: twelve wishes of 越都社区 in every state, one open for dangyuan_wang to light up, one
fulfilled awaiting jumin_li's confirmation, demo photos that pass the photo check; seeding twice adds nothing."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.management.color import no_style

from community import demo as community_demo
from community.models import User
from core.models import OutboxMessage
from core.seeding import DemoContext
from core.uploads import check_photo
from points import demo as points_demo
from points.models import EarningRule, EventType
from volunteers import demo_reporting, demo_wishes
from volunteers.models import Wish, WishClaim, WishEvent
from volunteers.services import wishes as services
from volunteers.workflow import WishState

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def seed_all() -> None:
    ctx = DemoContext(stdout=StringIO(), style=no_style())
    for module in (community_demo, points_demo, demo_reporting, demo_wishes):
        module.seed(ctx)


def test_the_demo_has_wishes_in_every_state_and_seeding_twice_adds_nothing():
    seed_all()
    counts = (Wish.objects.count(), WishClaim.objects.count(), WishEvent.objects.count())
    seed_all()
    assert (Wish.objects.count(), WishClaim.objects.count(), WishEvent.objects.count()) == counts

    wishes = Wish.objects.filter(community__name="越都社区")
    assert wishes.count() == 12
    assert set(Counter(wishes.values_list("state", flat=True))) == set(WishState.values)
    titles = set(wishes.values_list("title", flat=True))
    assert {"一袋大米", "助听器维修", "陪读绘本", "轮椅一台", "老花镜", "书包文具", "楼道粉刷"} <= titles
    group = wishes.get(title="楼道粉刷")
    assert group.group_size == 4 and group.claims.count() == 2
    assert wishes.get(title="书包文具").beneficiary.note.startswith("留守儿童")
    shegong = User.objects.get(username="yuedu_shegong")
    assert wishes.filter(posted_by=shegong).count() == 11
    assert EarningRule.objects.filter(event_type=EventType.WISH_FULFILLED).exists()
    confirmed = wishes.filter(state=WishState.CONFIRMED)
    paid = OutboxMessage.objects.filter(task_name="points.award_for_event", args__0="wish_fulfilled")
    assert paid.count() == sum(w.claims.count() for w in confirmed) == 3

    # What the visitors of the demo can do next.
    wang = User.objects.get(username="dangyuan_wang")
    services.wish_claim(actor=wang, wish=wishes.get(title="老花镜"))
    jumin_li = User.objects.get(username="jumin_li")
    tap = wishes.get(title="厨房水龙头维修")
    assert tap.state == WishState.FULFILLED and tap.beneficiary.user == jumin_li
    assert services.wish_confirm(actor=jumin_li, wish=tap).state == WishState.CONFIRMED


def test_the_demo_photo_is_a_real_png():
    png = demo_wishes.demo_png()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and png.endswith(b"IEND\xaeB`\x82")
    check_photo(ContentFile(png, name="demo.png"))
