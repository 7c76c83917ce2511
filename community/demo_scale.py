"""District-scale base data (core.scale): the area tree, organisations, people, members and logins.

At factor 1.0: 越城区 with 16 streets, 352 communities (each with its community Party committee, four
compounds and three grids), 1,175 unit Party organisations (each pairing with one community, every
community with at least one when there are enough), 50,000 Party members of whom 37,000 report to
their residential community, 29,575 members and 5,174 residents with a login, and the staff: a
district administrator, a street administrator per street, a secretary and a social worker per
community, a contact per unit. Every login's password is the demo password.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password

from core.scale import ScaleCommunity, ScaleUnit, ScaleWorld, bulk
from core.seeding import DEMO_PASSWORD

from .models import (
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
    UnitType,
    User,
)

STREETS = (
    "塔山街道", "府山街道", "北海街道", "城南街道", "稽山街道", "迪荡街道", "东湖街道", "皋埠街道",
    "斗门街道", "灵芝街道", "鉴湖街道", "东浦街道", "马山街道", "孙端街道", "陶堰街道", "富盛镇",
)  # fmt: skip
PLACE_HEADS = "越都 治平 府山 塔山 稽山 鉴湖 兰亭 蕺山 书圣 北海 城南 迪荡 东湖 皋埠 斗门 灵芝 东浦 马山 孙端 陶堰 富盛 禹陵 若耶 会稽 西园 南池 龙山 秋瑾 鲁迅 咸亨 仓桥 八字桥".split()  # noqa: E501
PLACE_TAILS = "社区 新村社区 花园社区 家园社区 村".split()
COMPOUND_TAILS = "花园 苑 新村 家园 小区 公寓 雅苑 华庭".split()
UNIT_KINDS = (
    # (name pattern, unit type, sector)
    ("{place}人民医院党委", UnitType.INSTITUTION, "医院"),
    ("{place}中学党总支", UnitType.INSTITUTION, "学校"),
    ("{place}小学党支部", UnitType.INSTITUTION, "学校"),
    ("{place}税务分局党支部", UnitType.AGENCY, "机关"),
    ("{place}供电所党支部", UnitType.ENTERPRISE, "国企"),
    ("{place}农商银行支行党支部", UnitType.ENTERPRISE, "银行"),
    ("{place}市场监管所党支部", UnitType.AGENCY, "机关"),
    ("{place}派出所党支部", UnitType.AGENCY, "机关"),
    ("{place}卫生服务中心党支部", UnitType.INSTITUTION, "医院"),
    ("{place}律师事务所党支部", UnitType.TWO_NEW, "律所"),
    ("{place}物业服务公司党支部", UnitType.TWO_NEW, "物业"),
    ("{place}建设集团党委", UnitType.ENTERPRISE, "国企"),
)
SURNAMES = "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 林 罗 高 郑 梁 谢 宋 唐 许 韩 冯 邓 曹 彭 曾 肖 田 董 袁 潘 蒋 蔡 余 杜 叶 程 魏 苏 吕 丁 沈 任 姚 卢 钟 姜 崔 谭 陆 汪 范 金 石 廖 贾 夏 韦 付 方 邹 孟 熊 秦 邱 江 尹 薛 闫 段 雷 侯 龙 史 陶 黎 贺 顾 毛 郝 龚 邵 万 钱 严 覃 武 戴 莫 孔 向 汤".split()  # noqa: E501
GIVEN = "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀英 霞 平 刚 桂英 建华 文 华 建国 红 玉兰 志强 晓东 海燕 国庆 卫东 春梅 丹 鑫 佳琪 子涵 浩然 思远 雨欣 文博 嘉怡 宇航 梓萱 俊杰 诗涵 明轩 欣怡".split()  # noqa: E501
# The district's centre (越城区, Shaoxing): communities are placed around it.
CENTRE = (Decimal("30.000000"), Decimal("120.580000"))

MEMBERS = 50_000
REPORTED = 37_000
MEMBER_USERS = 29_575
RESIDENT_USERS = 5_174
RESIDENTS_PER_COMMUNITY = 30
COMPOUNDS_PER_COMMUNITY = 4
GRIDS_PER_COMMUNITY = 3


class _Phones:
    """Unique mobile numbers for the scale district (199 + eight digits: a range the demo does not use)."""

    def __init__(self) -> None:
        self.next = 0

    def __call__(self) -> str:
        self.next += 1
        return f"199{self.next:08d}"


def _name(world: ScaleWorld) -> str:
    return world.rng.choice(SURNAMES) + world.rng.choice(GIVEN)


def _spread(total: int, parts: int, world: ScaleWorld) -> list[int]:
    """`total` split into `parts` counts that differ a little (each ≥ 0), summing exactly to `total`."""
    weights = [0.6 + world.rng.random() * 0.8 for _ in range(parts)]
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    for i in range(total - sum(counts)):
        counts[i % parts] += 1
    return counts


def _place(world: ScaleWorld, index: int) -> tuple[Decimal, Decimal]:
    rng = world.rng
    lat = CENTRE[0] + Decimal(f"{rng.uniform(-0.06, 0.06):.6f}")
    lng = CENTRE[1] + Decimal(f"{rng.uniform(-0.08, 0.08):.6f}")
    return lat, lng


def _with_paths(areas: list[Area], parents: dict[int, Area]) -> None:
    """Set path and depth of freshly bulk-created `areas` (their parents already have theirs)."""
    for area in areas:
        parent = parents[area.parent_id]
        area.path = f"{parent.path}{area.pk}/"
        area.depth = parent.depth + 1
    Area.objects.bulk_update(areas, ["path", "depth"], batch_size=2000)


def _users(world: ScaleWorld, specs: list[tuple[str, str, str]]) -> list[int]:
    """Create logins (username, display name, phone); their ids in order."""
    users = bulk(
        User,
        (
            User(username=username, display_name=name, phone=phone, password=world.password_hash)
            for username, name, phone in specs
        ),
    )
    return [u.pk for u in users]


def seed(world: ScaleWorld) -> None:
    rng = world.rng
    phone = _Phones()
    world.password_hash = make_password(DEMO_PASSWORD)

    district = Area.objects.create(name="越城区", kind=AreaKind.DISTRICT, code="330602")
    district.path, district.depth = f"/{district.pk}/", 0
    district.save(update_fields=["path", "depth"])
    world.district_id = district.pk
    district_dept = Organisation.objects.create(
        name="越城区委组织部",
        kind=OrgKind.DISTRICT_DEPARTMENT,
        area=district,
        party_level=PartyLevel.COMMITTEE,
    )

    n_communities = world.n(352)
    n_streets = min(len(STREETS), n_communities)
    streets = bulk(
        Area, (Area(name=name, kind=AreaKind.STREET, parent=district) for name in STREETS[:n_streets])
    )
    _with_paths(streets, {district.pk: district})
    world.street_ids = [s.pk for s in streets]

    # Communities: round-robin over the streets, named from the place list (unique within a street).
    names_used: set[tuple[int, str]] = set()
    community_rows: list[Area] = []
    for i in range(n_communities):
        street = streets[i % n_streets]
        while True:
            name = rng.choice(PLACE_HEADS) + rng.choice(PLACE_TAILS)
            if (street.pk, name) not in names_used:
                break
            name = f"{rng.choice(PLACE_HEADS)}{rng.choice(PLACE_HEADS)}{rng.choice(PLACE_TAILS)}"
            if (street.pk, name) not in names_used:
                break
        names_used.add((street.pk, name))
        lat, lng = _place(world, i)
        community_rows.append(
            Area(
                name=name,
                kind=AreaKind.COMMUNITY,
                parent=street,
                address=f"绍兴市越城区{street.name}{name}",
                latitude=lat,
                longitude=lng,
            )
        )
    communities = bulk(Area, community_rows)
    _with_paths(communities, {s.pk: s for s in streets})

    # Compounds and grids under each community.
    below: list[Area] = []
    for community in communities:
        for g in range(GRIDS_PER_COMMUNITY):
            below.append(Area(name=f"第{g + 1}网格", kind=AreaKind.GRID, parent=community))
        heads = rng.sample(PLACE_HEADS, COMPOUNDS_PER_COMMUNITY)
        for c in range(COMPOUNDS_PER_COMMUNITY):
            below.append(
                Area(
                    name=f"{heads[c]}{rng.choice(COMPOUND_TAILS)}",
                    kind=AreaKind.COMPOUND,
                    parent=community,
                    latitude=community.latitude + Decimal(f"{rng.uniform(-0.004, 0.004):.6f}"),
                    longitude=community.longitude + Decimal(f"{rng.uniform(-0.004, 0.004):.6f}"),
                )
            )
    below = bulk(Area, below)
    _with_paths(below, {c.pk: c for c in communities})
    grids_of: dict[int, list[int]] = {}
    compounds_of: dict[int, list[Area]] = {}
    for area in below:
        if area.kind == AreaKind.GRID:
            grids_of.setdefault(area.parent_id, []).append(area.pk)
        else:
            compounds_of.setdefault(area.parent_id, []).append(area)
    # Each compound is covered by one of its community's grids.
    for community_id, compounds in compounds_of.items():
        for i, compound in enumerate(compounds):
            compound.grid_id = grids_of[community_id][i % GRIDS_PER_COMMUNITY]
    Area.objects.bulk_update([c for cs in compounds_of.values() for c in cs], ["grid"], batch_size=2000)
    world.count("areas", 1 + len(streets) + len(communities) + len(below))

    # Organisations: a street working committee per street, a community Party committee per community.
    bulk(
        Organisation,
        (
            Organisation(
                name=f"{s.name}党工委", kind=OrgKind.STREET_PARTY, area=s, party_level=PartyLevel.COMMITTEE,
                parent=district_dept,
            )
            for s in streets
        ),
    )  # fmt: skip
    community_orgs = bulk(
        Organisation,
        (
            Organisation(
                name=f"{c.name}党委",
                kind=OrgKind.COMMUNITY_PARTY,
                area=c,
                party_level=PartyLevel.COMMITTEE,
                address=c.address,
                latitude=c.latitude,
                longitude=c.longitude,
            )
            for c in communities
        ),
    )

    # Unit Party organisations, round-robin over the communities they pair with.
    n_units = world.n(1175)
    unit_rows: list[Organisation] = []
    unit_names: set[str] = set()
    for i in range(n_units):
        community = communities[i % n_communities]
        pattern, unit_type, sector = UNIT_KINDS[rng.randrange(len(UNIT_KINDS))]
        name = pattern.format(place=community.name.removesuffix("社区").removesuffix("村"))
        if name in unit_names:
            name = name.replace("党", f"第{i}党", 1)
        unit_names.add(name)
        unit_rows.append(
            Organisation(
                name=name,
                kind=OrgKind.UNIT_PARTY,
                area=community,
                unit_type=unit_type,
                sector=sector,
                party_level=PartyLevel.BRANCH,
                address=f"{community.address}{rng.randint(1, 300)}号",
                latitude=community.latitude + Decimal(f"{rng.uniform(-0.006, 0.006):.6f}"),
                longitude=community.longitude + Decimal(f"{rng.uniform(-0.006, 0.006):.6f}"),
            )
        )
    units = bulk(Organisation, unit_rows)
    world.count("organisations", 1 + len(streets) + len(community_orgs) + len(units))

    # Staff logins and their grants.
    staff_specs = [("scale_qu", "区委组织部管理员", phone())]
    staff_specs += [(f"scale_jd{i + 1}", f"{s.name}管理员", phone()) for i, s in enumerate(streets)]
    for i, c in enumerate(communities):
        staff_specs.append((f"scale_sj{i + 1}", f"{c.name} {_name(world)}书记", phone()))
        staff_specs.append((f"scale_sg{i + 1}", f"{c.name} {_name(world)}社工", phone()))
    staff_specs += [(f"scale_dw{i + 1}", f"{u.name} {_name(world)}", phone()) for i, u in enumerate(units)]
    staff_ids = _users(world, staff_specs)
    world.district_admin_user_id = staff_ids[0]
    street_user_ids = staff_ids[1 : 1 + n_streets]
    world.street_admin_user_ids = {s.pk: uid for s, uid in zip(streets, street_user_ids, strict=True)}
    community_staff = staff_ids[1 + n_streets : 1 + n_streets + 2 * n_communities]
    unit_user_ids = staff_ids[1 + n_streets + 2 * n_communities :]
    grants = [RoleGrant(user_id=staff_ids[0], role=Role.DISTRICT_ADMIN, area=district)]
    grants += [
        RoleGrant(user_id=uid, role=Role.STREET_ADMIN, area_id=sid)
        for sid, uid in zip(world.street_ids, street_user_ids, strict=True)
    ]  # noqa: E501
    for i, c in enumerate(communities):
        grants.append(RoleGrant(user_id=community_staff[2 * i], role=Role.COMMUNITY_SECRETARY, area=c))
        grants.append(RoleGrant(user_id=community_staff[2 * i + 1], role=Role.SOCIAL_WORKER, area=c))
    grants += [
        RoleGrant(user_id=uid, role=Role.UNIT_CONTACT, organisation=u)
        for u, uid in zip(units, unit_user_ids, strict=True)
    ]  # noqa: E501
    bulk(RoleGrant, grants)
    # Staff roles work in the back office.
    User.objects.filter(pk__in=staff_ids[: 1 + n_streets + 2 * n_communities]).update(is_staff=True)
    world.count("role grants", len(grants))

    for i, (c, org) in enumerate(zip(communities, community_orgs, strict=True)):
        world.communities.append(
            ScaleCommunity(
                area_id=c.pk,
                street_id=c.parent_id,
                name=c.name,
                party_org_id=org.pk,
                compound_ids=[a.pk for a in compounds_of[c.pk]],
                grid_ids=grids_of[c.pk],
                secretary_user_id=community_staff[2 * i],
                social_worker_user_id=community_staff[2 * i + 1],
            )
        )
    by_area = {sc.area_id: sc for sc in world.communities}
    for u, uid in zip(units, unit_user_ids, strict=True):
        world.units.append(
            ScaleUnit(org_id=u.pk, community_area_id=u.area_id, contact_user_id=uid, name=u.name)
        )
    units_of: dict[int, list[Organisation]] = {}
    for u in units:
        units_of.setdefault(u.area_id, []).append(u)

    _people(world, by_area, units_of, phone)


def _people(world, by_area, units_of, phone) -> None:
    """Members (with and without logins) and residents, community by community."""
    rng = world.rng
    members = _spread(world.n(MEMBERS), len(world.communities), world)
    reported_share = REPORTED / MEMBERS
    member_user_share = MEMBER_USERS / MEMBERS
    residents_per = max(1, round(RESIDENTS_PER_COMMUNITY * max(world.factor, 0.2)))
    resident_user_share = min(1.0, world.n(RESIDENT_USERS) / (residents_per * len(world.communities)))
    start = date(world.years[0] - 30, 1, 1)
    n_person = n_member = n_user = 0
    for sc, count in zip(world.communities, members, strict=True):
        compounds = sc.compound_ids
        with_user = round(count * member_user_share)
        sc.reported_count = round(count * reported_share)
        specs = [(f"scale_dy{sc.area_id}_{k}", _name(world), phone()) for k in range(with_user)]
        user_ids = _users(world, specs)
        people = bulk(
            Person,
            (
                Person(
                    name=specs[k][1] if k < with_user else _name(world),
                    phone=specs[k][2] if k < with_user else phone(),
                    user_id=user_ids[k] if k < with_user else None,
                    community_id=sc.area_id,
                    home_id=compounds[k % len(compounds)],
                )
                for k in range(count)
            ),
        )
        local_units = units_of.get(sc.area_id, [])
        bulk(
            PartyMember,
            (
                PartyMember(
                    person=p,
                    # In-service members hold membership at their unit; the rest at the community.
                    membership_type=MembershipType.IN_SERVICE
                    if local_units and k % 3 == 0
                    else MembershipType.REGISTERED,  # noqa: E501
                    party_organisation_id=local_units[k % len(local_units)].pk
                    if local_units and k % 3 == 0
                    else sc.party_org_id,  # noqa: E501
                    workplace_id=local_units[k % len(local_units)].pk if local_units and k % 3 == 0 else None,
                    grid_id=sc.grid_ids[k % len(sc.grid_ids)] if k < sc.reported_count else None,
                    joined_party_on=start + timedelta(days=rng.randrange(365 * 28)),
                )
                for k, p in enumerate(people)
            ),
        )
        sc.member_person_ids = [p.pk for p in people]
        sc.member_user_ids = user_ids + [0] * (count - with_user)
        r_users = round(residents_per * resident_user_share)
        r_specs = [(f"scale_jm{sc.area_id}_{k}", _name(world), phone()) for k in range(r_users)]
        r_user_ids = _users(world, r_specs)
        residents = bulk(
            Person,
            (
                Person(
                    name=r_specs[k][1] if k < r_users else _name(world),
                    phone=r_specs[k][2] if k < r_users else phone(),
                    user_id=r_user_ids[k] if k < r_users else None,
                    community_id=sc.area_id,
                    home_id=compounds[k % len(compounds)],
                    is_owner=k % 2 == 0,
                )
                for k in range(residents_per)
            ),
        )
        sc.resident_person_ids = [p.pk for p in residents]
        sc.resident_user_ids = r_user_ids + [0] * (residents_per - r_users)
        n_person += count + residents_per
        n_member += count
        n_user += with_user + r_users
    world.count("people", n_person)
    world.count("Party members", n_member)
    world.count("member and resident logins", n_user)
