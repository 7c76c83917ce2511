"""/api/v1/wishes/: post, light up, fulfil (multipart photo), confirm, cancel; JSON errors that change
nothing; the resident's name only for them and the staff, never a phone; filters; constant queries."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.api.helpers import assert_error, ids
from tests.factories import make_user
from tests.volunteers.test_wishes_support import (
    ELDER_NAME,
    ELDER_PHONE,
    RESIDENT_NAME,
    RESIDENT_PHONE,
    claimed,
    days,
    fulfilled,
    photo,
    post,
    wish_world,
)
from volunteers.models import Wish, WishClaim
from volunteers.workflow import WishState

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


WISH = {"title": "一袋大米", "category": "daily", "description": "想请人帮忙买一袋大米。", "group_size": 1}


def body(**fields):
    return {**WISH, "due_on": days(7).isoformat(), **fields}


def test_a_wish_goes_from_posted_to_confirmed_through_the_api(district):
    w = wish_world(district)
    created = api(district.resident_user).post("/api/v1/wishes/", body(), format="json")
    assert created.status_code == 201, created.content
    wish = created.json()
    assert wish["state"] == "open" and wish["beneficiary_name"] == RESIDENT_NAME
    assert wish["place"] == "A resident of 越都花园" and wish["has_room"] is True
    url = f"/api/v1/wishes/{wish['id']}/"

    lit = api(w.members[0]).post(f"{url}claim/")
    assert lit.status_code == 200 and lit.json()["state"] == "claimed" and lit.json()["claimed_by_me"]
    assert_error(api(w.members[1]).post(f"{url}claim/"), 409, "wish_taken")

    done = api(w.members[0]).post(
        f"{url}fulfil/", {"note": "大米已送到。", "photo": photo()}, format="multipart"
    )
    assert done.status_code == 200, done.content
    assert done.json()["state"] == "fulfilled" and done.json()["fulfil_photo"]

    assert_error(api(w.members[0]).post(f"{url}confirm/", {}, format="json"), 403, "not_wish_owner")
    confirmed = api(district.resident_user).post(f"{url}confirm/", {"note": "谢谢"}, format="json")
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "confirmed"
    assert_error(api(district.resident_user).post(f"{url}confirm/", {}, format="json"), 409, "wish_confirmed")
    steps = [e["step"] for e in api(district.resident_user).get(url).json()["events"]]
    assert steps == ["post", "claim", "fulfil", "confirm"]


def test_bad_input_gets_the_json_error_and_changes_nothing(district):
    w = wish_world(district)
    resident = api(district.resident_user)
    assert_error(
        resident.post("/api/v1/wishes/", body(due_on=days(-1).isoformat()), format="json"), 400, "due_in_past"
    )
    assert_error(
        resident.post("/api/v1/wishes/", body(due_on=days(200).isoformat()), format="json"),
        400,
        "due_too_far",
    )
    assert_error(resident.post("/api/v1/wishes/", body(title=""), format="json"), 400)
    assert_error(resident.post("/api/v1/wishes/", body(group_size=30), format="json"), 400)
    assert not Wish.objects.exists()

    wish = claimed(w)
    url = f"/api/v1/wishes/{wish.pk}/fulfil/"
    gif = SimpleUploadedFile("done.gif", b"GIF89a" + b"\0" * 20)
    assert_error(
        api(w.members[0]).post(url, {"note": "已送到", "photo": gif}, format="multipart"), 400, "photo_type"
    )
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8\xff\xe0" + b"\0" * (8 * 1024 * 1024))
    assert_error(
        api(w.members[0]).post(url, {"note": "已送到", "photo": big}, format="multipart"),
        400,
        "photo_too_large",
    )
    assert_error(api(w.members[0]).post(url, {"note": "已送到"}, format="multipart"), 400)
    assert_error(
        api(w.members[1]).post(url, {"note": "已送到", "photo": photo()}, format="multipart"),
        403,
        "not_claimant",
    )
    stored = Wish.objects.get(pk=wish.pk)
    assert stored.state == WishState.CLAIMED and not stored.fulfil_photo


def test_lighting_up_is_for_members_reported_here(district):
    w = wish_world(district)
    wish = post(w)
    url = f"/api/v1/wishes/{wish.pk}/claim/"
    assert_error(api(w.unreported).post(url), 403, "not_reported_here")
    assert_error(api(district.resident_user).post(url), 403, "not_reported_here")
    assert_error(api(district.secretary3).post(url), 404)
    assert_error(api(make_user("stranger")).post(url), 404)
    assert_error(api(w.members[0]).post("/api/v1/wishes/abc/claim/"), 404)
    assert not WishClaim.objects.exists() and Wish.objects.get().state == WishState.OPEN


def test_the_staff_post_for_a_resident_and_others_cannot(district):
    w = wish_world(district)
    created = api(w.social_worker).post(
        "/api/v1/wishes/", body(beneficiary=w.elder.pk, title="助听器维修"), format="json"
    )
    assert created.status_code == 201 and created.json()["beneficiary_name"] == ELDER_NAME
    # A member cannot even name the resident: the id reads as one that does not exist.
    assert_error(api(w.members[0]).post("/api/v1/wishes/", body(beneficiary=w.elder.pk), format="json"), 400)
    assert_error(
        api(district.secretary3).post("/api/v1/wishes/", body(beneficiary=w.elder.pk), format="json"), 400
    )
    assert Wish.objects.count() == 1


def test_the_json_never_gives_a_member_the_residents_name_or_phone(district):
    w = wish_world(district)
    mine = post(w)
    elders = post(w, actor=w.social_worker, beneficiary=w.elder, title="助听器维修", category="health")
    fulfilled(w, post(w, title="老花镜", category="health"))
    member = api(w.members[1])
    listing = member.get("/api/v1/wishes/")
    assert listing.status_code == 200 and listing.json()["count"] == 3
    texts = [json.dumps(listing.json(), ensure_ascii=False)]
    for wish in (mine, elders):
        texts.append(json.dumps(member.get(f"/api/v1/wishes/{wish.pk}/").json(), ensure_ascii=False))
    for text in texts:
        for secret in (RESIDENT_NAME, RESIDENT_PHONE, ELDER_NAME, ELDER_PHONE, "1幢", "139****2222"):
            assert secret not in text, secret
    assert {row["beneficiary_name"] for row in listing.json()["results"]} == {None}
    # The resident sees their own name; the secretary sees every name.
    own = api(district.resident_user).get(f"/api/v1/wishes/{mine.pk}/").json()
    assert own["beneficiary_name"] == RESIDENT_NAME
    staff = api(district.secretary1).get("/api/v1/wishes/").json()["results"]
    assert {row["beneficiary_name"] for row in staff} == {RESIDENT_NAME, ELDER_NAME}
    assert RESIDENT_PHONE not in json.dumps(staff, ensure_ascii=False)


def test_the_list_filters_by_state_kind_community_grid_and_mine(district):
    w = wish_world(district)
    rice = claimed(w, post(w, title="一袋大米"))
    glasses = post(w, title="老花镜", category="health")
    elders = post(w, actor=w.social_worker, beneficiary=w.elder, title="助听器维修", category="health")
    member = api(w.members[0])
    assert ids(member.get("/api/v1/wishes/", {"state": "claimed"})) == {rice.pk}
    assert ids(member.get("/api/v1/wishes/", {"category": "health"})) == {glasses.pk, elders.pk}
    assert ids(member.get("/api/v1/wishes/", {"community": district.community1.pk})) == {
        rice.pk,
        glasses.pk,
        elders.pk,
    }
    assert ids(member.get("/api/v1/wishes/", {"grid": district.grid1.pk})) == {rice.pk, glasses.pk, elders.pk}
    assert ids(member.get("/api/v1/wishes/", {"mine": "true"})) == {rice.pk}
    assert ids(api(district.resident_user).get("/api/v1/wishes/", {"mine": "true"})) == {rice.pk, glasses.pk}
    assert ids(api(w.social_worker).get("/api/v1/wishes/", {"mine": "true"})) == {elders.pk}
    assert ids(api(district.secretary3).get("/api/v1/wishes/")) == set()
    assert ids(api(make_user("stranger")).get("/api/v1/wishes/")) == set()


def test_the_list_costs_the_same_queries_for_3_or_20_wishes(district):
    w = wish_world(district)
    for n in range(3):
        claimed(w, post(w, title=f"心愿{n}"), member=w.members[n % 3])
    client = api(w.members[0])
    client.get("/api/v1/wishes/")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/wishes/").json()["count"] == 3
    for n in range(3, 20):
        post(w, actor=w.social_worker, beneficiary=w.elder, title=f"心愿{n}", group_size=2)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/api/v1/wishes/").json()["count"] == 20
    assert len(many) == len(few)


def test_cancel_through_the_api(district):
    w = wish_world(district)
    wish = claimed(w)
    url = f"/api/v1/wishes/{wish.pk}/cancel/"
    assert_error(api(district.resident_user).post(url, {"reason": ""}, format="json"), 400)
    assert_error(api(w.members[0]).post(url, {"reason": "不要了"}, format="json"), 403, "not_wish_owner")
    done = api(district.resident_user).post(url, {"reason": "子女已买好"}, format="json")
    assert done.status_code == 200 and done.json()["state"] == "cancelled"
    assert_error(
        api(district.resident_user).post(url, {"reason": "再取消"}, format="json"), 409, "wish_cancelled"
    )


def test_the_schema_still_generates_and_documents_the_wish_steps(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert set(paths["/api/v1/wishes/"]) >= {"get", "post"}
    for step in ("claim", "fulfil", "confirm", "cancel"):
        assert "post" in paths[f"/api/v1/wishes/{{id}}/{step}/"]
    fulfil = paths["/api/v1/wishes/{id}/fulfil/"]["post"]
    assert "multipart/form-data" in fulfil["requestBody"]["content"]
    assert "409" in paths["/api/v1/wishes/{id}/claim/"]["post"]["responses"]
