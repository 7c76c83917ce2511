"""District-scale points (core.scale): three years of the district's public-welfare points ledger.

At factor 1.0 (DOMAIN.md §1 counts ≈ 2.2 million transfers): the district fund and expiry sink;
per community an issuing account with its tills (ADR 0006); a wallet for every member and
resident with a login (≈ 34,900); the earning rules of points.demo for the district, and its
override in one community per street; a livelihood market stocked by two units per street
(≈ 5,300 items, five per community and year, with merchant accounts); and ≈ 2.19 million
transfers in time order: the yearly allocations, ≈ 1.93 million earnings (each with its
`Earning` row, within the rules' caps), ≈ 190,000 redemptions with their codes and steps (about
79 % collected, 8 % cancelled and 12 % expired, both refunded by reversal, the last week's still
open), the yearly expiry of unspent points (FIFO, with the job's record) and the tills' moves.

The history is played month by month with the services' own arithmetic: the caps per person,
day and month; a community pays through whichever till can, sweeping and topping them up as
`points_transfer_move_grouped` does; nobody pays more than they hold; stock and limits per
person hold. Transfers are written in bulk — COPY on PostgreSQL, whose append-only trigger
refuses only UPDATE and DELETE — with ids in time order; each account's balance is then set once
from the sums the simulation kept, so `verify_ledger` finds every balance equal to its transfers.

Left out: manual awards and deductions and the allocations' entries in the public record (the
audit chain; the parts after this one chain their own), notices and reminders of redemptions.
Earnings name their event type as their cause, not a wish or activity of the other apps.
"""

from __future__ import annotations

import base64
import gc
import heapq
import io
import itertools
import queue
import re
import threading
from bisect import bisect_right
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from community.models import Area, Organisation, Person, User
from core.models import JobRun
from core.scale import BATCH, ScaleWorld, bulk
from volunteers.workflow import ServiceField

from . import flows
from .demo import ALLOCATION, ITEMS, OVERRIDE, RULES, _as_of
from .earning import _expiry_memo, earning_rule_save
from .market import REDEMPTION_VALID_FOR
from .models import (
    Account,
    AccountKind,
    Earning,
    EarningRule,
    EventType,
    MarketItem,
    Redemption,
    RedemptionTransition,
    Transfer,
    TransferKind,
)
from .selectors import expiry_years
from .workflow import RedemptionState

TRANSFERS = 2_200_000
# Of the transfers, the earnings (the rest: redemptions, refunds, expiries, allocations, tills).
EARNING_SHARE = 0.885
# A holder tries to redeem something in this share of their months.
REDEEM_MONTHLY = 0.24
# What becomes of a redemption: collected, cancelled by the holder, left to expire.
OUTCOMES = (
    (0.80, RedemptionState.COMPLETED),
    (0.88, RedemptionState.CANCELLED),
    (1.0, RedemptionState.EXPIRED),
)
ITEMS_PER_COMMUNITY_YEAR = 5
MERCHANTS_PER_STREET = 2
COPY_ROWS = 100_000
# Points an earning pays on average (for sizing the yearly allocations).
MEAN_EARNING = 11

HOUR = 3600
DAY = 24 * HOUR

# What the callers of points_award_for_event pass as memo, by event (volunteers, councils, contracts).
WISH_TITLES = (
    "希望有人陪我去医院复查", "想给孙子买一套课外读物", "家里水龙头漏水想请人修理", "想学会用手机挂号",
    "希望帮忙代缴水电费", "楼道灯坏了想请人更换", "想要一台收音机听戏", "希望有人上门帮忙理发",
    "想给老伴买一根拐杖", "孩子暑假想找人辅导功课", "想请人帮忙搬运旧家具", "希望有人教我用智能电视",
)  # fmt: skip
ORDER_NOTES = (
    "上门检修电饭煲", "楼道堆物清理", "邻里噪音纠纷调解", "独居老人代购药品", "更换老化电线插座",
    "垃圾分类上门指导", "困难家庭走访帮扶", "法律咨询：赡养纠纷", "夜间小区巡查", "疫苗接种信息登记",
)  # fmt: skip
ACTIVITY_TITLES = (
    "治安联防夜间巡逻", "垃圾分类桶边督导", "义诊进社区：量血压测血糖", "环境整治志愿服务",
    "家电维修志愿服务", "周末课业辅导", "智慧用电入户宣传", "反诈宣传进小区", "文明交通劝导",
    "关爱老人走访慰问", "防汛防台巡查", "社区防疫值守", "暑期托管志愿服务", "小区绿化认养",
)  # fmt: skip
MEETING_TITLES = (
    "红管家议事厅月度例会", "加装电梯协商会", "停车难问题议事会", "小区绿化改造议事会",
    "垃圾分类投放点选址议事会", "楼道堆物整治议事会", "物业服务评议会",
)  # fmt: skip
CAMPAIGN_TITLES = ("楼道粉刷微众筹", "休闲长廊修缮", "儿童游乐角改造", "车棚充电桩安装", "老年活动室翻新")
CONTRACT_ITEM_TITLES = (
    "义诊进社区", "法律咨询进社区", "周末课业辅导", "家电维修服务", "道路保洁责任段",
    "治安巡逻责任段", "困难家庭结对帮扶", "防诈骗宣传",
)  # fmt: skip

# Which events a holder's earnings are, out of 100: members, residents (residents neither take
# service orders nor deliver contract items; issues reported are paid by no caller yet).
MEMBER_MIX = (
    (EventType.ACTIVITY_HOURS, 38),
    (EventType.WISH_FULFILLED, 20),
    (EventType.ORDER_COMPLETED, 16),
    (EventType.MEETING_ATTENDED, 12),
    (EventType.CONTRACT_ITEM_DELIVERED, 7),
    (EventType.CROWDFUNDING_LABOUR, 7),
)
RESIDENT_MIX = (
    (EventType.ACTIVITY_HOURS, 45),
    (EventType.WISH_FULFILLED, 20),
    (EventType.MEETING_ATTENDED, 25),
    (EventType.CROWDFUNDING_LABOUR, 10),
)
HOURS = (1, 2, 2, 2, 3, 3, 3, 4, 4, 5, 6)

# points.demo's descriptions that name its own units, said of whichever unit offers the item.
DESCRIPTIONS = {
    "理发券": "{merchant}党员志愿者“爱心义剪”，每月第二、四个周六上午，老年人优先。",
    "家电维修上门服务": "{merchant}党员服务队上门检修小家电、更换插座与灯具，材料费另计。",
    "图书借阅卡": "{merchant}图书室寒暑假向社区开放，凭卡一次可借 3 本，有效期一年。",
}
# More goods for the markets, after points.demo's: (name, description, price, stock, limit per person).
MORE_ITEMS = (
    ("洗衣液", "洗衣液2公斤一瓶。", 40, 60, 2),
    ("纯棉毛巾两条", "纯棉毛巾两条装。", 25, 80, 2),
    ("鸡蛋一盒", "土鸡蛋15枚一盒。", 30, 80, 3),
    ("基础体检一次", "{merchant}提供基础体检：血压、血糖、血脂。", 100, 20, 1),
    ("公益电影票", "{community}文化家园公益电影票一张。", 20, 60, 4),
    ("保温杯", "不锈钢保温杯一只。", 60, 30, 1),
    ("家政保洁2小时", "{merchant}党员服务队上门保洁2小时。", 90, 15, 1),
    ("晴雨伞", "晴雨两用折叠伞一把。", 35, 50, 1),
)


# --- Bulk writing --------------------------------------------------------------------------------


_DAYS: dict[int, str] = {}
_LAST: list = [0, ""]  # the last time asked and its text: an earning's row has its transfer's time


def _ts(seconds: int) -> str:
    """A UTC time (epoch seconds) as PostgreSQL's COPY reads it."""
    _last = _LAST
    if seconds == _last[0]:
        return _last[1]
    day, second = divmod(seconds, DAY)
    text = _DAYS.get(day)
    if text is None:
        text = _DAYS[day] = datetime.fromtimestamp(day * DAY, UTC).strftime("%Y-%m-%d")
    _last[0], _last[1] = seconds, f"{text} {second // HOUR:02d}:{second // 60 % 60:02d}:{second % 60:02d}+00"
    return _last[1]


def _without_branch(name: str) -> str:
    """越都人民医院党委 → 越都人民医院: the unit, not its Party organisation."""
    return re.sub(r"(第\d+)?党(委|总支|支部)$", "", name) or name


def _n(value) -> str:
    return r"\N" if value is None else str(value)


def _aware(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


@contextmanager
def _explicit_times(model) -> Iterator[None]:
    """Let bulk_create keep the times given (auto_now and auto_now_add would write the present)."""
    fields = [
        f
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


class _Copier:
    """COPY on a second thread, so that PostgreSQL stores one batch while the simulation makes the next.

    It uses the connection of the part's transaction (psycopg2 connections are thread-safe) while
    the main thread leaves the database alone, and is closed before the main thread uses it again.
    """

    def __init__(self):
        self.raw = connection.connection
        self.jobs: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="points-scale-copy", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (job := self.jobs.get()) is not None:
            if self.error is None:
                try:
                    with self.raw.cursor() as cursor:
                        cursor.copy_expert(job[0], io.StringIO(job[1]), size=1 << 20)
                except BaseException as exc:  # noqa: BLE001 - handed to the main thread
                    self.error = exc

    def put(self, sql: str, text: str) -> None:
        if self.error is not None:
            raise self.error
        self.jobs.put((sql, text))

    def close(self, *, quietly: bool = False) -> None:
        """Wait for every batch; raise what failed (unless the caller is already failing)."""
        if self.thread.is_alive():
            self.jobs.put(None)
            self.thread.join()
        if self.error is not None and not quietly:
            raise self.error


class _Table:
    """Rows (tuples in `fields` order, times as epoch seconds) written in batches: COPY or bulk_create."""

    def __init__(
        self,
        model,
        fields: list[str],
        times: set[int],
        line: Callable[[tuple], str],
        copier: _Copier | None = None,
    ):
        self.model, self.fields, self.times, self.line = model, fields, times, line
        self.pg = connection.vendor == "postgresql"
        self.copier = copier
        self.rows: list[tuple] = []
        self.add = self.rows.append
        self.written = 0

    def full(self) -> bool:
        return len(self.rows) >= (COPY_ROWS if self.pg else BATCH)

    def flush(self) -> None:
        if not self.rows:
            return
        if self.pg:
            columns = ", ".join(
                connection.ops.quote_name(self.model._meta.get_field(f).column) for f in self.fields
            )
            sql = f"COPY {self.model._meta.db_table} ({columns}) FROM STDIN"
            text = "\n".join(map(self.line, self.rows)) + "\n"
            if self.copier is not None:
                self.copier.put(sql, text)
            else:
                with connection.cursor() as cursor:
                    cursor.copy_expert(sql, io.StringIO(text), 1 << 20)
        else:
            objects = [
                self.model(
                    **{
                        f: _aware(v) if i in self.times else v
                        for i, (f, v) in enumerate(zip(self.fields, row, strict=True))
                    }
                )
                for row in self.rows
            ]
            with _explicit_times(self.model):
                self.model.objects.bulk_create(objects, batch_size=BATCH)
        self.written += len(self.rows)
        self.rows.clear()


@contextmanager
def _loading(*models) -> Iterator[None]:
    """On PostgreSQL, the tables' indexes and foreign and unique keys set aside while they fill.

    PostgreSQL's advice for populating a database: each row inserted into a table of millions
    updates every index at a random place and checks every foreign key; building the indexes and
    checking the keys once at the end is many times faster. Primary keys and CHECK constraints
    stay. Everything happens in the part's transaction: the tables are locked until it ends, and a
    failure rolls it all back.
    """
    if connection.vendor != "postgresql":
        yield
        return
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint AS c "
            "WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype IN ('f', 'u') ORDER BY c.contype DESC, c.oid",
            [tables],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index AS i "
            "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.indexrelid) "
            "ORDER BY i.indexrelid",
            [tables],
        )
        indexes = cursor.fetchall()
        # Table and index names come as regclass text, quoted where they need it.
        quote = connection.ops.quote_name
        for table, name, _definition in constraints:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        # Unique keys first (foreign keys may rest on them), then the foreign keys, each checked once.
        for table, name, definition in sorted(constraints, key=lambda c: "FOREIGN" in c[2]):
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}")


def _first_ids(model) -> int:
    """The next id of `model`'s table, for rows written with explicit ids (in time order)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [model._meta.db_table])
            return cursor.fetchone()[0]
    return (model.objects.aggregate(last=Max("id"))["last"] or 0) + 1


def _ids_used(model, last: int) -> None:
    if connection.vendor == "postgresql" and last > 0:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [model._meta.db_table, last]
            )


# --- The simulation ---------------------------------------------------------------------------------

# Kinds of event on the timeline.
SNAPSHOT, EXPIRE, ALLOCATE, EARN, REDEEM, CLOSE = range(6)


class _Ledger:
    """The state of the simulation: balances, what each wallet paid out, the rows being written."""

    def __init__(self, world: ScaleWorld):
        self.world = world
        self.rng = world.rng
        self.tz = timezone.get_default_timezone()
        self.now = int(timezone.now().timestamp())
        self.district = Area.objects.get(pk=world.district_id)
        self.tills = max(0, int(settings.POINTS_COMMUNITY_TILLS))
        # The platform opens on the first working day of the first year, at nine.
        self.launch = self.at(_first_working_day(world.years[0]), 9 * HOUR)
        self.balance: dict[int, int] = {}
        self.paid_out: dict[int, int] = {}  # wallet -> all it has paid (redemptions, expiries)
        self.first_used: dict[int, int] = {}
        self.credited: dict[int, dict[int, int]] = {}  # year of expiry -> wallet -> credited before
        self.expiries: dict[int, list[int]] = {}  # year -> [when the job ran, wallets, points]
        self.held: dict[tuple[int, int], int] = {}  # (item, user) -> quantity reserved or collected
        self.redemptions: list[list] = []
        self.codes: set[str] = set()
        # Orders events of the same second by when they were drawn.
        self.next_seq = itertools.count(1).__next__
        with translation.override(settings.LANGUAGE_CODE):
            self.refund_memo = _("Refund: %(item)s")
            self.order_memo = _("Service order: %(what)s")
            self.service_fields = [str(label) for _value, label in ServiceField.choices]
        self.transfers = _Table(
            Transfer,
            ["id", "key", "kind", "source_id", "destination_id", "amount", "cause", "memo", "reverses_id",
             "created_by_id", "created_at"],
            {10},
            lambda r: f"{r[0]}\t{r[1]}\t{r[2]}\t{r[3]}\t{r[4]}\t{r[5]}\t{r[6]}\t{r[7]}\t{_n(r[8])}\t{_n(r[9])}\t{_ts(r[10])}",
        )  # fmt: skip
        self.earnings = _Table(
            Earning,
            ["transfer_id", "event_type", "rule_id", "user_id", "community_id", "quantity", "points_per_unit",
             "points", "created_at"],
            {8},
            lambda r: f"{r[0]}\t{r[1]}\t{r[2]}\t{r[3]}\t{r[4]}\t{r[5]}\t{r[6]}\t{r[7]}\t{_ts(r[8])}",
        )  # fmt: skip
        self.add_transfer = self.transfers.add
        self.next_transfer = _first_ids(Transfer)
        self.next_redemption = _first_ids(Redemption)

    def at(self, day: date, second: int = 0) -> int:
        """Epoch seconds of a local day's midnight, plus `second`."""
        return int(datetime(day.year, day.month, day.day, tzinfo=self.tz).timestamp()) + second

    def local(self, seconds: int) -> datetime:
        return datetime.fromtimestamp(seconds, self.tz)

    # --- the services' arithmetic

    def move(self, kind: str, source: int, destination: int, amount: int, at: int, *, cause: str = "",
             memo: str = "", reverses: int | None = None, actor: int | None = None, key: str = "") -> int:  # fmt: skip
        """One transfer, with the next id: ids follow time, as they do when the services write.

        Its key is "scale:<kind>:<id>" unless the services' own is given (unique either way).
        """
        tid = self.next_transfer
        self.next_transfer = tid + 1
        self.add_transfer(
            (
                tid,
                key or f"scale:{kind}:{tid}",
                kind,
                source,
                destination,
                amount,
                cause,
                memo,
                reverses,
                actor,
                at,
            )
        )
        balance = self.balance
        balance[source] -= amount
        balance[destination] += amount
        # An account is opened when it is first paid into (the fund, which only pays, at launch).
        if destination not in self.first_used:
            self.first_used[destination] = at
        return tid

    def allocate(self, ci: int, amount: int, memo: str, at: int) -> None:
        self.move(
            TransferKind.ALLOCATION,
            self.fund,
            self.parent[ci],
            amount,
            at,
            cause=f"community.Area:{self.world.communities[ci].area_id}",
            memo=memo,
            actor=self.world.district_admin_user_id or None,
        )

    def till_move(self, source: int, destination: int, amount: int, at: int) -> None:
        self.move(TransferKind.TILL, source, destination, amount, at)

    def community_pays(self, ci: int, amount: int, at: int) -> int:
        """The account that pays `amount` for community `ci`: a till that can, else the account itself,
        after sweeping its tills into it if it is short (points_transfer_move_grouped, ADR 0006)."""
        balance = self.balance
        tills = self.till_ids[ci]
        if tills:
            start = int(self.rng.random() * len(tills))
            for k in range(len(tills)):
                till = tills[(start + k) % len(tills)]
                if balance[till] >= amount:
                    return till
        parent = self.parent[ci]
        if balance[parent] < amount:
            total = balance[parent] + sum(balance[t] for t in tills)
            if total < amount:
                # The community ran short: the district tops it up, then the earning is paid.
                self.allocate(ci, -(-(amount - total) // 5_000) * 5_000, "追加公益积分额度", at)
            for till in sorted(tills, key=lambda t: (-balance[t], t)):
                if balance[parent] >= amount:
                    break
                if balance[till] > 0:
                    self.till_move(till, parent, balance[till], at)
        return parent

    def top_up_till(self, ci: int, at: int) -> None:
        """After the account itself paid: a share of what it has left goes to its emptiest till."""
        tills = self.till_ids[ci]
        if tills:
            share = self.balance[self.parent[ci]] // (len(tills) + 1)
            if share > 0:
                self.till_move(self.parent[ci], min(tills, key=lambda t: (self.balance[t], t)), share, at)


def seed(world: ScaleWorld) -> None:
    if not world.communities:
        return
    postgres = connection.vendor == "postgresql"
    if postgres:
        # Foreign keys checked as each statement ends, not at commit: PostgreSQL alters no table
        # with checks pending (`_loading`).
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    ledger = _Ledger(world)
    _rules(ledger)
    _accounts(ledger)
    _market(ledger)
    # Millions of short-lived tuples and no reference cycles: the cyclic collector would only spend
    # half the simulation's time walking the rows held for the next batch.
    collecting = gc.isenabled()
    gc.disable()
    if postgres:
        # Two million rows: the flows (points.flows) are computed once at the end, not row by row.
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE points_transfer DISABLE TRIGGER points_transfer_flow")
    try:
        with _loading(Transfer, Earning, Redemption, RedemptionTransition):
            copier = _Copier() if postgres else None
            ledger.transfers.copier = ledger.earnings.copier = copier
            try:
                _history(ledger)
                ledger.transfers.flush()
                ledger.earnings.flush()
            except BaseException:
                if copier is not None:
                    copier.close(quietly=True)  # before the rollback uses the connection
                raise
            if copier is not None:
                copier.close()
            ledger.transfers.copier = ledger.earnings.copier = None
            _finish(ledger)
    finally:
        if collecting:
            gc.enable()
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE points_transfer ENABLE TRIGGER points_transfer_flow")
        flows.rebuild()
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


# --- Rules -----------------------------------------------------------------------------------------


def _rules(ledger: _Ledger) -> None:
    """points.demo's district rules from the first day; its override in one community per street."""
    world = ledger.world
    admin = User.objects.filter(pk=world.district_admin_user_id).first()
    start = date(world.years[0], 1, 1)
    ledger.rules = {}
    with _as_of(datetime(world.years[0] - 1, 12, 20, 10, 0, tzinfo=ledger.tz)):
        for event_type, points, unit, daily, monthly, note in RULES:
            rule = earning_rule_save(
                actor=admin, event_type=event_type, district=ledger.district, community=None, points=points,
                unit_label=unit, daily_cap=daily, monthly_cap=monthly, valid_from=start, note=note,
            )  # fmt: skip
            ledger.rules[event_type] = (rule.pk, points, daily, monthly)
    # 越都社区's override in points.demo, here in the first community of each street, for the
    # middle year's renovation season.
    name, event_type, points, unit, daily, monthly, note = OVERRIDE
    ledger.overrides = {}
    first_of_street: dict[int, int] = {}
    for ci, sc in enumerate(world.communities):
        first_of_street.setdefault(sc.street_id, ci)
    valid_from, valid_until = date(world.years[1], 3, 1), date(world.years[1], 12, 31)
    with _as_of(datetime(world.years[1], 2, 20, 15, 0, tzinfo=ledger.tz)):
        for ci in first_of_street.values():
            sc = world.communities[ci]
            rule = earning_rule_save(
                actor=admin, event_type=event_type, district=ledger.district,
                community=Area.objects.get(pk=sc.area_id), points=points, unit_label=unit, daily_cap=daily,
                monthly_cap=monthly, valid_from=valid_from, valid_until=valid_until,
                note=note.replace(name, sc.name),
            )  # fmt: skip
            ledger.overrides[(ci, event_type)] = (
                (rule.pk, points, daily, monthly),
                valid_from.toordinal(),
                valid_until.toordinal(),
            )
    world.count("earning rules", EarningRule.objects.filter(district=ledger.district).count())


# --- Accounts --------------------------------------------------------------------------------------


def _accounts(ledger: _Ledger) -> None:
    """The fund, the sink, each community's issuing account and tills, and a wallet per holder.

    Opened here and dated by their first transfer at the end; those never used are removed then
    (the services open an account on first use).
    """
    world = ledger.world
    district = ledger.district
    fund, sink = bulk(
        Account,
        [
            Account(kind=AccountKind.DISTRICT_FUND, area=district, name=f"{district.name}积分基金"),
            Account(kind=AccountKind.EXPIRY_SINK, area=district, name=f"{district.name}过期积分"),
        ],
    )
    ledger.fund, ledger.sink = fund.pk, sink.pk
    parents = bulk(
        Account,
        (
            Account(
                kind=AccountKind.COMMUNITY, area_id=sc.area_id, name=f"{sc.name}积分账户", tills=ledger.tills
            )
            for sc in world.communities
        ),
    )
    ledger.parent = [a.pk for a in parents]
    tills = bulk(
        Account,
        (
            Account(kind=AccountKind.COMMUNITY, area_id=p.area_id, name=p.name, parent_id=p.pk)
            for p in parents
            for _number in range(ledger.tills)
        ),
    )
    n = ledger.tills
    ledger.till_ids = [[t.pk for t in tills[i * n : (i + 1) * n]] for i in range(len(parents))]

    # Holders: every member and resident with a login.
    community_ids = [sc.area_id for sc in world.communities]
    members = {u for sc in world.communities for u in sc.member_user_ids if u}
    people = {
        user_id: (name, community_id)
        for user_id, name, community_id in Person.objects.filter(
            community_id__in=community_ids, user__isnull=False
        ).values_list("user_id", "name", "community_id")
    }
    ledger.holders = [
        (user_id, ci, user_id in members)
        for ci, sc in enumerate(world.communities)
        for user_id in [*sc.member_user_ids, *sc.resident_user_ids]
        if user_id and user_id in people
    ]
    wallets = bulk(
        Account,
        (
            Account(kind=AccountKind.WALLET, area_id=people[u][1], user_id=u, name=f"{people[u][0]}的积分")
            for u, _ci, _member in ledger.holders
        ),
    )
    ledger.wallet = [w.pk for w in wallets]
    ledger.holder_index = {u: h for h, (u, _ci, _member) in enumerate(ledger.holders)}
    for account_id in [ledger.fund, ledger.sink, *ledger.parent, *(t.pk for t in tills), *ledger.wallet]:
        ledger.balance[account_id] = 0


# --- The market ------------------------------------------------------------------------------------


def _market(ledger: _Ledger) -> None:
    """Two units per street stock the markets of the street's communities: a few items a year each."""
    world, rng = ledger.world, ledger.rng
    street_of = {sc.area_id: sc.street_id for sc in world.communities}
    by_street: dict[int, list[int]] = {}
    for ui, unit in enumerate(world.units):
        by_street.setdefault(street_of.get(unit.community_area_id, 0), []).append(ui)
    everyone = list(range(len(world.units)))
    merchants_of: dict[int, list[int]] = {}
    for street_id in world.street_ids:
        pool = by_street.get(street_id) or everyone
        if pool:
            merchants_of[street_id] = rng.sample(pool, min(MERCHANTS_PER_STREET, len(pool)))
    chosen = sorted({ui for units in merchants_of.values() for ui in units})
    organisations = Organisation.objects.in_bulk([world.units[ui].org_id for ui in chosen])
    accounts = bulk(
        Account,
        (
            Account(
                kind=AccountKind.MERCHANT,
                area_id=organisations[world.units[ui].org_id].area_id,
                organisation_id=world.units[ui].org_id,
                name=organisations[world.units[ui].org_id].name,
            )
            for ui in chosen
        ),
    )
    merchant_account = {ui: a.pk for ui, a in zip(chosen, accounts, strict=True)}
    for account in accounts:
        ledger.balance[account.pk] = 0

    # points.demo's goods (its wording made any community's and any unit's), then a few more.
    catalogue = []
    for _unit, _community, name, description, price, stock, limit, _place in ITEMS:
        if all(name != entry[0] for entry in catalogue):
            description = DESCRIPTIONS.get(name, description).replace("越都社区", "{community}")
            catalogue.append((name, description, price, stock, limit))
    catalogue += MORE_ITEMS

    ledger.items_of = {}  # (community index, year index) -> item indices
    ledger.item_info = []  # per item: (merchant account, verifier, price, limit, name, opens)
    ledger.stock = []
    rows: list[MarketItem] = []
    for ci, sc in enumerate(world.communities):
        units = merchants_of.get(sc.street_id)
        if not units:
            continue
        for yi, year in enumerate(world.years):
            opens = ledger.launch if yi == 0 else ledger.at(date(year, 1, 1), 8 * HOUR)
            if opens >= ledger.now:
                continue
            closes = ledger.at(date(year + 1, 1, 1))
            current = closes > ledger.now
            for name, description, price, stock, limit in rng.sample(catalogue, ITEMS_PER_COMMUNITY_YEAR):
                ui = rng.choice(units)
                unit = world.units[ui]
                created = opens - rng.randrange(1, 6) * DAY
                ledger.items_of.setdefault((ci, yi), []).append(len(rows))
                ledger.item_info.append(
                    (merchant_account[ui], unit.contact_user_id or None, price, limit, name, opens)
                )
                ledger.stock.append(int(stock * (1 + rng.random())))
                address = organisations[unit.org_id].address
                rows.append(
                    MarketItem(
                        merchant_id=unit.org_id,
                        community_id=sc.area_id,
                        name=name,
                        description=description.format(
                            community=sc.name, merchant=_without_branch(unit.name)
                        ),
                        price=price,
                        stock=0,  # what is left: set at the end
                        per_person_limit=limit,
                        available_from=_aware(opens),
                        available_until=_aware(closes),
                        pickup_place=address if address and rng.random() < 0.5 else f"{sc.name}党群服务中心",
                        active=current,
                        created_by_id=unit.contact_user_id or None,
                        created_at=_aware(created),
                        # An offer that ended was taken down when it closed.
                        updated_at=_aware(created if current else closes),
                    )
                )
    with _explicit_times(MarketItem):
        ledger.items = bulk(MarketItem, rows)
    world.count("market items", len(ledger.items))


# --- Three years, month by month --------------------------------------------------------------------


def _first_working_day(year: int) -> date:
    """After New Year's Day: when the district allocates the year's points (and the platform opened)."""
    day = date(year, 1, 2)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _mix(shares) -> list[str]:
    """100 event types in the given shares, to draw from with one random number."""
    table: list[str] = []
    for event_type, share in shares:
        table += [event_type] * share
    return table + [shares[0][0]] * (100 - len(table))


def _history(ledger: _Ledger) -> None:
    world, rng = ledger.world, ledger.rng
    holders = ledger.holders
    n = len(holders)
    months = []
    month = date(world.years[0], 1, 1)
    while month <= world.today:
        months.append(month)
        month = _next_month(month)

    # Who joins when (most in the first year) and how active each is (a few very, most a little).
    join_month = [int(rng.random() ** 2 * min(24, len(months))) for _h in range(n)]
    activity = [rng.lognormvariate(0, 0.8) * (1.0 if member else 0.6) for _u, _ci, member in holders]
    holder_months = sum(a * (len(months) - j) for a, j in zip(activity, join_month, strict=True))
    members = sum(1 for _u, _ci, member in holders if member)
    per_activity = max(0.0, world.n(TRANSFERS) * EARNING_SHARE - members) / max(holder_months, 1.0)
    rate = [a * per_activity for a in activity]  # earnings a month
    join_at = [0] * n

    # Each month's events (time, seq, kind, ...), sorted then played; later closures wait in `pending`.
    pending: dict[date, list[tuple]] = {}
    expiry = expiry_years()
    for year in world.years:
        boundary = year - expiry + 1  # points credited before this year's start expire at the end of `year`
        expires_at = ledger.at(date(year + 1, 1, 1), 30 * 60)
        if not expiry or expires_at >= ledger.now:
            continue
        if boundary > world.years[0]:
            pending.setdefault(date(boundary, 1, 1), []).append(
                (ledger.at(date(boundary, 1, 1)), ledger.next_seq(), SNAPSHOT, year)
            )
            pending.setdefault(date(year + 1, 1, 1), []).append((expires_at, ledger.next_seq(), EXPIRE, year))
        else:
            ledger.expiries[year] = [expires_at, 0, 0]  # the job ran; nothing was that old yet
    mixes = {True: _mix(MEMBER_MIX), False: _mix(RESIDENT_MIX)}
    drawn = _earnings_drawn(ledger)
    names = [sc.name for sc in world.communities]  # a member's report names the community
    random = rng.random
    for m, month in enumerate(months):
        year_index = world.years.index(month.year) if month.year in world.years else -1
        following = _next_month(month)
        month_end = min(ledger.at(following), ledger.now)
        days = (min(following, world.today + timedelta(days=1)) - month).days
        starts = [ledger.at(month + timedelta(days=d)) for d in range(days)]
        events = pending.pop(month, [])
        if month.month == 1:
            # The year's allocation to each community: about what its holders will earn.
            last = min(m + 11, len(months) - 1)
            expected = [0.0] * len(world.communities)
            for h, (_user, ci, _member) in enumerate(holders):
                expected[ci] += rate[h] * max(0, last - max(join_month[h], m) + 1) * MEAN_EARNING
            at = ledger.at(_first_working_day(month.year), 9 * HOUR)
            for ci, points in enumerate(expected):
                amount = min(1_000_000, max(ALLOCATION // 10, -(-int(points * 1.1) // 5_000) * 5_000))
                events.append(
                    (at + ci * 5, ledger.next_seq(), ALLOCATE, ci, amount, f"{month.year}年度公益积分额度")
                )
        # Nobody joins before the platform opens.
        earliest = ledger.launch + HOUR if m == 0 else starts[0]
        opening_day = (ledger.local(ledger.launch).date() - month).days if m == 0 else 0

        for h in range(n):
            if join_month[h] > m:
                continue
            member = holders[h][2]
            first_day = 0
            if join_month[h] == m:
                first_day = opening_day + int(random() * (days - opening_day))
                join_at[h] = max(earliest, starts[first_day] + int(8 + random() * 12) * HOUR)
                if join_at[h] >= month_end:
                    join_month[h] = len(months)  # not yet: after today
                    continue
                if member:
                    # Reporting to the residential community is how a member starts.
                    events.append(
                        (
                            join_at[h],
                            ledger.next_seq(),
                            EARN,
                            h,
                            EventType.MEMBER_REPORTED,
                            1,
                            names[holders[h][1]],
                        )
                    )
            r = rate[h]
            count = int(r) + (random() < r - int(r))
            if join_month[h] == m and not member:
                count = max(1, count)  # a resident signs up to take part in something
            mix = mixes[member]
            for _k in range(count):
                t = max(
                    starts[first_day + int(random() * (days - first_day))]
                    + int(random() * 13 * HOUR)
                    + 8 * HOUR,
                    join_at[h] + 60,
                )
                if t < month_end:
                    event_type = mix[int(random() * 100)]
                    pairs = drawn[event_type]
                    quantity, memo = pairs[int(random() * len(pairs))]
                    events.append((t, ledger.next_seq(), EARN, h, event_type, quantity, memo))
            if random() < REDEEM_MONTHLY:
                t = (
                    starts[first_day + int(random() * (days - first_day))]
                    + int(random() * 12 * HOUR)
                    + 8 * HOUR
                )
                if join_at[h] < t < month_end:
                    events.append((t, ledger.next_seq(), REDEEM, h, random(), random(), year_index))

        heapq.heapify(events)
        _play(ledger, events, month, starts, pending)
        if ledger.transfers.full():
            ledger.transfers.flush()
            ledger.earnings.flush()


def _play(
    ledger: _Ledger, events: list[tuple], month: date, starts: list[int], pending: dict[date, list[tuple]]
) -> None:
    """One month's events in time order, with the services' rules: caps, tills, limits, balances."""
    world = ledger.world
    holders, wallet, balance, parent = ledger.holders, ledger.wallet, ledger.balance, ledger.parent
    rules, overrides = ledger.rules, ledger.overrides
    area_of = [sc.area_id for sc in world.communities]
    day_sums: dict[tuple, int] = {}
    month_sums: dict[tuple, int] = {}
    first_day = month.toordinal()
    while events:
        event = heapq.heappop(events)
        t, kind = event[0], event[2]
        if kind == EARN:
            h, event_type, quantity, memo = event[3], event[4], event[5], event[6]
            user, ci, _member = holders[h]
            day = first_day + bisect_right(starts, t) - 1
            rule = rules[event_type]
            override = overrides.get((ci, event_type))
            if override is not None and override[1] <= day <= override[2]:
                rule = override[0]
            rule_id, per_unit, daily, monthly = rule
            # The caps, as points_award_for_event applies them: what is left today and this month.
            points = per_unit * quantity
            day_key, month_key = (h, event_type, day), (h, event_type)
            if daily is not None:
                points = min(points, daily - day_sums.get(day_key, 0))
            if monthly is not None:
                points = min(points, monthly - month_sums.get(month_key, 0))
            if points <= 0:
                continue
            day_sums[day_key] = day_sums.get(day_key, 0) + points
            month_sums[month_key] = month_sums.get(month_key, 0) + points
            source = ledger.community_pays(ci, points, t)
            tid = ledger.move(
                TransferKind.EARNING, source, wallet[h], points, t, cause=event_type, memo=memo,
            )  # fmt: skip
            if source == parent[ci]:
                ledger.top_up_till(ci, t)
            ledger.earnings.add((tid, event_type, rule_id, user, area_of[ci], quantity, per_unit, points, t))
        elif kind == REDEEM:
            _redeem(ledger, event, month, events, pending)
        elif kind == CLOSE:
            _close(ledger, event)
        elif kind == ALLOCATE:
            ledger.allocate(event[3], event[4], event[5], t)
        elif kind == SNAPSHOT:
            # What each wallet has been credited so far: its balance plus all it has paid.
            ledger.credited[event[3]] = {w: balance[w] + ledger.paid_out.get(w, 0) for w in wallet}
        elif kind == EXPIRE:
            # points_expire: FIFO, what was credited before the boundary less all paid since, per wallet.
            year = event[3]
            credited = ledger.credited.pop(year)
            memo = _expiry_memo(year)
            expired = ledger.expiries.setdefault(year, [t, 0, 0])
            for index, w in enumerate(sorted(wallet)):
                amount = min(credited[w] - ledger.paid_out.get(w, 0), balance[w])
                if amount > 0:
                    expired[1] += 1
                    expired[2] += amount
                    ledger.paid_out[w] = ledger.paid_out.get(w, 0) + amount
                    ledger.move(
                        TransferKind.EXPIRY, w, ledger.sink, amount, t + index // 500, cause=f"expiry:{year}",
                        memo=memo, key=f"expiry:{w}:{year}",
                    )  # fmt: skip


def _earnings_drawn(ledger: _Ledger) -> dict[str, list[tuple[int, str]]]:
    """Per event, the (quantity, memo) pairs to draw from: what the app reporting it passes as memo
    (a wish's title, an activity and its hours, a service order…)."""
    orders = [
        ledger.order_memo % {"what": f"{field} · {note}"}
        for field in ledger.service_fields
        for note in ORDER_NOTES
    ]
    return {
        EventType.ACTIVITY_HOURS: [
            (hours, f"{title} · {hours}h") for title in ACTIVITY_TITLES for hours in HOURS
        ],
        EventType.CROWDFUNDING_LABOUR: [(hours, title) for title in CAMPAIGN_TITLES for hours in HOURS],
        EventType.WISH_FULFILLED: [(1, title) for title in WISH_TITLES],
        EventType.ORDER_COMPLETED: [(1, memo) for memo in orders],
        EventType.MEETING_ATTENDED: [(1, title) for title in MEETING_TITLES],
        EventType.CONTRACT_ITEM_DELIVERED: [(1, title) for title in CONTRACT_ITEM_TITLES],
    }


def _redeem(
    ledger: _Ledger, event: tuple, month: date, events: list[tuple], pending: dict[date, list[tuple]]
) -> None:
    """A holder redeems an item of their community's market if it is on offer, in stock, within their
    limit and their points (one more item tried if not); what becomes of the code is filed for later."""
    t, h, first, second, year_index = event[0], event[3], event[4], event[5], event[6]
    rng = ledger.rng
    user, ci, _member = ledger.holders[h]
    candidates = ledger.items_of.get((ci, year_index))
    if not candidates:
        return
    wallet = ledger.wallet[h]
    for draw in (first, second):
        item = candidates[int(draw * len(candidates))]
        merchant, _verifier, price, limit, name, opens = ledger.item_info[item]
        held = ledger.held.get((item, user), 0)
        quantity = 2 if limit - held >= 2 and second < 0.2 else 1
        if (
            t < opens
            or held + quantity > limit
            or ledger.stock[item] < quantity
            or ledger.balance[wallet] < price * quantity
        ):
            continue
        ledger.stock[item] -= quantity
        ledger.held[(item, user)] = held + quantity
        ledger.paid_out[wallet] = ledger.paid_out.get(wallet, 0) + price * quantity
        rid = ledger.next_redemption
        ledger.next_redemption += 1
        points = price * quantity
        tid = ledger.move(
            TransferKind.REDEMPTION, wallet, merchant, points, t, cause=f"points.Redemption:{rid}",
            memo=f"{name} ×{quantity}", actor=user,
        )  # fmt: skip
        code = f"{int(rng.random() * 10**8):08d}"
        while code in ledger.codes:
            code = f"{int(rng.random() * 10**8):08d}"
        ledger.codes.add(code)
        token = base64.urlsafe_b64encode(rng.getrandbits(144).to_bytes(18, "big")).decode()
        expires = t + VALID_FOR
        # id, item, user, quantity, points, code, token, state, reserve, refund, reserved, expires,
        # completed, closed, verified by
        ledger.redemptions.append(
            [rid, item, user, quantity, points, code, token, RedemptionState.RESERVED, tid, None, t, expires,
             None, None, None]
        )  # fmt: skip
        draw = rng.random()
        outcome = next(state for share, state in OUTCOMES if draw < share)
        if outcome == RedemptionState.COMPLETED:
            when = t + 2 * HOUR + int(rng.random() * (VALID_FOR - 4 * HOUR))
        elif outcome == RedemptionState.CANCELLED:
            when = t + 600 + int(rng.random() * 3 * DAY)
        else:
            when = expires + 1 + int(rng.random() * 599)  # the ten-minute job finds it
        if when < ledger.now:
            close = (when, ledger.next_seq(), CLOSE, len(ledger.redemptions) - 1, outcome)
            closing_month = ledger.local(when).date().replace(day=1)
            if closing_month == month:
                heapq.heappush(events, close)
            else:
                pending.setdefault(closing_month, []).append(close)
        return


VALID_FOR = int(REDEMPTION_VALID_FOR.total_seconds())


def _close(ledger: _Ledger, event: tuple) -> None:
    """Collected (verified by the merchant's contact), or cancelled or expired: refunded by reversal."""
    t, index, outcome = event[0], event[3], event[4]
    record = ledger.redemptions[index]
    rid, item, user, quantity, points = record[:5]
    merchant, verifier, _price, _limit, name, _opens = ledger.item_info[item]
    record[7] = outcome
    if outcome == RedemptionState.COMPLETED:
        record[12], record[14] = t, verifier
        return
    record[9] = ledger.move(
        TransferKind.REVERSAL, merchant, ledger.wallet[ledger.holder_index[user]], points, t,
        key=f"scale:redeem:{rid}:refund", cause=f"points.Redemption:{rid}",
        memo=ledger.refund_memo % {"item": name}, reverses=record[8],
        actor=user if outcome == RedemptionState.CANCELLED else None,
    )  # fmt: skip
    record[13] = t
    ledger.stock[item] += quantity
    ledger.held[(item, user)] -= quantity


# --- Writing what the simulation kept ----------------------------------------------------------------


def _finish(ledger: _Ledger) -> None:
    world = ledger.world
    ledger.transfers.flush()
    ledger.earnings.flush()
    _ids_used(Transfer, ledger.next_transfer - 1)

    redemptions = _Table(
        Redemption,
        ["id", "item_id", "user_id", "quantity", "points", "code", "token", "state", "reserve_transfer_id",
         "refund_transfer_id", "reserved_at", "expires_at", "completed_at", "closed_at", "verified_by_id"],
        {10, 11, 12, 13},
        lambda r: (
            f"{r[0]}\t{r[1]}\t{r[2]}\t{r[3]}\t{r[4]}\t{r[5]}\t{r[6]}\t{r[7]}\t{r[8]}\t{_n(r[9])}\t{_ts(r[10])}\t"
            f"{_ts(r[11])}\t{_n(r[12] and _ts(r[12]))}\t{_n(r[13] and _ts(r[13]))}\t{_n(r[14])}"
        ),
    )  # fmt: skip
    steps = _Table(
        RedemptionTransition,
        ["redemption_id", "from_state", "to_state", "actor_id", "at", "note"],
        {4},
        lambda r: f"{r[0]}\t{r[1]}\t{r[2]}\t{_n(r[3])}\t{_ts(r[4])}\t{r[5]}",
    )
    states: dict[str, int] = {}
    for record in ledger.redemptions:
        rid, user, state = record[0], record[2], record[7]
        states[state] = states.get(state, 0) + 1
        redemptions.add((rid, ledger.items[record[1]].pk, *record[2:]))
        steps.add((rid, "", RedemptionState.RESERVED, user, record[10], ""))
        if state == RedemptionState.COMPLETED:
            steps.add((rid, RedemptionState.RESERVED, state, record[14], record[12], ""))
        elif state != RedemptionState.RESERVED:
            actor = user if state == RedemptionState.CANCELLED else None
            steps.add((rid, RedemptionState.RESERVED, state, actor, record[13], ""))
        if redemptions.full() or steps.full():
            redemptions.flush()
            steps.flush()
    redemptions.flush()
    steps.flush()
    _ids_used(Redemption, ledger.next_redemption - 1)

    for item, stock in zip(ledger.items, ledger.stock, strict=True):
        item.stock = stock
    MarketItem.objects.bulk_update(ledger.items, ["stock"], batch_size=1000)

    # Accounts: dated by their first transfer (tills with their account); never used, never opened.
    used = ledger.first_used
    opened: dict[int, int] = {ledger.fund: ledger.launch}
    for ci, parent in enumerate(ledger.parent):
        opened[parent] = used.get(parent, ledger.launch)
        for till in ledger.till_ids[ci]:
            opened[till] = opened[parent]
    for account_id, at in used.items():
        opened.setdefault(account_id, at)
    Account.objects.filter(pk__in=[a for a in ledger.balance if a not in opened]).delete()
    _set_balances(ledger, opened)
    world.extra["points_wallets"] = {
        user: ledger.wallet[h]
        for h, (user, _ci, _member) in enumerate(ledger.holders)
        if ledger.wallet[h] in opened
    }

    # The yearly expiry job's record of each run (core.jobs.run_once_per_period), so it never runs twice.
    with _explicit_times(JobRun):
        bulk(
            JobRun,
            [
                JobRun(
                    job="points.expire",
                    period=str(year),
                    started_at=_aware(at),
                    finished_at=_aware(at + 5 + wallets // 200),
                    result={"wallets": wallets, "points": points},
                )
                for year, (at, wallets, points) in sorted(ledger.expiries.items())
            ],
        )

    world.count("points accounts", len(opened))
    world.count("points transfers", ledger.transfers.written)
    world.count("earnings", ledger.earnings.written)
    world.count("redemptions", len(ledger.redemptions))
    ledger.redemption_states = states


def _set_balances(ledger: _Ledger, opened: dict[int, int]) -> None:
    """Each account's balance, set once from the simulation's sums (what verify_ledger recomputes)."""
    rows = [(a, ledger.balance[a], at) for a, at in sorted(opened.items())]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE scale_points_balance (id bigint PRIMARY KEY, balance bigint, "
                "created_at timestamptz) ON COMMIT DROP"
            )
            buffer = io.StringIO("".join(f"{a}\t{b}\t{_ts(at)}\n" for a, b, at in rows))
            cursor.copy_expert("COPY scale_points_balance (id, balance, created_at) FROM STDIN", buffer)
            cursor.execute(
                "UPDATE points_account AS a SET balance = b.balance, created_at = b.created_at "
                "FROM scale_points_balance AS b WHERE a.id = b.id"
            )
        return
    accounts = [Account(pk=a, balance=b, created_at=_aware(at)) for a, b, at in rows]
    Account.objects.bulk_update(accounts, ["balance", "created_at"], batch_size=BATCH)
