"""The activities' demo in 越都社区: past activities closed with attendance, hours and a no-show; the
free clinic with the hospital tomorrow with places left for dangyuan_wang and jumin_li; one full, one
cancelled; seeding twice adds nothing."""

from __future__ import annotations

import sys

import pytest
from django.core.management.base import OutputWrapper
from django.core.management.color import no_style

from community import demo as community_demo
from community.models import User
from core.models import OutboxMessage
from core.seeding import DemoContext
from points import demo as points_demo
from volunteers import demo_activities
from volunteers.models import Activity, Signup
from volunteers.selectors import activities as selectors
from volunteers.services import activities as services
from volunteers.workflow import SignupState

pytestmark = pytest.mark.django_db


def test_the_demo_has_activities_in_every_state_and_is_idempotent():
    ctx = DemoContext(stdout=OutputWrapper(sys.stdout), style=no_style())
    community_demo.seed(ctx)
    points_demo.seed(ctx)
    demo_activities.seed(ctx)
    counts = (Activity.objects.count(), Signup.objects.count(), OutboxMessage.objects.count())
    demo_activities.seed(ctx)
    assert (Activity.objects.count(), Signup.objects.count(), OutboxMessage.objects.count()) == counts
    assert counts[0] == len(demo_activities.ACTIVITIES)

    closed = Activity.objects.filter(closed_at__isnull=False)
    assert closed.count() == 3
    for activity in closed:
        states = set(activity.signups.values_list("state", flat=True))
        assert SignupState.ATTENDED in states and SignupState.NO_SHOW in states
    assert Activity.objects.filter(cancelled_at__isnull=False).count() == 1
    awards = OutboxMessage.objects.filter(task_name="points.award_for_event", args__0="activity_hours")
    assert awards.count() == Signup.objects.filter(state=SignupState.ATTENDED).count()

    wang, li = User.objects.get(username="dangyuan_wang"), User.objects.get(username="jumin_li")
    upcoming = {a.title: a for a in selectors.upcoming_activities(actor=li)}
    clinic = upcoming["义诊进社区：量血压、测血糖"]
    assert clinic.organiser.name == "越城区人民医院党委" and 2 <= clinic.places_left <= 3
    assert upcoming["法律咨询进社区"].places_left == 0
    services.signup_create(actor=li, activity=clinic)
    services.signup_create(actor=wang, activity=clinic)
    assert selectors.hours_of(user=wang) > 0
