"""District-scale volunteering (core.scale): reports, pledges, micro-wishes, service orders, activities.

At factor 1.0, over the three years of `world.years`:
- members' reports (党员报到): the first `reported_count` members of each community accepted and placed in
  their grid (most in the launch month, the rest spread over the years), with skills and services; a
  few pending (members with a login who are not accepted yet — from the tail of the reported members
  when the base gives none outside them), a few declined before a later accepted report, and a few
  left in another community before moving here;
- the yearly "锋领十条" pledge per community (a second version in about a third of the years) and
  50,000 signatures by reported members with a login, each on the version current when they signed,
  each with its entry in the public record (audit.Entry, chained exactly as `audit_append` chains);
- micro-wishes, service orders and activities in every state, with their claims, events, ratings,
  photos and sign-ups, adding up to 37,747 claims (有效认领: wish claims + orders taken + sign-ups not
  cancelled, as `dashboards.figures` counts them) and 5,464 activities.

No points are paid here (the points part writes the ledger) and no notices are sent. Photos: every
order photo and every fulfilled wish's photo points at one small stored image per kind
(`volunteers/scale/order.png`, `volunteers/scale/wish.png`).
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext

from audit.chain import GENESIS_HASH, canonical_json, compute_entry_hash, text_hash
from audit.models import Entry
from community.models import Area, AreaKind, PartyMember, Person, User
from core.scale import ScaleCommunity, ScaleWorld, bulk

from . import demo_activities, demo_orders, demo_reporting, demo_wishes
from .models import (
    Activity,
    OrderEvent,
    OrderPhoto,
    PledgeSignature,
    PledgeText,
    Report,
    ServiceOrder,
    Signup,
    Wish,
    WishClaim,
    WishEvent,
)
from .services.activities import duration_hours
from .workflow import (
    OrderState,
    OrderStep,
    ReportState,
    SignupState,
    WishCategory,
    WishState,
    WishStep,
)

# Full-scale sizes (DOMAIN.md §1): claims are wish claims + orders taken + activity sign-ups.
CLAIMS = 37_747
WISH_CLAIMS = 7_600
ORDERS_TAKEN = 5_900
ACTIVITIES = 5_464
SIGNATURES = 50_000
PENDING_REPORTS = 120
DECLINED_REPORTS = 130
LEFT_REPORTS = 380
# Share of the reported members who reported in the platform's launch month (the rest over the years).
LAUNCH_SHARE = 0.65

ORDER_PHOTO = "volunteers/scale/order.png"
WISH_PHOTO = "volunteers/scale/wish.png"

# --- Wording (the demo's, imported, plus more of the same kind) ----------------------------------

SKILL_CHOICES = [*demo_reporting.SKILLS.values()] + [
    ("驾驶, 接送老人", ["everyday", "hardship"]),
    ("厨师, 助餐", ["everyday"]),
    ("会计, 政策咨询", ["legal", "everyday"]),
    ("消防知识, 应急演练", ["rescue", "electricity"]),
    ("摄影, 宣传", ["environment"]),
    ("心理咨询师", ["mediation", "hardship"]),
    ("社区网格巡查", ["patrol", "environment"]),
    ("退休教师, 作业辅导", ["everyday"]),
    ("", ["everyday"]),
    ("", ["patrol", "waste"]),
]
DECLINE_REASONS = [
    demo_reporting.DECLINED["陶金龙"],
    "报到信息中的住址与社区登记不符，请核实后重新报到。",
    "您的党组织关系尚未转入，请先办理组织关系转接手续。",
]

# (title, category, members needed, details, how it was fulfilled)
WISH_ITEMS = [
    (title, category, size, description, outcome)
    for title, category, _whom, _days, size, state, description, outcome, _claimants in demo_wishes.WISHES
    if outcome and state != WishState.CANCELLED
] + [
    ("助听器维修", "health", 1, "助听器右耳没有声音了，想请人帮忙送去维修。", "送到助听器门店修好了，试戴正常。"),
    ("陪读绘本", "study", 1, "希望每周有哥哥姐姐陪我读一次绘本。", "每周六上午陪孩子读绘本一小时，已坚持一个月。"),
    ("老花镜", "health", 1, "看报纸看不清，想配一副300度的老花镜。", "陪老人到眼镜店验光，配好了一副老花镜。"),
    ("楼道粉刷", "repair", 4, "楼道墙面发黑脱落，想请几位党员一起帮忙粉刷。", "四位党员用一个周末把楼道粉刷一新。"),
    ("教我用手机视频", "company", 1, "想学会用智能手机和外地的孙子视频通话。", "教会了老人用微信视频通话，还写了步骤卡片。"),
    ("电饭煲一个", "daily", 1, "电饭煲坏了，想要一个小电饭煲。", "送去一个新电饭煲，并教老人使用预约功能。"),
    ("一箱牛奶", "daily", 1, "孩子正在长身体，想要一箱牛奶。", "送去两箱牛奶，孩子很开心。"),
    ("换一个灯泡", "repair", 1, "卫生间灯泡坏了，自己够不着。", "上门换了一个节能灯泡。"),
    ("理个发", "daily", 1, "腿脚不便出不了门，想请人上门理发。", "党员理发师上门为老人理了发。"),
    ("辅导数学作业", "study", 1, "孩子五年级，数学有些跟不上，想请人辅导。", "每周两次晚上辅导数学，期末成绩提高了。"),
    ("陪同去医院复查", "health", 1, "要去医院复查，子女在外地，想请人陪同。", "陪同挂号、检查、取药，全程约三小时。"),
    ("冬天的棉鞋", "daily", 1, "想要一双保暖的棉鞋过冬。", "送去一双新棉鞋，大小正合适。"),
    ("小区健身器材修理", "repair", 3, "小区健身器材螺丝松动，担心老人受伤。", "三位党员带工具紧固并刷了防锈漆。"),
    ("旧房子大扫除", "company", 5, "老两口年纪大了，想请人帮忙年前大扫除。", "五位党员志愿者一起打扫了整套房子。"),
    ("学写毛笔字", "study", 1, "孩子想学写毛笔字，想要一套笔墨纸砚。", "送去一套文房四宝，并教了基本笔画。"),
    ("陪老人过生日", "company", 2, "独居老人八十大寿，想有人陪着过个生日。", "两位党员带着蛋糕和长寿面陪老人过了生日。"),
    ("防滑扶手安装", "repair", 1, "卫生间地滑，想装一个扶手。", "上门安装了不锈钢扶手，并铺了防滑垫。"),
    ("一台收音机", "company", 1, "眼睛不好，想要一台收音机听戏。", "送去一台收音机，调好了越剧频道。"),
]  # fmt: skip
WISH_CANCEL_REASONS = [
    "区残联已免费配发。",
    "家属已经买好了，谢谢大家。",
    "老人已搬去子女家住。",
    "已由社区慈善基金解决。",
    "心愿已通过其他渠道实现。",
]
CONFIRM_NOTES = ["谢谢党员志愿者！", "非常感谢！", "", "", "辛苦了，谢谢！"]

# Service orders: what residents ask for, by field (the demo's wording first).
ORDER_ASKS: dict[str, list[str]] = {}
for _row in demo_orders.ORDERS:
    ORDER_ASKS.setdefault(_row[1], []).append(_row[2])
for _field, _asks in {
    "repair": ["冰箱不制冷了，想请懂家电的党员来看看。", "门锁坏了，钥匙插进去转不动。"],
    "electricity": ["电动车充电插座老是跳闸，想请人检查一下。", "家里电热水器漏电保护器总是跳，请帮忙看看。"],
    "everyday": ["想请人帮忙到银行办理养老金卡挂失。", "腿脚不便，想请人帮忙买一周的菜。"],
    "hardship": ["家里老人卧床，想请人帮忙申请居家养老服务。", "想请人帮忙填写困难补助申请表。"],
    "mediation": ["邻居家空调外机正对我家窗户，想请人帮忙协商。", "楼上晚上噪音很大，想请人帮忙沟通。"],
    "environment": ["单元门口绿化带里有很多垃圾，想请志愿者清理。", "小区角落有积水发臭，想请人帮忙处理。"],
    "patrol": [
        "最近晚上小区里有陌生人转悠，想请巡逻队多走几趟。",
        "车棚里电动车丢了电瓶，想请人晚上帮忙看看。",
    ],
    "waste": ["想请人上门讲讲垃圾怎么分，老人总分不清。", "楼下垃圾桶满了没人清，想请人帮忙反映处理。"],
    "epidemic": ["家里老人想打疫苗，想请人帮忙预约并陪同。", "想请人上门帮老人测测血压血糖。"],
    "rescue": [
        "家里老人行动不便，想请人教一教家里的应急呼叫器怎么用。",
        "想请人检查一下家里的灭火器是否过期。",
    ],
    "legal": ["租房合同有纠纷，想请懂法律的党员帮忙看看。", "想咨询遗嘱怎么写才有效。"],
}.items():
    ORDER_ASKS.setdefault(_field, []).extend(_asks)
DONE_NOTES = dict(demo_orders.DONE_NOTES) | {
    "patrol": "连续三晚加强巡逻，并提醒物业修好了车棚监控。",
    "waste": "上门讲解了四分类，帮老人贴好了分类提示。",
    "epidemic": "帮忙预约并陪同前往，已顺利完成。",
    "rescue": "检查了应急设备，教会了老人使用方法。",
    "legal": "帮忙梳理了合同条款，给出了处理建议。",
}
ORDER_COMMENTS = [
    "来得很快，服务很好，谢谢！",
    "非常耐心，问题解决了。",
    "党员同志很热心，点赞！",
    "按时上门，做事细致。",
    "",
    "",
]
ORDER_DECLINE_REASONS = ["这几天在外地出差，抱歉。", "时间冲突，请社区另派他人。", ""]
ORDER_CANCEL_REASONS = ["已请物业处理好了", "家里人回来帮忙弄好了", "暂时不需要了", ""]
FIELD_WEIGHTS = {
    "everyday": 30,
    "repair": 20,
    "electricity": 10,
    "hardship": 10,
    "mediation": 6,
    "environment": 6,
    "patrol": 4,
    "waste": 4,
    "epidemic": 4,
    "rescue": 2,
    "legal": 4,
}

# Activities: (title, service, place pattern, hours, open to residents, details); the demo's first.
_DEMO_PLACES = {
    "waste": "{compound}中心广场",
    "electricity": "{community}党群服务中心集合，分组入户",
    "patrol": "社区警务室集合，{compound}沿线",
    "everyday": "{community}党群服务中心一楼大厅",
    "legal": "{community}党群服务中心二楼调解室",
    "environment": "{compound}楼道及周边",
    "rescue": "{community}防汛物资仓库",
    "repair": "{compound}南门",
}
ACTIVITY_ITEMS = [
    (title, service, _DEMO_PLACES[service], hours, open_to_residents, details)
    for title, service, _place, _days, _clock, hours, _n, _unit, open_to_residents, _what, details in (
        demo_activities.ACTIVITIES
    )
] + [
    ("邻里矛盾调解恳谈会", "mediation", "{community}党群服务中心二楼调解室", 2, True, "邀请退休法官、律师与居民面对面，化解邻里纠纷。"),
    ("困难家庭走访慰问", "hardship", "{community}党群服务中心集合，分组入户", 3, False, "党员分组走访辖区困难家庭，送去慰问品，了解急难愁盼。"),
    ("疫苗接种引导服务", "epidemic", "{community}卫生服务站", 4, True, "协助医护人员引导居民有序接种，搀扶老人、登记信息。"),
    ("平安小区夜间巡逻", "patrol", "{compound}门岗集合", 2, True, "夜间分组巡逻，检查消防通道、电动车违规充电。"),
    ("清洁家园周末行动", "environment", "{compound}中心绿地", 2, True, "清理绿化带垃圾、小广告，整治楼道乱堆乱放。"),
    ("垃圾分类桶边督导", "waste", "{compound}垃圾分类投放点", 1.5, True, "早晚高峰在投放点值守，指导居民正确分类投放。"),
    ("智慧用电进万家", "electricity", "{compound}南门", 2.5, True, "讲解用电安全，现场检测插座和线路，发放安全插座。"),
    ("法治讲座：防范养老诈骗", "legal", "{community}党群服务中心三楼会议室", 1.5, True, "民警和律师讲解常见养老诈骗手法，教老人守好钱袋子。"),
    ("应急救护培训", "rescue", "{community}党群服务中心三楼会议室", 3, True, "红十字会讲师教授心肺复苏和海姆立克急救法，现场实操。"),
    ("便民服务集市", "everyday", "{compound}中心广场", 3, True, "理发、磨刀、修伞、量血压，党员志愿者摆摊服务。"),
    ("敬老院送温暖", "hardship", "{community}党群服务中心集合", 2.5, False, "到敬老院为老人表演节目、打扫卫生、陪伴聊天。"),
    ("小家电义务维修", "repair", "{compound}门口", 3, True, "免费检修电风扇、电饭煲、电吹风等小家电。"),
]  # fmt: skip
ACTIVITY_CLOCKS = [(8, 30), (9, 0), (9, 0), (14, 0), (14, 30), (19, 0)]
ACTIVITY_CAPACITIES = [10, 12, 15, 20, 20, 30, 30, 40, 50, 60, 80]
ACTIVITY_CANCEL_REASONS = [
    "天气预报有大雨，活动延期，另行通知",
    "施工单位进场时间调整，活动延期，另行通知",
    "场地临时另有安排，活动取消",
    "疫情防控需要，暂停线下聚集活动",
]


# --- Helpers -----------------------------------------------------------------------------------------


@contextmanager
def _keep_times(*models) -> Iterator[None]:
    """Let bulk inserts keep the given auto_now_add times (the history's times, not today's)."""
    fields = [f for model in models for f in model._meta.concrete_fields if getattr(f, "auto_now_add", False)]
    for f in fields:
        f.auto_now_add = False
    try:
        yield
    finally:
        for f in fields:
            f.auto_now_add = True


def _user_label(display_name: str, username: str) -> str:
    """What `str(user)` gives (the services write it into event notes)."""
    return display_name or username


@dataclass
class _Place:
    """A community as the volunteers' part sees it: who can act there, from when."""

    sc: ScaleCommunity
    index: int
    staff: tuple[int, int]  # secretary, social worker
    # Members with a login whose report here is accepted, ordered by the time it was accepted.
    since: list[datetime] = field(default_factory=list)
    users: list[int] = field(default_factory=list)
    fields: list[list[str]] = field(default_factory=list)
    # Residents: (person id, user id or 0, phone, home id).
    residents: list[tuple[int, int, str, int | None]] = field(default_factory=list)
    units: list[int] = field(default_factory=list)

    def eligible(self, moment: datetime) -> int:
        """How many members could act at `moment` (a prefix of `users`)."""
        return bisect.bisect_right(self.since, moment)


class _Seeder:
    def __init__(self, world: ScaleWorld) -> None:
        self.world = world
        self.rng = world.rng
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        self.tz = timezone.get_current_timezone()
        self.start = self.at(date(world.years[0], 1, 3), 9)
        self.places = [
            _Place(sc=sc, index=i, staff=(sc.secretary_user_id, sc.social_worker_user_id))
            for i, sc in enumerate(world.communities)
        ]
        by_area = {place.sc.area_id: place for place in self.places}
        for unit in world.units:
            if unit.community_area_id in by_area:
                by_area[unit.community_area_id].units.append(unit.org_id)
        self.labels: dict[int, str] = {}
        self.areas: dict[int, tuple[str, str, int | None, int | None]] = {}  # id: name, kind, parent, grid

    # Time.
    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.tz)

    def between(self, low: datetime, high: datetime, skew: float = 1.0) -> datetime:
        """A moment in [low, high), towards `low` when `skew` > 1."""
        if high <= low:
            return low
        return low + (high - low) * (self.rng.random() ** skew)

    def hours(self, low: float, high: float) -> timedelta:
        return timedelta(hours=self.rng.uniform(low, high))

    def daytime(self, moment: datetime, first: int = 8, last: int = 20) -> datetime:
        """The same local day as `moment`, at a random time between `first` and `last` o'clock."""
        local = timezone.localtime(moment, self.tz)
        return self.at(local.date(), self.rng.randint(first, last - 1), self.rng.randint(0, 59))

    # People and places.
    def load(self) -> None:
        for pk, name, kind, parent, grid in Area.objects.filter(
            kind__in=(AreaKind.COMPOUND, AreaKind.BUILDING, AreaKind.UNIT, AreaKind.HOUSEHOLD, AreaKind.GRID)
        ).values_list("id", "name", "kind", "parent_id", "grid_id"):
            self.areas[pk] = (name, kind, parent, grid)
        ids = [pid for place in self.places for pid in place.sc.resident_person_ids]
        people: dict[int, tuple] = {}
        for i in range(0, len(ids), 5000):
            for row in Person.objects.filter(pk__in=ids[i : i + 5000]).values_list(
                "id", "user_id", "phone", "home_id"
            ):
                people[row[0]] = row
        for place in self.places:
            place.residents = [
                (pid, people[pid][1] or 0, people[pid][2], people[pid][3])
                for pid in place.sc.resident_person_ids
            ]
        staff = [uid for place in self.places for uid in place.staff]
        self.label_users(staff)

    def label_users(self, user_ids: list[int]) -> None:
        missing = [uid for uid in user_ids if uid and uid not in self.labels]
        for i in range(0, len(missing), 5000):
            for pk, display_name, username in User.objects.filter(pk__in=missing[i : i + 5000]).values_list(
                "id", "display_name", "username"
            ):
                self.labels[pk] = _user_label(display_name, username)

    def grid_of(self, area_id: int | None) -> int | None:
        """As `volunteers.services.common.grid_of`: the grid that covers a home."""
        while area_id is not None and area_id in self.areas:
            _name, kind, parent, grid = self.areas[area_id]
            if kind == AreaKind.GRID:
                return area_id
            if grid:
                return grid
            area_id = parent
        return None

    def home_address(self, home_id: int | None, place: _Place) -> str:
        """The resident's home as an address, with the building and door they would type in."""
        rng = self.rng
        if home_id in self.areas:
            name, kind, parent, _grid = self.areas[home_id]
            if (
                kind != AreaKind.COMPOUND
                and parent in self.areas
                and self.areas[parent][1] == AreaKind.COMPOUND
            ):
                name = f"{self.areas[parent][0]}{name}"
            elif kind == AreaKind.COMPOUND:
                name = f"{name}{rng.randint(1, 16)}幢"
        else:
            name = f"{place.sc.name}{rng.randint(1, 120)}号"
        return f"{name}{rng.randint(1, 3)}单元{rng.randint(1, 6)}0{rng.randint(1, 4)}"

    def compound_name(self, place: _Place) -> str:
        ids = place.sc.compound_ids
        if not ids:
            return place.sc.name
        return self.areas.get(self.rng.choice(ids), (place.sc.name,))[0]

    def pick_place(self, weights: list[float]) -> _Place:
        return self.rng.choices(self.places, cum_weights=weights)[0]

    def cum_weights(self) -> list[float]:
        total, out = 0.0, []
        for place in self.places:
            total += len(place.users) + 1
            out.append(total)
        return out

    def members_at(
        self, place: _Place, moment: datetime, k: int, *, exclude: int = 0, service: str = ""
    ) -> list[int]:
        """Up to `k` distinct members who could act at `moment`, offering `service` first when asked."""
        n = place.eligible(moment)
        if n == 0 or k <= 0:
            return []
        if service and k == 1:
            for _try in range(4):
                i = self.rng.randrange(n)
                if service in place.fields[i] and place.users[i] != exclude:
                    return [place.users[i]]
        chosen = [place.users[i] for i in self.rng.sample(range(n), min(n, k + 1))]
        return [uid for uid in chosen if uid != exclude][:k]


# --- Reports (党员报到) --------------------------------------------------------------------------------


def _reports(s: _Seeder) -> None:
    world, rng = s.world, s.rng
    launch_end = s.start + timedelta(days=28)
    spread_end = s.now - timedelta(days=3)
    members: dict[int, tuple[int, int | None]] = {}
    person_ids = [pid for place in s.places for pid in place.sc.member_person_ids]
    for i in range(0, len(person_ids), 5000):
        for person_id, member_id, grid_id in PartyMember.objects.filter(
            person_id__in=person_ids[i : i + 5000]
        ).values_list("person_id", "id", "grid_id"):
            members[person_id] = (member_id, grid_id)

    # Who is pending: members with a login outside the reported ones, else the last reported ones.
    pending_target = world.n(PENDING_REPORTS)
    outside = [
        (place.index, k)
        for place in s.places
        for k in range(place.sc.reported_count, len(place.sc.member_person_ids))
        if place.sc.member_user_ids[k]
    ]
    tail = [
        (place.index, k)
        for place in s.places
        for k in range(place.sc.reported_count - 1, -1, -1)
        if place.sc.member_user_ids[k]
    ][::-1]
    rng.shuffle(outside)
    pending = outside[:pending_target]
    if len(pending) < pending_target:
        # Each community gives its last reported members with a login, round-robin.
        by_place: dict[int, list[int]] = {}
        for ci, k in tail:
            by_place.setdefault(ci, []).append(k)
        order = sorted(by_place)
        while len(pending) < pending_target and any(by_place.values()):
            for ci in order:
                if by_place[ci] and len(pending) < pending_target:
                    pending.append((ci, by_place[ci].pop()))
    pending_set = set(pending)

    rows: list[Report] = []
    placed: list[PartyMember] = []
    accepted: list[tuple[int, int, datetime, datetime]] = []  # (place, k, reported, decided)
    counts = {state: 0 for state in ReportState.values}
    for place in s.places:
        sc = place.sc
        acting: list[tuple[datetime, int, list[str]]] = []
        for k in range(sc.reported_count):
            if (place.index, k) in pending_set:
                continue
            member_id, grid_id = members[sc.member_person_ids[k]]
            if rng.random() < LAUNCH_SHARE:
                reported = s.between(s.start, launch_end)
            else:
                reported = s.between(launch_end, spread_end, skew=1.3)
            decided = reported + s.hours(1, 72)
            skills, service_fields = rng.choice(SKILL_CHOICES)
            if grid_id not in sc.grid_ids:
                # Accepting places the member in a grid (the base normally has: this is its grid).
                grid_id = rng.choice(sc.grid_ids)
                placed.append(PartyMember(pk=member_id, grid_id=grid_id))
            rows.append(
                Report(
                    member_id=member_id,
                    community_id=sc.area_id,
                    grid_id=grid_id,
                    skills=skills,
                    service_fields=list(service_fields),
                    state=ReportState.ACCEPTED,
                    reported_at=reported,
                    decided_at=decided,
                    decided_by_id=place.staff[k % 2],
                )
            )
            counts[ReportState.ACCEPTED] += 1
            accepted.append((place.index, k, reported, decided))
            if sc.member_user_ids[k]:
                acting.append((decided, sc.member_user_ids[k], list(service_fields)))
        acting.sort()
        place.since = [a[0] for a in acting]
        place.users = [a[1] for a in acting]
        place.fields = [a[2] for a in acting]
    for ci, k in pending:
        place = s.places[ci]
        skills, service_fields = rng.choice(SKILL_CHOICES)
        rows.append(
            Report(
                member_id=members[place.sc.member_person_ids[k]][0],
                community_id=place.sc.area_id,
                skills=skills,
                service_fields=list(service_fields),
                state=ReportState.PENDING,
                reported_at=s.between(s.now - timedelta(days=10), s.now - timedelta(hours=1)),
            )
        )
        counts[ReportState.PENDING] += 1

    # History: declined before a later accepted report, and left elsewhere before moving here.
    late = [
        row
        for row in accepted
        if row[2] > s.start + timedelta(days=60) and s.places[row[0]].sc.member_user_ids[row[1]]
    ]
    rng.shuffle(late)
    declined = late[: world.n(DECLINED_REPORTS)]
    moved = late[len(declined) : len(declined) + world.n(LEFT_REPORTS)]
    for ci, k, reported, _decided in declined:
        place = s.places[ci]
        first = reported - timedelta(days=rng.randint(8, 40), hours=rng.randint(0, 8))
        rows.append(
            Report(
                member_id=members[place.sc.member_person_ids[k]][0],
                community_id=place.sc.area_id,
                skills=rng.choice(SKILL_CHOICES)[0],
                service_fields=["everyday"],
                state=ReportState.DECLINED,
                note=rng.choice(DECLINE_REASONS),
                reported_at=first,
                decided_at=first + s.hours(2, 60),
                decided_by_id=place.staff[0],
            )
        )
        counts[ReportState.DECLINED] += 1
    for ci, k, reported, _decided in moved:
        place = s.places[ci]
        same_street = [p for p in s.places if p.sc.street_id == place.sc.street_id and p is not place]
        before = rng.choice(same_street or [p for p in s.places if p is not place] or [place])
        left = reported - s.hours(2, 240)
        first = s.between(s.start, left - timedelta(days=30))
        skills, service_fields = rng.choice(SKILL_CHOICES)
        rows.append(
            Report(
                member_id=members[place.sc.member_person_ids[k]][0],
                community_id=before.sc.area_id,
                grid_id=rng.choice(before.sc.grid_ids),
                skills=skills,
                service_fields=list(service_fields),
                state=ReportState.LEFT,
                reported_at=first,
                decided_at=first + s.hours(1, 48),
                decided_by_id=before.staff[1],
                left_at=left,
            )
        )
        counts[ReportState.LEFT] += 1
    with _keep_times(Report):
        bulk(Report, rows)
    PartyMember.objects.bulk_update(placed, ["grid"], batch_size=2000)
    for state, number in counts.items():
        world.count(f"member reports {state}", number)


# --- Pledges (锋领十条) and the public record ----------------------------------------------------------


def _append_to_record(facts: list[tuple[datetime, str, str, dict, int]]) -> tuple[list[str], int]:
    """Chain `facts` (moment, kind, subject, payload, area id), in order, after the record's last entry,
    exactly as `audit_append` would have; a fact dated before the last entry is recorded at its time.
    Returns the entry hashes in order and how many facts were recorded later than they happened."""
    last = Entry.objects.order_by("-seq").values_list("seq", "entry_hash", "created_at").first()
    seq, prev_hash, floor = (last[0], last[1], last[2]) if last else (0, GENESIS_HASH, None)
    hashes: list[str] = []
    late = 0

    def rows() -> Iterator[Entry]:
        nonlocal seq, prev_hash, floor, late
        for moment, kind, subject, payload, area_id in facts:
            created_at = moment
            if floor is not None and created_at < floor:
                created_at, late = floor, late + 1
            seq += 1
            payload = json.loads(canonical_json(payload))
            entry_hash = compute_entry_hash(
                seq=seq,
                kind=kind,
                subject=subject,
                payload=payload,
                created_at=created_at,
                prev_hash=prev_hash,
            )
            hashes.append(entry_hash)
            yield Entry(
                seq=seq,
                kind=kind,
                subject=subject,
                area_id=area_id,
                payload=payload,
                created_at=created_at,
                prev_hash=prev_hash,
                entry_hash=entry_hash,
            )
            prev_hash, floor = entry_hash, created_at

    bulk(Entry, rows())
    return hashes, late


def _pledges(s: _Seeder) -> None:
    world, rng = s.world, s.rng
    latest = s.now - timedelta(hours=1)
    texts: list[PledgeText] = []
    for place in s.places:
        for year in world.years:
            first = min(
                s.at(date(year, 1, rng.randint(4, 20)), rng.randint(9, 16), rng.randint(0, 59)), latest
            )
            title = demo_reporting.PLEDGE_TITLE.format(year=year)
            versions = [(first, demo_reporting.PLEDGE_V1)]
            second = first + timedelta(days=rng.randint(30, 120), hours=rng.randint(0, 6))
            if rng.random() < 0.3 and second < s.now - timedelta(days=1):
                versions.append((second, demo_reporting.PLEDGE_V2))
            for version, (published, body) in enumerate(versions, 1):
                texts.append(
                    PledgeText(
                        community_id=place.sc.area_id,
                        year=year,
                        version=version,
                        title=title,
                        body=body,
                        text_hash=text_hash(f"{title}\n{body}"),
                        published_at=published,
                        published_by_id=place.staff[0],
                    )
                )
    with _keep_times(PledgeText):
        texts = bulk(PledgeText, texts)
    world.count("pledge texts", len(texts))

    # Every (member, version) a member could have signed, with the window in which it was current.
    by_place: dict[int, list[PledgeText]] = {}
    for text in texts:
        by_place.setdefault(text.community_id, []).append(text)
    candidates: list[tuple[datetime, datetime, int, int]] = []  # low, high, text index, user index
    index_of = {id(text): i for i, text in enumerate(texts)}
    member_of_user = _members_of_users(s)
    for place in s.places:
        own = sorted(by_place.get(place.sc.area_id, []), key=lambda t: t.published_at)
        for n, text in enumerate(own):
            until = own[n + 1].published_at if n + 1 < len(own) else s.now - timedelta(minutes=10)
            for since, user in zip(place.since, place.users, strict=True):
                low = max(text.published_at, since) + timedelta(minutes=5)
                if low < until:
                    candidates.append((low, until, index_of[id(text)], user))
    wanted = world.n(SIGNATURES)
    chosen = rng.sample(candidates, min(wanted, len(candidates)))
    signatures = []
    for low, high, text_index, user in chosen:
        signatures.append((s.between(low, high, skew=2.5), text_index, member_of_user[user]))
    signatures.sort()
    first_id = (PledgeSignature.objects.aggregate(top=Max("id"))["top"] or 0) + 1

    facts: list[tuple[datetime, str, str, dict, int]] = []
    for text in texts:
        facts.append(
            (
                text.published_at,
                "volunteers.pledge_published",
                f"volunteers.PledgeText:{text.pk}",
                {
                    "community_id": text.community_id,
                    "year": text.year,
                    "version": text.version,
                    "text_hash": text.text_hash,
                },
                text.community_id,
            )
        )
    for n, (signed_at, text_index, member_id) in enumerate(signatures):
        text = texts[text_index]
        facts.append(
            (
                signed_at,
                "volunteers.pledge_signed",
                f"volunteers.PledgeSignature:{first_id + n}",
                {
                    "pledge_id": text.pk,
                    "community_id": text.community_id,
                    "year": text.year,
                    "version": text.version,
                    "text_hash": text.text_hash,
                    "member_ref": member_id,
                },
                text.community_id,
            )
        )
    # In time order; a publication comes before the signatures of the same moment.
    order = sorted(range(len(facts)), key=lambda i: (facts[i][0], i))
    hashes, late = _append_to_record([facts[i] for i in order])
    record = {order[position]: entry_hash for position, entry_hash in enumerate(hashes)}
    rows = (
        PledgeSignature(
            id=first_id + n,
            text_id=texts[text_index].pk,
            member_id=member_id,
            signed_at=signed_at,
            record_hash=record[len(texts) + n],
        )
        for n, (signed_at, text_index, member_id) in enumerate(signatures)
    )
    with _keep_times(PledgeSignature):
        bulk(PledgeSignature, rows)
    _reset_sequence(PledgeSignature)
    world.count("pledge signatures", len(signatures))
    world.count("public record entries", len(hashes))
    if late:
        s.world.say(
            f"    {late:,} pledge facts recorded after the record's last entry, later than they happened"
        )


def _members_of_users(s: _Seeder) -> dict[int, int]:
    users = [uid for place in s.places for uid in place.users]
    out: dict[int, int] = {}
    for i in range(0, len(users), 5000):
        out.update(
            PartyMember.objects.filter(person__user_id__in=users[i : i + 5000]).values_list(
                "person__user_id", "id"
            )
        )
    return out


def _reset_sequence(model) -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), [model])
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


# --- Photos ---------------------------------------------------------------------------------------------


def _stored_photos() -> None:
    """One small image per kind, stored once; every photo row of the scale data points at it."""
    for name, rgb in ((ORDER_PHOTO, (178, 18, 31)), (WISH_PHOTO, (240, 200, 120))):
        if not default_storage.exists(name):
            default_storage.save(name, ContentFile(demo_wishes.demo_png(32, 32, rgb)))


# --- Micro-wishes (微心愿) ------------------------------------------------------------------------------

WISH_MUST = [
    (WishState.CONFIRMED, True),
    (WishState.FULFILLED, True),
    (WishState.CLAIMED, True),
    (WishState.OPEN, False),
    (WishState.CANCELLED, False),
    (WishState.CANCELLED, True),
]
# Per 1,000 wishes: most lit up and confirmed; about a hundred waiting on the wall at a time.
WISH_WEIGHTS = [
    ((WishState.CONFIRMED, True), 885),
    ((WishState.CANCELLED, False), 40),
    ((WishState.CANCELLED, True), 25),
    ((WishState.CLAIMED, True), 15),
    ((WishState.FULFILLED, True), 5),
    ((WishState.OPEN, False), 15),
]


def _wishes(s: _Seeder) -> int:
    world, rng = s.world, s.rng
    target = world.n(WISH_CLAIMS)
    weights = s.cum_weights()
    wishes: list[Wish] = []
    claims: list[list[tuple[int, datetime]]] = []
    events: list[list[tuple]] = []
    made = 0
    must = list(WISH_MUST)
    while made < target or must:
        state, claimed = must[0] if must else rng.choices(*zip(*WISH_WEIGHTS, strict=True))[0]
        if claimed and made >= target:
            must = must[1:]
            continue
        place = s.pick_place(weights)
        if not place.residents or not place.users:
            continue
        title, category, size, description, outcome = rng.choice(WISH_ITEMS)
        if size == 1 and rng.random() < 0.04:
            size = rng.randint(2, 5)
        person_id, person_user, _phone, home = rng.choice(place.residents)
        poster = (
            person_user if person_user and rng.random() < 0.7 else place.staff[1 - int(rng.random() < 0.2)]
        )
        # When it was posted and, for a wish still running, what is still to come.
        if state in (WishState.CONFIRMED, WishState.CANCELLED):
            posted = s.daytime(s.between(s.start + timedelta(days=20), s.now - timedelta(days=14)))
        elif state == WishState.OPEN:
            posted = s.between(s.now - timedelta(days=20), s.now - timedelta(hours=1))
        else:
            posted = s.between(s.now - timedelta(days=30), s.now - timedelta(days=3))
        posted_day = timezone.localtime(posted, s.tz).date()
        due = posted_day + timedelta(days=rng.randint(7, 60))
        if state in (WishState.OPEN, WishState.CLAIMED, WishState.FULFILLED) and due <= s.today:
            due = min(s.today + timedelta(days=rng.randint(1, 20)), posted_day + timedelta(days=92))
        wish = Wish(
            community_id=place.sc.area_id,
            grid_id=s.grid_of(home),
            beneficiary_id=person_id,
            posted_by_id=poster,
            title=title,
            description=description,
            category=category if category in WishCategory.values else WishCategory.OTHER,
            due_on=due,
            group_size=size,
            state=state,
            created_at=posted,
        )
        log = [(WishStep.POST, "", WishState.OPEN, poster, "", posted)]
        # The moment the story ends (fulfilled, cancelled, or now for a wish still waiting).
        if state in (WishState.CONFIRMED, WishState.FULFILLED):
            due_end = s.at(due, 20)
            fulfil_low = posted + timedelta(days=1)
            fulfil_high = min(due_end, posted + timedelta(days=30), s.now - timedelta(days=2))
            if state == WishState.FULFILLED:
                fulfil_low, fulfil_high = (
                    max(fulfil_low, s.now - timedelta(days=5)),
                    s.now - timedelta(hours=1),
                )
            end = s.between(fulfil_low, max(fulfil_high, fulfil_low + timedelta(hours=2)))
        elif state == WishState.CANCELLED:
            end = min(posted + s.hours(6, 24 * 20), s.now - timedelta(hours=1))
        else:
            end = s.now - timedelta(minutes=10)
        want = 0
        if claimed:
            want = rng.randint(max(1, size - 2), size) if size > 1 else 1
            want = min(want, target - made)
        first_claim = s.between(posted + timedelta(minutes=20), posted + (end - posted) * 0.5, skew=2)
        who = s.members_at(place, first_claim, want, exclude=person_user)
        if claimed and not who:
            continue
        times = sorted(s.between(first_claim, first_claim + (end - first_claim) * 0.6) for _ in who)
        if times:
            times[0] = first_claim
        wish_claims = list(zip(who, times, strict=True))
        for n, (user, moment) in enumerate(wish_claims, 1):
            before = WishState.OPEN if n == 1 else WishState.CLAIMED
            note = f"{n}/{size}" if size > 1 else ""
            log.append((WishStep.CLAIM, before, WishState.CLAIMED, user, note, moment))
        owner = person_user or poster
        if state in (WishState.FULFILLED, WishState.CONFIRMED):
            wish.fulfil_note, wish.fulfil_photo, wish.fulfilled_at = outcome, WISH_PHOTO, end
            log.append((WishStep.FULFIL, WishState.CLAIMED, WishState.FULFILLED, who[0], outcome, end))
        if state == WishState.CONFIRMED:
            confirmed = min(end + s.hours(1, 72), s.now - timedelta(minutes=5))
            wish.confirmed_at = confirmed
            log.append(
                (
                    WishStep.CONFIRM,
                    WishState.FULFILLED,
                    WishState.CONFIRMED,
                    owner,
                    rng.choice(CONFIRM_NOTES),
                    confirmed,
                )
            )
        if state == WishState.CANCELLED:
            reason = rng.choice(WISH_CANCEL_REASONS)
            wish.cancel_reason = reason
            log.append(
                (
                    WishStep.CANCEL,
                    WishState.CLAIMED if who else WishState.OPEN,
                    WishState.CANCELLED,
                    poster,
                    reason,
                    end,
                )
            )
        if must:
            must = must[1:]
        wishes.append(wish)
        claims.append(wish_claims)
        events.append(log)
        made += len(wish_claims)
    with _keep_times(Wish, WishClaim, WishEvent):
        wishes = bulk(Wish, wishes)
        bulk(
            WishClaim,
            (
                WishClaim(wish_id=wish.pk, user_id=user, claimed_at=moment)
                for wish, rows in zip(wishes, claims, strict=True)
                for user, moment in rows
            ),
        )
        bulk(
            WishEvent,
            (
                WishEvent(
                    wish_id=wish.pk,
                    step=step,
                    from_state=before,
                    to_state=after,
                    actor_id=actor,
                    note=note[:300],
                    created_at=moment,
                )
                for wish, log in zip(wishes, events, strict=True)
                for step, before, after, actor, note, moment in log
            ),
        )
    world.count("micro-wishes", len(wishes))
    world.count("wish claims", made)
    world.count("wish events", sum(len(log) for log in events))
    return made


# --- Service orders (点单 → 发单 → 接单/抢单 → 晒单 → 评单) ------------------------------------------------

ORDER_MUST = [
    OrderState.RATED,
    OrderState.CLOSED,
    OrderState.CANCELLED,
    OrderState.ORDERED,
    OrderState.ASSIGNED,
    OrderState.POOLED,
    OrderState.ACCEPTED,
    OrderState.STARTED,
    OrderState.DONE,
]
# Per 10,000 orders; the ones still running are about what six orders a day leave in flight.
ORDER_WEIGHTS = [
    (OrderState.RATED, 7600),
    (OrderState.CLOSED, 1400),
    (OrderState.CANCELLED, 700),
    (OrderState.ORDERED, 5),
    (OrderState.ASSIGNED, 3),
    (OrderState.POOLED, 3),
    (OrderState.ACCEPTED, 20),
    (OrderState.STARTED, 2),
    (OrderState.DONE, 30),
]
TAKEN = frozenset(
    {OrderState.ACCEPTED, OrderState.STARTED, OrderState.DONE, OrderState.RATED, OrderState.CLOSED}
)
ACCEPT_HOURS = 24
RATE_DAYS = 7


def _orders(s: _Seeder) -> int:
    world, rng = s.world, s.rng
    target = world.n(ORDERS_TAKEN)
    weights = s.cum_weights()
    s.label_users([uid for place in s.places for uid in place.users])
    with translation.override("zh-hans"):
        for_resident = gettext("Ordered by %(who)s for the resident")
    services, service_weights = zip(*FIELD_WEIGHTS.items(), strict=True)
    orders: list[ServiceOrder] = []
    events: list[list[tuple]] = []
    photos: list[int] = []
    taken = 0
    must = list(ORDER_MUST)
    while taken < target or must:
        state = must[0] if must else rng.choices(*zip(*ORDER_WEIGHTS, strict=True))[0]
        if state in TAKEN and taken >= target:
            must = must[1:]
            continue
        place = s.pick_place(weights)
        if not place.residents or not place.users:
            continue
        built = _order(s, place, state, rng.choices(services, weights=service_weights)[0], for_resident)
        if built is None:
            continue
        order, log, n_photos = built
        must = must[1:]
        orders.append(order)
        events.append(log)
        photos.append(n_photos)
        taken += state in TAKEN
    with _keep_times(ServiceOrder, OrderEvent, OrderPhoto):
        orders = bulk(ServiceOrder, orders)
        bulk(
            OrderEvent,
            (
                OrderEvent(
                    order_id=order.pk,
                    step=step,
                    from_state=before,
                    to_state=after,
                    actor_id=actor,
                    note=note[:300],
                    created_at=moment,
                )
                for order, log in zip(orders, events, strict=True)
                for step, before, after, actor, note, moment in log
            ),
        )
        bulk(
            OrderPhoto,
            (
                OrderPhoto(
                    order_id=order.pk,
                    photo=ORDER_PHOTO,
                    uploaded_by_id=order.member_id,
                    created_at=order.done_at,
                )
                for order, n in zip(orders, photos, strict=True)
                for _ in range(n)
            ),
        )
    world.count("service orders", len(orders))
    world.count("service orders taken", taken)
    world.count("order events", sum(len(log) for log in events))
    world.count("order photos", sum(photos))
    return taken


def _order(s: _Seeder, place: _Place, state: str, service: str, for_resident: str):
    """One order taken to `state` along a path the services allow; (order, events, photos) or None."""
    rng, now = s.rng, s.now
    person_id, person_user, phone, home = rng.choice(place.residents)
    staff = place.staff[int(rng.random() < 0.7)]
    orderer = person_user or staff
    S = OrderState
    # When it was ordered, and the window the resident asked for (an order still running: around now).
    hour = rng.choice((9, 9, 10, 14, 15, 19))
    if state in (S.RATED, S.CLOSED, S.CANCELLED):
        ordered = s.daytime(s.between(s.start + timedelta(days=10), now - timedelta(days=16)))
        ordered_day = timezone.localtime(ordered, s.tz).date()
        window_start = s.at(ordered_day + timedelta(days=rng.randint(1, 3)), hour)
    elif state in (S.ORDERED, S.ASSIGNED, S.POOLED, S.ACCEPTED):
        if state == S.ACCEPTED:
            ordered = s.between(now - timedelta(days=3), now - timedelta(hours=12))
        else:
            ordered = s.between(now - timedelta(hours=20), now - timedelta(minutes=30))
        window_start = s.at(s.today + timedelta(days=rng.randint(1, 3)), hour)
    else:
        if state == S.STARTED:
            window_start = now - s.hours(0.3, 1.5)
        else:  # done, awaiting the rating
            window_start = now - s.hours(2, 24 * 6)
        ordered = window_start - s.hours(16, 72)
    window_end = window_start + timedelta(hours=rng.choice((2, 2, 3, 4)))
    order = ServiceOrder(
        community_id=place.sc.area_id,
        grid_id=s.grid_of(home),
        resident_id=person_id,
        ordered_by_id=orderer,
        field=service,
        description=rng.choice(ORDER_ASKS.get(service) or ORDER_ASKS["everyday"]),
        address=s.home_address(home, place),
        contact_phone=phone or "",
        window_start=window_start,
        window_end=window_end,
        state=state,
        created_at=ordered,
    )
    log: list[tuple] = [
        (
            OrderStep.ORDER,
            "",
            S.ORDERED,
            orderer,
            "" if person_user else for_resident % {"who": s.labels[staff]},
            ordered,
        )
    ]
    if state == S.ORDERED:
        return order, log, 0
    if state == S.CANCELLED:
        cancelled = ordered + s.hours(0.5, 20)
        route = rng.random()
        before = S.ORDERED
        if route < 0.25:
            pooled = ordered + s.hours(0.2, 0.9 * (cancelled - ordered).total_seconds() / 3600)
            log.append((OrderStep.POOL, S.ORDERED, S.POOLED, staff, "", pooled))
            before = S.POOLED
        elif route < 0.5:
            dispatched = ordered + s.hours(0.2, 0.9 * (cancelled - ordered).total_seconds() / 3600)
            member = s.members_at(place, dispatched, 1, exclude=person_user, service=service)
            if member:
                log.append(
                    (OrderStep.DISPATCH, S.ORDERED, S.ASSIGNED, staff, s.labels[member[0]], dispatched)
                )
                before = S.ASSIGNED
        log.append(
            (OrderStep.CANCEL, before, S.CANCELLED, orderer, rng.choice(ORDER_CANCEL_REASONS), cancelled)
        )
        return order, log, 0

    # Dispatched to a member or opened to the pool, some hours after it was ordered.
    handed = ordered + s.hours(0.2, 6)
    if state in (S.ASSIGNED, S.POOLED):
        handed = s.between(
            max(ordered + timedelta(minutes=10), now - timedelta(hours=20)), now - timedelta(minutes=5)
        )
    pool = state == S.POOLED or (state != S.ASSIGNED and rng.random() < 0.4)
    if pool:
        if state in (S.RATED, S.CLOSED) and rng.random() < 0.05:
            # Nobody grabbed it in time: back to the community, then to the pool again.
            log.append((OrderStep.POOL, S.ORDERED, S.POOLED, staff, "", handed))
            returned = handed + timedelta(hours=ACCEPT_HOURS, minutes=rng.randint(0, 14))
            log.append((OrderStep.TIMEOUT, S.POOLED, S.ORDERED, None, "", returned))
            handed = returned + s.hours(0.3, 3)
        log.append((OrderStep.POOL, S.ORDERED, S.POOLED, staff, "", handed))
        order.accept_by = handed + timedelta(hours=ACCEPT_HOURS)
        if state == S.POOLED:
            return order, log, 0
        took = handed + s.hours(0.1, 10)
        member = s.members_at(place, handed, 1, exclude=person_user, service=service)
        if not member:
            return None
        log.append((OrderStep.GRAB, S.POOLED, S.ACCEPTED, member[0], "", took))
        order.from_pool = True
    else:
        if state in (S.RATED, S.CLOSED) and rng.random() < 0.06:
            # The first member declined: back to the community, dispatched again.
            first = s.members_at(place, handed, 1, exclude=person_user, service=service)
            if first:
                log.append((OrderStep.DISPATCH, S.ORDERED, S.ASSIGNED, staff, s.labels[first[0]], handed))
                declined = handed + s.hours(0.2, 8)
                log.append(
                    (
                        OrderStep.DECLINE,
                        S.ASSIGNED,
                        S.ORDERED,
                        first[0],
                        rng.choice(ORDER_DECLINE_REASONS),
                        declined,
                    )
                )
                handed = declined + s.hours(0.2, 3)
        member = s.members_at(place, handed, 1, exclude=person_user, service=service)
        if not member:
            return None
        log.append((OrderStep.DISPATCH, S.ORDERED, S.ASSIGNED, staff, s.labels[member[0]], handed))
        order.accept_by = handed + timedelta(hours=ACCEPT_HOURS)
        if state == S.ASSIGNED:
            order.member_id = member[0]
            return order, log, 0
        took = handed + s.hours(0.1, 10)
        log.append((OrderStep.ACCEPT, S.ASSIGNED, S.ACCEPTED, member[0], "", took))
    member_id = member[0]
    while window_start < handed + timedelta(hours=12) and state in (S.RATED, S.CLOSED):
        # Returned once and handed out again: the resident moved the time to a later day.
        window_start += timedelta(days=1)
        order.window_start, order.window_end = window_start, order.window_end + timedelta(days=1)
    took = min(took, window_start - timedelta(minutes=20), now - timedelta(minutes=5))
    log[-1] = (*log[-1][:5], took)
    order.member_id, order.accepted_at = member_id, took
    if state == S.ACCEPTED:
        return order, log, 0
    started = None
    if state == S.STARTED or rng.random() < 0.7:
        started = window_start + timedelta(minutes=rng.randint(0, 25))
        if state == S.STARTED:
            started = min(started, now - timedelta(minutes=2))
        log.append((OrderStep.START, S.ACCEPTED, S.STARTED, member_id, "", started))
        order.started_at = started
    if state == S.STARTED:
        return order, log, 0
    done = (started or window_start) + s.hours(0.5, 2.5)
    if state == S.DONE:
        done = min(done, now - timedelta(minutes=10))
    note = DONE_NOTES.get(service, "已完成。")
    order.done_at, order.done_note, order.rate_by = done, note, done + timedelta(days=RATE_DAYS)
    log.append((OrderStep.FINISH, S.STARTED if started else S.ACCEPTED, S.DONE, member_id, note, done))
    n_photos = rng.choice((1, 1, 2, 2, 3))
    if state == S.RATED:
        stars = rng.choices((5, 4, 3, 2), weights=(78, 17, 4, 1))[0]
        comment = rng.choice(ORDER_COMMENTS) if stars >= 4 else "来得有点晚，不过问题解决了。"
        rated = done + s.hours(1, 24 * 6)
        order.stars, order.rating_comment, order.rated_at = stars, comment, rated
        log.append(
            (
                OrderStep.RATE,
                S.DONE,
                S.RATED,
                orderer,
                "★" * stars + (f" {comment}" if comment else ""),
                rated,
            )
        )
    elif state == S.CLOSED:
        closed = order.rate_by + timedelta(minutes=rng.randint(0, 14))
        order.closed_at = closed
        log.append((OrderStep.CLOSE, S.DONE, S.CLOSED, None, "", closed))
    return order, log, n_photos


# --- Activities (共建活动) -----------------------------------------------------------------------------


def _activities(s: _Seeder, signups_wanted: int) -> int:
    world, rng, now = s.world, s.rng, s.now
    total = world.n(ACTIVITIES)
    weights = s.cum_weights()
    kinds = ["past", "upcoming", "cancelled"] + rng.choices(
        ["past", "upcoming", "cancelled"], weights=(945, 30, 25), k=max(0, total - 3)
    )
    kinds = kinds[:total]
    rows: list[Activity] = []
    plans: list[tuple[_Place, str, int]] = []  # place, kind, pool size
    for n, kind in enumerate(kinds):
        place = s.pick_place(weights)
        title, service, place_pattern, length, open_to_residents, details = rng.choice(ACTIVITY_ITEMS)
        hour, minute = rng.choice(ACTIVITY_CLOCKS)
        if kind == "past":
            day = timezone.localtime(
                s.between(s.start + timedelta(days=15), now - timedelta(days=2)), s.tz
            ).date()
        elif kind == "upcoming":
            day = s.today + timedelta(days=rng.randint(1, 30))
        else:
            day = timezone.localtime(
                s.between(s.start + timedelta(days=15), now + timedelta(days=20)), s.tz
            ).date()
        starts = s.at(day, hour, minute)
        if kind == "upcoming" and starts <= now + timedelta(hours=2):
            starts += timedelta(days=1)
        ends = starts + timedelta(hours=length)
        published = s.daytime(starts - timedelta(days=rng.randint(3, 14)))
        published = max(min(published, now - s.hours(0.5, 72)), s.start)
        if kind == "cancelled":
            published = max(min(published, min(starts, now) - s.hours(4, 48)), s.start)
        deadline = starts - timedelta(days=1)
        if deadline <= published + timedelta(hours=2):
            deadline = starts - timedelta(hours=2)
        activity = Activity(
            community_id=place.sc.area_id,
            organiser_id=rng.choice(place.units) if place.units and rng.random() < 0.35 else None,
            title=title,
            description=details,
            field=service,
            place=place_pattern.format(community=place.sc.name, compound=s.compound_name(place)),
            starts_at=starts,
            ends_at=ends,
            signup_deadline=deadline,
            capacity=1,
            open_to_residents=open_to_residents,
            created_by_id=place.staff[n % 2],
            created_at=published,
        )
        if kind == "past":
            activity.closed_at = ends + timedelta(minutes=30 + rng.randint(0, 14))
        elif kind == "cancelled":
            last = min(starts, now) - timedelta(hours=1)
            activity.cancelled_at = s.between(
                min(published + timedelta(hours=1), last), max(last, published + timedelta(hours=1))
            )
            activity.cancel_reason = rng.choice(ACTIVITY_CANCEL_REASONS)
        pool = place.eligible(published) + (
            sum(1 for r in place.residents if r[1]) if open_to_residents else 0
        )
        rows.append(activity)
        plans.append((place, kind, pool))

    # Sign-ups: exactly `signups_wanted` places taken, spread over the activities, never more than can come.
    shares = [rng.uniform(0.3, 1.7) * (0.4 if kind == "cancelled" else 1.0) for _p, kind, _n in plans]
    taken = _allocate(rng, signups_wanted, shares, [pool for _p, _k, pool in plans])
    signups: list[list[tuple]] = []
    states = {state: 0 for state in SignupState.values}
    for activity, (place, kind, _pool), places_taken in zip(rows, plans, taken, strict=True):
        candidates = place.users[: place.eligible(activity.created_at)]
        if activity.open_to_residents:
            candidates = candidates + [r[1] for r in place.residents if r[1]]
        picked = rng.sample(candidates, min(len(candidates), places_taken + 1))
        keep, spare = picked[:places_taken], picked[places_taken:]
        close = min(activity.signup_deadline, activity.cancelled_at or now, now) - timedelta(minutes=1)
        open_from = activity.created_at + timedelta(minutes=10)
        lines = []
        hours = duration_hours(activity)
        for user in keep:
            signed = s.between(open_from, close, skew=1.8)
            if kind == "past":
                if rng.random() < 0.88:
                    checked = activity.starts_at + timedelta(minutes=rng.randint(-30, 40))
                    served = hours - Decimal("0.5") if hours >= 1 and rng.random() < 0.06 else hours
                    lines.append((user, SignupState.ATTENDED, signed, checked, served))
                else:
                    lines.append((user, SignupState.NO_SHOW, signed, None, Decimal("0.0")))
            else:
                lines.append((user, SignupState.SIGNED_UP, signed, None, Decimal("0.0")))
        if spare and kind != "cancelled" and (rng.random() < 0.05 or not states[SignupState.CANCELLED]):
            # Someone signed up and gave the place back before the start.
            lines.append((spare[0], SignupState.CANCELLED, s.between(open_from, close), None, Decimal("0.0")))
        for line in lines:
            states[line[1]] += 1
        signups.append(lines)
        activity.capacity = max(places_taken, rng.choice(ACTIVITY_CAPACITIES))
        if places_taken >= 3 and rng.random() < 0.08:
            activity.capacity = places_taken  # full
    with _keep_times(Activity, Signup):
        rows = bulk(Activity, rows)
        bulk(
            Signup,
            (
                Signup(
                    activity_id=activity.pk,
                    user_id=user,
                    state=state,
                    signed_up_at=signed,
                    checked_in_at=checked,
                    hours=served,
                )
                for activity, lines in zip(rows, signups, strict=True)
                for user, state, signed, checked, served in lines
            ),
        )
    world.count("activities", len(rows))
    for state, number in states.items():
        world.count(f"sign-ups {state}", number)
    return sum(taken)


def _allocate(rng, total: int, weights: list[float], caps: list[int]) -> list[int]:
    """`total` split over slots by weight, no slot above its cap (less in all only if all are full)."""
    counts = [0] * len(weights)
    remaining = total
    while remaining > 0:
        room = [i for i in range(len(weights)) if counts[i] < caps[i]]
        if not room:
            break
        scale = remaining / sum(weights[i] for i in room)
        placed = 0
        for i in room:
            add = min(int(weights[i] * scale), caps[i] - counts[i])
            counts[i] += add
            placed += add
        remaining -= placed
        # What the whole shares left: one more each to slots drawn by weight (Efraimidis–Spirakis).
        room = sorted(
            (i for i in range(len(weights)) if counts[i] < caps[i]),
            key=lambda i: rng.random() ** (1.0 / weights[i]),
            reverse=True,
        )
        for i in room[:remaining]:
            counts[i] += 1
            remaining -= 1
    return counts


# --- The part ------------------------------------------------------------------------------------------


def seed(world: ScaleWorld) -> None:
    s = _Seeder(world)
    s.load()
    _reports(s)
    _pledges(s)
    _stored_photos()
    wish_claims = _wishes(s)
    orders_taken = _orders(s)
    signups = _activities(s, world.n(CLAIMS) - wish_claims - orders_taken)
    world.count("claims", wish_claims + orders_taken + signups)
    world.extra["volunteers"] = {"wish_claims": wish_claims, "orders_taken": orders_taken, "signups": signups}
