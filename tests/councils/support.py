"""A council for 越都花园 (compound1) with five voting seats and one without a vote, and a draft motion."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

from django.utils import timezone

from community import services as community_services
from councils import services
from councils.models import SeatKind
from tests.factories import make_user

SEAT_KINDS = [
    SeatKind.PARTY_BRANCH,
    SeatKind.OWNERS_COMMITTEE,
    SeatKind.PROPERTY_COMPANY,
    SeatKind.RESIDENT_REP,
    SeatKind.OWNER_REP,
]
NAMES = ["周志明", "陈美华", "吴国庆", "郑秀兰", "孙建平", "钱丽娟"]


def council_world(d) -> SimpleNamespace:
    w = SimpleNamespace(d=d)
    w.council = services.council_create(actor=d.convener1, compound=d.compound1)
    w.voters, w.seats = [], []
    for n, name in enumerate(NAMES):
        user = make_user(f"seat{n}")
        person = community_services.person_create(
            actor=None,
            name=name,
            community=d.community1,
            home=d.building1,
            phone=f"1390000{n:04d}",
            user=user,
        )
        seat = services.seat_add(
            actor=d.convener1,
            council=w.council,
            kind=SEAT_KINDS[n] if n < len(SEAT_KINDS) else SeatKind.AREA_UNIT,
            person=person,
            voting_seat=n < len(SEAT_KINDS),
            since=date(2026, 1, 1),
        )
        w.seats.append(seat)
        if n < len(SEAT_KINDS):
            w.voters.append(user)
    w.no_vote_user = user  # the sixth seat has no vote
    return w


def motion(w, **rule):
    now = timezone.now()
    fields = {
        "title": "是否在3幢东侧增设电动车充电桩",
        "options": ["赞成", "反对"],
        "quorum": "0.5",
        "threshold": "simple",
        "opens_at": now - timedelta(minutes=1),
        "closes_at": now + timedelta(days=3),
        **rule,
    }
    return services.motion_create(actor=w.d.convener1, council=w.council, **fields)
