"""Demo data of the wishes part: twelve micro-wishes of 越都社区 in every state.

The social worker yuedu_shegong posts for elderly residents and two left-behind children (people
without logins), the resident jumin_li posts one for herself; reported members of 越都社区 light them
up, fulfil them with a photo, and the wishes are confirmed (paying the "wish fulfilled" points through
the outbox). Left for the demo's visitors: 老花镜 is open for dangyuan_wang to light up, and jumin_li's
厨房水龙头维修 is fulfilled and awaits her confirmation. Safe to run again: a wish is looked up by its
title in the community, and one that exists is left as it is.
"""

from __future__ import annotations

import struct
import zlib
from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from community import services as community_services
from community.models import Area, AreaKind, MembershipType, Organisation, PartyMember, Person, User
from core.seeding import DEMO_PASSWORD

from .models import Report, Wish
from .services import reporting
from .services import wishes as services
from .services.common import grid_of
from .workflow import ReportState, WishState

COMMUNITY = "越都社区"

# Residents without a login the social worker posts for: (name, compound, building index, note).
ELDERS = [
    ("张阿婆", "越都花园", 1, "独居老人，82岁"),
    ("陈大伯", "和畅苑", 0, "听力不好，子女在外地"),
    ("孙爷爷", "塔山新村", 2, "腿脚不便，需坐轮椅"),
    ("王奶奶", "越都花园", 3, "空巢老人"),
    ("小宇", "塔山新村", 0, "留守儿童，父母在外务工，随奶奶生活"),
    ("小雨", "和畅苑", 2, "留守儿童，三年级"),
]

# Members to report if the reporting demo left fewer than four besides dangyuan_wang:
# (username, display name, name, phone, compound).
SPARE_MEMBERS = [
    ("dangyuan_he", "党员 何志明", "何志明", "13705759101", "越都花园"),
    ("dangyuan_shen", "党员 沈建华", "沈建华", "13705759102", "和畅苑"),
    ("dangyuan_qian", "党员 钱丽娟", "钱丽娟", "13705759103", "塔山新村"),
    ("dangyuan_lu", "党员 陆国庆", "陆国庆", "13705759104", "越都花园"),
]

# (title, category, for whom ("jumin_li" or an elder), days to the wanted-by date, members needed,
#  state, description, how it was fulfilled / why it was cancelled, claimants (indexes into the members)).
WISHES = [
    (
        "一袋大米",
        "daily",
        "张阿婆",
        5,
        1,
        WishState.CONFIRMED,
        "家里米快吃完了，腿脚不便搬不动，想请人帮忙买一袋10斤的大米送上楼。",
        "周六上午买了10斤东北大米送到家，帮阿婆倒进米桶。",
        [0],
    ),
    (
        "助听器维修",
        "health",
        "陈大伯",
        14,
        1,
        WishState.CLAIMED,
        "助听器右耳没有声音了，想请人帮忙送去维修。",
        "",
        [1],
    ),
    ("陪读绘本", "study", "小宇", 20, 1, WishState.OPEN, "希望每周有哥哥姐姐陪我读一次绘本。", "", []),
    (
        "轮椅一台",
        "health",
        "孙爷爷",
        30,
        1,
        WishState.CANCELLED,
        "原来的轮椅坏了，想要一台能折叠的轮椅。",
        "区残联已免费配发轮椅。",
        [],
    ),
    ("老花镜", "health", "王奶奶", 10, 1, WishState.OPEN, "看报纸看不清，想配一副300度的老花镜。", "", []),
    (
        "书包文具",
        "study",
        "小雨",
        12,
        1,
        WishState.FULFILLED,
        "新学期想要一个新书包和一套文具。",
        "送去了新书包、铅笔盒和一套文具，小雨很开心。",
        [2],
    ),
    (
        "楼道粉刷",
        "repair",
        "张阿婆",
        25,
        4,
        WishState.CLAIMED,
        "2幢楼道墙面发黑脱落，想请几位党员一起帮忙粉刷。",
        "",
        [0, 1],
    ),
    (
        "厨房水龙头维修",
        "repair",
        "jumin_li",
        7,
        1,
        WishState.FULFILLED,
        "厨房水龙头一直滴水，关不紧。",
        "换了一个新的水龙头阀芯，已不再滴水。",
        [1],
    ),
    (
        "陪老人聊天散步",
        "company",
        "孙爷爷",
        8,
        1,
        WishState.CONFIRMED,
        "想有人每周陪我在小区里走走、聊聊天。",
        "每周三下午陪孙爷爷在小区花园散步聊天。",
        [2],
    ),
    (
        "冬天的棉被",
        "daily",
        "陈大伯",
        18,
        1,
        WishState.CONFIRMED,
        "家里的棉被太薄，想要一床厚棉被过冬。",
        "送去一床新棉被，并帮大伯换好了被套。",
        [3],
    ),
    (
        "教我用手机视频",
        "company",
        "王奶奶",
        9,
        1,
        WishState.CLAIMED,
        "想学会用智能手机和外地的孙子视频通话。",
        "",
        ["dangyuan_wang"],
    ),
    ("电饭煲一个", "daily", "张阿婆", 3, 1, WishState.OPEN, "电饭煲坏了，想要一个小电饭煲。", "", []),
]


def demo_png(width: int = 8, height: int = 8, rgb: tuple[int, int, int] = (179, 18, 31)) -> bytes:
    """A tiny valid PNG of one colour, made here so no picture is committed."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + bytes(rgb) * width for _row in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _homes(community: Area) -> dict[str, list[Area]]:
    homes: dict[str, list[Area]] = {}
    for compound in Area.objects.filter(parent=community, kind=AreaKind.COMPOUND):
        homes[compound.name] = list(Area.objects.filter(parent=compound).order_by("path")) or [compound]
    return homes


def _home(homes: dict[str, list[Area]], compound: str, index: int) -> Area | None:
    buildings = homes.get(compound) or next(iter(homes.values()), [])
    return buildings[index % len(buildings)] if buildings else None


def _elder(community: Area, homes, name: str, compound: str, index: int, note: str) -> Person:
    existing = Person.objects.filter(name=name, community=community).first()
    return existing or community_services.person_create(
        actor=None, name=name, community=community, home=_home(homes, compound, index), note=note
    )


def _report(user: User, community: Area) -> Report | None:
    """The user's accepted report to the community, reporting and accepting them if needed."""
    active = Report.objects.filter(
        member__person__user=user, state__in=[ReportState.PENDING, ReportState.ACCEPTED]
    ).first()
    if active is not None and active.community_id != community.pk:
        return None
    if active is None:
        active = reporting.report_submit(actor=user, community=community, service_fields=["everyday"])
    if active.state == ReportState.PENDING:
        grid = grid_of(user.person.home)
        active = reporting.report_accept(actor=None, report=active, grid=grid)
    return active


def _spare_member(community: Area, homes, username, display_name, name, phone, compound) -> User | None:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = community_services.user_create(
            actor=None, username=username, password=DEMO_PASSWORD, display_name=display_name, phone=phone
        )
    person = Person.objects.filter(user=user).first()
    if person is None:
        person = community_services.person_create(
            actor=None, name=name, community=community, home=_home(homes, compound, 4), user=user
        )
    if not PartyMember.objects.filter(person=person).exists():
        party = Organisation.objects.filter(area=community, name=f"{COMMUNITY}党委").first()
        if party is None:
            return None
        community_services.party_member_register(
            actor=None, person=person, membership_type=MembershipType.REGISTERED, party_organisation=party
        )
    user.refresh_from_db()
    return user if _report(user, community) is not None else None


def _members(community: Area, homes, wang: User) -> list[User]:
    """Reported members of the community with a login, dangyuan_wang aside; four at least."""
    reported = (
        User.objects.filter(
            person__party_member__reports__community=community,
            person__party_member__reports__state=ReportState.ACCEPTED,
            is_active=True,
        )
        .exclude(pk=wang.pk)
        .distinct()
        .order_by("pk")
    )
    members = list(reported[:4])
    for spare in SPARE_MEMBERS:
        if len(members) >= 4:
            break
        user = _spare_member(community, homes, *spare)
        if user is not None and user not in members:
            members.append(user)
    return members


def seed(ctx) -> None:
    """Create (or complete) this part's demo data; safe to run again."""
    community = Area.objects.filter(name=COMMUNITY, kind=AreaKind.COMMUNITY).first()
    social_worker = User.objects.filter(username="yuedu_shegong").first()
    resident = User.objects.filter(username="jumin_li").first()
    wang = User.objects.filter(username="dangyuan_wang").first()
    if community is None or social_worker is None or resident is None or wang is None:
        return
    if all(Wish.objects.filter(community=community, title=row[0]).exists() for row in WISHES):
        return
    homes = _homes(community)
    if _report(wang, community) is None:
        return
    members = _members(community, homes, wang)
    if len(members) < 4:
        return
    people = {
        name: _elder(community, homes, name, compound, index, note) for name, compound, index, note in ELDERS
    }
    today = timezone.localdate()
    for title, category, whom, days, size, state, description, outcome, claimants in WISHES:
        if Wish.objects.filter(community=community, title=title).exists():
            continue
        if whom == "jumin_li":
            wish = services.wish_post(
                actor=resident,
                title=title,
                category=category,
                due_on=today + timedelta(days=days),
                description=description,
                group_size=size,
            )
            owner = resident
        else:
            wish = services.wish_post(
                actor=social_worker,
                beneficiary=people[whom],
                title=title,
                category=category,
                due_on=today + timedelta(days=days),
                description=description,
                group_size=size,
            )
            owner = social_worker
        if state == WishState.CANCELLED:
            services.wish_cancel(actor=owner, wish=wish, reason=outcome)
            continue
        users = [wang if who == "dangyuan_wang" else members[who] for who in claimants]
        for user in users:
            services.wish_claim(actor=user, wish=wish)
        if state in (WishState.FULFILLED, WishState.CONFIRMED):
            photo = ContentFile(demo_png(), name=f"wish-{wish.pk}.png")
            services.wish_fulfil(actor=users[0], wish=wish, note=outcome, photo=photo)
        if state == WishState.CONFIRMED:
            services.wish_confirm(actor=owner, wish=wish, note="谢谢党员志愿者！")
