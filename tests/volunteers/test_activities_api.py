"""The activities' API: publish, list with filters, sign up, cancel, check in with the venue's code,
cancel an activity; sign-ups with hours and check-in by hand; JSON errors that change nothing; lists
whose query count does not grow; the OpenAPI schema still builds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from tests.api.helpers import assert_error
from tests.volunteers.test_activities_support import activity_world, fields, fresh, publish, soon
from volunteers.models import Activity, Signup
from volunteers.services import activities as services
from volunteers.workflow import SignupState

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def body(**overrides) -> dict:
    values = fields(**overrides)
    for name in ("starts_at", "ends_at", "signup_deadline"):
        values[name] = values[name].isoformat()
    return values


def starting_soon(w, **overrides):
    return publish(w, starts_at=soon(minutes=10), signup_deadline=soon(minutes=5), **overrides)


def test_staff_publish_and_people_list_sign_up_and_cancel(district):
    w = activity_world(district)
    created = api(district.secretary1).post(
        "/api/v1/activities/",
        body(community=district.community1.pk, organiser=district.unit1.pk, capacity=2),
        format="json",
    )
    assert created.status_code == 201, created.content
    activity = created.json()
    assert activity["places_left"] == 2 and activity["organiser_name"] == "越城区人民医院党委"
    assert activity["my_signup_state"] is None

    member = api(w.members[0])
    signed = member.post(f"/api/v1/activities/{activity['id']}/signup/")
    assert signed.status_code == 201 and signed.json()["state"] == "signed_up"
    assert_error(member.post(f"/api/v1/activities/{activity['id']}/signup/"), 409, "already_signed_up")
    one = member.get(f"/api/v1/activities/{activity['id']}/").json()
    assert one["places_left"] == 1 and one["places_taken"] == 1 and one["my_signup_state"] == "signed_up"

    assert member.get("/api/v1/activities/?signed_up=mine").json()["count"] == 1
    assert api(w.members[1]).get("/api/v1/activities/?signed_up=mine").json()["count"] == 0
    assert member.get("/api/v1/activities/?when=upcoming").json()["count"] == 1
    assert member.get("/api/v1/activities/?when=past").json()["count"] == 0
    assert member.get("/api/v1/activities/?field=legal").json()["count"] == 0
    assert member.get(f"/api/v1/activities/?community={district.community1.pk}").json()["count"] == 1
    assert api(district.secretary3).get("/api/v1/activities/").json()["count"] == 0
    assert_error(api(district.secretary3).get(f"/api/v1/activities/{activity['id']}/"), 404, "not_found")

    cancelled = member.post(f"/api/v1/activities/{activity['id']}/cancel-signup/")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert_error(
        api(w.members[1]).post(f"/api/v1/activities/{activity['id']}/cancel-signup/"), 409, "not_signed_up"
    )


@pytest.mark.parametrize(
    ("change", "error_field"),
    [
        ({"ends_at": "before"}, "ends_at"),
        ({"signup_deadline": "after"}, "signup_deadline"),
        ({"capacity": 0}, "capacity"),
    ],
)
def test_publishing_bad_input_gets_the_json_error_and_publishes_nothing(district, change, error_field):
    activity_world(district)
    data = body(community=district.community1.pk)
    starts = fields()["starts_at"]
    special = {"before": starts - timedelta(hours=1), "after": starts + timedelta(hours=1)}
    for name, value in change.items():
        data[name] = special[value].isoformat() if isinstance(value, str) else value
    if "ends_at" in change:
        data["starts_at"] = starts.isoformat()
    response = api(district.secretary1).post("/api/v1/activities/", data, format="json")
    assert_error(response, 400, "invalid_activity")
    assert error_field in response.json()["errors"]
    assert not Activity.objects.exists()


def test_only_staff_publish_and_cancel(district):
    w = activity_world(district)
    assert_error(
        api(district.member_user).post(
            "/api/v1/activities/", body(community=district.community1.pk), format="json"
        ),
        403,
        "not_community_staff",
    )
    activity = publish(w)
    services.signup_create(actor=w.members[0], activity=activity)
    assert_error(
        api(w.members[0]).post(
            f"/api/v1/activities/{activity.pk}/cancel/", {"reason": "不去了"}, format="json"
        ),
        403,
        "not_community_staff",
    )
    assert fresh(activity).cancelled_at is None
    done = api(district.secretary1).post(
        f"/api/v1/activities/{activity.pk}/cancel/", {"reason": "暴雨"}, format="json"
    )
    assert done.status_code == 200 and done.json()["cancel_reason"] == "暴雨"
    assert api(w.members[0]).get("/api/v1/activities/?when=past").json()["count"] == 1


def test_full_after_the_deadline_and_member_only_refusals(district):
    w = activity_world(district)
    full = publish(w, capacity=1)
    services.signup_create(actor=w.members[0], activity=full)
    assert_error(api(w.members[1]).post(f"/api/v1/activities/{full.pk}/signup/"), 409, "full")
    members_only = publish(w, open_to_residents=False)
    assert_error(
        api(district.resident_user).post(f"/api/v1/activities/{members_only.pk}/signup/"), 403, "members_only"
    )
    closed = publish(w)
    Activity.objects.filter(pk=closed.pk).update(signup_deadline=timezone.now() - timedelta(minutes=1))
    assert_error(api(w.members[1]).post(f"/api/v1/activities/{closed.pk}/signup/"), 409, "signup_closed")
    assert Signup.objects.count() == 1


def test_checking_in_with_the_venue_code(district):
    w = activity_world(district)
    activity = starting_soon(w)
    other = starting_soon(w, title="周末治安联防巡逻")
    services.signup_create(actor=w.members[0], activity=activity)
    url = f"/api/v1/activities/{activity.pk}/check-in/"
    client = api(w.members[0])
    stale = services.checkin_code(
        activity, now=timezone.now() - timedelta(seconds=2 * services.CHECKIN_SLOT_SECONDS)
    )
    assert_error(client.post(url, {"code": stale}, format="json"), 400, "stale_code")
    assert_error(client.post(url, {"code": "forged"}, format="json"), 400, "forged_code")
    assert_error(
        client.post(url, {"code": services.checkin_code(other)}, format="json"), 400, "wrong_activity"
    )
    assert_error(client.post(url, {}, format="json"), 400, "invalid")
    assert Signup.objects.get().state == SignupState.SIGNED_UP
    done = client.post(url, {"code": services.checkin_code(activity)}, format="json")
    assert done.status_code == 200 and done.json()["state"] == "attended" and done.json()["hours"] == "2.5"
    assert_error(
        client.post(url, {"code": services.checkin_code(activity)}, format="json"), 409, "already_checked_in"
    )
    assert_error(
        api(w.members[1]).post(url, {"code": services.checkin_code(activity)}, format="json"),
        409,
        "not_signed_up",
    )
    later = publish(w)
    services.signup_create(actor=w.members[0], activity=later)
    assert_error(
        client.post(
            f"/api/v1/activities/{later.pk}/check-in/", {"code": services.checkin_code(later)}, format="json"
        ),
        409,
        "checkin_not_open",
    )


def test_signups_hours_and_check_in_by_hand(district):
    w = activity_world(district)
    activity = starting_soon(w)
    first, second = (services.signup_create(actor=user, activity=activity) for user in w.members[:2])
    staff = api(w.social_worker)
    assert staff.get("/api/v1/activity-signups/").json()["count"] == 2
    assert staff.get("/api/v1/activity-signups/?state=signed_up").json()["count"] == 2
    assert staff.get(f"/api/v1/activity-signups/?activity={activity.pk}").json()["count"] == 2
    mine = api(w.members[0]).get("/api/v1/activity-signups/").json()
    assert [s["id"] for s in mine["results"]] == [first.pk]
    assert api(district.secretary3).get("/api/v1/activity-signups/").json()["count"] == 0

    assert_error(
        api(w.members[0]).post(f"/api/v1/activity-signups/{first.pk}/check-in-by-hand/"),
        403,
        "not_community_staff",
    )
    assert_error(
        api(w.members[0]).post(f"/api/v1/activity-signups/{second.pk}/check-in-by-hand/"), 404, "not_found"
    )
    done = staff.post(f"/api/v1/activity-signups/{first.pk}/check-in-by-hand/")
    assert done.status_code == 200 and done.json()["state"] == "attended"

    for bad in ("25", "-1", "abc", "1.25"):
        assert_error(
            staff.post(f"/api/v1/activity-signups/{first.pk}/record-hours/", {"hours": bad}, format="json"),
            400,
        )
    assert fresh(first).hours == services.duration_hours(activity)
    assert_error(
        staff.post(f"/api/v1/activity-signups/{second.pk}/record-hours/", {"hours": "2"}, format="json"),
        409,
        "not_checked_in",
    )
    ok = staff.post(f"/api/v1/activity-signups/{first.pk}/record-hours/", {"hours": "4.5"}, format="json")
    assert ok.status_code == 200 and ok.json()["hours"] == "4.5"
    services.activities_close_ended(activity.ends_at + timedelta(hours=1))
    assert_error(
        staff.post(f"/api/v1/activity-signups/{first.pk}/record-hours/", {"hours": "3"}, format="json"),
        409,
        "activity_closed",
    )
    assert str(fresh(first).hours) == "4.5"


def test_the_lists_cost_the_same_queries_for_3_or_20(district):
    w = activity_world(district)
    client = api(w.social_worker)
    for k in range(3):
        services.signup_create(actor=w.members[0], activity=publish(w, title=f"活动{k}"))

    def count(url):
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    few = {url: count(url) for url in ("/api/v1/activities/", "/api/v1/activity-signups/")}
    for k in range(3, 20):
        services.signup_create(actor=w.members[0], activity=publish(w, title=f"活动{k}"))
    many = {url: count(url) for url in few}
    assert many == few
    assert client.get("/api/v1/activities/").json()["count"] == 20


def test_the_schema_still_builds_with_the_activities(district):
    response = APIClient().get("/api/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    for path in (
        "/api/v1/activities/{id}/check-in/",
        "/api/v1/activities/{id}/cancel-signup/",
        "/api/v1/activity-signups/{id}/record-hours/",
        "/api/v1/activity-signups/{id}/check-in-by-hand/",
    ):
        assert path in text
