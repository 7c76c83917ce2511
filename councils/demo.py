"""Demo councils: 越都社区's first pilot of red-steward councils, at the figures the articles report —
11 compounds, 159 meetings, 212 issues raised, 190 solved — and, in 越都花园, votes with their tallies,
an open vote, a discussion, a crowdfunding campaign and a survey for the demo logins.

Everything goes through councils.services. The services stamp "now" on what they create; the demo
then moves those timestamps back across the pilot's two years (2024-03 to 2026-10), so that the
timelines, the meetings and the time to resolve read like a real history. Run twice, it adds nothing.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from django.utils import timezone

from community.demo import _area, _org
from community.models import Area, AreaKind, Organisation, OrgKind, Person, User
from community.services import person_create, user_create
from core.seeding import DEMO_PASSWORD, DemoContext

from . import services
from .models import Council, Issue, IssueEvent, Meeting, Motion, SeatKind
from .workflow import IssueState, Track

COMMUNITY = "越都社区"
# The pilot's eight other compounds (越都花园, 和畅苑 and 塔山新村 come from the community demo).
MORE_COMPOUNDS = [
    "鲁迅故里小区",
    "府河苑",
    "上大路小区",
    "东街小区",
    "仓河新村",
    "投醪河苑",
    "迎恩门小区",
    "百花苑",
]
FIGURES = {"compounds": 11, "meetings": 159, "issues": 212, "solved": 190}
# The history holds all but the two issues 越都花园 has under way for the demo logins (one resolved,
# its survey open; one being handled): 189 solved, and 21 not: (state, how many).
HISTORY_SOLVED = FIGURES["solved"] - 1
UNSOLVED = [("raised", 5), ("handling", 5), ("on_agenda", 5), ("escalated", 3), ("rejected", 3)]
ISSUES = [
    ("facilities", "楼道灯不亮", "单元楼道声控灯坏了，晚上上下楼看不见，老人容易摔倒。"),
    ("parking", "非机动车乱停放", "电动车停在楼道口和消防通道上，影响通行。"),
    ("environment", "垃圾分类点异味大", "夏天垃圾分类点异味很大，希望增加清运和冲洗次数。"),
    ("safety", "电动车楼道充电", "有住户从楼上拉线给电动车充电，存在火灾隐患。"),
    ("facilities", "健身器材损坏", "小区健身角的漫步机坏了，老人锻炼不方便。"),
    ("property", "物业服务响应慢", "报修后物业三四天才上门，希望公开报修进度。"),
    ("elderly_children", "老人助餐需求", "独居老人做饭困难，希望在小区附近设助餐点。"),
    ("neighbours", "广场舞噪音扰民", "晚上九点后广场舞音响声音太大，影响休息。"),
    ("facilities", "加装电梯意愿征集", "多层住宅老人多，希望组织加装电梯意愿征集。"),
    ("environment", "绿化带杂草丛生", "东侧绿化带长期没人修剪，蚊虫多。"),
    ("parking", "夜间停车位紧张", "晚上停车位不够，车辆停到主干道上。"),
    ("safety", "单元门禁损坏", "3单元门禁坏了一个月，外来人员随意进出。"),
    ("elderly_children", "儿童游乐设施不足", "小区没有儿童游乐设施，孩子只能在车道边玩。"),
    ("facilities", "雨污管道堵塞", "下雨天楼前积水严重，雨污管道需要疏通。"),
]
TRACKS = [Track.SMALL, Track.MICRO, Track.SMALL, Track.BIG, Track.SMALL, Track.HARD, Track.SMALL, Track.MICRO]
START = date(2024, 3, 1)
END = date(2026, 10, 31)


def seed(ctx: DemoContext) -> None:
    community = Area.objects.filter(name=COMMUNITY, kind=AreaKind.COMMUNITY).first()
    if community is None or Council.objects.filter(compound__parent=community).exists():
        return
    recorder = User.objects.filter(username="yuedu_shegong").first()
    if recorder is None:
        return
    rng = random.Random(2024)  # noqa: S311 - demo data, reproducible
    grid = Area.objects.filter(kind=AreaKind.GRID, parent=community).first()
    for name in MORE_COMPOUNDS:
        compound = _area(name, AreaKind.COMPOUND, community, grid=grid)
        _area("1幢", AreaKind.BUILDING, compound, grid=grid)
        _org(f"{name}党支部", OrgKind.COMPOUND_BRANCH, compound)
    compounds = list(Area.objects.filter(parent=community, kind=AreaKind.COMPOUND).order_by("path"))
    councils = {}
    voters = []
    for compound in compounds:
        branch = compound_branch(compound)
        council = services.council_create(actor=None, compound=compound, convener_org=branch)
        councils[compound.pk] = council
        if compound.name == "越都花园":
            voters = huayuan_seats(council, compound, community)
        else:
            seat_holders(council, compound, community, rng)
    issues_for = issue_history(councils, compounds, community, recorder, rng, raters=voters)
    meeting_history(councils, compounds, issues_for, rng)
    yuedu_huayuan(councils[next(c.pk for c in compounds if c.name == "越都花园")], voters)


def compound_branch(compound: Area):
    return Organisation.objects.filter(area=compound, kind=OrgKind.COMPOUND_BRANCH).first()


SURNAMES = (
    "王李张刘陈杨黄赵周吴徐孙朱马胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
# Given names the community demo does not use, so that its people stay unique by name.
GIVEN = [
    "玉梅",
    "春生",
    "红霞",
    "小平",
    "金花",
    "永康",
    "雪芬",
    "卫国",
    "秋菊",
    "文斌",
    "月娥",
    "伟",
    "敏",
    "静",
    "军",
    "芳",
]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _resident(community: Area, compound: Area, rng: random.Random) -> Person:
    home = Area.objects.filter(parent=compound, kind=AreaKind.BUILDING).order_by("path").first() or compound
    return person_create(actor=None, name=_name(rng), community=community, home=home)


def seat_holders(council: Council, compound: Area, community: Area, rng: random.Random) -> None:
    kinds = [
        (SeatKind.PARTY_BRANCH, True),
        (SeatKind.OWNERS_COMMITTEE, True),
        (SeatKind.PROPERTY_COMPANY, True),
        (SeatKind.PAIRED_UNIT, True),
        (SeatKind.REGISTERED_MEMBER, True),
        (SeatKind.RESIDENT_REP, True),
        (SeatKind.OWNER_REP, True),
        (SeatKind.AREA_UNIT, False),
    ]
    for kind, voting in kinds:
        services.seat_add(
            actor=None,
            council=council,
            kind=kind,
            person=_resident(community, compound, rng),
            voting_seat=voting,
            since=START,
        )


def _moment(day: date, rng: random.Random) -> datetime:
    return timezone.make_aware(
        datetime.combine(day, datetime.min.time()) + timedelta(hours=rng.randint(8, 19))
    )


def _backdate(issue: Issue, raised_on: date, rng: random.Random) -> None:
    """Spread the issue's history from the day it was raised, a few days per step."""
    issue = Issue.objects.get(pk=issue.pk)
    at = _moment(raised_on, rng)
    fields = {"created_at": at, "triage_by": raised_on + timedelta(days=3)}
    events = list(IssueEvent.objects.filter(issue=issue).order_by("at", "id"))
    for event in events:
        IssueEvent.objects.filter(pk=event.pk).update(at=at)
        if event.to_state == IssueState.RESOLVED:
            fields["resolved_at"] = at
            fields["survey_closed_at"] = at + timedelta(days=7)
        if event.step == "triage" and issue.due_on:
            fields["due_on"] = at.date() + (issue.due_on - timezone.localdate())
        at += timedelta(days=rng.randint(1, 9), hours=rng.randint(0, 6))
    Issue.objects.filter(pk=issue.pk).update(**fields)


RATINGS = ["satisfied", "satisfied", "satisfied", "basic", "satisfied", "unsatisfied"]


def issue_history(councils, compounds, community, recorder, rng, raters=()) -> dict[int, list[Issue]]:
    """210 issues over two years, 189 resolved, recorded by the social worker for the residents."""
    plan = ["resolved"] * HISTORY_SOLVED
    for state, count in UNSOLVED:
        plan += [state] * count
    rng.shuffle(plan)
    span = (END - START).days
    big_for: dict[int, list[Issue]] = {compound.pk: [] for compound in compounds}
    for number, target in enumerate(plan):
        compound = compounds[number % len(compounds)]
        council = councils[compound.pk]
        category, title, description = ISSUES[number % len(ISSUES)]
        issue = services.issue_raise(
            actor=recorder,
            council=council,
            category=category,
            title=title,
            description=description,
            on_behalf_of=_resident(community, compound, rng),
        )
        if target == "raised":
            _backdate(issue, END - timedelta(days=rng.randint(0, 2)), rng)
            continue
        if target == "rejected":
            services.issue_reject(actor=None, issue=issue, reason="属于业主个人事务，已引导通过物业报修解决")
            _backdate(issue, START + timedelta(days=rng.randint(0, span)), rng)
            continue
        by_target = {"on_agenda": Track.BIG, "escalated": Track.HARD, "handling": Track.SMALL}
        track = by_target.get(target) or TRACKS[number % len(TRACKS)]
        services.issue_triage(actor=None, issue=issue, track=track)
        if track == Track.BIG:
            big_for[compound.pk].append(issue)
        if target == "resolved":
            if track == Track.BIG:
                services.issue_advance(actor=None, issue=issue, step="decide", note="议事会表决通过")
            elif track == Track.HARD:
                services.issue_advance(
                    actor=None, issue=issue, step="respond", note="街道城管科已答复并安排处理"
                )
            services.issue_advance(actor=None, issue=issue, step="resolve", note="已办结，居民回访满意")
            if compound.name == "越都花园":  # its seat holders have logins: they rate (民评)
                for n, rater in enumerate(raters):
                    rating = RATINGS[(number + n) % len(RATINGS)]
                    services.result_rate(actor=rater, issue=issue, rating=rating)
        recent = target in ("handling", "on_agenda", "escalated")
        raised_on = (
            END - timedelta(days=rng.randint(5, 40))
            if recent
            else START + timedelta(days=rng.randint(0, span - 40))
        )
        _backdate(issue, raised_on, rng)
    return big_for


MEETING_TITLES = ["月度议事会", "专题协商会", "季度议事会", "居民恳谈会"]


def meeting_history(councils, compounds, big_for, rng) -> None:
    """159 meetings over the pilot: minutes recorded and approved; big issues on their agendas."""
    per_compound = [FIGURES["meetings"] // len(compounds)] * len(compounds)
    for index in range(FIGURES["meetings"] - sum(per_compound)):
        per_compound[index] += 1
    span = (END - START).days
    for compound, count in zip(compounds, per_compound, strict=True):
        council = councils[compound.pk]
        seats = list(council.seats.filter(voting=True))
        days = sorted(START + timedelta(days=rng.randint(0, span)) for _ in range(count))
        agenda_left = [
            issue
            for issue in big_for[compound.pk]
            if Issue.objects.get(pk=issue.pk).state == IssueState.ON_AGENDA
        ]
        for number, day in enumerate(days, start=1):
            agenda = [agenda_left.pop()] if agenda_left and number == count else []
            meeting = services.meeting_schedule(
                actor=None,
                council=council,
                title=f"{compound.name}{MEETING_TITLES[number % len(MEETING_TITLES)]}（第{number}次）",
                starts_at=timezone.now() + timedelta(days=1),
                place=f"{compound.name}红管家议事角",
                issues=agenda,
            )
            Meeting.objects.filter(pk=meeting.pk).update(starts_at=_moment(day, rng))
            attending = seats[: rng.randint(max(1, len(seats) - 3), len(seats))]
            services.meeting_record(
                actor=None,
                meeting=meeting,
                attendees=attending,
                minutes="召集人通报上次议定事项办理情况；与会代表逐项讨论本次议题，物业和驻区单位代表说明可提供的支持。",
                decisions="议定事项明确责任人和完成时限，办理结果在小区公示栏和平台公开。",
            )
            if number < count or not agenda:
                services.meeting_approve(
                    actor=None, meeting=meeting, summary="本次议事会议定事项已公示，欢迎居民监督。"
                )


def _login(username: str, name: str, community: Area, compound: Area) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = user_create(actor=None, username=username, password=DEMO_PASSWORD, display_name=name)
        home = (
            Area.objects.filter(parent=compound, kind=AreaKind.BUILDING).order_by("path").first() or compound
        )
        person_create(actor=None, name=name, community=community, home=home, user=user)
        user.refresh_from_db()
    return user


def huayuan_seats(council: Council, compound: Area, community: Area) -> list[User]:
    """越都花园's seats are held by people with logins (the demo's member and resident among them), so they vote."""
    voters = []
    for username in ("dangyuan_wang", "jumin_li"):
        user = User.objects.filter(username=username).first()
        if user is not None and getattr(user, "person", None) is not None:
            kind = SeatKind.IN_SERVICE_MEMBER if username == "dangyuan_wang" else SeatKind.RESIDENT_REP
            services.seat_add(
                actor=None, council=council, kind=kind, person=user.person, since=date(2026, 1, 1)
            )
            voters.append(user)
    kinds = [SeatKind.PARTY_BRANCH, SeatKind.OWNERS_COMMITTEE, SeatKind.PROPERTY_COMPANY, SeatKind.OWNER_REP]
    for n, (name, kind) in enumerate(
        zip(["钱卫东", "孔秀珍", "严立新", "华建军"], kinds, strict=True), start=1
    ):
        user = _login(f"ydhy_daibiao{n}", name, community, compound)
        services.seat_add(actor=None, council=council, kind=kind, person=user.person, since=START)
        voters.append(user)
    return voters


def yuedu_huayuan(council: Council, voters: list[User]) -> None:
    """越都花园: three closed votes (passed, no quorum, two thirds missed), an open one, a project under way."""
    now = timezone.now()
    closed = [
        ("是否在3幢东侧增设电动车集中充电桩", "0.5", "simple", [0, 0, 0, 0, 1, -1]),
        ("是否将小区东门改为夜间只进不出", "0.6", "simple", [0, 1]),
        ("是否动用公共维修资金更换单元门禁", "0.5", "two_thirds", [0, 0, 0, 1, 1, -1]),
    ]
    for title, quorum, threshold, votes in closed:
        motion = services.motion_create(
            actor=None,
            council=council,
            title=title,
            options=["赞成", "反对"],
            quorum=quorum,
            threshold=threshold,
            opens_at=now - timedelta(minutes=5),
            closes_at=now + timedelta(hours=1),
            secret=threshold == "two_thirds",
        )
        services.motion_open(actor=None, motion=motion)
        for user, option in zip(voters, votes, strict=False):
            services.vote_cast(actor=user, motion=motion, option=option)
        Motion.objects.filter(pk=motion.pk).update(closes_at=now - timedelta(minutes=1))
        services.motion_close(actor=None, motion=motion)
    open_motion = services.motion_create(
        actor=None,
        council=council,
        title="是否在小区花园加装休闲座椅（居民众筹）",
        description="费用由居民众筹和共建单位支持，物业负责安装维护。",
        options=["赞成", "反对"],
        quorum="0.5",
        threshold="simple",
        opens_at=now - timedelta(minutes=5),
        closes_at=now + timedelta(days=5),
        changeable=True,
    )
    services.motion_open(actor=None, motion=open_motion)
    for user in voters[2:5]:
        services.vote_cast(actor=user, motion=open_motion, option=0)
    # A project being carried out, with its campaign, tasks and a discussion.
    resident = User.objects.filter(username="jumin_li").first()
    if resident is None:
        return
    issue = services.issue_raise(
        actor=resident,
        council=council,
        category="facilities",
        title="小区花园没有休闲座椅",
        description="花园里没有座椅，老人散步累了没地方坐，希望加装几组座椅。",
    )
    services.issue_triage(actor=None, issue=issue, track=Track.SMALL, note="小事共办：居民众筹、物业安装")
    services.post_add(actor=voters[2], issue=issue, body="支持，建议选防腐木材质，耐用。")
    services.post_add(actor=resident, issue=issue, body="希望靠近东门健身角多放两组。")
    campaign = services.campaign_open(
        actor=None,
        issue=issue,
        title="花园休闲座椅众筹",
        description="计划安装6组防腐木座椅，每组约500元。",
        money_goal=3000,
        hours_goal=24,
        materials="防腐木、不锈钢螺丝",
        closes_on=timezone.localdate() + timedelta(days=20),
    )
    services.pledge_make(actor=resident, campaign=campaign, kind="money", amount=200)
    services.pledge_make(actor=voters[0], campaign=campaign, kind="labour", hours=4)
    services.task_add(
        actor=None,
        issue=issue,
        title="采购座椅并安装",
        owner="绿城物业越都花园服务中心",
        due_on=timezone.localdate() + timedelta(days=30),
    )
    # A resolved issue whose survey is open for the resident.
    lamp = services.issue_raise(
        actor=resident,
        council=council,
        category="facilities",
        title="东门路灯不亮",
        description="东门外两盏路灯不亮。",
    )
    services.issue_triage(actor=None, issue=lamp, track=Track.MICRO)
    services.issue_advance(actor=None, issue=lamp, step="resolve", note="物业已更换灯泡")
