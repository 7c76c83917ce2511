"""Volunteers of 越都社区 (community1): a social worker, and members who reported and were accepted in 越都一网格.

`volunteer_world(d, members=3)` builds on `build_district()`: `w.members` are the users of accepted
members (the district's own member1 first), `w.reports` their reports, `w.social_worker` a social
worker of community1, `w.unreported` a member who has not reported.
"""

from __future__ import annotations

from types import SimpleNamespace

from community import services as community_services
from community.models import MembershipType, Role
from tests.factories import make_user
from volunteers.services import reporting

NAMES = ["陈立新", "周海燕", "吴志强", "郑晓东", "孙丽萍", "钱国华", "冯建军", "朱美琴"]
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
JPG = b"\xff\xd8\xff\xe0" + b"\0" * 64


def add_member(d, username: str, name: str, *, accept: bool = True, phone: str = ""):
    user = make_user(username)
    person = community_services.person_create(
        actor=None, name=name, community=d.community1, home=d.building1, phone=phone, user=user
    )
    community_services.party_member_register(
        actor=None, person=person, membership_type=MembershipType.REGISTERED, party_organisation=d.party1
    )
    user.refresh_from_db()
    report = reporting.report_submit(actor=user, skills="", service_fields=["everyday"])
    if accept:
        report = reporting.report_accept(actor=None, report=report, grid=d.grid1)
    return user, report


def volunteer_world(d, members: int = 3) -> SimpleNamespace:
    w = SimpleNamespace(d=d, members=[], reports=[])
    w.social_worker = make_user("social_worker1", Role.SOCIAL_WORKER, area=d.community1)
    d.member_user.refresh_from_db()
    report = reporting.report_submit(
        actor=d.member_user, skills="电工", service_fields=["repair", "electricity"]
    )
    w.members.append(d.member_user)
    w.reports.append(reporting.report_accept(actor=None, report=report, grid=d.grid1))
    for n in range(members - 1):
        user, report = add_member(d, f"vmember{n}", NAMES[n % len(NAMES)] + str(n), phone=f"1380000{n:04d}")
        w.members.append(user)
        w.reports.append(report)
    w.unreported, _report = add_member(d, "unreported", "未报到", accept=False)
    reporting.report_leave(actor=None, report=_report)
    return w
