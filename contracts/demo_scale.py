"""District-scale contracts: a pairing per unit and three years of its contracts, in every state, bulk-inserted.

At factor 1.0: 1,175 pairings (8 % of them formed this autumn, negotiating their first contract);
for the others a contract for each of the two past years (evaluated; a few terminated, a few failed
and rectified) and for this year (mostly being fulfilled, some in or through an early evaluation, a
few terminated), and next year's, negotiated since November (mostly renewals): about 4,300
contracts, 4,200 consultation meetings, 35,000 fulfilment records, 16,000 ratings, ≈ 55 million
yuan committed a year, and 13,000 public-record entries.

`core.scale` calls `seed(world)` after `community.demo_scale` has filled the world. Each contract is
first played through in memory, step by step as the services would take it (who acts, when, what
each step writes), and only then written with `bulk_create`: versions with the SHA-256 of their
canonical text (`services.canonical_text`), signatures by the authorised signers, one
`ContractEvent` per transition, consultation meetings, fulfilment records, ratings and the score
and grade `services.evaluation_score` gives, rectifications, and the public-record entries the
services append (signatures, publications, evaluations, terminations), chained as `audit` chains them.

No step lies in the future: a step that would fall after now is not taken, so the contract stays
in the state before it (which is also what keeps the daily job's windows consistent). The record
entries go after the chain's last entry in time order; one dated before that entry is stamped with
its time instead, as `audit_append` does with a late clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from audit.chain import GENESIS_HASH, compute_entry_hash, document_hash
from audit.models import Entry
from audit.services import CHAIN_LOCK_KEY
from community.models import Organisation, UnitType
from core.scale import ScaleCommunity, ScaleUnit, ScaleWorld, batches, bulk

from . import demo, services
from .models import (
    Comment,
    Contract,
    ContractEvent,
    ContractVersion,
    FulfilmentRecord,
    Meeting,
    MenuKind,
    MenuOffer,
    Need,
    Pairing,
    PairingContact,
    RaterKind,
    Rating,
    Rectification,
    Side,
    Signature,
    SigningOrder,
)
from .workflow import ContractState, ContractStep

S = ContractState
COMMUNITY, UNIT = Side.COMMUNITY.value, Side.UNIT.value

# --- Wording ----------------------------------------------------------------------------------------
# An item template: (side, kind, title, deliverable, quantity range or None, unit, schedule, budget range
# or None). "{c}" in a deliverable is the community's name.
Template = tuple[str, str, str, str, tuple[int, int] | None, str, str, tuple[int, int] | None]

# fmt: off
UNIT_ITEMS: dict[str, list[Template]] = {
    "health": [
        ("unit", "service", "健康义诊进社区", "每月在{c}党群服务中心开展量血压、测血糖和健康咨询", (10, 12), "次", "每月一次", (5000, 15000)),
        ("unit", "personalised", "高龄独居老人上门随访", "为{c}高龄、独居老人提供家庭医生签约和上门随访", (30, 80), "户", "全年", (10000, 25000)),
        ("unit", "service", "应急救护技能培训", "为居民和楼道长开展心肺复苏、AED使用培训", (2, 6), "场", "每季度", (2000, 8000)),
        ("unit", "responsibility", "慢病防治健康讲座", "高血压、糖尿病等慢病防治和合理用药讲座", (4, 8), "场", "双月一次", (2000, 5000)),
    ],
    "education": [
        ("unit", "service", "家庭教育公益讲座", "为{c}家长开展家庭教育和青少年心理健康讲座", (3, 6), "场", "每学期", (1000, 4000)),
        ("unit", "resource", "校园运动场地错时开放", "周末和寒暑假向{c}居民开放学校操场", None, "", "节假日", None),
        ("unit", "personalised", "困境儿童结对辅导", "党员教师与{c}困境儿童一对一结对辅导功课", (5, 15), "名", "全年", (3000, 10000)),
        ("unit", "service", "青少年科普实践活动", "组织社区青少年参加科学实验和研学活动", (2, 4), "次", "寒暑假", (3000, 8000)),
    ],
    "finance": [
        ("unit", "service", "老年人智能手机使用培训", "教老年人使用智能手机、移动支付和识别诈骗短信", (4, 10), "场", "全年", (2000, 6000)),
        ("unit", "personalised", "困难家庭节日慰问", "对{c}困难家庭开展春节、中秋走访慰问", (10, 30), "户", "春节、中秋", (10000, 40000)),
        ("unit", "resource", "流动金融服务进社区", "每月一次在{c}提供社保卡激活、养老金咨询等服务", (12, 12), "次", "每月", None),
    ],
    "utility": [
        ("unit", "service", "独居老人家庭线路义务检修", "为{c}独居老人检修老化线路、更换插座开关", (20, 60), "户", "全年", (3000, 10000)),
        ("unit", "service", "燃气安全入户宣传", "入户检查燃气软管、宣传燃气安全常识", (100, 500), "户", "上半年", (2000, 6000)),
        ("unit", "responsibility", "停电停水提前告知", "计划检修提前三天告知社区并协助做好解释", None, "", "全年", None),
    ],
    "law": [
        ("unit", "service", "律师驻点法律咨询", "每月在{c}党群服务中心设法律咨询点", (12, 12), "次", "每月第二个周三", (3000, 8000)),
        ("unit", "responsibility", "疑难纠纷联合调解", "参与{c}人民调解委员会疑难纠纷调解", None, "", "全年", None),
        ("unit", "service", "普法宣传进小区", "开展民法典、反电信诈骗等普法宣传", (4, 8), "场", "每季度", (1000, 4000)),
    ],
    "agency": [
        ("unit", "responsibility", "包联楼道文明创建", "机关党员分片包联{c}楼道，开展卫生整治和文明劝导", (10, 30), "个楼道", "每月", None),
        ("unit", "service", "政策宣讲进社区", "宣讲医保、社保、养老服务等惠民政策", (4, 6), "场", "每季度", (1000, 3000)),
        ("unit", "responsibility", "垃圾分类定时定点督导", "党员志愿者在{c}垃圾投放点值守督导", (50, 200), "人次", "每周", None),
        ("unit", "responsibility", "节假日治安联防巡逻", "节假日参与{c}治安巡逻和消防安全检查", (12, 24), "次", "每月", None),
    ],
    "enterprise": [
        ("unit", "personalised", "助老助困资金", "资助{c}困难老人、残疾人节日慰问和临时救助", (10, 40), "户", "春节、重阳", (10000, 50000)),
        ("unit", "service", "家电义务维修", "每季度为{c}居民开展家电、小家具义务维修", (4, 4), "次", "每季度", (2000, 6000)),
        ("unit", "resource", "提供就业岗位", "为{c}就业困难人员提供适合的工作岗位", (3, 10), "个", "全年", None),
        ("unit", "resource", "捐赠社区文体器材", "为{c}文体队伍捐赠音响、服装和健身器材", (1, 3), "批", "全年", (5000, 20000)),
    ],
    "general": [
        ("unit", "responsibility", "在职党员到社区报到服务", "组织在职党员到{c}报到，认领网格志愿服务岗位", (10, 60), "人", "全年", None),
        ("unit", "service", "结对帮扶困难党员", "单位党员与{c}困难党员、老党员结对走访", (2, 6), "户", "全年", (2000, 6000)),
        ("unit", "responsibility", "环境整治志愿服务", "党员职工参与{c}背街小巷和楼道环境整治", (6, 12), "次", "每月", None),
    ],
}
# Funded co-construction projects (共建项目): about two contracts in three carry one (≈ 70,000 yuan each).
PROJECT_ITEMS: list[Template] = [
    ("unit", "personalised", "老旧小区加装电梯配套资金", "为{c}老旧小区加装电梯提供配套补助", (1, 3), "台", "全年", (40000, 120000)),
    ("unit", "personalised", "居家养老服务照料中心改造", "改造{c}居家养老服务照料中心，添置助浴、康复设备", (1, 1), "处", "全年", (50000, 150000)),
    ("unit", "resource", "口袋公园建设", "利用{c}闲置地块建设口袋公园和健身步道", (1, 1), "处", "全年", (60000, 200000)),
    ("unit", "resource", "电动自行车集中充电棚", "在{c}小区建设带智能断电保护的集中充电棚", (2, 6), "处", "上半年", (20000, 60000)),
    ("unit", "personalised", "老年食堂助餐补助", "支持{c}老年食堂为高龄、独居老人提供助餐和送餐", (1, 1), "处", "全年", (30000, 80000)),
    ("unit", "resource", "微型消防站配置", "为{c}配置微型消防站器材并培训义务消防队", (1, 1), "处", "上半年", (15000, 40000)),
    ("unit", "resource", "老旧小区智慧安防", "为{c}老旧小区加装高清监控、人脸门禁和高空抛物监测", (1, 3), "个小区", "全年", (40000, 120000)),
    ("unit", "resource", "党群服务中心功能提升", "提升{c}党群服务中心阅览室、活动室和无障碍设施", (1, 1), "处", "全年", (30000, 90000)),
    ("unit", "personalised", "儿童之家建设", "在{c}建设儿童之家，配置图书、益智器材和看护志愿者", (1, 1), "处", "全年", (20000, 60000)),
    ("unit", "resource", "背街小巷环境提升", "整治{c}背街小巷路面、照明和绿化", (1, 4), "条", "全年", (50000, 150000)),
    ("unit", "resource", "文化家园阵地建设", "建设{c}文化家园，配置排练和展示设施", (1, 1), "处", "全年", (30000, 100000)),
]
COMMUNITY_ITEMS: list[Template] = [
    ("community", "responsibility", "组织居民参与服务活动", "网格员通知并组织居民报名参加单位的服务活动", (4, 12), "场", "全年", None),
    ("community", "resource", "提供在职党员报到岗位", "在各网格设立楼道长助理、文明劝导员等岗位", (5, 20), "个", "全年", None),
    ("community", "responsibility", "共建项目公示和宣传", "在宣传栏、居民群公示共建项目、进度和资金使用", None, "", "全年", None),
    ("community", "service", "协助单位走访收集需求", "协助单位党组织走访居民、梳理需求清单", (1, 2), "次", "上半年", None),
    ("community", "personalised", "为服务党员记录公益积分", "为参与服务的单位党员和职工记录公益积分", None, "", "全年", None),
    ("community", "responsibility", "组织居民代表年终评议", "组织居民代表对共建项目逐项评议并公示结果", (1, 1), "次", "年底", (1000, 3000)),
]
# fmt: on
SECTOR_GROUPS = [
    (("医院", "卫生", "医疗", "诊所", "疾控", "医"), "health"),
    (("学校", "小学", "中学", "幼儿园", "教育", "学院", "大学"), "education"),
    (("银行", "保险", "金融", "信用社", "证券"), "finance"),
    (("电力", "供电", "水务", "燃气", "通信", "电信", "移动", "联通", "自来水"), "utility"),
    (("司法", "律师", "法院", "检察", "公安", "派出所"), "law"),
]
UNIT_TYPE_GROUPS = {
    UnitType.AGENCY: "agency",
    UnitType.ENTERPRISE: "enterprise",
    UnitType.TWO_NEW: "enterprise",
    UnitType.INSTITUTION: "agency",
}
QUARTER_WHAT = [what for _due, what in demo.MILESTONES]
PROJECT_RECORD_TEXTS = [
    "组织居民代表查看施工现场，收集意见和建议",
    "项目资金按进度拨付，票据和台账已归档",
    "施工现场安全检查，向居民通报工程进度",
    "协调解决施工中居民反映的噪音和通行问题",
]
PROJECT_TITLES = frozenset(template[2] for template in PROJECT_ITEMS)
PROJECT_WHAT = ["完成方案设计并征求居民意见", "完成招标并开工建设", "完成主体施工", "竣工验收并向居民公示"]
REVISE_NOTES = [
    "协商会议后调整服务频次和时间，列明节点",
    "根据居民代表意见增加服务内容",
    "列明各项目预算和完成时间",
    "按单位年度计划调整项目预算",
    "",
]
MEETING_PLACES = ["{c}党群服务中心", "{c}党群服务中心二楼会议室", "{u}会议室", "{c}红管家议事厅"]
MEETING_MINUTES = [
    "社区通报了上一年度共建项目完成情况和居民评议意见，单位介绍了今年可提供的服务和资源，双方逐项商定了共建清单。",
    "居民代表提出{c}老年人多、助老服务需求大，单位同意增加上门服务次数，双方明确了各自责任人。",
    "双方围绕“{i}”的实施方案、资金安排和进度节点进行了协商，网格员介绍了相关小区的实际情况。",
    "单位党组织书记听取了社区梳理的需求清单，结合单位专业特长认领了其中的项目，对暂时无法承接的需求说明了原因。",
    "双方对草案中的项目预算和完成时间提出修改意见，约定修改后再次征求居民代表意见。",
    "会议通报了契约草案征求意见情况，居民代表对项目表示支持，双方同意按修改后的版本签约。",
]
MEETING_DECISIONS = [
    "共建清单按协商意见修改后报双方确认。",
    "“{i}”按季度设置节点，完成情况在社区宣传栏公示。",
    "服务时间安排在周末，方便上班族参加。",
    "明确双方联络人，每季度召开一次碰头会。",
    "",
]
COMMENTS = [
    "这一项的次数能否增加到每月一次？",
    "预算里请列明物资和人工的分项。",
    "建议增加一个年中节点，便于居民监督。",
    "服务对象建议优先考虑独居和高龄老人。",
    "场地需要提前一周预约，请在清单中注明。",
    "这一项我方今年难以承接，建议放到下一年度。",
    "同意本版本，请对方确认。",
]
# The demo's record texts that do not count the times (第一次…), which would not follow in order here.
RECORD_TEXTS = [text for _i, _d, text, _n, _h in demo.RECORDS if not text.startswith("第")] + [
    "完成一次服务，现场签到并拍照留存，签到表已归档。",
    "按计划开展服务，居民反映良好。",
    "结合网格员反映的需求上门服务，做好记录。",
    "完成阶段性工作，整理台账并报社区。",
]
RESIDENT_COMMENTS = [comment for _u, _s, comment in demo.RATINGS] + [
    "服务很及时",
    "希望明年继续",
    "项目落实得好，小区环境明显改善",
    "活动次数偏少",
    "宣传不够，很多居民不知道",
    "老人们很满意",
    "",
    "",
]
SIDE_COMMENTS = {
    COMMUNITY: ["单位履约积极", "单位党员参与度高", "项目推进及时，资金到位", "部分项目进度滞后"],
    UNIT: ["社区配合到位", "社区组织居民参与积极", "场地保障到位", "希望社区提前沟通活动安排"],
}
POOR_COMMENTS = ["多项承诺未按期完成", "服务次数明显不足", "项目迟迟没有动工"]
TERMINATION_REASONS = [
    "项目资金未能落实，双方协商终止",
    "单位机构改革调整，承接能力变化，双方协商终止",
    "单位党组织撤并，契约终止，待新组织重新结对",
    "主要项目因规划调整无法实施，双方协商终止",
]
CHANGE_REASONS = [
    "预算需按单位新的年度计划调整",
    "服务时间与单位排班冲突，需修改",
    "项目名称和数量需核实后再签",
]
RECTIFY = [
    ("“{i}”完成次数不足，年后补足服务并向居民公示", "已补开展服务并在宣传栏公示"),
    ("居民反映“{i}”宣传不到位，整改后向居民说明", "已在居民群和宣传栏说明，并回访居民"),
]
RECTIFY_DONE = ["双方已按评议意见整改，结果已公示", "已补足服务次数并回访居民", "已调整服务安排并向居民说明"]
NEED_TEXTS = [(kind, title, description) for _c, kind, title, description in demo.NEEDS] + [
    ("service", "高龄老人助餐服务", "辖区80岁以上老人多，希望有单位支持老年食堂送餐"),
    ("resource", "电动自行车充电场地", "老旧小区飞线充电多，需要集中充电场地和设施"),
    ("personalised", "加装电梯资金缺口", "已有单元通过加装电梯意见征询，资金尚有缺口"),
    ("service", "青少年课后托管", "双职工家庭多，放学后孩子无人看护"),
    ("responsibility", "背街小巷保洁", "背街小巷卫生死角多，需要单位党员包干保洁"),
    ("service", "家电维修便民服务", "老年人家电维修难，希望定期有维修服务"),
]
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47",
    "Mozilla/5.0 (Linux; Android 13; V2243A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0 Mobile Safari/537.36",
]

# Shares of this year's contracts of long-standing pairings (the rest are published, being fulfilled).
THIS_YEAR_SHARES = {S.EVALUATING: 0.12, S.EVALUATED: 0.03, S.TERMINATED: 0.015}
# Pairings formed this autumn, still negotiating their first contract, and where each stands.
NEW_PAIRING_SHARE = 0.08
NEW_SHARES = {S.DRAFT: 0.4, "partly_signed": 0.15, S.AGREED: 0.15, S.SIGNED: 0.22, S.TERMINATED: 0.08}
PAST_TERMINATED_SHARE = 0.025
PAST_FAIL_SHARE = 0.015
PAST_FAIR_SHARE = 0.12
RENEWED_SHARE = 0.85
VOIDED_SHARE = 0.03
PROJECT_SHARE = 0.68
MEETINGS = [(0, 25), (1, 50), (2, 20), (3, 5)]  # (meetings, weight): about 1 per negotiation


class _Stop(Exception):
    """The next step would fall after now: the contract stays where it is."""


@dataclass
class _PairingPlan:
    pairing: Pairing
    community: ScaleCommunity
    unit: ScaleUnit
    community_org_name: str
    unit_name: str
    group: str
    raters: list[int]  # residents and members of the community with a login
    since: date
    new: bool


@dataclass
class _Plan:
    """One contract played through: its fields and everything its steps wrote, before it has an id."""

    pp: _PairingPlan
    title: str
    term_start: date
    term_end: date
    signing_order: str
    renewed_from: _Plan | None
    created_at: datetime
    state: str = S.DRAFT
    fields: dict[str, Any] = field(default_factory=dict)
    versions: list[dict[str, Any]] = field(default_factory=list)
    frozen: int | None = None
    signatures: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    meetings: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    ratings: list[dict[str, Any]] = field(default_factory=list)
    rectifications: list[dict[str, Any]] = field(default_factory=list)
    audits: list[tuple[datetime, str, dict[str, Any]]] = field(default_factory=list)
    contract: Contract | None = None

    @property
    def clock(self) -> datetime:
        return self.events[-1]["at"] if self.events else self.created_at

    @property
    def items(self) -> list[dict[str, Any]]:
        return self.versions[-1]["items"]


@contextmanager
def _keep_times(*models):
    """Let bulk inserts keep the historical times given, instead of `auto_now(_add)` stamping now."""
    saved = []
    for model in models:
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                saved.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    raise ValueError(day)


def _next_year(day: date) -> date:
    """As `services.contract_renew` moves a date to next year (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def _quota(n: int, shares: dict[str, float], rest: str, rng) -> list[str]:
    """`n` states in shuffled order: each share rounded (at least one each when n allows), the rest `rest`."""
    states: list[str] = []
    for state, share in shares.items():
        count = round(n * share)
        if count == 0 and n > len(shares):
            count = 1
        states += [state] * count
    states = states[:n]
    states += [rest] * (n - len(states))
    rng.shuffle(states)
    return states


class _Builder:
    def __init__(self, world: ScaleWorld) -> None:
        self.world = world
        self.rng = world.rng
        self.now = timezone.now()
        self.today = world.today
        self.local = ZoneInfo(settings.TIME_ZONE)
        self.weights = services.criteria_weights()
        with override(settings.LANGUAGE_CODE):
            self.side_label = {COMMUNITY: str(Side.COMMUNITY.label), UNIT: str(Side.UNIT.label)}
            self.fail_text = _(
                "The evaluation found the contract unsatisfactory: both sides put right what the ratings name."
            )
            self.drafted, self.first_draft = _("Drafted"), _("First draft")

    # --- Times ----------------------------------------------------------------------------------

    def moment(self, day: date, start_hour: int = 8, end_hour: int = 18) -> datetime:
        seconds = self.rng.randrange(start_hour * 3600, end_hour * 3600)
        local = datetime.combine(day, time(), tzinfo=self.local) + timedelta(
            seconds=seconds, microseconds=self.rng.randrange(1_000_000)
        )
        return local.astimezone(UTC)

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.local).date()

    def later(self, prev: datetime, lo: int, hi: int, cap: datetime | None = None) -> datetime:
        """A working-hours moment `lo`–`hi` days after `prev` (always after it); `_Stop` past `cap` (now)."""
        moment = self.moment(self.local_date(prev) + timedelta(days=self.rng.randint(lo, hi)))
        if moment <= prev:
            moment = prev + timedelta(
                minutes=self.rng.randint(5, 240), microseconds=self.rng.randrange(10**6)
            )
        if moment > (cap or self.now):
            raise _Stop
        return moment

    def job_moment(self, day: date) -> datetime:
        """When the 06:00 daily job reached a contract on `day`."""
        local = datetime.combine(day, time(6, 0), tzinfo=self.local) + timedelta(
            seconds=self.rng.randrange(1, 90), microseconds=self.rng.randrange(1_000_000)
        )
        return local.astimezone(UTC)

    # --- Items ----------------------------------------------------------------------------------

    def _milestones(self, start: date, end: date, project: bool) -> list[dict[str, str]]:
        months = max(1, (end.year - start.year) * 12 + end.month - start.month + 1)
        if project:
            marks = [
                (round(months * share) or 1, what)
                for share, what in zip((0.2, 0.4, 0.7, 0.9), PROJECT_WHAT, strict=True)
            ]
        else:
            marks = [
                (round(months * share) or 1, what)
                for share, what in zip((0.25, 0.5, 0.75, 1.0), QUARTER_WHAT, strict=True)
            ]
        milestones = []
        for offset, what in marks:
            due = _add_months(start, offset) - timedelta(days=1)
            if offset == months or due > end:
                due = end - timedelta(days=16)
            if start <= due <= end:
                milestones.append({"due": due.isoformat(), "what": what})
        return sorted(milestones, key=lambda m: m["due"])

    def amounts(self, template: Template) -> tuple[int | None, int | None]:
        """A quantity and a budget (yuan, in round hundreds or thousands) in the template's ranges."""
        quantity, budget = template[4], template[7]
        amount = None
        if budget is not None:
            step = 1000 if budget[1] >= 50000 else 100
            amount = self.rng.randint(budget[0] // step, budget[1] // step) * step
        return (self.rng.randint(*quantity) if quantity else None), amount

    def item(
        self, template: Template, community: str, start: date, end: date, *, project: bool = False
    ) -> dict[str, Any]:
        """An item in the canonical form of `services.clean_items`."""
        side, kind, title, deliverable, _quantity, unit, schedule, _budget = template
        quantity, budget = self.amounts(template)
        if project:
            with_milestones = self.rng.random() < 0.9
        else:
            with_milestones = quantity is not None and self.rng.random() < 0.3
        return {
            "side": side,
            "kind": kind,
            "title": title,
            "deliverable": deliverable.replace("{c}", community)[:500],
            "unit": unit,
            "schedule": schedule,
            "quantity": quantity,
            "budget": budget,
            "milestones": self._milestones(start, end, project) if with_milestones else [],
        }

    def fresh_items(self, pp: _PairingPlan, start: date, end: date) -> list[dict[str, Any]]:
        rng = self.rng
        pool = UNIT_ITEMS[pp.group] + UNIT_ITEMS["general"] + self._demo_templates(pp.group)
        chosen = rng.sample(pool, k=min(len(pool), rng.choice((1, 1, 1, 2))))
        items = [self.item(t, pp.community.name, start, end) for t in chosen]
        if rng.random() < PROJECT_SHARE:
            items.insert(0, self.item(rng.choice(PROJECT_ITEMS), pp.community.name, start, end, project=True))
        for template in rng.sample(COMMUNITY_ITEMS, k=rng.choice((0, 0, 1, 1))):
            items.append(self.item(template, pp.community.name, start, end))
        return items

    _demo_by_group: dict[str, list[Template]] | None = None

    @classmethod
    def _demo_templates(cls, group: str) -> list[Template]:
        """The small demo's unit items, by the sector its unit's name shows, as templates."""
        if cls._demo_by_group is None:
            cls._demo_by_group = {}
            for unit_name, rows in demo.ITEMS.items():
                for side, kind, title, deliverable, quantity, unit, schedule, budget in rows:
                    if side != UNIT:
                        continue
                    template = (
                        side,
                        kind,
                        title,
                        deliverable,
                        (quantity, quantity) if quantity else None,
                        unit,
                        schedule,
                        (budget * 8 // 10, budget * 12 // 10) if budget else None,
                    )
                    cls._demo_by_group.setdefault(_group_of(unit_name, "", ""), []).append(template)
        return cls._demo_by_group.get(group, [])

    def revised(
        self, pp: _PairingPlan, items: list[dict[str, Any]], start: date, end: date
    ) -> list[dict[str, Any]]:
        """The next version: a budget or a quantity changed, milestones added, an item dropped or added."""
        rng = self.rng
        items = [dict(item) for item in items]
        for _n in range(rng.choice((1, 1, 2))):
            index = rng.randrange(len(items))
            item = items[index]
            change = rng.random()
            if change < 0.35 and item["budget"]:
                step = 1000 if item["budget"] >= 50000 else 100
                item["budget"] = max(step, round(item["budget"] * rng.uniform(0.8, 1.2) / step) * step)
            elif change < 0.6 and item["quantity"]:
                item["quantity"] = max(1, item["quantity"] + rng.choice((-2, -1, 1, 2, 4)))
            elif change < 0.85 and not item["milestones"]:
                item["milestones"] = self._milestones(start, end, False)
            elif len(items) > 2 and rng.random() < 0.6:
                del items[index]  # the other side cannot take this one on this year
            else:
                titles = {i["title"] for i in items}
                extra = [t for t in COMMUNITY_ITEMS if t[2] not in titles]
                if extra and len(items) < 8:
                    items.append(self.item(rng.choice(extra), pp.community.name, start, end))
        return items

    # --- Steps (each as its service takes it) ---------------------------------------------------

    def event(
        self, plan: _Plan, step: str, to_state: str, actor: int | None, at: datetime, note: str = ""
    ) -> None:
        plan.events.append(
            {
                "step": step,
                "from_state": plan.state,
                "to_state": to_state,
                "actor_id": actor or None,
                "at": at,
                "note": note[:200],
            }
        )
        plan.state = to_state

    def party(self, pp: _PairingPlan, side: str) -> int:
        return pp.community.secretary_user_id if side == COMMUNITY else pp.unit.contact_user_id

    def create(self, plan: _Plan, items: list[dict[str, Any]]) -> None:
        pp = plan.pp
        creator = self.party(pp, COMMUNITY if self.rng.random() < 0.7 else UNIT)
        at = plan.created_at
        plan.versions.append(
            {
                "number": 1,
                "items": items,
                "note": self.first_draft,
                "created_by_id": creator,
                "created_at": at,
            }
        )
        plan.fields["community_agreed"] = plan.fields["unit_agreed"] = None
        self.event(
            plan, ContractStep.REVISE, S.DRAFT, creator, at + timedelta(microseconds=500), self.drafted
        )

    def negotiate(self, plan: _Plan, *, cap: datetime | None = None) -> None:
        """Consultation meetings, comments and revisions until a version both can agree to."""
        rng = self.rng
        meetings = rng.choices([m for m, _w in MEETINGS], weights=[w for _m, w in MEETINGS])[0]
        revisions = 1 if meetings or rng.random() < 0.4 else 0
        if revisions and rng.random() < 0.15:
            revisions = 2
        clock = plan.clock
        for _n in range(meetings):
            held = self.later(clock, 2, 12, cap)
            recorded = self.later(held, 0, 2, cap)
            self.meeting(plan, self.local_date(held), recorded)
            clock = recorded
        for _n in range(rng.choice((0, 0, 1, 2))):
            clock = self.later(clock, 0, 3, cap)
            self.comment(plan, clock)
        for _n in range(revisions):
            clock = self.later(clock, 1, 6, cap)
            self.revise(plan, clock)

    def meeting(self, plan: _Plan, held_on: date, recorded: datetime) -> None:
        rng, pp = self.rng, plan.pp
        first_item = plan.items[0]["title"]
        fill = {"c": pp.community.name, "u": pp.unit_name, "i": first_item}
        plan.meetings.append(
            {
                "held_on": held_on,
                "place": rng.choice(MEETING_PLACES).format(**fill)[:120],
                "attendees": (
                    f"{pp.community_org_name}书记、{pp.unit_name}联络人、"
                    f"{rng.choice(('网格员', '社工', '小区党支部书记'))}、居民代表{rng.randint(2, 6)}人"
                )[:500],
                "minutes": rng.choice(MEETING_MINUTES).format(**fill),
                "decisions": rng.choice(MEETING_DECISIONS).format(**fill),
                "recorded_by_id": self.party(pp, COMMUNITY if rng.random() < 0.75 else UNIT),
                "created_at": recorded,
            }
        )

    def comment(self, plan: _Plan, at: datetime) -> None:
        rng = self.rng
        side = rng.choice((COMMUNITY, UNIT))
        version = plan.versions[-1]
        plan.comments.append(
            {
                "version": version["number"],
                "item_index": rng.randrange(len(version["items"])) if rng.random() < 0.7 else None,
                "body": rng.choice(COMMENTS),
                "side": side,
                "author_id": self.party(plan.pp, side),
                "created_at": at,
            }
        )

    def revise(self, plan: _Plan, at: datetime) -> None:
        rng = self.rng
        number = len(plan.versions) + 1
        note = rng.choice(REVISE_NOTES)
        actor = self.party(plan.pp, rng.choice((COMMUNITY, UNIT)))
        items = self.revised(plan.pp, plan.items, plan.term_start, plan.term_end)
        plan.versions.append(
            {"number": number, "items": items, "note": note, "created_by_id": actor, "created_at": at}
        )
        plan.fields["community_agreed"] = plan.fields["unit_agreed"] = None
        with override(settings.LANGUAGE_CODE):
            event_note = note or _("Version %(n)s") % {"n": number}
        self.event(plan, ContractStep.REVISE, S.DRAFT, actor, at + timedelta(microseconds=500), event_note)

    def agree(
        self, plan: _Plan, *, both: bool = True, cap: datetime | None = None, at: datetime | None = None
    ) -> None:
        rng = self.rng
        number = plan.versions[-1]["number"]
        with override(settings.LANGUAGE_CODE):
            note = _("Agreed to version %(n)s") % {"n": number}
        first = rng.choice((COMMUNITY, UNIT))
        sides = [first, UNIT if first == COMMUNITY else COMMUNITY] if both else [first]
        clock = plan.clock
        for index, side in enumerate(sides):
            last = index == len(sides) - 1
            if last and at is not None and at > clock:
                clock = at
            else:
                clock = self.later(clock, 0, 4, cap)
            plan.fields[f"{side}_agreed"] = number
            agreed = plan.fields["community_agreed"] == number and plan.fields["unit_agreed"] == number
            if agreed:
                plan.frozen = number
                plan.fields["sign_by"] = clock + timedelta(days=settings.CONTRACT_SIGNING_DAYS)
            self.event(
                plan,
                ContractStep.AGREE,
                S.AGREED if agreed else S.DRAFT,
                self.party(plan.pp, side),
                clock,
                note,
            )

    def sign(self, plan: _Plan, *, count: int = 2, cap: datetime | None = None) -> None:
        rng = self.rng
        order = plan.signing_order
        if order == SigningOrder.UNIT_FIRST:
            sides = [UNIT, COMMUNITY]
        elif order == SigningOrder.COMMUNITY_FIRST:
            sides = [COMMUNITY, UNIT]
        else:
            sides = rng.sample([COMMUNITY, UNIT], 2)
        signed = {s["side"] for s in plan.signatures if s["voided_at"] is None}
        deadline = plan.fields["sign_by"] - timedelta(minutes=1)
        for side in [s for s in sides if s not in signed][:count]:
            at = self.later(plan.clock, 0, 5, min(cap or self.now, deadline, self.now))
            signer = self.party(plan.pp, side)
            org_id = plan.pp.pairing.community_org_id if side == COMMUNITY else plan.pp.pairing.unit_org_id
            plan.signatures.append(
                {
                    "version": plan.frozen,
                    "side": side,
                    "signer_id": signer,
                    "organisation_id": org_id,
                    "organisation_name": plan.pp.community_org_name
                    if side == COMMUNITY
                    else plan.pp.unit_name,
                    "signed_at": at,
                    "ip_address": f"10.{rng.randint(16, 31)}.{rng.randint(0, 255)}.{rng.randint(2, 254)}"
                    if rng.random() < 0.8
                    else None,
                    "user_agent": rng.choice(USER_AGENTS),
                    "voided_at": None,
                }
            )
            signed.add(side)
            done = signed >= {COMMUNITY, UNIT}
            if done:
                plan.fields["signed_at"] = at
            self.event(
                plan, ContractStep.SIGN, S.SIGNED if done else S.AGREED, signer, at, self.side_label[side]
            )
            plan.audits.append(
                (
                    at + timedelta(microseconds=900),
                    "contracts.signature",
                    {
                        "version": plan.frozen,
                        "side": side,
                        "organisation": plan.signatures[-1]["organisation_name"],
                        "signed_at": at.isoformat(),
                    },
                )
            )

    def request_change(self, plan: _Plan) -> None:
        """The side that has not signed asks for a change: the signature is voided, back to negotiation."""
        signed = {s["side"] for s in plan.signatures if s["voided_at"] is None}
        side = UNIT if COMMUNITY in signed else COMMUNITY
        at = self.later(plan.clock, 0, 3)
        for signature in plan.signatures:
            if signature["voided_at"] is None:
                signature["voided_at"] = at
        plan.frozen = None
        plan.fields.update(sign_by=None, community_agreed=None, unit_agreed=None)
        self.event(
            plan,
            ContractStep.REQUEST_CHANGE,
            S.DRAFT,
            self.party(plan.pp, side),
            at,
            self.rng.choice(CHANGE_REASONS),
        )

    def publish(self, plan: _Plan, lo: int = 1, hi: int = 7) -> None:
        at = self.later(plan.clock, lo, hi)
        plan.fields["published_at"] = at
        self.event(plan, ContractStep.PUBLISH, S.PUBLISHED, plan.pp.community.secretary_user_id, at)
        live = sorted((s for s in plan.signatures if s["voided_at"] is None), key=lambda s: s["signed_at"])
        plan.audits.append(
            (
                at + timedelta(microseconds=900),
                "contracts.published",
                {
                    "title": plan.title,
                    "community_org": plan.pp.community_org_name,
                    "unit_org": plan.pp.unit_name,
                    "term": [plan.term_start.isoformat(), plan.term_end.isoformat()],
                    "signatures": [
                        {
                            "side": s["side"],
                            "organisation": s["organisation_name"],
                            "signed_at": s["signed_at"].isoformat(),
                        }
                        for s in live
                    ],
                },
            )
        )

    def fulfil(self, plan: _Plan, until: datetime) -> None:
        """Records for the frozen items, while published: milestones reached (mostly on time) and other work."""
        rng, pp = self.rng, plan.pp
        published = plan.fields["published_at"]
        first_day = max(self.local_date(published), plan.term_start)
        last_day = min(self.local_date(until), plan.term_end)
        if last_day < first_day:
            return
        items = plan.versions[plan.frozen - 1]["items"]
        for index, item in enumerate(items):
            reporter_side = item["side"]
            reporter = pp.unit.contact_user_id
            if reporter_side == COMMUNITY:
                reporter = pp.community.social_worker_user_id or pp.community.secretary_user_id
            days: list[tuple[date, int | None, str]] = []
            for number, milestone in enumerate(item["milestones"]):
                due = date.fromisoformat(milestone["due"])
                if rng.random() > 0.88:
                    continue  # not reached (overdue when its date has passed)
                done_on = (
                    due - timedelta(days=rng.randint(0, 20))
                    if rng.random() < 0.85
                    else due + timedelta(days=rng.randint(1, 15))
                )
                done_on = max(done_on, first_day)
                if done_on <= last_day:
                    days.append((done_on, number, f"{milestone['what']}：{item['title']}"))
            project = item["title"] in PROJECT_TITLES
            extra = (
                rng.randint(1, 4)
                if item["quantity"] or item["kind"] == MenuKind.SERVICE
                else rng.randint(0, 1)
            )
            span = (last_day - first_day).days
            for _n in range(extra):
                done_on = first_day + timedelta(days=rng.randint(0, span))
                text = rng.choice(PROJECT_RECORD_TEXTS if project else RECORD_TEXTS)
                days.append((done_on, None, f"{item['title']}：{text}"))
            for done_on, milestone, description in sorted(days, key=lambda d: d[0]):
                created = self.moment(done_on + timedelta(days=rng.choice((0, 0, 1, 2))), 9, 21)
                created = max(created, published + timedelta(minutes=rng.randint(10, 600)))
                if created >= until:
                    created = until - timedelta(minutes=rng.randint(1, 30))
                if created <= published or self.local_date(created) < done_on:
                    continue
                served = rng.randint(5, 80) if item["kind"] == MenuKind.SERVICE else rng.randint(0, 30)
                plan.records.append(
                    {
                        "item_index": index,
                        "milestone": milestone,
                        "done_on": done_on,
                        "description": description[:500],
                        "people_served": served,
                        "hours": Decimal(rng.randint(2, 12)) / 2,
                        "side": reporter_side,
                        "reported_by_id": reporter,
                        "created_at": created,
                    }
                )

    def open_evaluation(self, plan: _Plan, at: datetime, by_job: bool) -> None:
        if at > self.now:
            raise _Stop
        actor = None if by_job else plan.pp.community.secretary_user_id
        self.event(plan, ContractStep.OPEN_EVALUATION, S.EVALUATING, actor, at)

    def rate(self, plan: _Plan, until: datetime, profile: str, *, complete: bool) -> None:
        """The two sides (on the criteria) and some residents rate, between the opening and `until`."""
        rng, pp = self.rng, plan.pp
        opened = plan.clock
        if until <= opened:
            return
        span = (until - opened).total_seconds()

        def when() -> datetime:
            return opened + timedelta(seconds=rng.uniform(0.02, 0.98) * span)

        low, high = {"good": (4, 5), "fair": (3, 5), "poor": (1, 3)}[profile]
        for side, kind in ((COMMUNITY, RaterKind.COMMUNITY), (UNIT, RaterKind.UNIT)):
            if rng.random() > (0.95 if complete else 0.6):
                continue
            scores = {
                code: rng.randint(max(low, 2) if profile == "poor" else low, high) for code in self.weights
            }
            score = int(services.weighted_mean(scores).quantize(Decimal(1), rounding=ROUND_HALF_UP))
            comment = rng.choice(POOR_COMMENTS if profile == "poor" else SIDE_COMMENTS[side])
            plan.ratings.append(
                {
                    "rater_kind": kind,
                    "rater_id": self.party(pp, side),
                    "score": score,
                    "scores": scores,
                    "comment": comment,
                    "created_at": when(),
                }
            )
        staff = {pp.community.secretary_user_id, pp.community.social_worker_user_id, pp.unit.contact_user_id}
        pool = [u for u in pp.raters if u not in staff]
        count = min(len(pool), rng.randint(2, 9) if complete else rng.randint(0, 5))
        weights = {"good": (0, 0, 10, 35, 55), "fair": (0, 5, 30, 40, 25), "poor": (25, 35, 30, 10, 0)}[
            profile
        ]
        for rater in rng.sample(pool, count):
            score = rng.choices((1, 2, 3, 4, 5), weights=weights)[0]
            comment = rng.choice(
                POOR_COMMENTS if profile == "poor" and rng.random() < 0.5 else RESIDENT_COMMENTS
            )
            plan.ratings.append(
                {
                    "rater_kind": RaterKind.RESIDENT,
                    "rater_id": rater,
                    "score": score,
                    "scores": {},
                    "comment": comment,
                    "created_at": when(),
                }
            )

    def score(self, plan: _Plan) -> Decimal | None:
        """`services.evaluation_score` on the ratings in memory."""
        weights = settings.CONTRACT_EVALUATION_WEIGHTS
        sums: dict[str, list[Decimal]] = {}
        for rating in plan.ratings:
            scores = rating["scores"]
            value = (
                services.weighted_mean(scores)
                if scores and set(scores) <= set(self.weights)
                else Decimal(rating["score"])
            )
            sums.setdefault(rating["rater_kind"], []).append(value)
        averages = {kind: sum(values) / len(values) for kind, values in sums.items()}
        present = {kind: Decimal(weights.get(kind, 0)) for kind in averages if weights.get(kind, 0) > 0}
        if not present:
            return None
        total = sum(present.values())
        score = sum(averages[kind] * 20 * weight for kind, weight in present.items()) / total
        return score.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    def close_evaluation(self, plan: _Plan, at: datetime, by_job: bool) -> None:
        if at > self.now:
            raise _Stop
        score = self.score(plan)
        grade = services.grade_for(score)
        plan.fields.update(score=score, grade=grade)
        actor = None if by_job else plan.pp.community.secretary_user_id
        if grade == "fail":
            due = self.local_date(at) + timedelta(days=settings.CONTRACT_RECTIFICATION_DAYS)
            plan.rectifications.append({"description": self.fail_text, "due_on": due, "created_at": at})
        self.event(plan, ContractStep.CLOSE_EVALUATION, S.EVALUATED, actor, at, grade)
        counts = {kind: sum(1 for r in plan.ratings if r["rater_kind"] == kind) for kind in RaterKind.values}
        plan.audits.append(
            (
                at + timedelta(microseconds=900),
                "contracts.evaluated",
                {"score": str(score) if score is not None else None, "grade": grade, "ratings": counts},
            )
        )

    def rectify(self, plan: _Plan) -> None:
        """Rectifications of an evaluated contract reported done (after their creation, by today)."""
        rng = self.rng
        if plan.state != S.EVALUATED:
            return
        closed = plan.clock
        if plan.fields.get("grade") in ("pass", "good") and rng.random() < 0.04:
            created = closed + timedelta(days=rng.randint(1, 10), minutes=rng.randint(0, 600))
            if created < self.now:
                title = rng.choice(plan.versions[plan.frozen - 1]["items"])["title"]
                description, note = rng.choice(RECTIFY)
                plan.rectifications.append(
                    {
                        "description": description.format(i=title)[:300],
                        "due_on": self.local_date(created) + timedelta(days=rng.randint(20, 45)),
                        "created_at": created,
                        "done_note": note,
                    }
                )
        for rectification in plan.rectifications:
            created_on = self.local_date(rectification["created_at"])
            done_on = created_on + timedelta(days=rng.randint(5, 40))
            if done_on < self.today and rng.random() < 0.9:
                rectification["done_on"] = done_on
                rectification.setdefault("done_note", rng.choice(RECTIFY_DONE))

    def terminate(self, plan: _Plan, at: datetime) -> None:
        if at > self.now:
            raise _Stop
        rng = self.rng
        reason = rng.choice(TERMINATION_REASONS)
        before = plan.state
        by_agreement = rng.random() < 0.4 or not self.world.district_admin_user_id
        if by_agreement:
            proposer = rng.choice((COMMUNITY, UNIT))
            plan.fields["termination_proposed_by"] = proposer
            actor = self.party(plan.pp, UNIT if proposer == COMMUNITY else COMMUNITY)
        else:
            actor = self.world.district_admin_user_id
        plan.fields.update(terminated_at=at, termination_reason=reason)
        self.event(plan, ContractStep.TERMINATE, S.TERMINATED, actor, at, reason)
        payload = {"from_state": str(before), "reason": reason}
        if by_agreement:
            payload["by"] = "agreement"
        plan.audits.append((at + timedelta(microseconds=900), "contracts.terminated", payload))

    # --- Whole contracts ------------------------------------------------------------------------

    def new_plan(
        self, pp: _PairingPlan, year: int, start: date, end: date, created: datetime, parent: _Plan | None
    ) -> _Plan:
        rng = self.rng
        short = pp.unit_name.removesuffix("党委").removesuffix("党总支").removesuffix("党支部")
        plan = _Plan(
            pp=pp,
            title=f"{year}年度{pp.community.name}与{short}共建契约"[:120],
            term_start=start,
            term_end=end,
            signing_order=rng.choices(
                (SigningOrder.COMMUNITY_FIRST, SigningOrder.UNIT_FIRST, SigningOrder.ANY),
                weights=(80, 10, 10),
            )[0],
            renewed_from=parent,
            created_at=created,
        )
        plan.fields.update(
            community_agreed=None,
            unit_agreed=None,
            sign_by=None,
            signed_at=None,
            published_at=None,
            terminated_at=None,
            termination_reason="",
            termination_proposed_by="",
            score=None,
            grade="",
        )
        if parent is not None:
            items = [
                {
                    **item,
                    "milestones": [
                        {**m, "due": _next_year(date.fromisoformat(m["due"])).isoformat()}
                        for m in item["milestones"]
                    ],
                }
                for item in parent.versions[parent.frozen - 1]["items"]
            ]
        else:
            items = self.fresh_items(pp, start, end)
        self.create(plan, items)
        return plan

    def calendar_year(self, pp: _PairingPlan, year: int, parent: _Plan | None, target: str) -> _Plan | None:
        """A contract for the calendar year `year`, drafted the autumn before, played up to `target`.

        None when that autumn's negotiation has not begun yet (next year's contract, early in the autumn).
        """
        rng = self.rng
        created = self.moment(date(year - 1, 11, 1) + timedelta(days=rng.randint(0, 40)))
        if created > self.now:
            return None
        # Only a contract published by then (and not terminated since) is renewed (contract_renew).
        if parent is not None and (
            parent.state not in (S.PUBLISHED, S.EVALUATING, S.EVALUATED)
            or parent.fields["published_at"] is None
            or parent.fields["published_at"] > created
            or rng.random() > RENEWED_SHARE
        ):
            parent = None
        plan = self.new_plan(pp, year, date(year, 1, 1), date(year, 12, 31), created, parent)
        try:
            self.negotiate(plan)
            self.agree(plan)
            if rng.random() < VOIDED_SHARE:
                self.sign(plan, count=1)
                self.request_change(plan)
                self.revise(plan, self.later(plan.clock, 1, 5))
                self.agree(plan)
            self.sign(plan)
            self.publish(plan)
            self.play_after_publication(plan, year, target)
        except _Stop:
            pass
        return plan

    def play_after_publication(self, plan: _Plan, year: int, target: str) -> None:
        rng = self.rng
        published = plan.fields["published_at"]
        if target == S.TERMINATED:
            day = self.local_date(published) + timedelta(days=rng.randint(60, 240))
            at = self.moment(day)
            if at > self.now - timedelta(days=1):
                at = published + (self.now - published) * rng.uniform(0.5, 0.9)
            self.fulfil(plan, at)
            self.terminate(plan, at)
            return
        if year < self.today.year:
            # The daily job opens the evaluation the morning after the term; a secretary sometimes earlier.
            if rng.random() < 0.3:
                opened = self.moment(plan.term_end - timedelta(days=rng.randint(3, 16)))
                by_job = False
            else:
                opened, by_job = self.job_moment(plan.term_end + timedelta(days=1)), True
            self.fulfil(plan, min(opened, self.now))
            self.open_evaluation(plan, opened, by_job)
            if rng.random() < 0.35:
                closed = self.moment(plan.term_end + timedelta(days=rng.randint(12, 28)))
                by_job = False
            else:
                closed = self.job_moment(
                    plan.term_end + timedelta(days=settings.CONTRACT_EVALUATION_DAYS + 1)
                )
                by_job = True
            self.rate(plan, min(closed, self.now), target, complete=closed <= self.now)
            self.close_evaluation(plan, closed, by_job)
            self.rectify(plan)
            return
        # This year: being fulfilled, or evaluated early by the secretary.
        if target == S.EVALUATING:
            opened = self.moment(self.today - timedelta(days=rng.randint(2, 20)))
        elif target == S.EVALUATED:
            opened = self.moment(self.today - timedelta(days=rng.randint(24, 34)))
        else:
            self.fulfil(plan, self.now)
            return
        if opened <= published + timedelta(days=60):
            self.fulfil(plan, self.now)
            return
        self.fulfil(plan, opened)
        self.open_evaluation(plan, opened, False)
        if target == S.EVALUATING:
            self.rate(plan, self.now, "good", complete=False)
            return
        closed = self.moment(self.today - timedelta(days=rng.randint(1, 8)))
        if closed <= opened:
            closed = opened + timedelta(days=1)
        self.rate(plan, closed, "good", complete=True)
        self.close_evaluation(plan, closed, False)
        self.rectify(plan)

    def first_contract(self, pp: _PairingPlan, target: str) -> _Plan:
        """A pairing formed this autumn: its first contract, a year from the month after, still being negotiated."""
        rng = self.rng
        start = _add_months(pp.since.replace(day=1), 1)
        end = _next_year(start) - timedelta(days=1)
        created = self.later(self.moment(pp.since), 1, 5)
        plan = self.new_plan(pp, pp.since.year, start, end, created, None)
        try:
            if target == S.TERMINATED:
                self.negotiate(plan)
                self.terminate(plan, self.later(plan.clock, 3, 15))
                return plan
            if target == S.DRAFT:
                self.negotiate(plan)
                if rng.random() < 0.3:
                    self.agree(plan, both=False)
                return plan
            cap = self.now - timedelta(days=3)
            self.negotiate(plan, cap=cap)
            # Agreed within the signing window, so the deadline is still ahead.
            window = self.now - timedelta(days=settings.CONTRACT_SIGNING_DAYS - 2)
            agreed_at = max(plan.clock, window) + (self.now - max(plan.clock, window)) * rng.uniform(
                0.05, 0.5
            )
            self.agree(plan, at=agreed_at)
            if target == "partly_signed":
                self.sign(plan, count=1)
            elif target == S.SIGNED:
                self.sign(plan)
        except _Stop:
            pass
        return plan


def _group_of(name: str, sector: str, unit_type: str) -> str:
    for words, group in SECTOR_GROUPS:
        if any(word in sector or word in name for word in words):
            return group
    return UNIT_TYPE_GROUPS.get(unit_type, "general")


# --- Writing ----------------------------------------------------------------------------------------


def _pairings(world: ScaleWorld, builder: _Builder) -> list[_PairingPlan]:
    rng = world.rng
    communities = {c.area_id: c for c in world.communities}
    org_ids = [c.party_org_id for c in world.communities] + [u.org_id for u in world.units]
    orgs = {
        pk: (name, sector, unit_type)
        for pk, name, sector, unit_type in Organisation.objects.filter(pk__in=org_ids).values_list(
            "pk", "name", "sector", "unit_type"
        )
    }
    raters = {c.area_id: [u for u in c.resident_user_ids + c.member_user_ids if u] for c in world.communities}
    units = [u for u in world.units if u.community_area_id in communities]
    new = (
        set(rng.sample(range(len(units)), round(len(units) * NEW_PAIRING_SHARE)))
        if len(units) >= 10
        else {len(units) - 1}
    )
    plans, rows = [], []
    first_year = world.years[0]
    for index, unit in enumerate(units):
        community = communities[unit.community_area_id]
        if index in new:
            since = builder.today - timedelta(days=rng.randint(45, 110))
        else:
            since = date(rng.randint(2008, first_year - 1), rng.randint(1, 10), rng.randint(1, 28))
        name, sector, unit_type = orgs[unit.org_id]
        pairing = Pairing(
            community_id=community.area_id,
            community_org_id=community.party_org_id,
            unit_org_id=unit.org_id,
            since=since,
        )
        rows.append(pairing)
        plans.append(
            _PairingPlan(
                pairing=pairing,
                community=community,
                unit=unit,
                community_org_name=orgs[community.party_org_id][0],
                unit_name=name,
                group=_group_of(name, sector, unit_type),
                raters=raters[community.area_id],
                since=since,
                new=index in new,
            )
        )
    bulk(Pairing, rows)
    contacts = []
    for pp in plans:
        contacts.append(
            PairingContact(
                pairing_id=pp.pairing.pk,
                side=COMMUNITY,
                user_id=pp.community.secretary_user_id,
                title="书记",
                can_sign=True,
            )
        )
        if pp.community.social_worker_user_id:
            contacts.append(
                PairingContact(
                    pairing_id=pp.pairing.pk,
                    side=COMMUNITY,
                    user_id=pp.community.social_worker_user_id,
                    title="社工",
                )
            )
        contacts.append(
            PairingContact(
                pairing_id=pp.pairing.pk,
                side=UNIT,
                user_id=pp.unit.contact_user_id,
                title=world.rng.choice(("书记", "联络人", "副书记")),
                can_sign=True,
            )
        )
    bulk(PairingContact, contacts)
    world.count("pairings", len(rows))
    world.count("pairing contacts", len(contacts))
    return plans


def _play(world: ScaleWorld, builder: _Builder, pairings: list[_PairingPlan]) -> list[list[_Plan]]:
    """Every contract played through, by year (the order they are written in, for `renewed_from`)."""
    rng = world.rng
    old = [pp for pp in pairings if not pp.new]
    by_year: list[list[_Plan]] = [[], [], [], []]
    previous: dict[int, _Plan] = {}
    for year_index, year in enumerate(world.years[:2]):
        targets = _quota(
            len(old),
            {S.TERMINATED: PAST_TERMINATED_SHARE, "poor": PAST_FAIL_SHARE, "fair": PAST_FAIR_SHARE},
            "good",
            rng,
        )
        for pp, target in zip(old, targets, strict=True):
            plan = builder.calendar_year(pp, year, previous.get(id(pp)), target)
            previous[id(pp)] = plan
            by_year[year_index].append(plan)
    targets = _quota(len(old), THIS_YEAR_SHARES, S.PUBLISHED, rng)
    for pp, target in zip(old, targets, strict=True):
        plan = builder.calendar_year(pp, world.years[2], previous.get(id(pp)), target)
        previous[id(pp)] = plan
        by_year[2].append(plan)
    # Next year's contracts, negotiated from the autumn on (mostly renewals of this year's): still drafts,
    # or as far as their steps have come by now.
    for pp in old:
        plan = builder.calendar_year(pp, world.years[2] + 1, previous[id(pp)], S.PUBLISHED)
        if plan is not None:
            by_year[3].append(plan)
    new = [pp for pp in pairings if pp.new]
    targets = _quota(len(new), NEW_SHARES, S.DRAFT, rng) if len(new) > 1 else [S.AGREED] * len(new)
    for pp, target in zip(new, targets, strict=True):
        by_year[2].append(builder.first_contract(pp, target))
    return by_year


def _write_contracts(by_year: list[list[_Plan]]) -> list[_Plan]:
    plans = []
    for year_plans in by_year:
        rows = []
        for plan in year_plans:
            fields = plan.fields
            plan.contract = Contract(
                pairing_id=plan.pp.pairing.pk,
                title=plan.title,
                term_start=plan.term_start,
                term_end=plan.term_end,
                state=plan.state,
                signing_order=plan.signing_order,
                renewed_from_id=plan.renewed_from.contract.pk if plan.renewed_from else None,
                created_at=plan.created_at,
                updated_at=plan.clock,
                **fields,
            )
            rows.append(plan.contract)
        bulk(Contract, rows)
        plans += year_plans
    return plans


def _write_versions(plans: list[_Plan]) -> dict[tuple[int, int], ContractVersion]:
    rows = []
    for plan in plans:
        contract = plan.contract
        # What services.canonical_text reads from the pairing: the two organisations' names.
        contract.pairing = plan.pp.pairing
        plan.pp.pairing.community_org = Organisation(
            pk=plan.pp.pairing.community_org_id, name=plan.pp.community_org_name
        )
        plan.pp.pairing.unit_org = Organisation(pk=plan.pp.pairing.unit_org_id, name=plan.pp.unit_name)
        for version in plan.versions:
            rows.append(
                ContractVersion(
                    contract_id=contract.pk,
                    number=version["number"],
                    items=version["items"],
                    note=version["note"][:200],
                    text_hash=document_hash(services.canonical_text(contract, version["items"])),
                    created_by_id=version["created_by_id"],
                    created_at=version["created_at"],
                )
            )
    bulk(ContractVersion, rows)
    versions = {(v.contract_id, v.number): v for v in rows}
    frozen = []
    for plan in plans:
        if plan.frozen is not None:
            # Agreement always freezes the latest version (a revision clears it), so one UPDATE sets them all.
            assert plan.frozen == len(plan.versions)
            plan.contract.frozen_version_id = versions[(plan.contract.pk, plan.frozen)].pk
            frozen.append(plan.contract.pk)
    latest = ContractVersion.objects.filter(contract=OuterRef("pk")).order_by("-number").values("pk")[:1]
    for chunk in batches(frozen):
        Contract.objects.filter(pk__in=chunk).update(frozen_version=Subquery(latest))
    return versions


def _rows(plans: Iterable[_Plan], attribute: str, model, **extra):
    for plan in plans:
        for row in getattr(plan, attribute):
            yield model(contract_id=plan.contract.pk, **row, **extra)


def _write_audit(world: ScaleWorld, plans: list[_Plan], versions) -> int:
    """The services' public-record entries, in time order, chained exactly as `audit_append` chains them."""
    facts = []
    for plan in plans:
        contract = plan.contract
        for at, kind, payload in plan.audits:
            payload = {"contract_id": contract.pk, **payload}
            if kind in ("contracts.signature", "contracts.published"):
                number = payload.get("version", plan.frozen)
                payload["text_hash"] = versions[(contract.pk, number)].text_hash
            facts.append((at, contract.pk, kind, payload, plan.pp.community.area_id))
    facts.sort(key=lambda fact: (fact[0], fact[1]))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
    last = Entry.objects.order_by("-seq").values_list("seq", "entry_hash", "created_at").first()
    seq, prev_hash, prev_at = (last[0], last[1], last[2]) if last else (0, GENESIS_HASH, None)

    def entries():
        nonlocal seq, prev_hash, prev_at
        for at, contract_id, kind, payload, area_id in facts:
            seq += 1
            # Time never runs backwards along the chain (as audit_append clamps a late clock).
            created_at = at if prev_at is None or at >= prev_at else prev_at
            subject = f"contracts.Contract:{contract_id}"
            entry_hash = compute_entry_hash(
                seq=seq,
                kind=kind,
                subject=subject,
                payload=payload,
                created_at=created_at,
                prev_hash=prev_hash,
            )
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
            prev_hash, prev_at = entry_hash, created_at

    bulk(Entry, entries())
    return len(facts)


def _offer(
    builder: _Builder,
    template: Template,
    organisation_id: int,
    community: ScaleCommunity,
    by: int,
    at: datetime,
) -> MenuOffer:
    """A menu item (四类菜单) as `services.menu_offer_create` stores it, from an item template."""
    side, kind, title, deliverable, _quantity, unit, _schedule, _budget = template
    quantity, budget = builder.amounts(template)
    return MenuOffer(
        organisation_id=organisation_id,
        area_id=community.area_id,
        kind=kind,
        title=title,
        description=deliverable.replace("{c}", community.name)[:500],
        quantity=quantity,
        unit=unit,
        estimated_value=budget,
        active=builder.rng.random() < 0.92,
        created_by_id=by,
        created_at=at,
    )


def _menus(world: ScaleWorld, builder: _Builder, pairings: list[_PairingPlan]) -> None:
    """A few menu offers per unit and per community organisation, and a few needs per community."""
    rng = world.rng
    start = datetime.combine(date(world.years[0] - 1, 10, 1), time(), tzinfo=builder.local)
    span = (builder.now - start).total_seconds()
    offers, needs = [], []

    def when() -> datetime:
        return (start + timedelta(seconds=rng.uniform(0, 1) * span)).astimezone(UTC)

    for pp in pairings:
        pool = UNIT_ITEMS[pp.group] + UNIT_ITEMS["general"] + builder._demo_templates(pp.group)
        for template in rng.sample(pool, k=min(len(pool), rng.randint(1, 4))):
            offers.append(
                _offer(builder, template, pp.unit.org_id, pp.community, pp.unit.contact_user_id, when())
            )
    for community in world.communities:
        for template in rng.sample(COMMUNITY_ITEMS, k=rng.randint(1, 3)):
            offers.append(
                _offer(
                    builder, template, community.party_org_id, community, community.secretary_user_id, when()
                )
            )
        for kind, title, description in rng.sample(NEED_TEXTS, k=rng.randint(1, 4)):
            needs.append(
                Need(
                    community_id=community.area_id,
                    kind=kind,
                    title=title,
                    description=description,
                    open=rng.random() < 0.65,
                    posted_by_id=community.secretary_user_id,
                    created_at=when(),
                )
            )
    bulk(MenuOffer, offers)
    bulk(Need, needs)
    world.count("menu offers", len(offers))
    world.count("community needs", len(needs))


def seed(world: ScaleWorld) -> None:
    if not world.units:
        return
    builder = _Builder(world)
    with _keep_times(
        Contract,
        ContractVersion,
        ContractEvent,
        FulfilmentRecord,
        Rating,
        Meeting,
        Comment,
        MenuOffer,
        Need,
        Rectification,
    ):
        pairings = _pairings(world, builder)
        by_year = _play(world, builder, pairings)
        plans = _write_contracts(by_year)
        versions = _write_versions(plans)
        signatures = [
            Signature(
                contract_id=plan.contract.pk,
                version_id=versions[(plan.contract.pk, row["version"])].pk,
                side=row["side"],
                signer_id=row["signer_id"],
                organisation_id=row["organisation_id"],
                signed_at=row["signed_at"],
                ip_address=row["ip_address"],
                user_agent=row["user_agent"],
                text_hash=versions[(plan.contract.pk, row["version"])].text_hash,
                voided_at=row["voided_at"],
            )
            for plan in plans
            for row in plan.signatures
        ]
        bulk(Signature, signatures)
        events = bulk(ContractEvent, _rows(plans, "events", ContractEvent))
        meetings = bulk(Meeting, _rows(plans, "meetings", Meeting))
        comments = bulk(Comment, _rows(plans, "comments", Comment))
        records = bulk(FulfilmentRecord, _rows(plans, "records", FulfilmentRecord))
        ratings = bulk(Rating, _rows(plans, "ratings", Rating))
        rectifications = bulk(Rectification, _rows(plans, "rectifications", Rectification))
        entries = _write_audit(world, plans, versions)
        _menus(world, builder, pairings)
    states: dict[str, int] = {}
    for plan in plans:
        states[plan.state] = states.get(plan.state, 0) + 1
    world.count("contracts", len(plans))
    world.count("contract versions", len(versions))
    world.count("signatures", len(signatures))
    world.count("contract events", len(events))
    world.count("consultation meetings", len(meetings))
    world.count("draft comments", len(comments))
    world.count("fulfilment records", len(records))
    world.count("contract ratings", len(ratings))
    world.count("rectifications", len(rectifications))
    world.count("record entries (contracts)", entries)
    world.say("  contracts by state: " + ", ".join(f"{state} {n:,}" for state, n in sorted(states.items())))
