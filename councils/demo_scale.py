"""District-scale councils (core.scale): red-steward councils (红管家议事厅) with three years of history.

At factor 1.0: the 11 pilot compounds first (212 issues raised, 190 solved, 159 meetings, as the
articles report), then about one compound in three of the district's communities over the years,
each with its compound Party branch and its "1+2+N" seats held by members and residents of the
community (the branch's seat holder convenes it). Residents raise issues at a rate that gives
4,200+ solved among the issues raised in the last full year; every issue walks the workflow
(triage into the four tracks, agenda and decision at a meeting, response from the street,
resolution, the satisfaction survey that reopens on an unsatisfied majority, merges, rejections,
escalation of what is overdue), with its timeline, tasks and their progress, discussion posts,
ratings (98 %+ satisfied or basically satisfied), crowdfunding campaigns and pledges; meetings
with agendas, attendance and minutes; motions with their rule, electorate, ballots (secret ones
carry only the HMAC token) and tallies by `councils.voting`.

Everything is generated as plans (plain objects) first; then each table is written once, in time
order, with its ids reserved from its sequence (COPY on PostgreSQL, bulk_create elsewhere), so that
rows can name each other and hashes can be computed before writing. Each walk stops at "now": what is still to come is not written, so open issues, scheduled
meetings, open votes and open surveys are the ones a running platform would show today, and the
periodic job (councils.jobs) finds nothing left undone — overdue issues already carry their
escalation. The public record gets the entries the services append (motion opened, motion
closed, meeting minutes approved), hash-chained exactly as `audit.services.audit_append` does,
each at the time of its fact, or at the last entry's time when the chain already reaches past it
(the chain's times never run backwards).

Not made here: the points that attending a meeting or giving labour would earn (the services
queue them for the points ledger; the points part runs before this one and owns the ledger).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import cache
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from audit.chain import GENESIS_HASH, canonical_json, compute_entry_hash, document_hash, text_hash
from audit.models import Entry
from community.models import (
    Area,
    AreaKind,
    MembershipType,
    Organisation,
    OrgKind,
    PartyLevel,
    PartyMember,
    Person,
    Role,
    RoleGrant,
    User,
)
from core.scale import BATCH, ScaleCommunity, ScaleWorld, batches

from . import voting
from .demo import FIGURES, ISSUES, MEETING_TITLES, UNSOLVED
from .models import (
    AgendaItem,
    Ballot,
    Campaign,
    Council,
    Issue,
    IssueEvent,
    Meeting,
    MeetingState,
    Motion,
    Pledge,
    PledgeKind,
    Post,
    ResultRating,
    Satisfaction,
    Seat,
    SeatKind,
    Task,
    TaskUpdate,
)
from .services import TRACK_DAYS, ballot_token, published_rule
from .workflow import TRACK_STATE, IssueState, IssueStep, MotionState, Track

S = IssueState
INFINITY = datetime.max.replace(tzinfo=UTC)
JOB_EVERY = 900  # seconds: councils.periodic runs every quarter of an hour

# --- Sizes (DOMAIN.md §1 and §4) ------------------------------------------------------------------

PILOT_COMPOUNDS = FIGURES["compounds"]  # 11
COUNCIL_SHARE = 1 / 3  # of the other compounds, over the years
# Issues raised in the last full year: ≈ 94 % of them solved gives the articles' 4,200+.
RAISED_LAST_YEAR = 4_600
SHARE_REJECTED = 0.03
SHARE_MERGED = 0.02
SHARE_STUCK = 0.01
SHARE_LATE_TRIAGE = 0.01
TRACK_WEIGHTS = ((Track.MICRO, 30), (Track.SMALL, 40), (Track.BIG, 18), (Track.HARD, 12))
# Days in the state before the next step: (low, high).
HANDLING_DAYS = {Track.MICRO: (0.5, 6), Track.SMALL: (2, 13), Track.BIG: (5, 25), Track.HARD: (7, 30)}
SHARE_DELAYED = 0.08
RATING_WEIGHTS = ((Satisfaction.SATISFIED, 860), (Satisfaction.BASIC, 125), (Satisfaction.UNSATISFIED, 15))
SHARE_MOTION_FOR_BIG = 0.6

# The seats of "1+2+N": (kind, voting, how many (low, high), who may hold it).
SEAT_PLAN = (
    (SeatKind.PARTY_BRANCH, True, (1, 1), "registered"),
    (SeatKind.OWNERS_COMMITTEE, True, (1, 1), "owner"),
    (SeatKind.PROPERTY_COMPANY, True, (1, 1), "anyone"),
    (SeatKind.AREA_UNIT, False, (1, 1), "in_service"),
    (SeatKind.PAIRED_UNIT, True, (1, 1), "in_service"),
    (SeatKind.REGISTERED_MEMBER, True, (1, 2), "registered"),
    (SeatKind.IN_SERVICE_MEMBER, True, (1, 2), "in_service"),
    (SeatKind.RESIDENT_REP, True, (2, 3), "resident"),
    (SeatKind.OWNER_REP, True, (1, 2), "owner"),
)

# --- Wording (the demo's issues and meeting titles are imported; these add to them) ---------------

MORE_ISSUES = [
    ("environment", "楼道堆放杂物", "楼道里堆满纸箱和旧家具，既影响通行又有消防隐患。"),
    ("facilities", "顶楼屋面渗水", "顶楼住户反映下雨天屋顶渗水，墙面发霉。"),
    ("parking", "小区出入口拥堵", "早晚高峰小区出入口车辆进出拥堵，希望优化通行。"),
    ("safety", "消防通道被占用", "消防通道经常停放私家车，发生火情时消防车进不来。"),
    ("property", "公共收益收支不公开", "希望物业公开公共收益和物业费收支情况。"),
    ("neighbours", "高空抛物", "有住户从楼上往下扔垃圾，存在安全隐患。"),
    ("elderly_children", "缺少老年人休息座椅", "小区里老人多，散步时没有地方坐下休息。"),
    ("environment", "宠物粪便无人清理", "遛狗不清理粪便，草坪和路面很脏。"),
    ("facilities", "路面破损积水", "小区主干道路面破损，下雨后积水严重。"),
    ("other", "快递外卖无处存放", "快递外卖只能放在门岗，经常丢失，希望设置智能快递柜。"),
]
ALL_ISSUES = ISSUES + MORE_ISSUES
WHERE = ["", "", "", "位置在{n}幢附近。", "{n}幢居民反映较多。", "已持续一段时间，希望尽快处理。"]
REJECT_REASONS = [
    "属于业主个人事务，已引导通过物业报修解决",
    "已由12345热线受理，转相关部门办理，请关注热线回复",
    "涉及邻里民事纠纷，已引导通过人民调解途径解决",
    "与已办结事项相同，已向居民说明办理结果",
]
VOTE_FAILED_REASON = "议事会表决未通过，暂不实施，待条件成熟后再议"
DECIDE_NOTES = ["议事会表决通过", "议事会表决通过，由社区党组织牵头实施"]
CONSENSUS_NOTE = "议事会协商一致，同意实施，由社区党组织牵头办理"
RESPOND_NOTES = [
    "街道城管科已答复并安排处理",
    "区住建局已答复，纳入老旧小区改造计划",
    "街道综合执法队已答复并安排处理",
    "区交通运输局已答复，同意增设停车泊位",
]
RESOLVE_NOTES = [
    "已办结，居民回访满意",
    "维修完成，已在小区公示栏公示",
    "已协调物业处理完毕",
    "问题已解决，网格员现场核实",
    "共建单位志愿者协助完成，居民认可",
]
TASK_TITLES = [
    "现场查看并制定处理方案",
    "联系维修单位上门维修",
    "采购所需材料",
    "组织施工并验收",
    "张贴公示并回访居民",
    "召集相关住户协商",
]
TASK_OWNERS = [
    "小区物业服务中心",
    "小区党支部",
    "业主委员会",
    "共建单位志愿服务队",
    "社区网格员",
    "楼道长",
]
TASK_PROGRESS = [
    "已到现场查看，拍照留存",
    "已联系维修单位，约定上门时间",
    "材料已到位，正在施工",
    "已完成过半，预计本周完成",
]
TASK_DONE = ["已完成并验收", "已完成，居民现场确认", "处理完毕，已在公示栏公示"]
POSTS = [
    "支持，希望尽快解决。",
    "我们单元也有同样的问题。",
    "建议先让物业拿出方案，再请大家讨论。",
    "可以请共建单位帮忙，他们有专业人员。",
    "费用怎么分摊？希望公开透明。",
    "我可以出力，周末有空。",
    "上次类似的问题处理得很好，点赞。",
    "建议在公示栏同步进度。",
]
HIDE_REASONS = ["含有个人电话号码", "与议题无关的广告信息"]
CAMPAIGN_TEXTS = [
    "费用由居民众筹和共建单位支持，物业负责组织实施。",
    "欢迎居民出钱出力，众筹明细在小区公示栏公开。",
]
MATERIALS = ["防腐木、不锈钢螺丝", "油漆、刷子", "花苗、营养土", "水泥、沙子", "LED灯具"]
PLEDGE_MATERIALS = ["一桶油漆", "两袋水泥", "十株花苗", "一套工具", "三盏LED灯"]
MONEY_GOALS = [2000, 3000, 5000, 8000, 10000, 15000]
HOURS_GOALS = [None, 16, 24, 32, 48]
PLACES = ["{compound}红管家议事角", "{community}党群服务中心会议室", "{compound}党员活动室"]
CANCEL_REASONS = [
    "因台风天气取消，议题顺延至下次议事会",
    "召集人临时公务，改期举行",
    "防疫要求，暂停线下会议",
]
GENERAL_TOPICS = [
    "通报近期居民诉求办理情况",
    "讨论小区环境整治安排",
    "征集下阶段议题",
    "听取物业服务情况汇报",
]
GENERAL_MOTIONS = [
    ("是否在小区增设电动车集中充电棚", ["赞成", "反对"], "simple", False),
    ("小区公共收益年度使用方案", ["赞成", "反对"], "two_thirds", True),
    ("是否续聘现物业服务企业", ["同意续聘", "不同意续聘"], "two_thirds", True),
    ("小区绿化改造方案选择", ["方案一：增加休闲步道", "方案二：增设儿童游乐区", "方案三：保留现状"], "simple", False),
    ("是否实行外来车辆夜间限时停放", ["赞成", "反对"], "simple", False),
    ("是否动用公共维修资金维修屋面防水", ["赞成", "反对"], "two_thirds", True),
    ("是否开展垃圾分类积分兑换活动", ["赞成", "反对"], "simple", False),
    ("红管家议事厅议事规则修订", ["赞成", "反对"], "two_thirds", False),
]  # fmt: skip
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
QUORUMS = [Decimal("0.500"), Decimal("0.500"), Decimal("0.600"), Decimal("0.667")]
ISSUE_QUORUMS = [Decimal("0.500"), Decimal("0.500"), Decimal("0.500"), Decimal("0.600")]


# --- Plans ------------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Seat:
    kind: str
    person: int
    user: int
    voting: bool
    since: date
    who: str
    council: Any = None
    until: date | None = None
    successor: _Seat | None = None
    order: int = 0
    id: int = 0

    def current(self, day: date) -> bool:
        return self.since <= day and (self.until is None or self.until > day)


@dataclass(eq=False)
class _Meeting:
    title: str
    starts: datetime
    created: datetime
    place: str
    online: bool
    state: str
    council: Any = None
    approved: datetime | None = None
    agenda: list = field(default_factory=list)
    outcomes: dict = field(default_factory=dict)  # issue → text for the decisions
    attendees: list = field(default_factory=list)
    minutes: str = ""
    decisions: str = ""
    summary: str = ""
    id: int = 0


@dataclass(eq=False)
class _Motion:
    title: str
    options: list[str]
    quorum: Decimal
    threshold: str
    secret: bool
    changeable: bool
    opens: datetime
    closes: datetime
    created: datetime
    description: str = ""
    issue: Any = None
    state: str = MotionState.DRAFT
    opened: datetime | None = None
    closed: datetime | None = None
    electorate: list = field(default_factory=list)
    votes: list = field(default_factory=list)  # (seat, option, cast_at, changes)
    result: voting.Result | None = None
    council: Any = None
    row: Motion | None = None


@dataclass(eq=False)
class _Issue:
    council: Any
    raiser: int
    raiser_user: int
    recorder: int
    category: str
    title: str
    description: str
    created: datetime
    state: str = ""
    track: str = ""
    due_on: date | None = None
    reason: str = ""
    into: _Issue | None = None
    escalated_at: datetime | None = None
    resolved_at: datetime | None = None
    resolutions: int = 0
    survey_closed_at: datetime | None = None
    exit: datetime | None = None  # when it first left the open states
    events: list = field(default_factory=list)
    ratings: list = field(default_factory=list)  # (round, person, rating, at)
    tasks: list = field(default_factory=list)
    campaign: Any = None
    posts: list = field(default_factory=list)  # (user, body, at, hidden_at, reason)
    meeting: _Meeting | None = None
    motion: _Motion | None = None
    id: int = 0

    @property
    def triage_by(self) -> date:
        return _day(self.created) + timedelta(days=settings.COUNCIL_TRIAGE_DAYS)

    def step(self, step: str, to_state: str, at: datetime, actor: int | None, note: str = "") -> None:
        self.events.append((step, self.state, to_state, actor, at, note[:300]))
        self.state = to_state
        if to_state not in (S.RAISED, S.HANDLING, S.ON_AGENDA, S.ESCALATED) and self.exit is None:
            self.exit = at


@dataclass(eq=False)
class _Council:
    compound: int
    name: str
    community: ScaleCommunity
    start: datetime
    pilot: bool
    people: list  # (person, user) living in the compound
    neighbours: list  # (person, user) of the community, with a login
    units: list  # (org, contact user) paired with the community
    convener: int = 0
    branch: int = 0
    seats: list = field(default_factory=list)
    meetings: list = field(default_factory=list)
    motions: list = field(default_factory=list)
    issues: list = field(default_factory=list)
    weight: float = 1.0
    id: int = 0


# --- Time ---------------------------------------------------------------------------------------------


@cache
def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _local(day: date, hours: float = 0.0) -> datetime:
    return datetime.combine(day, time.min, tzinfo=_zone()) + timedelta(hours=hours)


def _day(moment: datetime) -> date:
    """The local date of `moment` (timezone.localdate without its per-call lookups)."""
    return moment.astimezone(_zone()).date()


def _utc(moment: datetime) -> datetime:
    """As the database gives it back (the services hash what they read from it)."""
    return moment.astimezone(UTC)


@contextmanager
def _own_timestamps(*models):
    """Let bulk_create keep the historical times set on the rows (auto_now/auto_now_add off meanwhile)."""
    fields = [
        f
        for model in models
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _number(model, plans: list[Any]) -> None:
    """Give each plan the id its row will have, reserved from the table's sequence."""
    if not plans:
        return
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, len(plans)],
            )
            ids = [row[0] for row in cursor.fetchall()]
        else:  # SQLite: one writer at a time, and AUTOINCREMENT never reuses an id
            cursor.execute(f'SELECT MAX(id) FROM "{table}"')  # noqa: S608 - the model's own table name
            top = cursor.fetchone()[0] or 0
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            top = max(top, row[0] if row else 0)
            ids = range(top + 1, top + 1 + len(plans))
    for plan, pk in zip(plans, ids, strict=True):
        plan.id = pk


def _copy_text(value: Any) -> str:
    """A value in PostgreSQL's COPY text format."""
    kind = type(value)
    if kind is str:
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return value.translate(COPY_ESCAPES)
        return value
    if kind is int:
        return str(value)
    if value is None:
        return "\\N"
    if kind is bool:
        return "t" if value else "f"
    if kind is dict or kind is list:
        return json.dumps(value, ensure_ascii=False).translate(COPY_ESCAPES)
    return value.isoformat() if isinstance(value, date) else str(value)


def _check_columns(model, row: dict[str, Any], fields) -> None:
    if set(row) != {f.attname for f in fields}:
        raise ValueError(f"{model.__name__}: the rows name {sorted(row)}, not the table's columns")


def _copy(model, rows: Iterable[dict[str, Any]]) -> int:
    """Write rows (every concrete field by its attname; id None = the sequence's) in batches:
    COPY on PostgreSQL, bulk_create elsewhere. Returns how many."""
    fields = model._meta.concrete_fields
    n = 0
    if connection.vendor != "postgresql":
        with _own_timestamps(model):
            for chunk in batches(rows, BATCH):
                _check_columns(model, chunk[0], fields)
                model.objects.bulk_create([model(**row) for row in chunk], batch_size=BATCH)
                n += len(chunk)
        return n
    table = connection.ops.quote_name(model._meta.db_table)
    for chunk in batches(rows, 20_000):
        explicit = [f for f in fields if not (f.primary_key and chunk[0][f.attname] is None)]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in explicit)
        names = [f.attname for f in explicit]
        _check_columns(model, chunk[0], fields)
        text = "".join("\t".join(_copy_text(row[name]) for name in names) + "\n" for row in chunk)
        with connection.cursor() as cursor:
            cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", io.StringIO(text))
        n += len(chunk)
    return n


# --- The generator --------------------------------------------------------------------------------------


class _Builder:
    def __init__(self, world: ScaleWorld) -> None:
        self.world = world
        self.rng = world.rng
        self.now = timezone.now()
        self.today = world.today
        self.councils: list[_Council] = []
        self.seats: list[_Seat] = []  # in insertion order
        self.successors: list[_Seat] = []

    # -- helpers
    def between(self, lo: datetime, hi: datetime) -> datetime:
        return lo + (hi - lo) * self.rng.random()

    def days(self, lo: float, hi: float) -> timedelta:
        return timedelta(days=self.rng.uniform(lo, hi))

    def job_after(self, day: date, not_before: datetime) -> datetime:
        """When the quarter-hourly job first acts on `day` or later, once `not_before` has passed."""
        return max(_local(day), not_before) + timedelta(seconds=self.rng.uniform(1, JOB_EVERY))

    def weighted(self, pairs) -> Any:
        total = sum(w for _v, w in pairs)
        pick = self.rng.random() * total
        for value, weight in pairs:
            pick -= weight
            if pick < 0:
                return value
        return pairs[-1][0]

    # -- councils, seats, people
    def load_people(self) -> None:
        """Where everyone lives and who has a login, with two queries (ids only)."""
        world = self.world
        community_ids = [sc.area_id for sc in world.communities]
        compound_of: dict[int, int] = {}
        for sc in world.communities:
            for cid in sc.compound_ids:
                compound_of[cid] = cid
        for pk, parent in Area.objects.filter(
            kind=AreaKind.BUILDING, parent_id__in=list(compound_of)
        ).values_list("pk", "parent_id"):
            compound_of[pk] = parent
        self.membership = dict(
            PartyMember.objects.filter(person__community_id__in=community_ids).values_list(
                "person_id", "membership_type"
            )
        )
        self.living: dict[int, list[tuple[int, int, bool]]] = {}
        self.with_login: dict[int, list[tuple[int, int]]] = {}
        rows = (
            Person.objects.filter(community_id__in=community_ids)
            .order_by("pk")
            .values_list("pk", "community_id", "home_id", "user_id", "is_owner")
        )
        for pk, community, home, user, owner in rows.iterator(chunk_size=BATCH):
            compound = compound_of.get(home)
            if compound is not None:
                self.living.setdefault(compound, []).append((pk, user or 0, owner))
            if user:
                self.with_login.setdefault(community, []).append((pk, user))
        self.names = dict(
            Area.objects.filter(pk__in=list({c for c in compound_of.values()})).values_list("pk", "name")
        )
        staff = {sc.social_worker_user_id for sc in world.communities} | {
            sc.secretary_user_id for sc in world.communities
        }
        self.user_names = {
            pk: display or username
            for pk, display, username in User.objects.filter(pk__in=staff).values_list(
                "pk", "display_name", "username"
            )
        }
        self.units: dict[int, list[tuple[int, int]]] = {}
        for unit in world.units:
            self.units.setdefault(unit.community_area_id, []).append((unit.org_id, unit.contact_user_id))

    def choose_councils(self) -> None:
        world, rng = self.world, self.rng
        y0, y1, y2 = world.years
        compounds = [(sc, cid) for sc in world.communities for cid in sc.compound_ids]
        pilots = min(len(compounds), world.n(PILOT_COMPOUNDS))
        others = compounds[pilots:]
        chosen = set(rng.sample(range(len(others)), round(len(others) * COUNCIL_SHARE)))
        pilot_start = date(y0, 3, 1)
        latest = self.today - timedelta(days=30)
        for index, (sc, cid) in enumerate(compounds):
            if index < pilots:
                start = pilot_start
            elif index - pilots in chosen:
                bucket = self.weighted(((0, 55), (1, 35), (2, 10)))
                lo = [date(y0, 5, 1), date(y1, 1, 1), date(y2, 1, 1)][bucket]
                hi = min([date(y0, 12, 31), date(y1, 12, 31), latest][bucket], latest)
                if hi < lo:
                    lo, hi = date(y1, 1, 1), min(date(y1, 12, 31), latest)
                start = lo + timedelta(days=rng.randrange((hi - lo).days + 1))
            else:
                continue
            people = [(p, u) for p, u, _o in self.living.get(cid, [])]
            council = _Council(
                compound=cid,
                name=self.names[cid],
                community=sc,
                start=_local(start, rng.uniform(9, 11)),
                pilot=index < pilots,
                people=people,
                neighbours=self.with_login.get(sc.area_id, []),
                units=self.units.get(sc.area_id, []),
                weight=rng.uniform(0.5, 1.5),
            )
            self.councils.append(council)
            self.seat_council(council)

    def seat_council(self, c: _Council) -> None:
        rng = self.rng
        local = list(self.living.get(c.compound, []))
        rng.shuffle(local)
        here = {x[0] for x in local}
        rest = [(p, u, False) for p, u in self.with_login.get(c.community.area_id, []) if p not in here]
        rng.shuffle(rest)
        used: set[int] = set()

        def fits(who: str, person: int, owner: bool) -> bool:
            kind = self.membership.get(person)
            return {
                "registered": kind == MembershipType.REGISTERED,
                "in_service": kind == MembershipType.IN_SERVICE,
                "resident": kind is None,
                "owner": owner,
                "anyone": True,
            }[who]

        def pick(who: str) -> tuple[int, int] | None:
            want_login = rng.random() < 0.9
            tiers = [
                [x for x in local if (x[1] > 0) == want_login],
                [x for x in local if (x[1] > 0) != want_login],
                rest,
            ]
            for strict in (True, False):
                for tier in tiers:
                    for person, user, owner in tier:
                        if person not in used and (not strict or fits(who, person, owner)):
                            used.add(person)
                            return person, user
            return None

        since = _day(c.start)
        for kind, is_voting, (lo, hi), who in SEAT_PLAN:
            for _n in range(rng.randint(lo, hi)):
                holder = pick(who)
                if holder is None:
                    continue
                seat = _Seat(kind, holder[0], holder[1], is_voting, since, who, c, order=len(self.seats))
                self.seats.append(seat)
                c.seats.append(seat)
        branch = next((s for s in c.seats if s.kind == SeatKind.PARTY_BRANCH), None)
        c.convener = branch.user if branch is not None and branch.user else c.community.secretary_user_id
        # Terms end: a few seats change hands (seat_replace) in councils older than ten months.
        last = self.today - timedelta(days=7)
        for seat in list(c.seats):
            if seat.kind == SeatKind.PARTY_BRANCH or rng.random() >= 0.08:
                continue
            first = seat.since + timedelta(days=120)
            if first >= last:
                continue
            holder = pick(seat.who)
            if holder is None:
                continue
            on = first + timedelta(days=rng.randrange((last - first).days))
            seat.until = on
            successor = _Seat(seat.kind, holder[0], holder[1], seat.voting, on, seat.who, c)
            seat.successor = successor
            self.successors.append(successor)
            c.seats.append(successor)

    def number_successors(self) -> None:
        for seat in self.successors:
            seat.order = len(self.seats)
            self.seats.append(seat)

    # -- meetings
    def plan_meetings(self, c: _Council, pilot_count: int | None) -> None:
        rng = self.rng
        first = c.start + self.days(10, 40)
        if pilot_count is not None:
            span = (self.now - timedelta(days=1) - first).total_seconds()
            moments = sorted(first + timedelta(seconds=rng.uniform(0, span)) for _n in range(pilot_count))
        else:
            moments, at = [], first
            while at < self.now + timedelta(days=20):
                moments.append(at)
                at += self.days(25, 80)
        for number, moment in enumerate(moments, start=1):
            starts = _local(_day(moment), rng.choice((9.5, 14.5, 19.0)))
            created = max(starts - self.days(3, 10), c.start)
            if created >= self.now:
                break
            online = rng.random() < 0.15
            place = "" if online else rng.choice(PLACES).format(compound=c.name, community=c.community.name)
            title = f"{c.name}{MEETING_TITLES[number % len(MEETING_TITLES)]}（第{number}次）"
            if starts >= self.now:
                state = MeetingState.SCHEDULED
            elif pilot_count is None and rng.random() < 0.03:
                state = MeetingState.CANCELLED
            else:
                state = MeetingState.APPROVED
            meeting = _Meeting(title[:120], starts, created, place, online, state, c)
            if state == MeetingState.APPROVED:
                meeting.approved = starts + self.days(1, 5)
                recent = starts > self.now - timedelta(days=10) and rng.random() < 0.6
                if recent or meeting.approved >= self.now:
                    meeting.state, meeting.approved = MeetingState.HELD, None
            c.meetings.append(meeting)

    def meeting_after(self, c: _Council, moment: datetime) -> _Meeting | None:
        """The first meeting scheduled after `moment` (its agenda can take an issue triaged then)."""
        for meeting in c.meetings:
            if meeting.created > moment and meeting.state != MeetingState.CANCELLED:
                return meeting
        return None

    # -- motions
    def electorate(self, c: _Council, at: datetime) -> list[_Seat]:
        day = _day(at)
        return sorted((s for s in c.seats if s.voting and s.current(day)), key=lambda s: s.order)

    def motion(
        self,
        c: _Council,
        *,
        title: str,
        options: list[str],
        threshold: str,
        secret: bool,
        created: datetime,
        opens: datetime,
        closes: datetime,
        support: float,
        turnout: float,
        quorums: list[Decimal] = QUORUMS,
        issue: _Issue | None = None,
        withdrawn: bool = False,
    ) -> _Motion | None:
        """A motion and, as far as `now` goes, its opening, ballots and close (the tally by the rule)."""
        rng, now = self.rng, self.now
        if created >= now:
            return None
        m = _Motion(
            title=title[:120],
            options=options,
            quorum=rng.choice(quorums),
            threshold=threshold,
            secret=secret,
            changeable=rng.random() < 0.3,
            opens=opens,
            closes=closes,
            created=created,
            issue=issue,
            council=c,
        )
        if issue is not None:
            m.description = f"议题：{issue.title}。{issue.description}"[:2000]
        if withdrawn:
            m.state = MotionState.WITHDRAWN
            return m
        opened = max(opens - timedelta(minutes=rng.uniform(0, 30)), created + timedelta(minutes=5))
        if opened >= now:
            return m
        m.opened, m.state = opened, MotionState.OPEN
        m.electorate = self.electorate(c, opened)
        until = min(closes, now)
        begin = max(opens, opened)
        for seat in m.electorate:
            if not seat.user or rng.random() >= turnout:
                continue
            cast = self.between(begin, until)
            if cast >= until:
                continue
            if rng.random() < 0.05:
                option = voting.ABSTAIN
            elif len(options) == 2:
                option = 0 if rng.random() < support else 1
            else:
                option = 0 if rng.random() < support else rng.randrange(1, len(options))
            changes = 1 if m.changeable and rng.random() < 0.1 else 0
            m.votes.append((seat, option, cast, changes))
        if closes > now:
            return m
        m.state = MotionState.CLOSED
        m.closed = min(closes + timedelta(seconds=rng.uniform(1, JOB_EVERY - 60)), now)
        rule = voting.Rule(quorum=Fraction(str(m.quorum)), threshold=m.threshold)
        m.result = voting.tally(
            rule, options=len(options), voting_seats=len(m.electorate), choices=[v[1] for v in m.votes]
        )
        return m

    def general_motions(self, c: _Council) -> None:
        rng = self.rng
        years = (self.now - c.start).days / 365
        for _n in range(round(years * rng.uniform(0.3, 1.2))):
            title, options, threshold, secret = rng.choice(GENERAL_MOTIONS)
            opens = self.between(c.start + timedelta(days=20), self.now + timedelta(days=10))
            opens = _local(_day(opens), rng.choice((8, 9, 19)))
            created = opens - self.days(1, 3)
            m = self.motion(
                c,
                title=title,
                options=list(options),
                threshold=threshold,
                secret=secret or rng.random() < 0.2,
                created=max(created, c.start + timedelta(hours=1)),
                opens=opens,
                closes=opens + timedelta(days=rng.randint(2, 7)),
                support=rng.uniform(0.5, 0.95),
                turnout=rng.uniform(0.65, 1.0),
                withdrawn=rng.random() < 0.05,
            )
            if m is not None:
                c.motions.append(m)

    # -- issues
    def new_issue(self, c: _Council, created: datetime) -> _Issue:
        rng = self.rng
        category, title, description = rng.choice(ALL_ISSUES)
        where = rng.choice(WHERE).format(n=rng.randint(1, 12))
        person, user = rng.choice(c.people) if c.people else rng.choice(c.neighbours)
        recorder = 0 if user and rng.random() < 0.85 else c.community.social_worker_user_id
        return _Issue(
            council=c,
            raiser=person,
            raiser_user=user,
            recorder=recorder,
            category=category,
            title=title,
            description=description + where,
            created=created,
        )

    def raise_(self, issue: _Issue) -> None:
        if issue.recorder:
            who = self.user_names.get(issue.recorder, "")
            note = _("Recorded by %(who)s for the resident") % {"who": who}
            issue.step(IssueStep.RAISE, S.RAISED, issue.created, issue.recorder, note)
        else:
            issue.step(IssueStep.RAISE, S.RAISED, issue.created, issue.raiser_user)

    def escalate_if_overdue(self, issue: _Issue, entered: datetime, until: datetime) -> None:
        """What councils.jobs does to an issue left in its state past its date, before `until`."""
        if issue.escalated_at is not None:
            return
        if issue.state == S.RAISED:
            day, note = issue.triage_by, _("Not triaged in time")
        elif issue.state in (S.HANDLING, S.ESCALATED) and issue.due_on is not None:
            day, note = issue.due_on, _("Past its deadline")
        else:
            return
        at = self.job_after(day + timedelta(days=1), entered)
        if at < min(until, self.now):
            issue.escalated_at = at
            issue.step(IssueStep.ESCALATE, issue.state, at, None, note)

    def walk(self, issue: _Issue, mode: str | None) -> None:
        """The issue's path from raising, stopped at `now` (or at the state `mode` asks for)."""
        rng, now, c = self.rng, self.now, issue.council
        convener = c.convener
        self.raise_(issue)
        if mode == "rejected" or (mode is None and rng.random() < SHARE_REJECTED):
            at = issue.created + self.days(0.2, 2.5)
            if at < now:
                issue.reason = rng.choice(REJECT_REASONS)
                issue.step(IssueStep.REJECT, S.REJECTED, at, convener, issue.reason)
                return
        stuck = mode in ("handling", "on_agenda", "escalated") or (
            mode is None and rng.random() < SHARE_STUCK
        )
        if mode == "raised":
            triaged = INFINITY
        elif mode is None and rng.random() < SHARE_LATE_TRIAGE:
            triaged = issue.created + self.days(3.6, 6)
        else:
            triaged = issue.created + timedelta(hours=rng.uniform(1, 60))
        self.escalate_if_overdue(issue, issue.created, triaged)
        if triaged >= now:
            return
        track = {
            "handling": rng.choice((Track.MICRO, Track.SMALL)),
            "on_agenda": Track.BIG,
            "escalated": Track.HARD,
        }.get(mode) or self.weighted(TRACK_WEIGHTS)
        day = _day(triaged)
        if track in (Track.BIG, Track.HARD):  # the convener gives a big or hard issue a longer deadline
            issue.due_on = day + timedelta(days=rng.randint(45, 90))
        else:
            issue.due_on = day + timedelta(days=TRACK_DAYS[track])
        issue.track, issue.escalated_at = track, None
        with override(settings.LANGUAGE_CODE):
            label = str(Track(track).label)
        issue.step(IssueStep.TRIAGE, TRACK_STATE[track], triaged, convener, label)
        entered = triaged
        if track == Track.BIG:
            meeting = self.meeting_after(c, triaged)
            if meeting is None or (stuck and meeting.state != MeetingState.SCHEDULED):
                return
            issue.meeting = meeting
            if meeting.state == MeetingState.SCHEDULED or stuck:
                return
            decided_from = meeting.starts + timedelta(hours=2)
            passed = True
            if rng.random() < SHARE_MOTION_FOR_BIG:
                opens = max(meeting.created, triaged) + self.days(0.05, 1)
                opens = min(opens, meeting.starts - timedelta(hours=1))
                motion = self.motion(
                    c,
                    title=f"关于“{issue.title}”的处理方案",
                    options=["赞成", "反对"],
                    threshold=rng.choice(("simple", "simple", "two_thirds")),
                    secret=rng.random() < 0.3,
                    created=max(
                        opens - timedelta(hours=rng.uniform(0.5, 3)), triaged + timedelta(minutes=10)
                    ),
                    opens=opens,
                    closes=meeting.starts + timedelta(hours=2),
                    support=rng.uniform(0.7, 0.97),
                    turnout=rng.uniform(0.75, 1.0),
                    quorums=ISSUE_QUORUMS,
                    issue=issue,
                )
                issue.motion = motion
                if motion is None or motion.state != MotionState.CLOSED:
                    meeting.outcomes[issue] = "表决进行中"
                    return
                passed = motion.result.passed
                decided_from = motion.closed
                meeting.outcomes[issue] = "表决通过，按方案实施" if passed else "表决未通过，暂缓实施"
            else:
                meeting.outcomes[issue] = "协商一致，同意实施"
            at = decided_from + timedelta(hours=rng.uniform(1, 48))
            if at >= now:
                return
            if not passed:
                issue.reason = VOTE_FAILED_REASON
                issue.step(IssueStep.REJECT, S.REJECTED, at, convener, issue.reason)
                return
            note = rng.choice(DECIDE_NOTES) if issue.motion else CONSENSUS_NOTE
            issue.step(IssueStep.DECIDE, S.HANDLING, at, convener, note)
            entered = at
        elif track == Track.HARD:
            responded = INFINITY if stuck else triaged + self.days(5, 25)
            self.escalate_if_overdue(issue, triaged, responded)
            if responded >= now:
                return
            issue.step(IssueStep.RESPOND, S.HANDLING, responded, convener, rng.choice(RESPOND_NOTES))
            entered = responded
        self.handle(issue, entered, stuck)

    def handle(self, issue: _Issue, entered: datetime, stuck: bool) -> None:
        """Being handled: tasks, perhaps a campaign, then the resolution and its survey (民评)."""
        rng, now = self.rng, self.now
        for round_ in (1, 2, 3):
            lo, hi = HANDLING_DAYS[issue.track]
            took = self.days(lo, hi)
            if rng.random() < SHARE_DELAYED:
                took *= rng.uniform(2, 3)
            resolved = INFINITY if stuck else entered + took
            self.escalate_if_overdue(issue, entered, resolved)
            self.work(issue, entered, min(resolved, now), done=resolved < now)
            if resolved >= now:
                return
            issue.step(
                IssueStep.RESOLVE, S.RESOLVED, resolved, issue.council.convener, rng.choice(RESOLVE_NOTES)
            )
            issue.resolutions += 1
            issue.resolved_at, issue.survey_closed_at = resolved, None
            counts = self.rate(issue, resolved, round_)
            closes = resolved + timedelta(
                days=settings.COUNCIL_SURVEY_DAYS, seconds=rng.uniform(1, JOB_EVERY)
            )
            if closes >= now:
                return
            issue.survey_closed_at = closes
            rated = sum(counts.values())
            unsatisfied = counts.get(Satisfaction.UNSATISFIED, 0)
            if not (rated and unsatisfied * 2 > rated):
                return
            note = _("Reopened: %(n)s of %(total)s residents were unsatisfied") % {
                "n": unsatisfied,
                "total": rated,
            }
            issue.step(IssueStep.REOPEN, S.HANDLING, closes, None, note)
            issue.resolved_at = issue.escalated_at = None
            entered = closes

    def rate(self, issue: _Issue, resolved: datetime, round_: int) -> dict[str, int]:
        rng, c = self.rng, issue.council
        raters = []
        if issue.raiser_user and rng.random() < 0.7:
            raters.append(issue.raiser)
        others = [p for p, u in c.people if u and p != issue.raiser]
        raters += rng.sample(others, min(len(others), rng.choice((0, 0, 1, 1, 2, 3))))
        counts: dict[str, int] = {}
        for person in raters:
            at = resolved + self.days(0.05, settings.COUNCIL_SURVEY_DAYS - 0.1)
            if at >= self.now:
                continue
            if round_ == 1:
                rating = self.weighted(RATING_WEIGHTS)
            else:  # what was redone is rated again; by then it is done well
                rating = self.weighted(RATING_WEIGHTS[:2])
            issue.ratings.append((round_, person, rating, at))
            counts[rating] = counts.get(rating, 0) + 1
        return counts

    def work(self, issue: _Issue, start: datetime, end: datetime, *, done: bool) -> None:
        """Tasks with their progress, and sometimes a crowdfunding campaign, while being handled."""
        rng = self.rng
        convener = issue.council.convener
        count = (1 if rng.random() < 0.3 else 0) if issue.track == Track.MICRO else rng.randint(1, 3)
        for _n in range(count):
            created = start + self.days(0.02, 1)
            if created >= end:
                break
            due_on = _day(created) + timedelta(days=rng.randint(3, 20))
            updates = []
            done_at = None
            if done or rng.random() < 0.4:
                done_at = self.between(created, end)
                if rng.random() < 0.5:
                    updates.append((rng.choice(TASK_PROGRESS), self.between(created, done_at)))
                updates.append((rng.choice(TASK_DONE), done_at))
            elif rng.random() < 0.6:
                updates.append((rng.choice(TASK_PROGRESS), self.between(created, end)))
            issue.tasks.append(
                SimpleNamespace(
                    issue=issue,
                    title=rng.choice(TASK_TITLES),
                    owner=rng.choice(TASK_OWNERS),
                    due_on=due_on,
                    done_at=done_at,
                    created=created,
                    updates=[(note, at, convener) for note, at in sorted(updates, key=lambda u: u[1])],
                    id=0,
                )
            )
        if (
            issue.campaign is None
            and issue.track in (Track.SMALL, Track.BIG)
            and end - start > timedelta(days=2)
            and rng.random() < 0.12
        ):
            self.campaign(issue, start + self.days(0.2, 1.5))

    def campaign(self, issue: _Issue, created: datetime) -> None:
        rng, c = self.rng, issue.council
        if created >= self.now:
            return
        closes_on = _day(created) + timedelta(days=rng.randint(10, 30))
        last = min(_local(closes_on + timedelta(days=1)), self.now)
        materials = rng.choice(MATERIALS) if rng.random() < 0.4 else ""
        campaign = SimpleNamespace(
            issue=issue,
            title=f"{issue.title}众筹"[:120],
            description=rng.choice(CAMPAIGN_TEXTS),
            money_goal=rng.choice(MONEY_GOALS),
            hours_goal=rng.choice(HOURS_GOALS),
            materials=materials,
            closes_on=closes_on,
            created=created,
            pledges=[],
            id=0,
        )
        for _n in range(rng.randint(3, 12)):
            at = self.between(created, last)
            org = None
            if c.units and rng.random() < 0.2:
                org, user = rng.choice(c.units)
            elif c.neighbours:
                user = rng.choice(c.neighbours)[1]
            else:
                continue
            kinds = [
                (PledgeKind.MONEY, 50),
                (PledgeKind.LABOUR, 35 if org is None else 0),
                (PledgeKind.MATERIALS, 15),
            ]
            kind = self.weighted(kinds)
            if kind == PledgeKind.MATERIALS and not materials:
                kind = PledgeKind.MONEY
            given = at + self.days(0.5, 10)
            campaign.pledges.append(
                SimpleNamespace(
                    user=user,
                    org=org,
                    kind=kind,
                    amount=rng.choice((50, 100, 100, 200, 200, 500, 1000))
                    if kind == PledgeKind.MONEY
                    else None,
                    hours=rng.randint(2, 8) if kind == PledgeKind.LABOUR else None,
                    what=rng.choice(PLEDGE_MATERIALS) if kind == PledgeKind.MATERIALS else "",
                    at=at,
                    given=given if given < self.now and rng.random() < 0.8 else None,
                )
            )
        issue.campaign = campaign

    def discuss(self, issue: _Issue) -> None:
        """Cloud consultation (云协商): posts while the issue is open."""
        rng, c = self.rng, issue.council
        if rng.random() >= 0.3 or not c.neighbours:
            return
        end = min(issue.exit or self.now, self.now)
        for _n in range(rng.randint(1, 4)):
            at = self.between(issue.created, end)
            user = c.convener if rng.random() < 0.15 else rng.choice(c.neighbours)[1]
            hidden = reason = None
            if rng.random() < 0.02:
                hidden = at + self.days(0.05, 2)
                if hidden >= self.now:
                    hidden = None
                else:
                    reason = rng.choice(HIDE_REASONS)
            issue.posts.append((user, rng.choice(POSTS), at, hidden, reason or ""))

    def accept(self, issue: _Issue) -> None:
        c = issue.council
        if issue.meeting is not None:
            issue.meeting.agenda.append(issue)
        if issue.motion is not None:
            c.motions.append(issue.motion)
        self.discuss(issue)
        c.issues.append(issue)

    def walk_to(self, c: _Council, created: datetime, target: str) -> None:
        """A pilot issue that must end in `target` (the pilot's figures are exact): walk until it does."""
        issue = None
        for _attempt in range(40):
            issue = self.new_issue(c, created)
            self.walk(issue, target)
            if issue.state == target:
                break
        self.accept(issue)

    def duplicate(self, c: _Council, original: _Issue) -> None:
        """A second resident raises the same thing; the convener merges it into the open one."""
        rng = self.rng
        end = min(original.exit or self.now, self.now)
        lo, hi = original.created + timedelta(hours=8), end - timedelta(hours=12)
        if hi <= lo:
            return
        created = self.between(lo, hi)
        merged = created + timedelta(hours=rng.uniform(1, min(48, (end - created).total_seconds() / 3600)))
        if merged >= min(end, self.now):
            return
        issue = self.new_issue(c, created)
        issue.category, issue.title, issue.description = (
            original.category,
            original.title,
            original.description,
        )
        self.raise_(issue)
        issue.into = original
        note = _("Merged into “%(title)s”") % {"title": original.title}
        issue.step(IssueStep.MERGE, S.MERGED, merged, c.convener, note)
        c.issues.append(issue)

    def plan_issues(self) -> None:
        world, rng, now = self.world, self.rng, self.now
        pilots = [c for c in self.councils if c.pilot]
        others = [c for c in self.councils if not c.pilot]
        share = len(pilots) / PILOT_COMPOUNDS
        # The pilots: exact figures, spread over their councils.
        meetings = round(FIGURES["meetings"] * share)
        for index, c in enumerate(pilots):
            self.plan_meetings(c, meetings // len(pilots) + (index < meetings % len(pilots)))
        raised, solved = round(FIGURES["issues"] * share), round(FIGURES["solved"] * share)
        unsolved = []
        pools = {state: count for state, count in UNSOLVED}
        pools["handling"] += FIGURES["issues"] - FIGURES["solved"] - sum(pools.values())
        while len(unsolved) < raised - solved:
            for state, count in list(pools.items()):
                if count and len(unsolved) < raised - solved:
                    unsolved.append(state)
                    pools[state] -= 1
            if not any(pools.values()):
                pools = {state: 1 for state in pools}
        targets = ["resolved"] * solved + unsolved
        rng.shuffle(targets)
        last_year = world.years[1]
        pilot_last_year = 0
        plans = []
        for number, target in enumerate(targets):
            c = pilots[number % len(pilots)]
            if target == "raised":
                created = now - timedelta(hours=rng.uniform(2, 40))
            elif target in ("handling", "on_agenda", "escalated"):
                created = now - self.days(5, 40)
            else:
                created = self.between(c.start + timedelta(days=7), now - timedelta(days=45))
            plans.append((c, created, target))
            pilot_last_year += _day(created).year == last_year
        for c, created, target in sorted(plans, key=lambda p: p[1]):
            self.walk_to(c, created, target)
        # The other councils: a rate per council-day that gives the last full year its figure.
        year_lo, year_hi = _local(date(last_year, 1, 1)), _local(date(last_year + 1, 1, 1))
        for c in others:
            self.plan_meetings(c, None)
        exposure = sum(
            c.weight * max(0.0, (min(year_hi, now) - max(year_lo, c.start)).total_seconds()) for c in others
        )
        wanted = max(0, world.n(RAISED_LAST_YEAR) - pilot_last_year)
        rate = wanted / exposure if exposure else 0.0
        for c in others:
            begin = c.start + timedelta(days=3)
            span = max(0.0, (now - begin).total_seconds())
            count = round(rate * c.weight * span)
            moments = sorted(begin + timedelta(seconds=rng.uniform(0, span)) for _n in range(count))
            for created in moments:
                created = _local(_day(created), rng.uniform(7, 22))
                if created >= now:
                    continue
                issue = self.new_issue(c, created)
                self.walk(issue, None)
                self.accept(issue)
            primaries = [i for i in c.issues if i.created < now - timedelta(days=1)]
            for _n in range(round(len(c.issues) * SHARE_MERGED)):
                if primaries:
                    self.duplicate(c, rng.choice(primaries))
        for c in self.councils:
            self.general_motions(c)
            c.issues.sort(key=lambda i: i.created)

    # -- every state, at any factor
    def every_state(self) -> None:
        """At a small factor a state may not come up by chance: walk one more of each missing state in
        the councils after the pilots (whose figures stay exact). At full scale this adds nothing."""
        rng, now = self.rng, self.now
        others = [c for c in self.councils if not c.pilot and c.people]
        if not others:
            return
        seen = {i.state for c in self.councils for i in c.issues}
        for state in (S.RAISED, S.HANDLING, S.ON_AGENDA, S.ESCALATED, S.REJECTED, S.RESOLVED):
            if state not in seen:
                created = now - (
                    timedelta(hours=rng.uniform(2, 40)) if state == S.RAISED else self.days(5, 40)
                )
                if state == S.RESOLVED:
                    created = now - self.days(45, 90)
                self.walk_to(rng.choice(others), created, state)
        if S.MERGED not in seen:
            for _attempt in range(20):
                c = rng.choice(others)
                if c.issues:
                    self.duplicate(c, rng.choice(c.issues))
                if any(i.state == S.MERGED for i in c.issues):
                    break
        meetings = [m for c in others for m in c.meetings]
        states = {m.state for m in meetings}
        c = rng.choice(others)
        if MeetingState.SCHEDULED not in states:
            starts = _local(self.today + timedelta(days=rng.randint(3, 6)), 19)
            c.meetings.append(
                _Meeting(f"{c.name}专题协商会", starts, now - self.days(0.5, 2), f"{c.name}红管家议事角", False,
                         MeetingState.SCHEDULED, c)
            )  # fmt: skip
        past = sorted((m for m in meetings if m.state == MeetingState.APPROVED), key=lambda m: m.starts)
        if MeetingState.HELD not in states and past:
            past[-1].state, past[-1].approved = MeetingState.HELD, None
        if MeetingState.CANCELLED not in states:
            starts = _local(_day(now - self.days(20, 60)), 19)
            c.meetings.append(
                _Meeting(f"{c.name}月度议事会", starts, starts - self.days(3, 7), f"{c.name}红管家议事角", False,
                         MeetingState.CANCELLED, c)
            )  # fmt: skip
        motion_states = {m.state for c in self.councils for m in c.motions}
        title, options, threshold, secret = rng.choice(GENERAL_MOTIONS)
        plans = {
            MotionState.OPEN: (now - timedelta(days=1), now + timedelta(days=3), False),
            MotionState.DRAFT: (now + timedelta(days=5), now + timedelta(days=8), False),
            MotionState.WITHDRAWN: (now - timedelta(days=30), now - timedelta(days=25), True),
            MotionState.CLOSED: (now - timedelta(days=40), now - timedelta(days=36), False),
        }
        for state, (opens, closes, withdrawn) in plans.items():
            if state in motion_states:
                continue
            c = rng.choice(others)
            m = self.motion(
                c,
                title=title,
                options=list(options),
                threshold=threshold,
                secret=secret,
                created=min(opens, now) - timedelta(days=1),
                opens=opens,
                closes=closes,
                support=0.9,
                turnout=0.9,
                withdrawn=withdrawn,
            )
            if m is not None:
                c.motions.append(m)

    # -- meetings' records
    def record_meetings(self) -> None:
        rng = self.rng
        for c in self.councils:
            for meeting in c.meetings:
                meeting.agenda.sort(key=lambda i: i.created)
                if meeting.state not in (MeetingState.HELD, MeetingState.APPROVED):
                    if meeting.state == MeetingState.CANCELLED:
                        meeting.summary = rng.choice(CANCEL_REASONS)
                    continue
                seats = [s for s in c.seats if s.current(_day(meeting.starts))]
                present = rng.uniform(0.7, 1.0)
                meeting.attendees = [
                    s for s in seats if s.kind == SeatKind.PARTY_BRANCH or rng.random() < present
                ]
                lines = [
                    f"应到代表{len(seats)}名，实到{len(meeting.attendees)}名。",
                    "召集人通报上次议定事项办理情况。",
                ]
                decisions = []
                for n, issue in enumerate(meeting.agenda, start=1):
                    lines.append(
                        f"议题{n}：{issue.title}。与会代表逐项讨论，物业和共建单位代表说明可提供的支持。"
                    )
                    decisions.append(
                        f"“{issue.title}”：{meeting.outcomes.get(issue, '协商一致，同意实施')}。"
                    )
                if not meeting.agenda:
                    for topic in rng.sample(GENERAL_TOPICS, 2):
                        lines.append(f"{topic}。")
                decisions.append("议定事项明确责任人和完成时限，办理结果在小区公示栏和平台公开。")
                meeting.minutes = "\n".join(lines)
                meeting.decisions = "\n".join(decisions)
                if meeting.state == MeetingState.APPROVED:
                    meeting.summary = (
                        "本次议事会议定事项已公示，欢迎居民监督。" + "".join(decisions[:-1])[:2000]
                    )


# --- Writing -------------------------------------------------------------------------------------------


def _write(b: _Builder) -> dict[str, int]:
    made: dict[str, int] = {}
    councils = b.councils
    rng = b.rng
    with _own_timestamps(Organisation, RoleGrant, Council):
        # The compound Party branches that convene the councils, then the councils.
        branches = Organisation.objects.bulk_create(
            [
                Organisation(
                    name=f"{c.name}党支部",
                    kind=OrgKind.COMPOUND_BRANCH,
                    party_level=PartyLevel.BRANCH,
                    area_id=c.compound,
                    parent_id=c.community.party_org_id,
                    created_at=(at := c.start - timedelta(days=rng.randint(10, 60))),
                    updated_at=at,
                )
                for c in councils
            ],
            batch_size=BATCH,
        )
        for c, row in zip(councils, branches, strict=True):
            c.branch = row.pk
        made["compound Party branches"] = len(branches)
        rows = Council.objects.bulk_create(
            [
                Council(
                    compound_id=c.compound,
                    name=f"{c.name}红管家议事厅"[:60],
                    convener_org_id=c.branch,
                    created_at=c.start,
                )
                for c in councils
            ],
            batch_size=BATCH,
        )
        for c, row in zip(councils, rows, strict=True):
            c.id = row.pk
        made["councils"] = len(rows)
        # Convener grants: the branch's seat holder convenes (when they have a login).
        grants = []
        for c in councils:
            holder = next((s for s in c.seats if s.kind == SeatKind.PARTY_BRANCH), None)
            if holder is not None and holder.user:
                grants.append(
                    RoleGrant(
                        user_id=holder.user,
                        role=Role.COUNCIL_CONVENER,
                        area_id=c.compound,
                        created_at=c.start,
                        updated_at=c.start,
                    )
                )
        RoleGrant.objects.bulk_create(grants, batch_size=BATCH)
        for chunk in batches([g.user_id for g in grants], BATCH):
            User.objects.filter(pk__in=chunk).update(is_staff=True)
        made["convener role grants"] = len(grants)

    # Ids first (reserved from the tables' sequences), so that every row can name the rows it
    # refers to — a successor seat, the issue a duplicate was merged into, a motion's hash — and
    # each table is written once, in time order.
    _number(Seat, b.seats)
    made["council seats"] = _copy(
        Seat,
        (
            {
                "id": s.id,
                "council_id": s.council.id,
                "kind": s.kind,
                "person_id": s.person,
                "voting": s.voting,
                "since": s.since,
                "until": s.until,
                "replaced_by_id": s.successor.id if s.successor is not None else None,
            }
            for s in b.seats
        ),
    )
    issues = sorted((i for c in councils for i in c.issues), key=lambda i: i.created)
    _number(Issue, issues)
    made["council issues"] = _copy(
        Issue,
        (
            {
                "id": i.id,
                "council_id": i.council.id,
                "compound_id": i.council.compound,
                "raised_by_id": i.raiser,
                "recorded_by_id": i.recorder or None,
                "category": i.category,
                "title": i.title,
                "description": i.description,
                "building_id": None,
                "photo": "",
                "state": i.state,
                "track": i.track,
                "triage_by": i.triage_by,
                "due_on": i.due_on,
                "reason": i.reason,
                "merged_into_id": i.into.id if i.into is not None else None,
                "escalated_at": i.escalated_at,
                "resolved_at": i.resolved_at,
                "resolutions": i.resolutions,
                "survey_closed_at": i.survey_closed_at,
                "created_at": i.created,
            }
            for i in issues
        ),
    )
    events = sorted(((e[4], i.id, n, e) for i in issues for n, e in enumerate(i.events)), key=lambda x: x[:3])
    made["issue events"] = _copy(
        IssueEvent,
        (
            {
                "id": None,
                "issue_id": issue_id,
                "step": step,
                "from_state": frm,
                "to_state": to,
                "actor_id": actor or None,
                "at": at,
                "note": note,
            }
            for _at, issue_id, _n, (step, frm, to, actor, at, note) in events
        ),
    )
    del events
    posts = sorted(((p[2], i.id, p) for i in issues for p in i.posts), key=lambda x: x[:2])
    made["discussion posts"] = _copy(
        Post,
        (
            {
                "id": None,
                "issue_id": issue_id,
                "author_id": user,
                "body": body,
                "hidden_at": hidden,
                "hidden_reason": reason,
                "created_at": at,
            }
            for _at, issue_id, (user, body, at, hidden, reason) in posts
        ),
    )

    # Meetings, their agendas and attendance.
    meetings = sorted((m for c in councils for m in c.meetings), key=lambda m: m.created)
    _number(Meeting, meetings)
    made["council meetings"] = _copy(
        Meeting,
        (
            {
                "id": m.id,
                "council_id": m.council.id,
                "title": m.title,
                "starts_at": m.starts,
                "place": m.place,
                "online": m.online,
                "state": m.state,
                "minutes": m.minutes,
                "decisions": m.decisions,
                "summary": m.summary,
                "approved_at": m.approved,
                "created_by_id": m.council.convener,
                "created_at": m.created,
            }
            for m in meetings
        ),
    )
    made["agenda items"] = _copy(
        AgendaItem,
        (
            {"id": None, "meeting_id": m.id, "issue_id": i.id, "position": n}
            for m in meetings
            for n, i in enumerate(m.agenda, start=1)
        ),
    )
    made["meeting attendances"] = _copy(
        Meeting.attendees.through,
        ({"id": None, "meeting_id": m.id, "seat_id": s.id} for m in meetings for s in m.attendees),
    )

    # Motions: with their ids, the published rule's hash, the ballots' tokens and the tally's receipts.
    motions = sorted((m for c in councils for m in c.motions), key=lambda m: m.created)
    _number(Motion, motions)
    ballots = []
    for m in motions:
        m.row = Motion(
            pk=m.id,
            council_id=m.council.id,
            issue_id=m.issue.id if m.issue is not None else None,
            title=m.title,
            description=m.description,
            options=m.options,
            quorum=m.quorum,
            threshold=m.threshold,
            secret=m.secret,
            changeable=m.changeable,
            opens_at=_utc(m.opens),
            closes_at=_utc(m.closes),
            state=m.state,
            electorate=[s.id for s in m.electorate],
            rule_hash="",
            result=None,
            outcome=m.result.outcome if m.result is not None else "",
            created_by_id=m.council.convener,
            opened_at=m.opened,
            closed_at=m.closed,
            created_at=m.created,
        )
        if m.opened is None:
            continue
        m.row.rule_hash = document_hash(published_rule(m.row))
        receipts = []
        for seat, option, cast, changes in m.votes:
            token = ballot_token(m.row, SimpleNamespace(pk=seat.id))
            ballots.append(
                {
                    "id": None,
                    "motion_id": m.id,
                    "token": token,
                    "seat_id": None if m.secret else seat.id,
                    "option": option,
                    "cast_at": cast,
                    "changes": changes,
                }
            )
            receipts.append({"token": token, "option": option})
        if m.result is not None:
            receipts.sort(key=lambda r: r["token"])
            m.row.result = {**m.result.as_dict(), "receipts": receipts}
    made["motions"] = _copy(
        Motion,
        ({f.attname: getattr(m.row, f.attname) for f in Motion._meta.concrete_fields} for m in motions),
    )
    ballots.sort(key=lambda r: r["cast_at"])
    made["ballots"] = _copy(Ballot, ballots)
    del ballots

    ratings = sorted(((r[3], i.id, r) for i in issues for r in i.ratings), key=lambda x: x[:2])
    made["result ratings"] = _copy(
        ResultRating,
        (
            {
                "id": None,
                "issue_id": issue_id,
                "round": r,
                "person_id": person,
                "rating": rating,
                "created_at": at,
            }
            for _at, issue_id, (r, person, rating, at) in ratings
        ),
    )
    campaigns = sorted((i.campaign for i in issues if i.campaign is not None), key=lambda cp: cp.created)
    _number(Campaign, campaigns)
    made["crowdfunding campaigns"] = _copy(
        Campaign,
        (
            {
                "id": cp.id,
                "council_id": cp.issue.council.id,
                "issue_id": cp.issue.id,
                "title": cp.title,
                "description": cp.description,
                "money_goal": cp.money_goal,
                "hours_goal": cp.hours_goal,
                "materials": cp.materials,
                "closes_on": cp.closes_on,
                "created_at": cp.created,
            }
            for cp in campaigns
        ),
    )
    pledges = sorted(((p.at, cp.id, p) for cp in campaigns for p in cp.pledges), key=lambda x: x[:2])
    made["crowdfunding pledges"] = _copy(
        Pledge,
        (
            {
                "id": None,
                "campaign_id": campaign_id,
                "pledged_by_id": p.user,
                "organisation_id": p.org,
                "kind": p.kind,
                "amount": p.amount,
                "hours": p.hours,
                "what": p.what,
                "fulfilled_at": p.given,
                "created_at": p.at,
            }
            for _at, campaign_id, p in pledges
        ),
    )
    tasks = sorted((t for i in issues for t in i.tasks), key=lambda t: t.created)
    _number(Task, tasks)
    made["council tasks"] = _copy(
        Task,
        (
            {
                "id": t.id,
                "issue_id": t.issue.id,
                "title": t.title,
                "owner": t.owner,
                "due_on": t.due_on,
                "done_at": t.done_at,
                "created_at": t.created,
            }
            for t in tasks
        ),
    )
    updates = sorted(((u[1], t.id, u) for t in tasks for u in t.updates), key=lambda x: x[:2])
    made["council task updates"] = _copy(
        TaskUpdate,
        (
            {"id": None, "task_id": task_id, "note": note, "photo": "", "by_id": by, "created_at": at}
            for _at, task_id, (note, at, by) in updates
        ),
    )
    made["record entries (councils)"] = _record(motions, meetings)
    return made


def _record(motions: list[_Motion], meetings: list[_Meeting]) -> int:
    """The entries `motion_open`, `motion_close` and `meeting_approve` append, chained as audit_append does."""
    facts: list[tuple[datetime, int, str, str, dict, int]] = []
    for m in motions:
        row = m.row
        if m.opened is not None:
            rule = published_rule(row)
            facts.append(
                (
                    m.opened,
                    len(facts),
                    "councils.motion_opened",
                    f"councils.Motion:{row.pk}",
                    {**rule, "rule_hash": row.rule_hash},
                    m.council.compound,
                )
            )
        if m.result is not None:
            facts.append(
                (
                    m.closed,
                    len(facts),
                    "councils.motion_closed",
                    f"councils.Motion:{row.pk}",
                    {
                        **m.result.as_dict(),
                        "options": row.options,
                        "rule_hash": row.rule_hash,
                        "receipts_hash": document_hash(row.result["receipts"]),
                    },
                    m.council.compound,
                )
            )
    for meeting in meetings:
        if meeting.state != MeetingState.APPROVED:
            continue
        facts.append(
            (
                meeting.approved,
                len(facts),
                "councils.meeting_approved",
                f"councils.Meeting:{meeting.id}",
                {
                    "council": meeting.council.id,
                    "starts_at": _utc(meeting.starts).isoformat(),
                    "attendees": len(meeting.attendees),
                    "agenda": [i.id for i in meeting.agenda],
                    "minutes_hash": text_hash(meeting.minutes),
                    "decisions_hash": text_hash(meeting.decisions),
                    "summary_hash": text_hash(meeting.summary),
                },
                meeting.council.compound,
            )
        )
    facts.sort(key=lambda f: (f[0], f[1]))
    last = Entry.objects.order_by("-seq").values_list("seq", "entry_hash", "created_at").first()
    seq, prev_hash, floor = (last[0], last[1], last[2]) if last else (0, GENESIS_HASH, None)

    def entries():
        nonlocal seq, prev_hash, floor
        for at, _n, kind, subject, payload, area in facts:
            payload = json.loads(canonical_json(payload))  # what the database gives back
            created_at = at if floor is None or at >= floor else floor
            seq += 1
            entry_hash = compute_entry_hash(
                seq=seq,
                kind=kind,
                subject=subject,
                payload=payload,
                created_at=created_at,
                prev_hash=prev_hash,
            )
            yield {
                "id": None,
                "seq": seq,
                "kind": kind,
                "subject": subject,
                "area_id": area,
                "payload": payload,
                "created_at": created_at,
                "prev_hash": prev_hash,
                "entry_hash": entry_hash,
            }
            prev_hash, floor = entry_hash, created_at

    return _copy(Entry, entries())


def seed(world: ScaleWorld) -> None:
    if not world.communities:
        return
    b = _Builder(world)
    with override(settings.LANGUAGE_CODE):
        b.load_people()
        b.choose_councils()
        b.number_successors()
        b.plan_issues()
        b.every_state()
        b.record_meetings()
        made = _write(b)
    for what, number in made.items():
        world.count(what, number)
    world.extra["councils"] = [c.id for c in b.councils]
