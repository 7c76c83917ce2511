"""The activity pages: the list (the viewer's community first, places left), an activity's page with
sign-up and cancel, the check-in link of the venue's QR code, and for staff the publish and edit form,
the sign-up list (check-in by hand, hours) and the venue screen; refusals shown with their status and
nothing changed; lists at fixed queries; the back office lists."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from community import services as community_services
from notices.models import Notice
from tests.factories import make_user
from tests.volunteers.test_activities_support import activity_world, fields, fresh, publish, soon
from volunteers.models import Activity, Signup
from volunteers.services import activities as services
from volunteers.workflow import SignupState

pytestmark = pytest.mark.django_db


def signed_in(user, *, english: bool = True) -> Client:
    client = Client()
    client.force_login(user)
    if english:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def same_queries(client, url, add_more) -> None:
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add_more()
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def starting_soon(w, **overrides):
    """An activity starting in ten minutes: its check-in is open now (the sessions' clock is real)."""
    return publish(w, starts_at=soon(minutes=10), signup_deadline=soon(minutes=5), **overrides)


def residents(d, n: int, start: int = 0):
    users = []
    for k in range(start, start + n):
        user = make_user(f"resident_x{k}")
        community_services.person_create(
            actor=None,
            name=f"居民{k}",
            community=d.community1,
            home=d.building1,
            phone=f"1390000{k:04d}",
            user=user,
        )
        user.refresh_from_db()
        users.append(user)
    return users


def form_data(**overrides) -> dict:
    values = fields()
    data = {
        "community": "",
        "title": values["title"],
        "field": values["field"],
        "place": values["place"],
        "description": values["description"],
        "starts_at": _local(values["starts_at"]),
        "ends_at": _local(values["ends_at"]),
        "signup_deadline": _local(values["signup_deadline"]),
        "capacity": "5",
        "organiser": "",
        "open_to_residents": "on",
    }
    data.update(overrides)
    return data


def _local(moment) -> str:
    from django.utils import timezone

    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


# --- The list --------------------------------------------------------------------------------------


def test_the_list_shows_the_communitys_upcoming_activities_with_places_left(district):
    w = activity_world(district)
    patrol = publish(w, title="周末治安联防巡逻", field="patrol", capacity=2)
    services.signup_create(actor=w.members[0], activity=patrol)
    elsewhere = services.activity_publish(
        actor=district.secretary3, community=district.community3, **fields(title="府山社区活动")
    )
    page = signed_in(district.resident_user).get("/volunteers/activities/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "周末治安联防巡逻" in body and "1 place left" in body
    assert "府山社区活动" not in body
    # A district administrator sees both, the activities of their own community (none) first.
    admin_page = signed_in(district.district_admin).get("/volunteers/activities/")
    assert {a.pk for a in admin_page.context["activities"]} == {patrol.pk, elsewhere.pk}
    assert 'data-testid="publish-activity"' in admin_page.content.decode()
    assert 'data-testid="publish-activity"' not in body

    mine = signed_in(w.members[0]).get("/volunteers/activities/?show=mine")
    assert [a.pk for a in mine.context["activities"]] == [patrol.pk]
    assert "Signed up" in mine.content.decode()
    filtered = signed_in(w.members[0]).get("/volunteers/activities/?field=legal")
    assert list(filtered.context["activities"]) == []


def test_the_list_costs_the_same_queries_for_3_or_20_activities(district):
    w = activity_world(district)
    for k in range(3):
        services.signup_create(actor=w.members[0], activity=publish(w, title=f"活动{k}"))

    def more():
        for k in range(3, 20):
            publish(w, title=f"活动{k}")

    same_queries(signed_in(w.members[0]), "/volunteers/activities/", more)


# --- An activity's page: sign up, cancel -----------------------------------------------------------


def test_signing_up_and_cancelling_from_the_activitys_page(district):
    w = activity_world(district)
    activity = publish(w, capacity=1)
    client = signed_in(district.resident_user)
    page = client.get(f"/volunteers/activities/{activity.pk}/")
    assert page.status_code == 200 and 'data-testid="sign-up"' in page.content.decode()
    signed = client.post(f"/volunteers/activities/{activity.pk}/", {"step": "sign_up"}, follow=True)
    assert signed.redirect_chain[-1][0] == f"/volunteers/activities/{activity.pk}/"
    assert Signup.objects.get(activity=activity).user == district.resident_user
    assert 'data-testid="cancel-signup"' in signed.content.decode()

    # Full: the next person gets the page with a 409 and the reason, and nothing changes.
    other = signed_in(w.members[0])
    assert (
        "Sorry, this activity is full."
        in other.get(f"/volunteers/activities/{activity.pk}/").content.decode()
    )
    full = other.post(f"/volunteers/activities/{activity.pk}/", {"step": "sign_up"})
    assert full.status_code == 409 and "full" in full.content.decode()
    assert Signup.objects.filter(activity=activity).count() == 1

    cancelled = client.post(f"/volunteers/activities/{activity.pk}/", {"step": "cancel_signup"}, follow=True)
    assert cancelled.status_code == 200
    assert fresh(Signup.objects.get(activity=activity)).state == SignupState.CANCELLED
    assert other.post(f"/volunteers/activities/{activity.pk}/", {"step": "sign_up"}).status_code == 302


def test_a_resident_on_a_member_only_activity_and_an_outsider(district):
    w = activity_world(district)
    activity = publish(w, open_to_residents=False)
    client = signed_in(district.resident_user)
    page = client.get(f"/volunteers/activities/{activity.pk}/")
    assert 'data-testid="why-not"' in page.content.decode()
    refused = client.post(f"/volunteers/activities/{activity.pk}/", {"step": "sign_up"})
    assert refused.status_code == 403 and "Party members" in refused.content.decode()
    assert not Signup.objects.exists()
    assert signed_in(district.secretary3).get(f"/volunteers/activities/{activity.pk}/").status_code == 404
    assert client.post(f"/volunteers/activities/{activity.pk}/", {"step": "dance"}).status_code == 400
    anonymous = Client().get(f"/volunteers/activities/{activity.pk}/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


# --- Check-in from the QR code -------------------------------------------------------------------


def tap(client, link):
    """Tap "check in now" on the page the QR code's link opens (a POST of its code)."""
    path, _sep, query = link.partition("?")
    return client.post(path, {"code": parse_qs(query).get("code", [""])[0]})


def test_the_codes_link_asks_for_one_tap_that_checks_in_with_a_big_clear_result(district):
    w = activity_world(district)
    activity = starting_soon(w)
    services.signup_create(actor=w.members[0], activity=activity)
    link = services.checkin_url(activity)
    client = signed_in(w.members[0])
    # Opening the link changes nothing: it shows the one button to tap.
    opened = client.get(link)
    assert opened.status_code == 200 and 'data-testid="checkin-confirm"' in opened.content.decode()
    assert Signup.objects.get(activity=activity, user=w.members[0]).state == SignupState.SIGNED_UP
    done = tap(client, link)
    assert done.status_code == 200 and "Checked in!" in done.content.decode()
    assert "2.5" in done.content.decode()
    twice = tap(client, link)
    assert twice.status_code == 409 and "You are already checked in" in twice.content.decode()
    stranger = tap(signed_in(w.members[1]), link)
    assert stranger.status_code == 409 and "not signed up" in stranger.content.decode()
    forged = tap(client, f"/volunteers/activities/{activity.pk}/check-in/?code=abc")
    assert forged.status_code == 400 and "not a valid check-in code" in forged.content.decode()
    services.signup_create(actor=w.members[1], activity=activity)
    old = timezone.now() - timedelta(seconds=2 * services.CHECKIN_SLOT_SECONDS)
    stale = tap(signed_in(w.members[1]), services.checkin_url(activity, now=old))
    assert stale.status_code == 400 and "expired" in stale.content.decode()
    assert Signup.objects.get(activity=activity, user=w.members[0]).state == SignupState.ATTENDED
    assert Signup.objects.get(activity=activity, user=w.members[1]).state == SignupState.SIGNED_UP
    login = Client().get(link)
    assert login.status_code == 302 and "next=" in login["Location"]


# --- Staff: publish, edit, cancel ---------------------------------------------------------------


def test_the_secretary_publishes_from_the_form(district):
    activity_world(district)
    client = signed_in(district.secretary1)
    assert client.get("/volunteers/activities/new/").status_code == 200
    assert signed_in(district.member_user).get("/volunteers/activities/new/").status_code == 403
    data = form_data(community=district.community1.pk, organiser=district.unit1.pk, title="义诊进社区")
    done = client.post("/volunteers/activities/new/", data)
    activity = Activity.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/volunteers/activities/{activity.pk}/"
    assert activity.organiser == district.unit1 and activity.created_by == district.secretary1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ends_at": "before"}, "The end must be after the start."),
        ({"signup_deadline": "after"}, "Sign-up must close before the activity starts."),
        ({"capacity": "0"}, ""),
    ],
)
def test_publishing_bad_input_shows_the_error_and_publishes_nothing(district, change, message):
    activity_world(district)
    data = form_data(community=district.community1.pk)
    from datetime import datetime

    starts = datetime.strptime(data["starts_at"], "%Y-%m-%dT%H:%M")
    for name, value in change.items():
        if value == "before":
            value = (starts - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        elif value == "after":
            value = (starts + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        data[name] = value
    response = signed_in(district.secretary1).post("/volunteers/activities/new/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "invalid-feedback" in response.content.decode()
    assert not Activity.objects.exists()


def test_staff_edit_and_cancel_from_the_edit_page(district):
    w = activity_world(district)
    activity = publish(w, capacity=5)
    for user in w.members[:2]:
        services.signup_create(actor=user, activity=activity)
    client = signed_in(district.secretary1)
    assert client.get(f"/volunteers/activities/{activity.pk}/edit/").status_code == 200
    assert signed_in(w.members[0]).get(f"/volunteers/activities/{activity.pk}/edit/").status_code == 403
    data = form_data(capacity="1", title=activity.title)
    data["starts_at"], data["ends_at"] = _local(activity.starts_at), _local(activity.ends_at)
    data["signup_deadline"] = _local(activity.signup_deadline)
    low = client.post(f"/volunteers/activities/{activity.pk}/edit/", data)
    assert low.status_code == 400 and "At least 2." in low.content.decode()
    assert fresh(activity).capacity == 5
    data["capacity"] = "8"
    assert client.post(f"/volunteers/activities/{activity.pk}/edit/", data).status_code == 302
    assert fresh(activity).capacity == 8

    no_reason = client.post(f"/volunteers/activities/{activity.pk}/edit/", {"step": "cancel", "reason": ""})
    assert no_reason.status_code == 400 and fresh(activity).cancelled_at is None
    done = client.post(
        f"/volunteers/activities/{activity.pk}/edit/", {"step": "cancel", "reason": "暴雨预警"}
    )
    assert done.status_code == 302 and fresh(activity).cancel_reason == "暴雨预警"
    assert Notice.objects.filter(kind="activity-cancelled").count() == 2
    page = signed_in(w.members[0]).get(f"/volunteers/activities/{activity.pk}/")
    assert "This activity was cancelled: 暴雨预警" in page.content.decode()


# --- Staff: the sign-up list and the venue screen ------------------------------------------------


def test_the_sign_up_list_checks_in_by_hand_and_corrects_hours(district):
    w = activity_world(district)
    later = publish(w)
    services.signup_create(actor=w.members[0], activity=later)
    client = signed_in(w.social_worker)
    page = client.get(f"/volunteers/activities/{later.pk}/signups/")
    assert page.status_code == 200 and 'data-testid="check-in-by-hand"' not in page.content.decode()
    assert "Check-in opens at" in page.content.decode()

    activity = starting_soon(w)
    signups = [services.signup_create(actor=user, activity=activity) for user in w.members]
    url = f"/volunteers/activities/{activity.pk}/signups/"
    assert signed_in(w.members[0]).get(url).status_code == 403
    assert signed_in(district.secretary3).get(url).status_code == 404
    assert 'data-testid="check-in-by-hand"' in client.get(url).content.decode()
    done = client.post(url, {"step": "check_in", "signup": signups[0].pk})
    assert done.status_code == 302 and fresh(signups[0]).state == SignupState.ATTENDED
    bad = client.post(url, {"step": "hours", "signup": signups[0].pk, "hours": "25"})
    assert bad.status_code == 400 and fresh(signups[0]).hours == Decimal("2.5")
    not_in = client.post(url, {"step": "hours", "signup": signups[1].pk, "hours": "2"})
    assert not_in.status_code == 409 and "Not checked in yet." in not_in.content.decode()
    assert client.post(url, {"step": "hours", "signup": signups[0].pk, "hours": "3.5"}).status_code == 302
    assert fresh(signups[0]).hours == Decimal("3.5")
    assert client.post(url, {"step": "check_in", "signup": "x"}).status_code == 400
    other = client.post(url, {"step": "check_in", "signup": Signup.objects.get(activity=later).pk})
    assert other.status_code == 400  # a sign-up of another activity
    services.activities_close_ended(activity.ends_at + timedelta(hours=1))
    closed = client.post(url, {"step": "hours", "signup": signups[0].pk, "hours": "5"})
    assert closed.status_code == 409 and fresh(signups[0]).hours == Decimal("3.5")
    page = client.get(url).content.decode()
    assert "Did not come" in page and 'data-testid="hours-input"' not in page


def test_the_sign_up_list_costs_the_same_queries_for_3_or_20_sign_ups(district):
    w = activity_world(district)
    activity = starting_soon(w, capacity=30)
    people = residents(district, 20)
    for user in people[:3]:
        services.signup_create(actor=user, activity=activity)

    def more():
        for user in people[3:]:
            services.signup_create(actor=user, activity=activity)

    same_queries(signed_in(district.secretary1), f"/volunteers/activities/{activity.pk}/signups/", more)


def test_the_venue_screen_shows_a_qr_code_that_renews_itself(district):
    w = activity_world(district)
    activity = publish(w)
    url = f"/volunteers/activities/{activity.pk}/venue/"
    client = signed_in(district.secretary1)
    page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 200 and "<svg" in body and 'hx-trigger="every 60s"' in body
    assert page.context["link"].startswith(
        f"http://testserver/volunteers/activities/{activity.pk}/check-in/?code="
    )
    assert 'data-testid="venue-closed"' in body  # it starts in two days
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<svg" in fragment and "<html" not in fragment and 'id="venue-code"' in fragment
    assert signed_in(w.members[0]).get(url).status_code == 403
    assert signed_in(district.secretary3).get(url).status_code == 404


# --- The back office -----------------------------------------------------------------------------


def test_the_back_office_lists_activities_and_sign_ups_in_scope(district):
    w = activity_world(district)
    activity = publish(w)
    services.signup_create(actor=w.members[0], activity=activity)
    client = signed_in(district.secretary1)
    assert client.get("/admin/volunteers/activity/").status_code == 200
    assert client.get(f"/admin/volunteers/activity/{activity.pk}/change/").status_code == 200
    assert len(client.get("/admin/volunteers/signup/").context["cl"].result_list) == 1
    other = signed_in(district.secretary3).get("/admin/volunteers/activity/")
    assert len(other.context["cl"].result_list) == 0
    assert (
        signed_in(district.secretary3).get(f"/admin/volunteers/activity/{activity.pk}/change/").status_code
        == 404
    )
