"""Demo places, organisations, people and one login per role: a small Yuecheng-like district."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.seeding import DEMO_PASSWORD, DemoContext

from . import services
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
    UnitType,
    User,
)

# street → community → compounds (with their buildings)
TREE = {
    "塔山街道": {
        "越都社区": {"越都花园": 6, "和畅苑": 4, "塔山新村": 5},
        "治平社区": {"治平小区": 4, "锦麟苑": 3},
    },
    "府山街道": {
        "府山社区": {"府山新村": 5, "西小河小区": 3},
        "仓桥社区": {"仓桥直街小区": 4},
    },
    "北海街道": {
        "北海社区": {"北海花园": 6, "镜湖湾": 4},
    },
}

UNITS = [
    # (name, community, unit type, sector, Party level)
    ("越城区人民医院党委", "越都社区", UnitType.INSTITUTION, "医院", PartyLevel.COMMITTEE),
    ("越都小学党支部", "越都社区", UnitType.INSTITUTION, "学校", PartyLevel.BRANCH),
    ("国网越城供电公司党支部", "越都社区", UnitType.ENTERPRISE, "电力", PartyLevel.BRANCH),
    ("越城区司法局机关党支部", "治平社区", UnitType.AGENCY, "司法", PartyLevel.BRANCH),
    ("绍兴银行越城支行党支部", "府山社区", UnitType.ENTERPRISE, "银行", PartyLevel.BRANCH),
    ("越城区税务局党总支", "府山社区", UnitType.AGENCY, "税务", PartyLevel.GENERAL_BRANCH),
    ("仓桥律师事务所党支部", "仓桥社区", UnitType.TWO_NEW, "律师事务所", PartyLevel.BRANCH),
    ("北海中学党支部", "北海社区", UnitType.INSTITUTION, "学校", PartyLevel.BRANCH),
]

MEMBERS = [
    # (name, community, compound, membership, holder organisation, workplace)
    ("王建国", "越都社区", "越都花园", MembershipType.IN_SERVICE, "越城区人民医院党委", "越城区人民医院党委"),
    ("陈晓燕", "越都社区", "和畅苑", MembershipType.IN_SERVICE, "越都小学党支部", "越都小学党支部"),
    ("赵志强", "越都社区", "越都花园", MembershipType.REGISTERED, "越都社区党委", None),
    ("孙丽华", "治平社区", "治平小区", MembershipType.REGISTERED, "治平社区党委", None),
    ("周国平", "府山社区", "府山新村", MembershipType.IN_SERVICE, "越城区税务局党总支", "越城区税务局党总支"),
    ("吴海燕", "北海社区", "北海花园", MembershipType.IN_SERVICE, "北海中学党支部", "北海中学党支部"),
]

RESIDENTS = [
    ("李秀英", "越都社区", "越都花园", "独居老人，行动不便"),
    ("张桂兰", "越都社区", "和畅苑", ""),
    ("刘德明", "治平社区", "锦麟苑", ""),
    ("郑美玲", "府山社区", "西小河小区", ""),
    ("何建华", "北海社区", "镜湖湾", "业主委员会成员"),
]


def _area(name: str, kind: str, parent: Area | None, **fields) -> Area:
    existing = Area.objects.filter(name=name, parent=parent).first()
    return existing or services.area_create(actor=None, name=name, kind=kind, parent=parent, **fields)


def _org(name: str, kind: str, area: Area, **fields) -> Organisation:
    existing = Organisation.objects.filter(name=name, area=area).first()
    return existing or services.organisation_create(actor=None, name=name, kind=kind, area=area, **fields)


def _user(username: str, display_name: str, phone: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = services.user_create(
            actor=None, username=username, password=DEMO_PASSWORD, display_name=display_name, phone=phone
        )
    return user


def _person(name: str, community: Area, home: Area, phone: str, user: User | None = None, **flags) -> Person:
    existing = Person.objects.filter(name=name, community=community).first()
    return existing or services.person_create(
        actor=None, name=name, community=community, home=home, phone=phone, user=user, **flags
    )


def seed(ctx: DemoContext) -> None:
    district = _area("越城区", AreaKind.DISTRICT, None, code="330602")
    ctx.objects["district"] = district
    communities: dict[str, Area] = {}
    compounds: dict[str, Area] = {}
    grids: dict[str, Area] = {}
    org_dept = _org("中共绍兴市越城区委组织部", OrgKind.DISTRICT_DEPARTMENT, district)
    for street_name, community_map in TREE.items():
        street = _area(street_name, AreaKind.STREET, district)
        _org(
            f"{street_name}党工委",
            OrgKind.STREET_PARTY,
            street,
            party_level=PartyLevel.COMMITTEE,
            parent=org_dept,
        )
        for community_name, compound_map in community_map.items():
            community = _area(community_name, AreaKind.COMMUNITY, street)
            communities[community_name] = community
            party = _org(
                f"{community_name}党委", OrgKind.COMMUNITY_PARTY, community, party_level=PartyLevel.COMMITTEE
            )
            for index, (compound_name, buildings) in enumerate(compound_map.items(), start=1):
                grid = _area(f"{community_name[:-2]}第{index}网格", AreaKind.GRID, community)
                grids[compound_name] = grid
                compound = _area(compound_name, AreaKind.COMPOUND, community, grid=grid)
                compounds[compound_name] = compound
                for number in range(1, buildings + 1):
                    _area(f"{number}幢", AreaKind.BUILDING, compound, grid=grid)
                _org(
                    f"{compound_name}党支部",
                    OrgKind.COMPOUND_BRANCH,
                    compound,
                    party_level=PartyLevel.BRANCH,
                    parent=party,
                )
            first_compound = next(iter(compound_map))
            _org(f"{first_compound}业主委员会", OrgKind.OWNERS_COMMITTEE, compounds[first_compound])
            _org(f"{community_name}红色志愿服务队", OrgKind.VOLUNTEER_TEAM, community)
    _org("绿城物业越都花园服务中心", OrgKind.PROPERTY_COMPANY, compounds["越都花园"])
    _org("越城区五邻社联合会", OrgKind.SOCIAL_ORG, district)

    units = {}
    for name, community_name, unit_type, sector, level in UNITS:
        units[name] = _org(
            name,
            OrgKind.UNIT_PARTY,
            communities[community_name],
            unit_type=unit_type,
            sector=sector,
            party_level=level,
        )
    all_orgs = {o.name: o for o in Organisation.objects.all()}

    for index, (name, community_name, compound_name, membership, holder, workplace) in enumerate(MEMBERS):
        community = communities[community_name]
        home = Area.objects.filter(parent=compounds[compound_name]).order_by("path").first()
        person = _person(name, community, home, f"1370575{index:04d}")
        if not PartyMember.objects.filter(person=person).exists():
            services.party_member_register(
                actor=None,
                person=person,
                membership_type=membership,
                party_organisation=all_orgs[holder],
                workplace=all_orgs.get(workplace) if workplace else None,
                grid=grids[compound_name],
            )
    for index, (name, community_name, compound_name, note) in enumerate(RESIDENTS):
        community = communities[community_name]
        home = Area.objects.filter(parent=compounds[compound_name]).order_by("path").last()
        _person(name, community, home, f"1585750{index:04d}", note=note, is_owner=index % 2 == 0)

    # One login for every role of DOMAIN.md §7.
    yuedu = communities["越都社区"]
    logins = [
        ("qu_zuzhibu", "区委组织部 林主任", "13705750001", Role.DISTRICT_ADMIN, district, None),
        (
            "tashan_jd",
            "塔山街道 马书记",
            "13705750002",
            Role.STREET_ADMIN,
            Area.objects.get(name="塔山街道"),
            None,
        ),
        ("yuedu_shuji", "越都社区 陈书记", "13705750003", Role.COMMUNITY_SECRETARY, yuedu, None),
        (
            "fushan_shuji",
            "府山社区 杨书记",
            "13705750004",
            Role.COMMUNITY_SECRETARY,
            communities["府山社区"],
            None,
        ),
        ("yuedu_shegong", "越都社区 社工小徐", "13705750005", Role.SOCIAL_WORKER, yuedu, None),
        ("yuedu_wangge", "越都网格员 小周", "13705750006", Role.GRID_WORKER, grids["越都花园"], None),
        (
            "yuedu_huayuan",
            "越都花园 召集人老钱",
            "13705750007",
            Role.COUNCIL_CONVENER,
            compounds["越都花园"],
            None,
        ),
        (
            "renmin_yiyuan",
            "人民医院 党办张主任",
            "13705750008",
            Role.UNIT_CONTACT,
            None,
            units["越城区人民医院党委"],
        ),
    ]
    for username, display_name, phone, role, area, organisation in logins:
        user = _user(username, display_name, phone)
        services.role_grant(actor=None, user=user, role=role, area=area, organisation=organisation)
        ctx.login(str(Role(role).label), username, display_name)

    member_user = _user("dangyuan_wang", "党员 王建国", "13705759001")
    member_person = Person.objects.get(name="王建国", community=yuedu)
    if member_person.user_id is None:
        services.person_update(actor=None, person=member_person, user=member_user)
    ctx.login(_("Party member"), "dangyuan_wang", "王建国（在职党员，人民医院）")

    resident_user = _user("jumin_li", "居民 李秀英", "13705759002")
    resident_person = Person.objects.get(name="李秀英", community=yuedu)
    if resident_person.user_id is None:
        services.person_update(actor=None, person=resident_person, user=resident_user)
    ctx.login(_("Resident"), "jumin_li", "李秀英（越都花园居民）")

    admin = User.objects.filter(username="admin").first()
    if admin is None:
        admin = User.objects.create_superuser("admin", password=DEMO_PASSWORD, display_name="平台管理员")
    ctx.login(_("Platform superuser"), "admin", "平台管理员")
