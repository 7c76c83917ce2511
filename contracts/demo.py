"""Demo contracts: pairings of the demo communities with their units, and contracts in every state.

Made through the services, so every version, signature, event and public-record entry is real.
Safe to run again: a contract is looked up by its title before it is drafted.
"""

from __future__ import annotations

from datetime import date

from community import services as community_services
from community.models import Area, AreaKind, Organisation, OrgKind, Role, User
from core.seeding import DEMO_PASSWORD, DemoContext

from . import services
from .models import Contract, MenuOffer, Need, Pairing, Side
from .workflow import ContractState

ITEMS = {
    "越城区人民医院党委": [
        (
            "unit",
            "service",
            "每月健康义诊",
            "在越都社区党群服务中心开展量血压、测血糖和健康咨询",
            12,
            "次",
            "每月第一个周六上午",
            12000,
        ),
        (
            "unit",
            "personalised",
            "独居老人家庭医生签约",
            "为社区独居老人提供家庭医生签约和上门随访",
            60,
            "户",
            "全年",
            18000,
        ),
        ("community", "resource", "提供义诊场地", "党群服务中心一楼多功能厅", None, "", "每月义诊日", None),
        (
            "community",
            "responsibility",
            "组织居民参加健康讲座",
            "网格员通知并组织居民报名",
            4,
            "场",
            "每季度一次",
            2000,
        ),
    ],
    "越都小学党支部": [
        (
            "unit",
            "service",
            "四点半课堂",
            "党员教师为双职工家庭子女提供课后辅导",
            30,
            "次",
            "每周三下午",
            6000,
        ),
        ("community", "resource", "开放社区图书室", "放学后向学生开放社区图书室", None, "", "学期内", None),
    ],
    "国网越城供电公司党支部": [
        (
            "unit",
            "service",
            "老旧小区用电安全检查",
            "对越都花园、和畅苑开展入户用电安全检查",
            2,
            "个小区",
            "上半年",
            8000,
        ),
        ("unit", "responsibility", "电力抢修绿色通道", "社区报修两小时内响应", None, "", "全年", None),
    ],
    "越城区司法局机关党支部": [
        ("unit", "service", "法律明白人培训", "为治平社区楼道长开展法律知识培训", 6, "场", "双月一次", 3000),
    ],
    "绍兴银行越城支行党支部": [
        (
            "unit",
            "service",
            "防范电信诈骗宣传",
            "进社区开展防诈骗宣传和老年人金融知识讲座",
            8,
            "场",
            "全年",
            4000,
        ),
        ("community", "resource", "宣传展板位置", "社区宣传栏两块展板", 2, "块", "全年", None),
    ],
    "北海中学党支部": [
        (
            "unit",
            "service",
            "青少年暑期托管",
            "党员教师在暑期为社区学生提供托管和作业辅导",
            20,
            "天",
            "7月至8月",
            10000,
        ),
        ("community", "resource", "开放社区活动室", "暑期托管期间开放活动室", None, "", "7月至8月", None),
    ],
    "越城区税务局党总支": [
        (
            "unit",
            "service",
            "个税申报志愿服务",
            "为府山社区居民提供个税年度汇算指导",
            3,
            "场",
            "3月至6月",
            1500,
        ),
    ],
}
# The unit, the state its contract is brought to, and the signing order.
CONTRACTS = [
    ("越城区人民医院党委", ContractState.EVALUATING),
    ("越都小学党支部", ContractState.PUBLISHED),
    ("国网越城供电公司党支部", ContractState.AGREED),
    ("越城区司法局机关党支部", ContractState.DRAFT),
    ("绍兴银行越城支行党支部", ContractState.SIGNED),
    ("越城区税务局党总支", ContractState.TERMINATED),
    ("北海中学党支部", ContractState.EVALUATED),
]
ORDER = [
    ContractState.DRAFT,
    ContractState.AGREED,
    ContractState.SIGNED,
    ContractState.PUBLISHED,
    ContractState.EVALUATING,
    ContractState.EVALUATED,
]


def _items(unit_name: str) -> list[dict]:
    return [
        {
            "side": side,
            "kind": kind,
            "title": title,
            "deliverable": deliverable,
            "quantity": quantity,
            "unit": unit,
            "schedule": schedule,
            "budget": budget,
        }
        for side, kind, title, deliverable, quantity, unit, schedule, budget in ITEMS[unit_name]
    ]


def _signer(side: str, pairing: Pairing) -> User:
    contact = pairing.contacts.filter(side=side, can_sign=True).select_related("user").first()
    return contact.user if contact else None


NEEDS = [
    ("越都社区", "service", "独居老人定期健康随访", "社区有独居老人60余户，希望有医护人员定期上门"),
    ("越都社区", "resource", "青少年暑期活动场地", "暑期学生托管需要安全的活动场所"),
    ("治平社区", "service", "老年人防诈骗宣传", "近期电信诈骗多发，希望金融机构进社区宣传"),
    ("府山社区", "personalised", "楼道长法律知识培训", "楼道长调解邻里纠纷缺少法律知识"),
]


def _seed_menus() -> None:
    """Each unit's menu from the items it offers in its contract, and some communities' open needs."""
    for unit_name, rows in ITEMS.items():
        unit = Organisation.objects.filter(name=unit_name, kind=OrgKind.UNIT_PARTY).first()
        if unit is None:
            continue
        for side, kind, title, deliverable, quantity, unit_label, _schedule, budget in rows:
            if side != "unit" or MenuOffer.objects.filter(organisation=unit, title=title).exists():
                continue
            services.menu_offer_create(
                actor=None,
                organisation=unit,
                kind=kind,
                title=title,
                description=deliverable,
                quantity=quantity,
                unit=unit_label,
                estimated_value=budget,
            )
    for community_name, kind, title, description in NEEDS:
        community = Area.objects.filter(name=community_name, kind=AreaKind.COMMUNITY).first()
        if community is not None and not Need.objects.filter(community=community, title=title).exists():
            services.need_post(
                actor=None, community=community, kind=kind, title=title, description=description
            )


def seed(ctx: DemoContext) -> None:
    _seed_menus()
    for unit_name, state in CONTRACTS:
        unit = Organisation.objects.filter(name=unit_name, kind=OrgKind.UNIT_PARTY).first()
        if unit is None:
            continue
        community_org = Organisation.objects.filter(kind=OrgKind.COMMUNITY_PARTY, area=unit.area).first()
        if community_org is None:
            continue
        pairing = Pairing.objects.filter(community_org=community_org, unit_org=unit).first()
        if pairing is None:
            pairing = services.pairing_create(
                actor=None, community_org=community_org, unit_org=unit, since=date(2023, 3, 1)
            )
        _name_signers(pairing)
        title = f"2026年度{community_org.area.name}与{unit.name.removesuffix('党委').removesuffix('党支部').removesuffix('党总支')}共建契约"
        if Contract.objects.filter(pairing=pairing, title=title).exists():
            continue
        _bring_to(state, pairing, title, _items(unit_name))


def _name_signers(pairing: Pairing) -> None:
    """An authorised signer for each side: the demo logins for 越都社区 and the hospital, a signer of its own elsewhere."""
    for side in (Side.COMMUNITY, Side.UNIT):
        if pairing.contacts.filter(side=side, can_sign=True).exists():
            continue
        known = "yuedu_shuji" if side == Side.COMMUNITY else "renmin_yiyuan"
        user = User.objects.filter(username=known).first()
        if user is None or not Pairing.objects.visible_to(user).filter(pk=pairing.pk).exists():
            user = _own_signer(pairing, side)
        services.pairing_contact_add(
            actor=None, pairing=pairing, user=user, side=side, title="书记", can_sign=True
        )


def _own_signer(pairing: Pairing, side: str) -> User:
    organisation = pairing.community_org if side == Side.COMMUNITY else pairing.unit_org
    username = f"signer{pairing.pk}_{side}"
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(
            username=username, password=DEMO_PASSWORD, display_name=f"{organisation.name}书记"
        )
        if side == Side.COMMUNITY:
            community_services.role_grant(
                actor=None, user=user, role=Role.COMMUNITY_SECRETARY, area=pairing.community
            )
        else:
            community_services.role_grant(
                actor=None, user=user, role=Role.UNIT_CONTACT, organisation=organisation
            )
        user.refresh_from_db()
    return user


def _bring_to(state: str, pairing: Pairing, title: str, items: list[dict]) -> None:
    contract = services.contract_create(
        actor=None,
        pairing=pairing,
        title=title,
        term_start=date(2026, 1, 1),
        term_end=date(2026, 12, 31),
        items=items,
    )
    if state == ContractState.TERMINATED:
        services.contract_terminate(actor=None, contract=contract, reason="单位机构调整，双方协商终止")
        return
    # A consultation meeting, a comment, and a second version, as negotiation produces.
    community_signer, unit_signer = _signer(Side.COMMUNITY, pairing), _signer(Side.UNIT, pairing)
    services.meeting_record(
        actor=community_signer,
        contract=contract,
        held_on=date(2025, 12, 10),
        place=f"{pairing.community.name}党群服务中心",
        attendees=f"{pairing.community_org.name}书记、{pairing.unit_org.name}书记、居民代表3人",
        minutes="双方对照四类清单逐项协商服务内容、频次和场地，居民代表提出希望服务时间安排在周末。",
        decisions="服务时间调整到周末；预算按条目列明。",
    )
    services.comment_add(
        actor=unit_signer,
        contract=contract,
        version=1,
        item_index=0,
        body="建议把服务时间调整到周末，方便上班族。",
    )
    services.contract_revise(
        actor=None, contract=contract, items=_with_milestones(items), note="协商会议后调整服务时间，列明节点"
    )
    if ORDER.index(state) < ORDER.index(ContractState.AGREED):
        return
    services.contract_agree(actor=None, contract=contract, version=2)
    if ORDER.index(state) < ORDER.index(ContractState.SIGNED):
        return
    services.contract_sign(actor=community_signer, contract=contract, version=2, password=DEMO_PASSWORD)
    services.contract_sign(actor=unit_signer, contract=contract, version=2, password=DEMO_PASSWORD)
    if ORDER.index(state) < ORDER.index(ContractState.PUBLISHED):
        return
    services.contract_publish(actor=None, contract=contract)
    _report(contract, unit_signer)
    if ORDER.index(state) < ORDER.index(ContractState.EVALUATING):
        return
    services.contract_open_evaluation(actor=None, contract=contract)
    _rate(contract, community_signer, unit_signer)
    if state == ContractState.EVALUATED:
        services.contract_close_evaluation(actor=None, contract=contract)


# The dated milestones (节点) agreed for the first item in the second version.
MILESTONES = [
    ("2026-03-31", "完成第一季度服务并报送台账"),
    ("2026-06-30", "完成上半年服务，居民满意度回访"),
    ("2026-09-30", "完成第三季度服务"),
    ("2026-12-15", "全年服务总结并向居民公示"),
]


def _with_milestones(items: list[dict]) -> list[dict]:
    first = {**items[0], "milestones": [{"due": due, "what": what} for due, what in MILESTONES]}
    return [first, *items[1:]]


RECORDS = [
    (0, date(2026, 3, 7), "第一次活动，现场服务居民并做好签到", 36, 3),
    (0, date(2026, 6, 6), "第二次活动，结合居民需求调整了服务内容", 42, 3),
    (1, date(2026, 9, 12), "按计划完成本项承诺并整理台账", 18, 2),
]
RATINGS = [("jumin_li", 5, "服务很贴心"), ("dangyuan_wang", 4, "希望次数再多一些")]


def _report(contract: Contract, reporter: User) -> None:
    contract = Contract.objects.select_related("frozen_version").get(pk=contract.pk)
    items = len(contract.frozen_version.items)
    reached = 0
    for index, done_on, description, served, hours in RECORDS:
        if index < items:
            # The first item's records reach its milestones in turn (the third, due 30 September, is overdue).
            milestone = None
            if index == 0:
                milestone, reached = reached, reached + 1
            services.contract_record(
                actor=reporter,
                contract=contract,
                item_index=index,
                done_on=done_on,
                description=description,
                people_served=served,
                hours=hours,
                milestone=milestone,
            )


def _rate(contract: Contract, community_signer: User, unit_signer: User) -> None:
    criteria = list(services.criteria_weights())
    services.contract_rate(
        actor=community_signer,
        contract=contract,
        scores={code: 5 if n else 4 for n, code in enumerate(criteria)},
        comment="单位履约积极",
    )
    services.contract_rate(
        actor=unit_signer, contract=contract, scores=dict.fromkeys(criteria, 4), comment="社区配合到位"
    )
    for username, score, comment in RATINGS:
        user = User.objects.filter(username=username, person__community=contract.pairing.community).first()
        if user is not None:
            services.contract_rate(actor=user, contract=contract, score=score, comment=comment)
