"""An activity in the browser: the secretary publishes it on a desktop, a member signs up on a phone,
the venue screen shows the check-in code, the member opens its link on the phone and is checked in,
and the sign-up list shows the attendance and the hours."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.e2e.conftest import PHONE, sign_in
from tests.factories import build_district
from tests.volunteers.test_activities_support import activity_world
from volunteers.models import Activity, Signup
from volunteers.workflow import SignupState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_publish_sign_up_and_check_in_with_the_venue_code(live_server, new_page, screenshot):
    d = build_district()
    w = activity_world(d)
    base = live_server.url

    # The secretary publishes an activity that starts in a quarter of an hour (check-in is open).
    secretary = new_page()
    sign_in(secretary, base, "secretary1")
    secretary.goto(f"{base}/volunteers/activities/")
    secretary.get_by_test_id("publish-activity").click()
    secretary.wait_for_load_state()
    starts = timezone.now() + timedelta(minutes=15)
    secretary.locator("#id_title").fill("周末治安联防巡逻")
    secretary.locator("#id_field").select_option("patrol")
    secretary.locator("#id_place").fill("社区警务室集合")
    secretary.locator("#id_starts_at").fill(_local(starts))
    secretary.locator("#id_ends_at").fill(_local(starts + timedelta(hours=2)))
    secretary.locator("#id_signup_deadline").fill(_local(starts - timedelta(minutes=5)))
    secretary.locator("#id_capacity").fill("6")
    screenshot(secretary, "1-publish")
    secretary.get_by_test_id("submit-activity").click()
    activity = Activity.objects.get()
    secretary.wait_for_url(re.compile(rf"/volunteers/activities/{activity.pk}/$"))

    # A member signs up on a phone.
    member = new_page(viewport=PHONE)
    sign_in(member, base, w.members[0].username)
    member.goto(f"{base}/volunteers/activities/")
    member.get_by_role("link", name=re.compile("周末治安联防巡逻")).click()
    member.wait_for_url(re.compile(rf"/volunteers/activities/{activity.pk}/$"))
    member.get_by_test_id("sign-up").click()
    member.get_by_test_id("cancel-signup").wait_for()
    screenshot(member, "2-signed-up")
    assert Signup.objects.get().state == SignupState.SIGNED_UP

    # The venue screen shows the code; the member opens its link and is checked in.
    secretary.get_by_test_id("venue-link").click()
    secretary.get_by_test_id("venue-code").wait_for()
    assert secretary.locator("#venue-code svg").count() == 1
    screenshot(secretary, "3-venue")
    link = secretary.get_by_test_id("venue-code").get_attribute("data-checkin-link")
    member.goto(link)
    member.get_by_test_id("checkin-confirm").click()
    assert member.get_by_test_id("checkin-result").is_visible()
    screenshot(member, "4-checked-in")
    signup = Signup.objects.get()
    assert signup.state == SignupState.ATTENDED and signup.hours == 2

    # The sign-up list shows the attendance.
    secretary.goto(f"{base}/volunteers/activities/{activity.pk}/signups/")
    assert secretary.get_by_test_id("attended-count").inner_text() == "1"
    screenshot(secretary, "5-signups")
