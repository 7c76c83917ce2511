"""Shared pieces of the micro-wish tests (no tests here): a world with reported members, an earning rule
and a funded community, and a few ways to post and move wishes.

`wish_world(d)` builds on `volunteer_world`: `w.members` are reported in 越都一网格 (d.grid1); the
resident 李秀英 (d.resident_user, home 越都花园 1幢, phone 13900002222) posts; `w.elder` is a resident
without a login (张大爷, phone 13911112222) for whom the social worker posts.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from community import services as community_services
from points.models import EventType
from tests.points.earning_support import fund, make_rule
from tests.volunteers.support import JPG, PNG, volunteer_world
from volunteers.services import wishes as services

ELDER_NAME = "张大爷"
ELDER_PHONE = "13911112222"
RESIDENT_NAME = "李秀英"
RESIDENT_PHONE = "13900002222"


def wish_world(d, members: int = 3):
    w = volunteer_world(d, members=members)
    fund(d.community1)
    make_rule(district=d.district, event_type=EventType.WISH_FULFILLED, points=10)
    w.elder = community_services.person_create(
        actor=None, name=ELDER_NAME, community=d.community1, home=d.building1, phone=ELDER_PHONE
    )
    return w


def days(n: int):
    return timezone.localdate() + timedelta(days=n)


def post(w, *, actor=None, **fields):
    """A wish of the resident 李秀英 (or posted by `actor` for `beneficiary`)."""
    fields.setdefault("title", "一袋大米")
    fields.setdefault("category", "daily")
    fields.setdefault("due_on", days(10))
    fields.setdefault("description", "腿脚不便，想请人帮忙买一袋大米送到家。")
    return services.wish_post(actor=actor or w.d.resident_user, **fields)


def photo(name: str = "done.png", content: bytes = PNG) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


def jpg(name: str = "done.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, JPG, content_type="image/jpeg")


def claimed(w, wish=None, member=None):
    wish = wish or post(w)
    services.wish_claim(actor=member or w.members[0], wish=wish)
    wish.refresh_from_db()
    return wish


def fulfilled(w, wish=None, member=None):
    member = member or w.members[0]
    wish = claimed(w, wish, member)
    return services.wish_fulfil(actor=member, wish=wish, note="已送到家中。", photo=photo())
