"""Shared pieces of the activity tests (no tests here): a world with reported members, a resident, an
earning rule for hours and a funded community, and ways to publish activities and stand at a moment.

`activity_world(d)` builds on `volunteer_world`: `w.members` are reported to 越都社区; the resident
李秀英 (d.resident_user) lives there; d.secretary1 and `w.social_worker` are its staff; d.resident3's
community (府山社区) is elsewhere, with d.secretary3 as its secretary.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest import mock

from django.utils import timezone

from points.models import EventType
from tests.concurrency import run_together  # noqa: F401 - used by the concurrency tests
from tests.points.earning_support import fund, make_rule
from tests.volunteers.support import volunteer_world
from volunteers.models import Activity
from volunteers.services import activities as services


def activity_world(d, members: int = 3):
    w = volunteer_world(d, members=members)
    fund(d.community1)
    make_rule(district=d.district, event_type=EventType.ACTIVITY_HOURS, points=5, unit_label="小时")
    return w


def soon(**delta) -> datetime:
    return timezone.now().replace(microsecond=0) + timedelta(**delta)


def fields(**overrides) -> dict:
    """A valid activity: in two days for two and a half hours, sign-up until tomorrow, 5 places."""
    starts = overrides.pop("starts_at", None) or soon(days=2)
    values = {
        "title": "垃圾分类宣传进小区",
        "field": "waste",
        "place": "越都花园中心广场",
        "description": "向居民讲解垃圾分类知识，发放宣传资料。",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=2, minutes=30),
        "signup_deadline": starts - timedelta(days=1),
        "capacity": 5,
    }
    values.update(overrides)
    return values


def publish(w, actor=None, **overrides) -> Activity:
    return services.activity_publish(
        actor=actor or w.d.secretary1, community=w.d.community1, **fields(**overrides)
    )


@contextmanager
def at(when: datetime):
    """Stand at `when`: timezone.now() (and so auto_now_add) answer it."""
    with mock.patch("django.utils.timezone.now", return_value=when):
        yield


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)
