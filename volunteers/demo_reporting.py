"""Demo data of the reporting part: every Party member of 越都社区 (and 府山社区) reported with skills and
placed in a grid — two reports left for the secretary to accept, one declined — and the year's
"锋领十条" pledge in two versions, most members having signed the second, a few only the first.

Runs first among the volunteers' demo parts: wishes, orders and activities need reported members.
`ctx.objects["reported_members"]` holds the logins of the accepted members of 越都社区.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from community import services as community_services
from community.models import Area, AreaKind, MembershipType, Organisation, PartyMember, Person, User
from core.seeding import DEMO_PASSWORD, DemoContext

from .models import PledgeSignature, PledgeText, Report
from .services import reporting
from .services.common import grid_of
from .workflow import ReportState

COMMUNITIES = ("越都社区", "府山社区")

# Members the community demo made, with the logins other demo parts gave them (or will find).
LOGINS = {
    "王建国": ("dangyuan_wang", "13705759001"),
    "陈晓燕": ("dangyuan_chen", "13705759003"),
    "赵志强": ("dangyuan_zhao", "13705759004"),
    "周国平": ("dangyuan_zhou", "13705759008"),
}

# More members of 越都社区: (name, compound, membership, Party organisation, workplace, login).
NEW_MEMBERS = [
    ("孟庆华", "越都花园", MembershipType.REGISTERED, "越都花园党支部", None, "dangyuan_meng"),
    (
        "沈国强",
        "和畅苑",
        MembershipType.IN_SERVICE,
        "国网越城供电公司党支部",
        "国网越城供电公司党支部",
        "dangyuan_shen",
    ),
    ("韩志刚", "塔山新村", MembershipType.REGISTERED, "塔山新村党支部", None, "dangyuan_han"),
    (
        "蒋丽萍",
        "越都花园",
        MembershipType.IN_SERVICE,
        "越城区人民医院党委",
        "越城区人民医院党委",
        "dangyuan_jiang",
    ),
    ("许文博", "和畅苑", MembershipType.IN_SERVICE, "越都小学党支部", "越都小学党支部", "dangyuan_xu"),
    ("胡建英", "塔山新村", MembershipType.REGISTERED, "越都社区党委", None, "dangyuan_hu"),
    (
        "马晓峰",
        "越都花园",
        MembershipType.IN_SERVICE,
        "国网越城供电公司党支部",
        "国网越城供电公司党支部",
        "dangyuan_ma",
    ),
    ("陶金龙", "塔山新村", MembershipType.REGISTERED, "塔山新村党支部", None, "dangyuan_tao"),
    (
        "俞佳琪",
        "越都花园",
        MembershipType.IN_SERVICE,
        "越城区人民医院党委",
        "越城区人民医院党委",
        "dangyuan_yu",
    ),
    ("施红梅", "和畅苑", MembershipType.REGISTERED, "和畅苑党支部", None, "dangyuan_shi"),
    ("金永明", "越都花园", MembershipType.REGISTERED, "越都花园党支部", None, "dangyuan_jin"),
]

# What each member offers: (skills, services).
SKILLS = {
    "王建国": ("医护, 健康讲座", ["epidemic", "rescue"]),
    "陈晓燕": ("辅导作业, 心理疏导", ["everyday", "hardship"]),
    "赵志强": ("水电维修, 电工", ["repair", "electricity"]),
    "周国平": ("税务咨询, 法律咨询", ["legal"]),
    "孟庆华": ("理发, 义剪", ["everyday"]),
    "沈国强": ("电工, 线路检修", ["electricity", "repair"]),
    "韩志刚": ("驾驶, 退役军人", ["patrol", "rescue"]),
    "蒋丽萍": ("医护, 测血压", ["epidemic", "hardship"]),
    "许文博": ("辅导作业, 书法", ["everyday"]),
    "胡建英": ("心理疏导, 调解邻里纠纷", ["mediation", "hardship"]),
    "马晓峰": ("水电维修, 家电维修", ["repair", "electricity"]),
    "陶金龙": ("垃圾分类督导", ["waste", "environment"]),
    "俞佳琪": ("医护, 急救", ["rescue", "epidemic"]),
    "施红梅": ("法律咨询（退休法官）", ["legal", "mediation"]),
    "金永明": ("治安巡逻, 驾驶", ["patrol"]),
}
PENDING = {"许文博", "俞佳琪"}  # for the secretary to accept in the demo
DECLINED = {"陶金龙": "您的组织关系信息与登记不一致，请联系社区党委核实后重新报到。"}

PLEDGE_TITLE = "{year}年“锋领十条”党员承诺"
PLEDGE_V1 = """一、亮身份：佩戴党员徽章，亮明党员身份，做群众身边的明白人。
二、讲政治：认真学习党的创新理论，按时参加社区党组织活动。
三、守规矩：遵纪守法，带头遵守居民公约和小区管理规约。
四、听民意：每月走访结对居民，收集群众急难愁盼问题。
五、解民忧：认领并完成居民微心愿，及时响应群众点单。
六、助邻里：关心帮扶独居老人、困难家庭，做邻里互助的热心人。
七、化矛盾：参与矛盾调解，做邻里和睦的调解员。
八、护平安：参加治安联防和应急救援，守护小区平安。
九、美家园：参与环境整治和垃圾分类，带头爱护公共设施。
十、树新风：弘扬文明新风，带头移风易俗，做文明的传播者。"""
# Version 2: the ninth pledge names the household's own sorting, after the residents' council asked.
PLEDGE_V2 = PLEDGE_V1.replace(
    "九、美家园：参与环境整治和垃圾分类，带头爱护公共设施。",
    "九、美家园：参与环境整治，带头在家分好垃圾、定时定点投放，爱护公共设施。",
)
ONLY_V1 = {"王建国", "赵志强", "蒋丽萍"}  # signed version 1, not yet version 2 (王建国 sees the prompt)
NOT_SIGNED = {"金永明"}


def _org(name: str) -> Organisation | None:
    return Organisation.objects.filter(name=name).order_by("pk").first()


def _login(person: Person, username: str, phone: str) -> User:
    """The person's login: theirs, or the named one (made if missing) attached to them."""
    if person.user_id:
        return person.user
    user = User.objects.filter(username=username).first()
    if user is None:
        user = community_services.user_create(
            actor=None,
            username=username,
            password=DEMO_PASSWORD,
            display_name=f"党员 {person.name}",
            phone=phone if not User.objects.filter(phone=phone).exists() else None,
        )
    community_services.person_update(actor=None, person=person, user=user)
    return user


def _add_members(community: Area) -> None:
    for index, (name, compound_name, membership, holder, workplace, _username) in enumerate(NEW_MEMBERS, 1):
        if Person.objects.filter(name=name, community=community).exists():
            continue
        compound = Area.objects.filter(name=compound_name, parent=community).first()
        party = _org(holder)
        if compound is None or party is None:
            continue
        buildings = list(Area.objects.filter(parent=compound, kind=AreaKind.BUILDING).order_by("path"))
        home = buildings[index % len(buildings)] if buildings else compound
        person = community_services.person_create(
            actor=None, name=name, community=community, home=home, phone=f"1375760{index:04d}"
        )
        community_services.party_member_register(
            actor=None,
            person=person,
            membership_type=membership,
            party_organisation=party,
            workplace=_org(workplace) if workplace else None,
            grid=None,  # placed when the community accepts the report
        )


def _report(member: PartyMember, community: Area, user: User, secretary: User | None, order: int) -> Report:
    """Report, then accept, decline or leave pending, as the demo wants; backdated over the year."""
    skills, fields = SKILLS.get(member.person.name, ("", ["everyday"]))
    report = reporting.report_submit(actor=user, community=community, skills=skills, service_fields=fields)
    name = member.person.name
    if name in DECLINED:
        reporting.report_decline(actor=secretary, report=report, reason=DECLINED[name])
    elif name not in PENDING:
        grid = grid_of(member.person.home) or (
            Area.objects.filter(parent=community, kind=AreaKind.GRID).order_by("path").first()
        )
        reporting.report_accept(actor=secretary, report=report, grid=grid)
    now = timezone.now()
    if name in PENDING:
        reported_at, decided_at = now - timedelta(days=1 + order % 3, hours=order), None
    else:
        reported_at = now - timedelta(days=300 - order * 17, hours=order)
        decided_at = reported_at + timedelta(days=1 + order % 3)
    Report.objects.filter(pk=report.pk).update(reported_at=reported_at, decided_at=decided_at)
    return report


def _sign(text: PledgeText, user: User, member: PartyMember) -> None:
    if not PledgeSignature.objects.filter(text=text, member=member).exists():
        reporting.pledge_sign(actor=user, text=text)


def _pledges(community: Area, secretary: User | None) -> None:
    year = timezone.localdate().year
    title = PLEDGE_TITLE.format(year=year)
    texts = {t.version: t for t in PledgeText.objects.filter(community=community, year=year)}
    v1 = texts.get(1) or reporting.pledge_publish(
        actor=secretary, community=community, title=title, body=PLEDGE_V1, year=year
    )
    accepted = list(
        Report.objects.filter(community=community, state=ReportState.ACCEPTED)
        .select_related("member__person__user")
        .order_by("member__person__name")
    )
    v2 = texts.get(2)
    if v2 is None:
        for report in accepted:
            if report.member.person.name not in NOT_SIGNED and report.member.person.user_id:
                _sign(v1, report.member.person.user, report.member)
        v2 = reporting.pledge_publish(
            actor=secretary, community=community, title=title, body=PLEDGE_V2, year=year
        )
    for report in accepted:
        name = report.member.person.name
        if name not in ONLY_V1 | NOT_SIGNED and report.member.person.user_id:
            _sign(v2, report.member.person.user, report.member)


def seed(ctx: DemoContext) -> None:
    """Create (or complete) this part's demo data; safe to run again."""
    secretaries = {
        "越都社区": User.objects.filter(username="yuedu_shuji").first(),
        "府山社区": User.objects.filter(username="fushan_shuji").first(),
    }
    logins = dict(LOGINS)
    logins.update(
        {name: (username, f"1375760{n:04d}") for n, (name, *_r, username) in enumerate(NEW_MEMBERS, 1)}
    )
    reported_members: list[User] = []
    for community_name in COMMUNITIES:
        community = Area.objects.filter(name=community_name, kind=AreaKind.COMMUNITY).first()
        if community is None:
            continue
        if community_name == "越都社区":
            _add_members(community)
        members = PartyMember.objects.filter(person__community=community).select_related("person__user")
        for order, member in enumerate(members.order_by("person__name", "pk")):
            name = member.person.name
            username, phone = logins.get(name, (f"dangyuan_{member.pk}", f"1375769{member.pk % 10000:04d}"))
            user = _login(member.person, username, phone)
            if not Report.objects.filter(member=member).exists():
                _report(member, community, user, secretaries.get(community_name), order)
            if community_name == "越都社区" and member.reports.filter(state=ReportState.ACCEPTED).exists():
                reported_members.append(user)
        if community_name == "越都社区":
            _pledges(community, secretaries.get(community_name))
    ctx.objects["reported_members"] = reported_members
