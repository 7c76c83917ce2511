"""Demo points: funded communities, wallets with a history of earnings, a stocked market, redemptions in every state.

Runs after community.demo (app order). Safe to run again: transfers are keyed ("demo:earn:…",
"allocation:demo-…"), items and redemptions are looked up before they are made.

The history is spread over the past months so that the statement, "what expires when" and the
leaderboards look like a year of use. The ledger has no way to back-date a transfer (on purpose),
so while the history is written the clock is set back (`_as_of`); the services are the real ones.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial
from unittest import mock

from django.utils import timezone

from community import services as community_services
from community.models import Area, AreaKind, Organisation, Person, Role, User
from core.seeding import DEMO_PASSWORD, DemoContext

from . import market
from .earning import earning_rule_save, points_allocate
from .models import EarningRule, EventType, MarketItem, Redemption, TransferKind
from .services import community_account, points_transfer, wallet_for
from .workflow import RedemptionState

ALLOCATION = 50_000

# More holders, so that each community's leaderboard has neighbours on it: (username, name, phone).
HOLDERS = [
    ("dangyuan_chen", "陈晓燕", "13705759003"),
    ("dangyuan_zhao", "赵志强", "13705759004"),
    ("jumin_zhang", "张桂兰", "13705759005"),
    ("dangyuan_sun", "孙丽华", "13705759006"),
    ("jumin_liu", "刘德明", "13705759007"),
    ("dangyuan_zhou", "周国平", "13705759008"),
    ("jumin_zheng", "郑美玲", "13705759009"),
    ("dangyuan_wu", "吴海燕", "13705759010"),
]

# (days ago, points, what for): days ago < 0 means "this month, |n| days after its first".
HISTORY = {
    "dangyuan_wang": [
        (355, 80, "党员冬训志愿服务：社区防疫值守 8小时"),
        (345, 60, "点亮微心愿：为独居老人李秀英代购降压药"),
        (335, 50, "治安联防夜间巡逻 5小时"),
        (328, 40, "红管家议事厅会议出席"),
        (300, 30, "参加环境整治志愿服务 3小时"),
        (260, 50, "家电维修志愿服务（服务评单五星）"),
        (210, 30, "红管家议事厅会议出席"),
        (170, 40, "垃圾分类桶边督导 4小时"),
        (120, 20, "智慧用电入户宣传"),
        (75, 60, "到居住地社区报到并认领网格责任"),
        (40, 30, "治安联防巡逻 3小时"),
        (-1, 50, "义诊进社区：量血压测血糖 5小时"),
        (-6, 30, "红管家议事厅会议出席"),
        (-12, 40, "点亮微心愿：帮助困难家庭修缮门窗"),
    ],
    "jumin_li": [
        (340, 40, "参加小区楼道清理"),
        (300, 20, "红管家议事厅会议出席"),
        (240, 50, "提出的议题“加装楼道扶手”被议事厅采纳"),
        (150, 30, "参加垃圾分类知识讲座"),
        (90, 40, "对家电维修上门服务评单"),
        (60, 30, "参加居民议事会并投票"),
        (-3, 30, "为小区众筹项目出工 3小时"),
    ],
    "dangyuan_chen": [(200, 40, "周末课业辅导志愿服务"), (-4, 80, "暑期托管志愿服务 8小时")],
    "dangyuan_zhao": [(90, 30, "治安联防巡逻"), (-2, 45, "矛盾调解：邻里噪音纠纷")],
    "jumin_zhang": [(100, 20, "参加居民议事会"), (-5, 25, "社区环境整治")],
    "dangyuan_sun": [(80, 30, "垃圾分类督导"), (-2, 60, "法治宣传进小区")],
    "jumin_liu": [(-8, 20, "参加居民议事会")],
    "dangyuan_zhou": [(50, 40, "税收政策宣讲"), (-3, 55, "帮扶困难户：代办社保")],
    "jumin_zheng": [(-6, 25, "小区绿化认养")],
    "dangyuan_wu": [(-9, 35, "校园周边交通劝导")],
}

# (unit, community, name, description, price, stock, per-person limit, pickup place)
ITEMS = [
    (
        "越城区人民医院党委",
        "越都社区",
        "理发券",
        "医院党员志愿者“爱心义剪”，每月第二、四个周六上午，老年人优先。",
        30,
        40,
        2,
        "越都社区党群服务中心一楼",
    ),
    (
        "越城区人民医院党委",
        "越都社区",
        "社区食堂餐券",
        "越都社区老年食堂午餐一份（两荤一素一汤）。",
        15,
        100,
        5,
        "越都社区老年食堂（和畅苑3幢旁）",
    ),
    (
        "国网越城供电公司党支部",
        "越都社区",
        "家电维修上门服务",
        "供电公司党员服务队上门检修小家电、更换插座与灯具，材料费另计。",
        80,
        10,
        1,
        "预约后上门；兑换码请在服务完成时出示",
    ),
    (
        "绍兴银行越城支行党支部",
        "越都社区",
        "粮油礼包",
        "大米5公斤、菜籽油1.8升。",
        120,
        20,
        1,
        "绍兴银行越城支行营业厅（解放路）",
    ),
    (
        "越都小学党支部",
        "越都社区",
        "图书借阅卡",
        "越都小学图书室寒暑假向社区开放，凭卡一次可借 3 本，有效期一年。",
        20,
        30,
        1,
        "越都小学传达室",
    ),
    (
        "越城区税务局党总支",
        "府山社区",
        "粮油礼包",
        "大米5公斤、花生油1.8升。",
        120,
        15,
        1,
        "府山社区党群服务中心",
    ),
    (
        "绍兴银行越城支行党支部",
        "府山社区",
        "防诈骗宣传帆布袋",
        "环保帆布袋一只，附防诈骗小册子。",
        10,
        50,
        2,
        "绍兴银行越城支行营业厅（解放路）",
    ),
]

# (holder, item name, days ago it was reserved, what became of it)
REDEMPTIONS = [
    ("dangyuan_wang", "理发券", 0, RedemptionState.RESERVED),
    ("dangyuan_wang", "社区食堂餐券", 6, RedemptionState.COMPLETED),
    ("dangyuan_wang", "图书借阅卡", 15, RedemptionState.CANCELLED),
    ("dangyuan_wang", "粮油礼包", 25, RedemptionState.EXPIRED),
    ("jumin_li", "家电维修上门服务", 1, RedemptionState.RESERVED),
    ("jumin_li", "理发券", 20, RedemptionState.COMPLETED),
]


@contextmanager
def _as_of(when: datetime):
    """Make `timezone.now()` (and so every auto_now_add) answer `when` while the history is written."""
    with mock.patch("django.utils.timezone.now", return_value=when):
        yield


def _when(now: datetime, days_ago: int) -> datetime:
    if days_ago >= 0:
        return now - timedelta(days=days_ago, hours=2)
    local = timezone.localtime(now)
    month_start = local.replace(day=1, hour=9, minute=30, second=0, microsecond=0)
    return min(month_start + timedelta(days=-days_ago - 1), now - timedelta(hours=3))


def _holder(username: str, name: str, phone: str) -> User | None:
    user = User.objects.filter(username=username).first()
    person = Person.objects.filter(name=name).order_by("pk").first()
    if person is None:
        return user
    if user is None:
        user = community_services.user_create(
            actor=None, username=username, password=DEMO_PASSWORD, display_name=f"{name}", phone=phone
        )
    if person.user_id is None:
        community_services.person_update(actor=None, person=person, user=user)
    return user


# The district's default rules (event, points per unit, unit, daily cap, monthly cap, note), and
# one community's own rule that overrides a default.
RULES = [
    (EventType.WISH_FULFILLED, 10, "个", 30, 200, "认领并完成居民微心愿"),
    (EventType.ORDER_COMPLETED, 8, "单", 24, 160, "服务订单完成且居民评价"),
    (EventType.ACTIVITY_HOURS, 5, "小时", 20, 150, "参加志愿服务活动，按小时计"),
    (EventType.MEETING_ATTENDED, 3, "次", 6, 30, "参加红管家议事会"),
    (EventType.CONTRACT_ITEM_DELIVERED, 20, "项", None, 200, "共建契约项目按期履约"),
    (EventType.CROWDFUNDING_LABOUR, 4, "小时", 16, 100, "微众筹项目投工投劳"),
    (EventType.ISSUE_REPORTED, 2, "条", 4, 20, "向议事厅反映问题并被受理"),
    (EventType.MEMBER_REPORTED, 10, "次", None, 10, "在职党员到社区报到"),
]
OVERRIDE = ("越都社区", EventType.ACTIVITY_HOURS, 6, "小时", 24, 180, "越都社区老旧小区改造期间志愿服务加分")


def _seed_rules(district: Area, communities: dict[str, Area], today) -> None:
    start = today.replace(month=1, day=1)
    for event_type, points, unit, daily, monthly, note in RULES:
        if EarningRule.objects.filter(event_type=event_type, district=district, community=None).exists():
            continue
        earning_rule_save(
            actor=None,
            event_type=event_type,
            district=district,
            community=None,
            points=points,
            unit_label=unit,
            daily_cap=daily,
            monthly_cap=monthly,
            valid_from=start,
            note=note,
        )
    name, event_type, points, unit, daily, monthly, note = OVERRIDE
    community = communities.get(name)
    if (
        community is not None
        and not EarningRule.objects.filter(event_type=event_type, community=community).exists()
    ):
        earning_rule_save(
            actor=None,
            event_type=event_type,
            district=district,
            community=community,
            points=points,
            unit_label=unit,
            daily_cap=daily,
            monthly_cap=monthly,
            valid_from=start,
            note=note,
        )


def seed(ctx: DemoContext) -> None:
    now = timezone.now()
    communities = {a.name: a for a in Area.objects.filter(kind=AreaKind.COMMUNITY)}
    district = Area.objects.filter(kind=AreaKind.DISTRICT).order_by("pk").first()
    if district is not None:
        _seed_rules(district, communities, timezone.localdate(now))
    for name, community in communities.items():
        points_allocate(
            actor=None,
            community=community,
            amount=ALLOCATION,
            reason="年度公益积分额度",
            request_key=f"demo:{name}",
        )

    users = {u.username: u for u in User.objects.filter(username__in=["dangyuan_wang", "jumin_li"])}
    for username, name, phone in HOLDERS:
        user = _holder(username, name, phone)
        if user is not None:
            users[username] = user
    items = _stock_market(now, communities)

    # One timeline, oldest first, so that statements read in the order things happened.
    timeline: list[tuple[datetime, Callable[[], None]]] = []
    for username, entries in HISTORY.items():
        user = users.get(username)
        person = getattr(user, "person", None) if user else None
        if person is None:
            continue
        for index, (days_ago, amount, memo) in enumerate(entries, start=1):
            timeline.append(
                (
                    _when(now, days_ago),
                    partial(_earn, user, person, amount, f"demo:earn:{username}:{index}", memo),
                )
            )
    verifier = User.objects.filter(username="renmin_yiyuan").first()
    for username, item_name, days_ago, outcome in REDEMPTIONS:
        user, item = users.get(username), items.get(item_name)
        if user is None or item is None or Redemption.objects.filter(user=user, item=item).exists():
            continue
        reserved_at = now - timedelta(days=days_ago, hours=2)
        made: dict[str, Redemption] = {}
        timeline.append((reserved_at, partial(_redeem, user, item, reserved_at, made)))
        if outcome == RedemptionState.COMPLETED:
            # The hospital's contact verifies at the hospital's counters; community staff elsewhere.
            actor = verifier if verifier and item.merchant.name == "越城区人民医院党委" else _staff_of(item)
            at = reserved_at + timedelta(days=1, hours=3)
            timeline.append((at, partial(_verify, actor, made, at)))
        elif outcome == RedemptionState.CANCELLED:
            at = reserved_at + timedelta(hours=20)
            timeline.append((at, partial(_cancel, user, made, at)))
        elif outcome == RedemptionState.EXPIRED:
            at = reserved_at + market.REDEMPTION_VALID_FOR + timedelta(minutes=10)
            timeline.append((at, partial(_expire, at)))
    for when, step in sorted(timeline, key=lambda entry: entry[0]):
        with _as_of(when):
            step()
    ctx.objects["market_items"] = items


def _earn(user: User, person: Person, amount: int, key: str, memo: str) -> None:
    points_transfer(
        source=community_account(community=person.community),
        destination=wallet_for(user=user),
        amount=amount,
        key=key,
        kind=TransferKind.EARNING,
        memo=memo,
    )


def _redeem(user: User, item: MarketItem, at: datetime, made: dict) -> None:
    made["redemption"] = market.redemption_create(actor=user, item=item, now=at)


def _verify(actor: User, made: dict, at: datetime) -> None:
    market.redemption_verify(actor=actor, code=made["redemption"].code, now=at)


def _cancel(user: User, made: dict, at: datetime) -> None:
    market.redemption_cancel(actor=user, redemption=made["redemption"], now=at)


def _expire(at: datetime) -> None:
    market.redemptions_expire(now=at)


def _stock_market(now: datetime, communities: dict[str, Area]) -> dict[str, MarketItem]:
    """The items of ITEMS (once each); returns those of 越都社区 by name."""
    start = timezone.localtime(now).replace(month=1, day=1, hour=8, minute=0, second=0, microsecond=0)
    start = min(start, now - timedelta(days=90))
    items: dict[str, MarketItem] = {}
    for unit, community_name, name, description, price, stock, limit, place in ITEMS:
        merchant = Organisation.objects.filter(name=unit).first()
        community = communities.get(community_name)
        if merchant is None or community is None:
            continue
        item = MarketItem.objects.filter(merchant=merchant, community=community, name=name).first()
        if item is None:
            item = market.item_create(
                actor=None,
                merchant=merchant,
                community=community,
                name=name,
                description=description,
                price=price,
                stock=stock,
                per_person_limit=limit,
                available_from=start,
                pickup_place=place,
            )
        if community_name == "越都社区":
            items[name] = item
    return items


def _staff_of(item: MarketItem) -> User:
    """Community staff verify for a merchant without a login of its own (the community secretary)."""
    return User.objects.filter(
        role_grants__role=Role.COMMUNITY_SECRETARY, role_grants__area=item.community
    ).first()
