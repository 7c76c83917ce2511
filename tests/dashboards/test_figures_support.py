"""Known data for the dashboard figures (no tests here): `figures_world(d)` builds, in the test district
of tests.factories, rows of every kind the figures count — some inside this year and some outside it —
and `EXPECTED` says what each figure of the district must give for this year.

Workflows go through the apps' services where that is short (pairings, contracts, issues, reports,
points); rows whose history would take many steps (orders, wishes, activities, meetings, votes) are
written with the ORM, then dated where the test needs them.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.utils import timezone

from contracts import services as contract_services
from contracts.models import Contract, ContractEvent, FulfilmentRecord, Pairing
from contracts.models import Meeting as ContractMeeting
from contracts.workflow import ContractState, ContractStep
from councils import services as council_services
from councils.models import Issue, Meeting, MeetingState, Motion, ResultRating
from councils.workflow import MotionState
from dashboards.periods import Period
from points.models import Redemption, RedemptionState, TransferKind
from points.services import merchant_account, points_reverse, points_transfer, wallet_for
from tests.contracts.support import contract_in, pairing_world
from tests.councils.support import council_world
from tests.points.earning_support import at
from tests.points.market_support import fund, give, make_item
from tests.volunteers.support import volunteer_world
from volunteers.models import (
    Activity,
    PledgeSignature,
    PledgeText,
    Report,
    ServiceOrder,
    Signup,
    Wish,
    WishClaim,
)
from volunteers.workflow import OrderState, SignupState, WishState

SHANGHAI = ZoneInfo("Asia/Shanghai")
Y = timezone.localdate().year
THIS_YEAR = Period.year(Y)
LAST_YEAR = Period.year(Y - 1)
_serial = itertools.count(1)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def items() -> list[dict]:
    """Two items of a contract for year Y, 6,000 yuan in all, with dated milestones."""
    return [
        {
            "side": "unit",
            "kind": "service",
            "title": "每月义诊一次",
            "deliverable": "在社区服务中心开展健康义诊",
            "quantity": 12,
            "unit": "次",
            "schedule": "每月第一个周六",
            "budget": 6000,
            "milestones": [
                {"due": f"{Y}-03-31", "what": "第一季度义诊"},
                {"due": f"{Y}-06-30", "what": "第二季度义诊"},
            ],
        },
        {
            "side": "community",
            "kind": "resource",
            "title": "提供活动场地",
            "deliverable": "党群服务中心多功能厅",
            "quantity": None,
            "unit": "",
            "schedule": "全年",
            "budget": None,
            "milestones": [{"due": f"{Y}-09-30", "what": "场地全年开放"}],
        },
    ]


# What the district's figures give for year Y with `figures_world`.
EXPECTED = {
    # Pairings: 越都社区–医院 (since 2024) and 府山社区–小学 (since Y-1); 治平社区–医院 ended in Y-1.
    "contracts.pairings": 2,
    "contracts.units_paired": 2,
    "contracts.communities_paired": 2,
    # Contracts of year Y: one in each state but evaluating, two evaluated; one of Y-2 is left out.
    "contracts.draft": 1,
    "contracts.agreed": 1,
    "contracts.signed": 1,
    "contracts.published": 1,
    "contracts.evaluating": 0,
    "contracts.evaluated": 2,
    "contracts.terminated": 1,
    # Signed, published and evaluated 越都 contracts have 2 items each (6,000 yuan); 府山's none recorded.
    "contracts.projects": 6,
    "contracts.funding": 18000,
    "contracts.consultation_meetings": 2,
    # On time: a milestone reached before its date, one reached on its date; one late, one record without.
    "contracts.milestones_on_time": 2,
    "contracts.evaluation_score": 85.0,  # 90 and 80
    # Councils: four issues (a merged duplicate and one of Y-1 left out), three solved in 2, 4 and 10 days.
    "councils.issues_raised": 4,
    "councils.issues_solved": 3,
    "councils.resolution_rate": 75.0,
    "councils.median_days": 4.0,
    "councils.ratings": 3,
    "councils.ratings_positive": 2,
    "councils.satisfaction": 66.7,
    "councils.meetings": 2,
    "councils.decisions": 1,
    # Volunteers
    "volunteers.members_reported": 2,
    "volunteers.pledges_signed": 2,
    "volunteers.wishes_claimed": 2,
    "volunteers.wishes_fulfilled": 1,
    "volunteers.activities": 1,
    "volunteers.hours": 5.5,
    "volunteers.wish_claims": 3,
    "volunteers.orders_taken": 2,
    "volunteers.signups": 3,
    "volunteers.claims": 8,
    "volunteers.orders_ordered": 1,
    "volunteers.orders_assigned": 0,
    "volunteers.orders_pooled": 1,
    "volunteers.orders_accepted": 1,
    "volunteers.orders_started": 0,
    "volunteers.orders_done": 1,
    "volunteers.orders_rated": 0,
    "volunteers.orders_closed": 0,
    "volunteers.orders_cancelled": 1,
    # Points: 100 + 50 earned (30 reversed, 70 earned last year); 40 spent (20 refunded); 2 collected.
    "points.issued": 150,
    "points.spent": 40,
    "points.in_circulation": 60 + 50 + 70,
    "points.market_redemptions": 2,
}


def figures_world(d) -> SimpleNamespace:
    w = SimpleNamespace(d=d)
    _contracts(w)
    _councils(w)
    _volunteers(w)
    _points(w)
    return w


def _contracts(w) -> None:
    d = w.d
    pw = pairing_world(d)
    w.pairing = pw.pairing
    w.pairing3 = contract_services.pairing_create(
        actor=None, community_org=d.party3, unit_org=d.unit2, since=date(Y - 1, 1, 1)
    )
    ended = contract_services.pairing_create(
        actor=None, community_org=d.party2, unit_org=d.unit1, since=date(2023, 1, 1)
    )
    Pairing.objects.filter(pk=ended.pk).update(active=False, ended_on=date(Y - 1, 6, 30))

    term = {"term_start": date(Y, 1, 1), "term_end": date(Y, 12, 31), "items": items()}
    for state in (
        ContractState.DRAFT,
        ContractState.AGREED,
        ContractState.SIGNED,
        ContractState.TERMINATED,
    ):
        contract_in(pw, state, **term)
    w.published = contract_in(pw, ContractState.PUBLISHED, **term)
    evaluated = contract_in(pw, ContractState.EVALUATED, **term)
    Contract.objects.filter(pk=evaluated.pk).update(score=Decimal("90.0"))
    old = contract_in(pw, ContractState.SIGNED, **term)
    Contract.objects.filter(pk=old.pk).update(term_start=date(Y - 2, 1, 1), term_end=date(Y - 2, 12, 31))

    # 府山社区's evaluated contract (its text not recorded here: it adds no items).
    fushan = Contract.objects.create(
        pairing=w.pairing3,
        title=f"{Y}年度府山社区与府山小学共建契约",
        term_start=date(Y, 1, 1),
        term_end=date(Y, 12, 31),
        state=ContractState.EVALUATED,
        score=Decimal("80.0"),
    )
    ContractEvent.objects.create(
        contract=fushan,
        step=ContractStep.CLOSE_EVALUATION,
        from_state=ContractState.EVALUATING,
        to_state=ContractState.EVALUATED,
    )

    for held_on in (date(Y, 1, 10), date(Y, 2, 20), date(Y - 1, 12, 1)):
        ContractMeeting.objects.create(
            contract=w.published,
            held_on=held_on,
            place="越都社区党群服务中心",
            attendees="双方书记",
            minutes="协商服务内容",
            recorded_by=d.secretary1,
        )
    records = [
        (0, 0, date(Y, 3, 20)),  # before its date
        (0, 1, date(Y, 7, 5)),  # late
        (1, 0, date(Y, 9, 30)),  # on its date
        (1, None, date(Y, 5, 1)),  # no milestone
    ]
    for item_index, milestone, done_on in records:
        FulfilmentRecord.objects.create(
            contract=w.published,
            item_index=item_index,
            milestone=milestone,
            done_on=done_on,
            description="开展义诊，服务居民",
            people_served=20,
            side="unit",
            reported_by=pw.unit_signer,
        )


def _issue(w, title: str) -> Issue:
    return council_services.issue_raise(
        actor=w.d.resident_user,
        council=w.council,
        category="facilities",
        title=title,
        description="楼道灯坏了，晚上看不见。",
    )


def _resolve(w, issue: Issue, *, raised: datetime, days: int) -> Issue:
    council_services.issue_triage(actor=w.d.convener1, issue=issue, track="small")
    council_services.issue_advance(actor=w.d.convener1, issue=issue, step="resolve", note="已修好")
    Issue.objects.filter(pk=issue.pk).update(created_at=raised, resolved_at=raised + timedelta(days=days))
    return Issue.objects.get(pk=issue.pk)


def _councils(w) -> None:
    d = w.d
    cw = council_world(d)
    w.council, w.seats = cw.council, cw.seats
    w.solved = [
        _resolve(w, _issue(w, f"问题{n}"), raised=local(Y, 2, n + 1, 9), days=days)
        for n, days in enumerate((2, 4, 10))
    ]
    open_issue = _issue(w, "仍在办理")
    council_services.issue_triage(actor=d.convener1, issue=open_issue, track="small")
    duplicate = _issue(w, "重复的问题")
    council_services.issue_merge(actor=d.convener1, issue=duplicate, into=open_issue)
    last_year = _resolve(w, _issue(w, "去年的问题"), raised=local(Y - 1, 5, 1, 9), days=3)

    for seat, rating in zip(w.seats, ("satisfied", "basic", "unsatisfied"), strict=False):
        ResultRating.objects.create(issue=w.solved[0], person=seat.person, rating=rating)
    old = ResultRating.objects.create(issue=last_year, person=w.seats[0].person, rating="satisfied")
    ResultRating.objects.filter(pk=old.pk).update(created_at=local(Y - 1, 5, 20, 9))

    meetings = [
        (MeetingState.HELD, local(Y, 3, 1, 19)),
        (MeetingState.APPROVED, local(Y, 4, 1, 19)),
        (MeetingState.SCHEDULED, local(Y, 5, 1, 19)),
        (MeetingState.CANCELLED, local(Y, 6, 1, 19)),
        (MeetingState.APPROVED, local(Y - 1, 6, 1, 19)),
    ]
    for state, starts_at in meetings:
        Meeting.objects.create(council=w.council, title="月度议事会", starts_at=starts_at, state=state)
    motions = [
        ("passed", local(Y, 4, 2, 12)),
        ("no_quorum", local(Y, 4, 3, 12)),
        ("passed", local(Y - 1, 4, 2, 12)),
    ]
    for outcome, closed_at in motions:
        Motion.objects.create(
            council=w.council,
            title="是否增设充电桩",
            options=["赞成", "反对"],
            quorum=Decimal("0.5"),
            threshold="simple",
            opens_at=closed_at - timedelta(days=3),
            closes_at=closed_at,
            state=MotionState.CLOSED,
            outcome=outcome,
            closed_at=closed_at,
        )


def _volunteers(w) -> None:
    d = w.d
    vw = volunteer_world(d, members=3)
    w.members = vw.members
    Report.objects.filter(pk=vw.reports[2].pk).update(decided_at=local(Y - 1, 3, 1, 10))

    text = PledgeText.objects.create(
        community=d.community1, year=Y, title="锋领十条", body="一、……", text_hash="0" * 64
    )
    members = [Report.objects.get(pk=r.pk).member for r in vw.reports]
    for member in members[:2]:
        PledgeSignature.objects.create(text=text, member=member)
    old = PledgeSignature.objects.create(text=text, member=members[2])
    PledgeSignature.objects.filter(pk=old.pk).update(signed_at=local(Y - 1, 3, 1, 10))

    def wish(title: str, state: str = WishState.CLAIMED, **fields) -> Wish:
        return Wish.objects.create(
            community=d.community1,
            beneficiary=d.resident,
            posted_by=d.resident_user,
            title=title,
            category="daily",
            due_on=date(Y, 12, 31),
            state=state,
            **fields,
        )

    group = wish("一起修小区凉亭", group_size=2)
    single = wish("想要一副老花镜")
    old_wish = wish("去年的心愿")
    for claimed_wish, user in ((group, w.members[0]), (group, w.members[1]), (single, w.members[2])):
        WishClaim.objects.create(wish=claimed_wish, user=user)
    old_claim = WishClaim.objects.create(wish=old_wish, user=w.members[0])
    WishClaim.objects.filter(pk=old_claim.pk).update(claimed_at=local(Y - 1, 8, 1, 10))
    wish("陪老人聊聊天", state=WishState.CONFIRMED, confirmed_at=timezone.now())
    last = wish("去年确认的心愿", state=WishState.CONFIRMED, confirmed_at=local(Y - 1, 9, 1, 10))
    assert last.pk

    now = timezone.now()
    orders = [
        (OrderState.ORDERED, None),
        (OrderState.POOLED, None),
        (OrderState.ACCEPTED, now),
        (OrderState.DONE, now),
        (OrderState.CANCELLED, None),
    ]
    for state, accepted_at in orders:
        ServiceOrder.objects.create(
            community=d.community1,
            resident=d.resident,
            ordered_by=d.resident_user,
            field="repair",
            description="家里的电饭煲坏了",
            address="越都花园1幢2单元501",
            contact_phone="13900002222",
            window_start=now,
            window_end=now + timedelta(hours=2),
            state=state,
            accepted_at=accepted_at,
            member=w.members[0] if accepted_at else None,
        )
    old_order = ServiceOrder.objects.create(
        community=d.community1,
        resident=d.resident,
        ordered_by=d.resident_user,
        field="repair",
        description="去年的订单",
        address="越都花园1幢2单元501",
        window_start=now,
        window_end=now + timedelta(hours=2),
        state=OrderState.RATED,
        accepted_at=local(Y - 1, 10, 1, 10),
    )
    ServiceOrder.objects.filter(pk=old_order.pk).update(created_at=local(Y - 1, 10, 1, 9))

    def activity(starts_at: datetime, **fields) -> Activity:
        return Activity.objects.create(
            community=d.community1,
            title="社区环境整治",
            field="environment",
            place="越都花园",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=3),
            signup_deadline=starts_at - timedelta(days=1),
            capacity=20,
            created_by=d.secretary1,
            **fields,
        )

    held = activity(local(Y, 6, 1, 9))
    activity(local(Y, 7, 1, 9), cancelled_at=now, cancel_reason="下雨")
    old_activity = activity(local(Y - 1, 6, 1, 9))
    for user, state, hours in (
        (w.members[0], SignupState.ATTENDED, Decimal("2.5")),
        (w.members[1], SignupState.ATTENDED, Decimal("3.0")),
        (w.members[2], SignupState.SIGNED_UP, Decimal("0")),
        (d.resident_user, SignupState.CANCELLED, Decimal("0")),
    ):
        Signup.objects.create(activity=held, user=user, state=state, hours=hours)
    old_signup = Signup.objects.create(
        activity=old_activity, user=w.members[0], state=SignupState.ATTENDED, hours=Decimal("4")
    )
    Signup.objects.filter(pk=old_signup.pk).update(signed_up_at=local(Y - 1, 5, 20, 9))


def _points(w) -> None:
    d = w.d
    fund(d.community1)
    give(d.member_user, 100)
    give(d.resident_user, 50)
    points_reverse(transfer=give(d.member_user, 30), memo="误发")
    with at(local(Y - 1, 5, 1, 10)):
        give(d.resident_user, 70)
    wallet = wallet_for(user=d.member_user)
    merchant = merchant_account(organisation=d.unit1)

    def spend(amount: int):
        return points_transfer(
            source=wallet,
            destination=merchant,
            amount=amount,
            key=f"test:redeem:{next(_serial)}",
            kind=TransferKind.REDEMPTION,
            memo="理发券",
        )

    spend(40)
    points_reverse(transfer=spend(20), memo="退款")

    item = make_item(d, name="理发券", price=30, stock=10)
    now = timezone.now()
    for state, completed_at in (
        (RedemptionState.COMPLETED, now),
        (RedemptionState.COMPLETED, now),
        (RedemptionState.RESERVED, None),
        (RedemptionState.COMPLETED, local(Y - 1, 11, 1, 10)),
    ):
        Redemption.objects.create(
            item=item,
            user=d.member_user,
            points=30,
            code=f"{next(_serial):08d}",
            token=f"token{next(_serial)}",
            state=state,
            reserved_at=now - timedelta(days=1),
            expires_at=now + timedelta(days=6),
            completed_at=completed_at,
        )
