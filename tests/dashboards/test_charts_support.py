"""Builders of the charts' tests: rows of every kind the charts count, dated where a test wants them.

Rows are made with the ORM (and points through the earning service), standing at the wanted moment
so that `auto_now_add` timestamps fall where the test needs them. No tests here.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal

from community.models import Area, MembershipType, Organisation, OrgKind, PartyMember, Person
from contracts.models import Contract, ContractEvent, Pairing
from contracts.models import Meeting as ConsultationMeeting
from contracts.workflow import ContractState, ContractStep
from councils.models import Council, Issue, ResultRating
from councils.workflow import IssueState
from dashboards.periods import Period
from points.earning import points_award_for_event, points_manual_adjust
from points.models import AdjustmentDirection, EventType
from points.services import points_reverse
from tests.factories import UserFactory
from tests.points.earning_support import at, fund, local, make_rule
from volunteers.models import Activity, Report, ServiceOrder, Signup, Wish
from volunteers.workflow import OrderState, ReportState, SignupState, WishState

YEAR = Period.year(2025)
_n = itertools.count(1)


def person_in(community: Area, name: str = "居民") -> Person:
    return Person.objects.create(name=f"{name}{next(_n)}", community=community)


def user_in(community: Area):
    """A login with a person in `community`: their wallet is the community's."""
    user = UserFactory()
    Person.objects.create(name=f"党员{next(_n)}", community=community, user=user)
    return user


def pairing(community: Area, community_org, unit_org) -> Pairing:
    return Pairing.objects.get_or_create(
        community_org=community_org,
        unit_org=unit_org,
        defaults={"community": community, "since": date(2024, 1, 1)},
    )[0]


def contract(pairing: Pairing, *, signed_at: datetime | None = None, **fields) -> Contract:
    fields.setdefault("term_start", date(2025, 1, 1))
    fields.setdefault("term_end", date(2025, 12, 31))
    fields.setdefault("state", ContractState.PUBLISHED if signed_at else ContractState.DRAFT)
    return Contract.objects.create(
        pairing=pairing, title=f"共建契约{next(_n)}", signed_at=signed_at, **fields
    )


def evaluated(pairing: Pairing, score: str, *, closed_at: datetime) -> Contract:
    """A contract of the year before `closed_at` whose evaluation closed then, with its final score."""
    year = closed_at.year - 1
    done = contract(
        pairing,
        signed_at=local(year - 1, 12, 20, 10),  # signed before its term: not in the charts' year
        term_start=date(year, 1, 1),
        term_end=date(year, 12, 31),
        state=ContractState.EVALUATED,
        score=Decimal(score),
    )
    with at(closed_at):
        ContractEvent.objects.create(
            contract=done,
            step=ContractStep.CLOSE_EVALUATION,
            from_state=ContractState.EVALUATING,
            to_state=ContractState.EVALUATED,
        )
    return done


def consultation(contract: Contract, held_on: date, by) -> ConsultationMeeting:
    return ConsultationMeeting.objects.create(
        contract=contract,
        held_on=held_on,
        place="社区会议室",
        attendees="双方代表",
        minutes="商定服务清单",
        recorded_by=by,
    )


def council(compound: Area) -> Council:
    return Council.objects.get_or_create(compound=compound, defaults={"name": f"{compound.name}议事厅"})[0]


def issue(compound: Area, raised_by: Person, raised_at: datetime, *, solved: bool = False, **fields) -> Issue:
    fields.setdefault("state", IssueState.RESOLVED if solved else IssueState.HANDLING)
    if solved:
        fields.setdefault("resolved_at", raised_at + timedelta(days=3))
    with at(raised_at):
        return Issue.objects.create(
            council=council(compound),
            compound=compound,
            raised_by=raised_by,
            category="facilities",
            title=f"楼道灯坏了{next(_n)}",
            description="晚上看不清台阶。",
            triage_by=raised_at.date() + timedelta(days=3),
            **fields,
        )


def result_rating(issue: Issue, rating: str, when: datetime) -> ResultRating:
    with at(when):
        return ResultRating.objects.create(
            issue=issue, round=1, person=person_in(issue.raised_by.community, "评价人"), rating=rating
        )


def order(community: Area, resident: Person, by, *, done_at=None, stars=None, rated_at=None, **fields):
    start = done_at or local(2025, 1, 1, 9)
    fields.setdefault(
        "state", OrderState.RATED if stars else OrderState.DONE if done_at else OrderState.ORDERED
    )
    return ServiceOrder.objects.create(
        community=community,
        resident=resident,
        ordered_by=by,
        field="everyday",
        description="帮忙换灯泡",
        address="越都花园1幢101",
        window_start=start - timedelta(hours=4),
        window_end=start + timedelta(hours=4),
        done_at=done_at,
        stars=stars,
        rated_at=rated_at,
        **fields,
    )


def wish(community: Area, beneficiary: Person, by, *, state=WishState.CONFIRMED, confirmed_at=None) -> Wish:
    return Wish.objects.create(
        community=community,
        beneficiary=beneficiary,
        posted_by=by,
        title="一套书",
        category="study",
        due_on=date(2025, 12, 31),
        state=state,
        confirmed_at=confirmed_at,
    )


def activity(community: Area, starts_at: datetime, by) -> Activity:
    return Activity.objects.create(
        community=community,
        title=f"共建活动{next(_n)}",
        field="environment",
        place="社区广场",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=3),
        signup_deadline=starts_at - timedelta(days=1),
        capacity=50,
        created_by=by,
    )


def signup(activity: Activity, hours: str, *, state=SignupState.ATTENDED) -> Signup:
    return Signup.objects.create(activity=activity, user=UserFactory(), state=state, hours=Decimal(hours))


def reported(
    community: Area, organisation, *, decided_at: datetime, left_at: datetime | None = None
) -> Report:
    member = PartyMember.objects.create(
        person=person_in(community, "党员"),
        membership_type=MembershipType.IN_SERVICE,
        party_organisation=organisation,
    )
    return Report.objects.create(
        member=member,
        community=community,
        state=ReportState.LEFT if left_at else ReportState.ACCEPTED,
        decided_at=decided_at,
        left_at=left_at,
    )


def earning_rules(district) -> None:
    """Points to pay with: each community funded, one district rule of 10 points a meeting attended."""
    for community in (district.community1, district.community2, district.community3):
        fund(community)
    make_rule(district=district.district, event_type=EventType.MEETING_ATTENDED, points=10)


def earn(user, community: Area, when: datetime, quantity: int = 1):
    with at(when):
        return points_award_for_event(
            event_type=EventType.MEETING_ATTENDED,
            user=user,
            community=community,
            cause_key=f"charts-test:{next(_n)}",
            quantity=quantity,
        )


def reverse(transfer) -> None:
    points_reverse(transfer=transfer, memo="登记错误，冲正")


def award(d, user, amount: int, when: datetime):
    """A manual award by the community's secretary (it counts as points issued too)."""
    community = user.person.community
    secretary = {d.community1: d.secretary1, d.community2: d.secretary2, d.community3: d.secretary3}[
        community
    ]
    with at(when):
        return points_manual_adjust(
            actor=secretary,
            user=user,
            amount=amount,
            direction=AdjustmentDirection.AWARD,
            reason="帮助邻居搬运物资",
            request_key=f"charts-award-{next(_n)}",
        )


def chart_world(d):
    """Known rows in 2025 across the test district (and some just outside it), for every chart.

    street1 = community1 (compound1) + community2 (compound2); street2 = community3 (compound3).
    """
    p1 = pairing(d.community1, d.party1, d.unit1)
    p3 = pairing(d.community3, d.party3, d.unit2)

    # Contracts signed: Jan (00:30 local on 1 January is still 31 December in UTC), Mar ×2, Dec (23:30 local).
    first = contract(p1, signed_at=local(2025, 1, 1, 0, 30))
    contract(p1, signed_at=local(2025, 3, 10, 10))
    third = contract(p3, signed_at=local(2025, 3, 20, 10))
    contract(p3, signed_at=local(2025, 12, 31, 23, 30))
    contract(p1, signed_at=local(2024, 12, 31, 23, 30))  # the year before
    contract(p1)  # still negotiating

    # Consultation meetings: Feb ×2 (community1), Nov (community3); one the next year.
    consultation(first, date(2025, 2, 14), d.secretary1)
    consultation(first, date(2025, 2, 28), d.secretary1)
    consultation(third, date(2025, 11, 5), d.secretary3)
    consultation(first, date(2026, 1, 2), d.secretary1)

    # Council issues: April 3 raised (2 solved) in compound1, a duplicate merged; May 2 raised (1 solved)
    # in compound3, the first at 00:10 local on 1 May (still 30 April in UTC); one the year before.
    solved = issue(d.compound1, d.resident, local(2025, 4, 2, 9), solved=True)
    issue(d.compound1, d.resident, local(2025, 4, 15, 9), solved=True)
    issue(d.compound1, d.resident, local(2025, 4, 28, 9))
    issue(d.compound1, d.resident, local(2025, 4, 20, 9), state=IssueState.MERGED)
    issue(d.compound3, d.resident3, local(2025, 5, 1, 0, 10), solved=True)
    issue(d.compound3, d.resident3, local(2025, 5, 8, 9))
    issue(d.compound2, person_in(d.community2), local(2024, 11, 1, 9), solved=True)

    # Residents' satisfaction: 2 satisfied, 1 basically; one the year before.
    result_rating(solved, "satisfied", local(2025, 4, 10, 9))
    result_rating(solved, "satisfied", local(2025, 4, 11, 9))
    result_rating(solved, "basic", local(2025, 5, 10, 9))
    result_rating(solved, "unsatisfied", local(2024, 12, 1, 9))

    # Service orders done in June: 2 in community2, 1 in community3, rated 5, 4 and 5; one done in 2026.
    resident2 = person_in(d.community2)
    order(
        d.community2,
        resident2,
        d.secretary2,
        done_at=local(2025, 6, 3, 10),
        stars=5,
        rated_at=local(2025, 6, 4, 9),
    )
    order(
        d.community2,
        resident2,
        d.secretary2,
        done_at=local(2025, 6, 20, 10),
        stars=4,
        rated_at=local(2025, 6, 21, 9),
    )
    order(
        d.community3,
        d.resident3,
        d.secretary3,
        done_at=local(2025, 6, 25, 10),
        stars=5,
        rated_at=local(2025, 6, 26, 9),
    )
    order(d.community1, d.resident, d.secretary1, done_at=local(2026, 1, 3, 10))
    order(d.community1, d.resident, d.secretary1)  # not done

    # Micro-wishes confirmed in August: 1 in community1, 1 in community3; one fulfilled, not yet confirmed.
    wish(d.community1, d.resident, d.secretary1, confirmed_at=local(2025, 8, 8, 10))
    wish(d.community3, d.resident3, d.secretary3, confirmed_at=local(2025, 8, 9, 10))
    wish(d.community1, d.resident, d.secretary1, state=WishState.FULFILLED)

    # Activity hours in September: 2.5 + 1.5 in community1 (a no-show's 3 do not count), 2 in community3.
    clean_up = activity(d.community1, local(2025, 9, 10, 9), d.secretary1)
    signup(clean_up, "2.5")
    signup(clean_up, "1.5")
    signup(clean_up, "3.0", state=SignupState.NO_SHOW)
    signup(activity(d.community3, local(2025, 9, 12, 9), d.secretary3), "2.0")

    # Points issued in October into wallets: 10 in community1, 20 in community3; 10 more in community1
    # reversed; 5 awarded by hand in community3 in November.
    earning_rules(d)
    earn(d.member_user, d.community1, local(2025, 10, 5, 10))
    holder3 = user_in(d.community3)
    earn(holder3, d.community3, local(2025, 10, 6, 10), quantity=2)
    reverse(earn(d.member_user, d.community1, local(2025, 10, 7, 10)))
    award(d, holder3, 5, local(2025, 11, 3, 10))

    # Members' reports accepted in 2025: 2 in community1, 2 in community2 (both left since: still
    # counted); one in community3 accepted only in January 2026.
    for _ in range(2):
        reported(d.community1, d.unit1, decided_at=local(2025, 3, 1, 10))
    reported(d.community2, d.unit1, decided_at=local(2025, 2, 1, 10), left_at=local(2026, 2, 1, 10))
    reported(d.community2, d.unit1, decided_at=local(2025, 2, 1, 10), left_at=local(2025, 6, 1, 10))
    reported(d.community3, d.unit2, decided_at=local(2026, 1, 5, 10))

    # Contracts whose evaluation closed in 2025: 55, 60, 85, 92.5 (the first at 00:30 local on 1 January);
    # one closed at 23:30 local on 31 December 2024.
    evaluated(p1, "55.0", closed_at=local(2025, 1, 1, 0, 30))
    evaluated(p3, "60.0", closed_at=local(2025, 1, 20, 10))
    evaluated(p1, "85.0", closed_at=local(2025, 2, 1, 10))
    evaluated(p3, "92.5", closed_at=local(2025, 2, 2, 10))
    evaluated(p3, "99.0", closed_at=local(2024, 12, 31, 23, 30))
    return d


def rows_of_every_kind(d, n: int, community=None, compound=None) -> None:
    """`n` more rows of every kind the charts count, in `community` (default: community1)."""
    community = community or d.community1
    compound = compound or d.compound1
    party = d.party1 if community == d.community1 else None
    if party is None:
        party = Organisation.objects.create(
            name=f"{community.name}党委{next(_n)}", kind=OrgKind.COMMUNITY_PARTY, area=community
        )
    bond = pairing(community, party, d.unit1)
    resident = person_in(community)
    holder = user_in(community)
    for i in range(n):
        day = local(2025, 1 + i % 12, 1 + i % 27, 10)
        signed = contract(bond, signed_at=day)
        consultation(signed, day.date(), d.secretary1)
        raised = issue(compound, resident, day, solved=i % 2 == 0)
        result_rating(raised, "satisfied", day)
        order(community, resident, d.secretary1, done_at=day, stars=1 + i % 5, rated_at=day)
        wish(community, resident, d.secretary1, confirmed_at=day)
        signup(activity(community, day, d.secretary1), "1.5")
        reported(community, d.unit1, decided_at=day)
        earn(holder, community, day)
        evaluated(bond, str(50 + i % 50), closed_at=day)
