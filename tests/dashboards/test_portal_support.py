"""Known data for the figures tests (no tests here): in 越都社区, in March 2026, through the services.

`known_world(d)` builds, standing at 2026-03-05 10:00 (Asia/Shanghai) unless said otherwise:
- contracts: one contract negotiated with one consultation meeting (03-02), signed and published,
  with two fulfilment records (03-04, 03-05);
- councils: a council in 越都花园 with two issues raised, one solved; one meeting held (03-06) and one
  only scheduled (03-20);
- volunteers: three members reported and accepted; two micro-wishes posted, one fulfilled and confirmed; one service
  order done; one activity (03-10) with one person checked in for 2.5 hours;
- points: 200 + 50 points earned (issued); 30 spent in the market and 30 more redeemed then refunded.

Expected: KNOWN below.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from contracts import services as contract_services
from councils import services as council_services
from points import market as market_services
from tests.contracts.support import draft, pairing_world
from tests.councils.support import council_world
from tests.factories import PASSWORD
from tests.points.earning_support import at, local
from tests.points.market_support import give, make_item
from tests.volunteers.test_orders_support import done
from tests.volunteers.test_wishes_support import fulfilled, post, wish_world
from volunteers.services import activities as activity_services
from volunteers.services import wishes as wish_services

KNOWN = {
    "contracts_signed": 1,
    "items_delivered": 2,
    "contract_meetings": 1,
    "issues_raised": 2,
    "issues_solved": 1,
    "council_meetings": 1,
    "members_reported": 3,
    "wishes_posted": 2,
    "wishes_fulfilled": 1,
    "orders_done": 1,
    "activities_held": 1,
    "volunteer_hours": Decimal("2.5"),
    "points_issued": 250,
    "points_spent": 30,
}
MARCH = local(2026, 3, 5, 10, 0)


def _contract(d):
    w = pairing_world(d)
    contract = draft(w)
    contract_services.meeting_record(
        actor=d.secretary1,
        contract=contract,
        held_on=date(2026, 3, 2),
        place="越都社区党群服务中心",
        attendees="双方代表",
        minutes="商定全年义诊安排。",
    )
    contract_services.contract_agree(actor=d.secretary1, contract=contract, version=1)
    contract_services.contract_agree(actor=d.unit_contact1, contract=contract, version=1)
    contract_services.contract_sign(actor=w.community_signer, contract=contract, version=1, password=PASSWORD)
    contract_services.contract_sign(actor=w.unit_signer, contract=contract, version=1, password=PASSWORD)
    contract_services.contract_publish(actor=d.secretary1, contract=contract)
    for index, day in ((0, 4), (1, 5)):
        contract_services.contract_record(
            actor=d.secretary1,
            contract=contract,
            item_index=index,
            done_on=date(2026, 3, day),
            description="按约完成",
            people_served=20,
            hours=2,
        )
    w.contract = contract
    return w


def _council(d):
    w = council_world(d)
    solved = council_services.issue_raise(
        actor=d.resident_user,
        council=w.council,
        category="facilities",
        title="1幢楼道灯坏了",
        description="灯不亮。",
    )
    council_services.issue_triage(actor=d.convener1, issue=solved, track="small")
    council_services.issue_advance(actor=d.convener1, issue=solved, step="resolve")
    council_services.issue_raise(
        actor=d.resident_user,
        council=w.council,
        category="parking",
        title="电动车乱停",
        description="堵住楼道口。",
    )
    held = council_services.meeting_schedule(
        actor=d.convener1,
        council=w.council,
        title="三月议事会",
        starts_at=local(2026, 3, 6, 19, 0),
        place="议事厅",
    )
    council_services.meeting_schedule(
        actor=d.convener1,
        council=w.council,
        title="下次议事会",
        starts_at=local(2026, 3, 20, 19, 0),
        place="议事厅",
    )
    return w, held


def known_world(d):
    """Build the data above and return the worlds: contracts `c`, council `k`, volunteers `v`."""
    with at(MARCH):
        c = _contract(d)
        k, meeting = _council(d)
        v = wish_world(d)
        v.resident = d.resident_user
        wish_services.wish_confirm(actor=d.resident_user, wish=fulfilled(v))
        post(v, title="一副老花镜", category="health", description="想配一副老花镜看报纸。")
        done(v)
        starts = local(2026, 3, 10, 9, 0)
        activity = activity_services.activity_publish(
            actor=d.secretary1,
            community=d.community1,
            title="垃圾分类宣传进小区",
            field="waste",
            place="越都花园中心广场",
            starts_at=starts,
            ends_at=local(2026, 3, 10, 11, 30),
            signup_deadline=local(2026, 3, 9, 18, 0),
            capacity=5,
        )
        signup = activity_services.signup_create(actor=d.resident_user, activity=activity)
        give(d.member_user, 200)
        give(d.resident_user, 50)
        item = make_item(d, name="理发券", price=30, stock=5, per_person_limit=1)
        market_services.redemption_create(actor=d.member_user, item=item)
        refunded = market_services.redemption_create(actor=d.resident_user, item=item)
        market_services.redemption_cancel(actor=d.resident_user, redemption=refunded)
    with at(local(2026, 3, 7, 9, 0)):
        council_services.meeting_record(
            actor=d.convener1, meeting=meeting, attendees=k.seats[:3], minutes="讨论了楼道灯和停车问题。"
        )
    with at(local(2026, 3, 10, 9, 30)):
        signup = activity_services.signup_check_in_by_hand(actor=d.secretary1, signup=signup)
        activity_services.signup_record_hours(actor=d.secretary1, signup=signup, hours="2.5")
    return c, k, v
