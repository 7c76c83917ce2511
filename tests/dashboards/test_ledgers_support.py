"""Known rows for the ledger tests, written straight into the tables (the ledgers only read them).

`add_rows(kind, d, n)` puts n rows of one ledger in 越都社区 (community1) inside this year;
`ledger_world(d)` puts, for every ledger, three rows there, one in 府山社区 (community3, another
street: outside a community1 or 塔山街道 ledger) and, where the ledger is dated, one before the
period. No test in this module: helpers only.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.test import override_settings
from django.utils import timezone

from community.models import Organisation, OrgKind, UnitType
from contracts.models import Contract, ContractVersion, Pairing
from contracts.models import Meeting as Consultation
from contracts.workflow import ContractState
from councils.models import Council, Issue, MeetingState
from councils.models import Meeting as CouncilMeeting
from dashboards.models import LedgerKind
from dashboards.periods import Period
from points.models import Account, Transfer, TransferKind
from points.services import community_account, district_fund, points_transfer, wallet_for
from tests.factories import make_user
from volunteers.models import Activity, ServiceOrder, Signup
from volunteers.workflow import OrderState, SignupState

_serial = itertools.count(1)
PERIOD_START = date(timezone.localdate().year, 1, 1)
BEFORE = datetime(PERIOD_START.year - 1, 6, 1, 10, 0, tzinfo=timezone.get_default_timezone())


def this_year() -> Period:
    return Period(PERIOD_START, timezone.localdate())


def _recent(hours_ago: int = 24) -> datetime:
    """Inside this year, before now (on 1 January: just after midnight)."""
    moment = timezone.now() - timedelta(hours=hours_ago)
    start = datetime.combine(PERIOD_START, datetime.min.time(), tzinfo=timezone.get_default_timezone())
    return max(moment, start + timedelta(minutes=5))


def _place(d, community):
    """(community Party organisation, a compound, a resident) of community1 or community3."""
    if community == d.community1:
        return d.party1, d.compound1, d.resident
    return d.party3, d.compound3, d.resident3


# --- Pairings and contracts ---------------------------------------------------------------------------


def add_pairings(d, n, *, community=None, since=date(2025, 3, 1), ended_on=None) -> list[Pairing]:
    community = community or d.community1
    party, _compound, _resident = _place(d, community)
    units = Organisation.objects.bulk_create(
        Organisation(
            name=f"测试单位{next(_serial)}党支部",
            kind=OrgKind.UNIT_PARTY,
            unit_type=UnitType.ENTERPRISE,
            sector="企业",
            area=community,
        )
        for _ in range(n)
    )
    return Pairing.objects.bulk_create(
        Pairing(
            community=community,
            community_org=party,
            unit_org=unit,
            since=since,
            ended_on=ended_on,
            active=ended_on is None,
        )
        for unit in units
    )


ITEMS = [
    {
        "side": "unit",
        "kind": "service",
        "title": "每月义诊一次",
        "deliverable": "为社区老人免费测血压、血糖",
        "quantity": 12,
        "unit": "次",
        "schedule": "每月第一个周六",
        "budget": 6000,
        "milestones": [{"due": f"{PERIOD_START.year}-06-30", "what": "完成上半年6次"}],
    },
    {
        "side": "community",
        "kind": "resource",
        "title": "提供活动场地",
        "deliverable": "社区会议室",
        "quantity": None,
        "unit": "",
        "schedule": "全年",
        "budget": None,
        "milestones": [],
    },
]


def add_contracts(d, n, *, community=None, term=None) -> list[Contract]:
    """n contracts (one pairing each) with two items; the first is signed, the others still drafts."""
    term = term or (PERIOD_START, date(PERIOD_START.year, 12, 31))
    pairings = add_pairings(d, n, community=community)
    contracts = Contract.objects.bulk_create(
        Contract(
            pairing=pairing,
            title=f"{PERIOD_START.year}年度共建合同{next(_serial)}",
            term_start=term[0],
            term_end=term[1],
        )
        for pairing in pairings
    )
    versions = ContractVersion.objects.bulk_create(
        ContractVersion(contract=contract, number=1, items=ITEMS, text_hash="0" * 64)
        for contract in contracts
    )
    Contract.objects.filter(pk=contracts[0].pk).update(
        frozen_version=versions[0], state=ContractState.SIGNED, signed_at=_recent()
    )
    return contracts


def add_consultations(d, n, *, community=None, held_on=None) -> list[Consultation]:
    contract = add_contracts(d, 1, community=community)[0]
    return Consultation.objects.bulk_create(
        Consultation(
            contract=contract,
            held_on=held_on or timezone.localdate(),
            place="社区党群服务中心",
            attendees="社区书记、医院党委书记",
            minutes="双方商定全年义诊安排。",
            decisions="每月第一个周六义诊",
            recorded_by=d.secretary1,
        )
        for _ in range(n)
    )


# --- Councils -------------------------------------------------------------------------------------------


def council_of(d, community=None) -> Council:
    _party, compound, _resident = _place(d, community or d.community1)
    council, _created = Council.objects.get_or_create(
        compound=compound, defaults={"name": f"{compound.name}议事厅"}
    )
    return council


def add_issues(d, n, *, community=None, created_at=None) -> list[Issue]:
    council = council_of(d, community)
    _party, compound, resident = _place(d, community or d.community1)
    issues = Issue.objects.bulk_create(
        Issue(
            council=council,
            compound=compound,
            raised_by=resident,
            category="facilities",
            title=f"楼道灯坏了{next(_serial)}",
            description="三楼到五楼的楼道灯坏了。",
            triage_by=timezone.localdate() + timedelta(days=3),
        )
        for _ in range(n)
    )
    if created_at is not None:
        Issue.objects.filter(pk__in=[i.pk for i in issues]).update(created_at=created_at)
    return issues


def add_council_meetings(d, n, *, community=None, starts_at=None) -> list[CouncilMeeting]:
    council = council_of(d, community)
    return CouncilMeeting.objects.bulk_create(
        CouncilMeeting(
            council=council,
            title=f"第{next(_serial)}次议事会",
            starts_at=starts_at or _recent(),
            place="小区议事室",
            state=MeetingState.HELD,
            decisions="增设充电桩",
        )
        for _ in range(n)
    )


# --- Volunteers -----------------------------------------------------------------------------------------

ADDRESS = "越都花园3幢2单元501室"
PHONE = "13900002222"


def add_orders(d, n, *, community=None, created_at=None) -> list[ServiceOrder]:
    community = community or d.community1
    _party, _compound, resident = _place(d, community)
    start = timezone.now() + timedelta(days=1)
    orders = ServiceOrder.objects.bulk_create(
        ServiceOrder(
            community=community,
            resident=resident,
            ordered_by=d.resident_user,
            field="repair",
            description="空调不制冷，请帮忙看看",
            address=ADDRESS,
            contact_phone=PHONE,
            window_start=start,
            window_end=start + timedelta(hours=2),
            state=OrderState.DONE,
            member=d.member_user,
            accepted_at=timezone.now(),
            done_at=timezone.now(),
        )
        for _ in range(n)
    )
    if created_at is not None:
        ServiceOrder.objects.filter(pk__in=[o.pk for o in orders]).update(created_at=created_at)
    return orders


def add_activities(d, n, *, community=None, starts_at=None, attendees=None) -> list[Activity]:
    """n activities, each attended by `attendees` (default: the member and the resident), 2 hours each."""
    community = community or d.community1
    starts_at = starts_at or _recent(48)
    activities = Activity.objects.bulk_create(
        Activity(
            community=community,
            organiser=d.unit1,
            title=f"垃圾分类宣传{next(_serial)}",
            field="waste",
            place="社区广场",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
            signup_deadline=starts_at - timedelta(hours=1),
            capacity=30,
            created_by=d.secretary1,
        )
        for _ in range(n)
    )
    users = attendees if attendees is not None else [d.member_user, d.resident_user]
    Signup.objects.bulk_create(
        Signup(
            activity=activity,
            user=user,
            state=SignupState.ATTENDED,
            checked_in_at=starts_at,
            hours=Decimal("2.0"),
        )
        for activity in activities
        for user in users
    )
    return activities


# --- Points ------------------------------------------------------------------------------------------------


def add_transfers(d, n, *, community=None) -> list[Transfer]:
    """n earnings from the community's issuing account into a wallet there (straight into the table)."""
    community = community or d.community1
    with override_settings(POINTS_COMMUNITY_TILLS=0):
        source = community_account(community=community)
    if community == d.community1:
        wallet = wallet_for(user=d.member_user)
    else:
        wallet = Account.objects.create(
            kind="wallet", area=community, user=make_user(f"w{next(_serial)}"), name="赵志强的积分"
        )
    return Transfer.objects.bulk_create(
        Transfer(
            key=f"test:{next(_serial)}",
            kind=TransferKind.EARNING,
            source=source,
            destination=wallet,
            amount=10,
            cause="volunteers.Activity:1",
            memo="参加垃圾分类宣传",
        )
        for _ in range(n)
    )


def add_rows(kind: str, d, n: int, **where) -> list:
    return {
        LedgerKind.PAIRINGS: add_pairings,
        LedgerKind.CONTRACTS: add_contracts,
        LedgerKind.CONSULTATIONS: add_consultations,
        LedgerKind.COUNCIL_MEETINGS: add_council_meetings,
        LedgerKind.ISSUES: add_issues,
        LedgerKind.ORDERS: add_orders,
        LedgerKind.ACTIVITIES: add_activities,
        LedgerKind.POINTS: add_transfers,
    }[kind](d, n, **where)


def ledger_world(d) -> SimpleNamespace:
    """Three rows of each ledger in community1 this year, one in community3, one before the period."""
    w = SimpleNamespace(d=d)
    for kind in LedgerKind.values:
        add_rows(kind, d, 3)
        add_rows(kind, d, 1, community=d.community3)
    # Before the period: ended pairings, last year's contract, meetings, issues, orders, activities.
    add_pairings(d, 1, since=date(PERIOD_START.year - 2, 1, 1), ended_on=date(PERIOD_START.year - 1, 6, 30))
    add_contracts(d, 1, term=(date(PERIOD_START.year - 1, 1, 1), date(PERIOD_START.year - 1, 12, 31)))
    add_consultations(d, 1, held_on=BEFORE.date())
    add_council_meetings(d, 1, starts_at=BEFORE)
    add_issues(d, 1, created_at=BEFORE)
    add_orders(d, 1, created_at=BEFORE)
    add_activities(d, 1, starts_at=BEFORE)
    # A cancelled meeting and activity this year do not count, like on the dashboard.
    CouncilMeeting.objects.filter(pk=add_council_meetings(d, 1)[0].pk).update(state=MeetingState.CANCELLED)
    Activity.objects.filter(pk=add_activities(d, 1)[0].pk).update(cancelled_at=timezone.now())
    # An allocation from the district fund reaches community1's account: it is in community1's ledger.
    with override_settings(POINTS_COMMUNITY_TILLS=0):
        points_transfer(
            source=district_fund(area=d.district),
            destination=community_account(community=d.community1),
            amount=1000,
            key="test:allocation",
            kind=TransferKind.ALLOCATION,
            memo="年度积分划拨",
        )
    return w


# Rows of each ledger's first sheet in community1 this year, in ledger_world.
EXPECTED_ROWS = {
    # Its own three, those of the three contracts, of the two consultations' contracts (this year's
    # and last year's meeting) and of last year's contract (paired since 1 March last year, still in
    # force); not the one that ended last year.
    LedgerKind.PAIRINGS: 3 + 3 + 2 + 1,
    # Its own three and the consultations' two (their term is this year); not last year's.
    LedgerKind.CONTRACTS: 3 + 2,
    LedgerKind.CONSULTATIONS: 3,
    LedgerKind.COUNCIL_MEETINGS: 3,
    LedgerKind.ISSUES: 3,
    LedgerKind.ORDERS: 3,
    LedgerKind.ACTIVITIES: 3,
    LedgerKind.POINTS: 3 + 1,  # three earnings and the allocation
}
