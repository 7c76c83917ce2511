"""The service-order API: order, dispatch, accept, grab, release, finish with photos, rate and cancel
with one POST per step; JSON errors that change nothing; the address masked in JSON to all but those
who must call; a list whose query count does not grow; the OpenAPI document still generates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from tests.api.helpers import assert_error
from tests.volunteers.test_orders_support import (
    done,
    grabbed,
    order_awards,
    order_world,
    photo,
    place,
    pooled,
    snapshot,
)
from volunteers.models import OrderPhoto, ServiceOrder
from volunteers.services import orders as services

pytestmark = pytest.mark.django_db

ADDRESS = "越都花园3幢2单元501"
PHONE = "13912345678"
URL = "/api/v1/service-orders/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def w(district):
    return order_world(district)


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def body(**fields) -> dict:
    start = timezone.now() + timedelta(days=1)
    return {
        "field": "repair",
        "description": "洗衣机不脱水",
        "window_start": start.isoformat(),
        "window_end": (start + timedelta(hours=2)).isoformat(),
        **fields,
    }


def step(user, order, verb, data=None, **kwargs):
    return api(user).post(f"{URL}{order.pk}/{verb}/", data or {}, **kwargs)


# --- Ordering -------------------------------------------------------------------------------------------


def test_a_resident_orders_and_sees_their_own_address_in_full(w):
    response = api(w.resident).post(URL, body(address=ADDRESS, contact_phone=PHONE), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert (
        data["state"] == "ordered" and data["community"] == w.d.community1.pk and data["grid"] == w.d.grid1.pk
    )
    assert (data["address"], data["contact_phone"], data["contact_visible"]) == (ADDRESS, PHONE, True)
    assert [e["step"] for e in data["events"]] == ["order"]
    listed = api(w.resident).get(URL, {"mine": "ordered"}).json()
    assert [row["id"] for row in listed["results"]] == [data["id"]]


def test_ordering_in_another_community_is_refused_and_nothing_is_created(w):
    response = api(w.resident).post(URL, body(community=w.d.community3.pk), format="json")
    assert_error(response, 403, "not_your_community")
    assert not ServiceOrder.objects.exists()


def test_a_window_ending_before_it_starts_is_refused(w):
    start = timezone.now() + timedelta(days=1)
    response = api(w.resident).post(
        URL,
        body(window_start=start.isoformat(), window_end=(start - timedelta(hours=1)).isoformat()),
        format="json",
    )
    error = assert_error(response, 400, "invalid_window")
    assert "window_end" in error["errors"]
    assert not ServiceOrder.objects.exists()


def test_a_social_worker_orders_for_a_resident(w):
    response = api(w.social_worker).post(URL, body(for_person=w.d.resident.pk), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["ordered_for_resident"] is True
    order = ServiceOrder.objects.get()
    assert order.resident == w.d.resident and order.ordered_by == w.social_worker


# --- The loop --------------------------------------------------------------------------------------------


def test_dispatch_accept_start_finish_with_photos_and_rate(w):
    order = place(w)
    member = w.members[1]

    response = step(w.d.secretary1, order, "dispatch", {"member": member.pk}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "assigned" and response.json()["member"] == member.pk
    assert step(member, order, "accept").json()["state"] == "accepted"
    assert step(member, order, "start").json()["state"] == "started"
    finished = step(
        member, order, "finish", {"note": "修好了", "photos": [photo(), photo("b.png")]}, format="multipart"
    )
    assert finished.status_code == 200, finished.content
    assert finished.json()["state"] == "done" and len(finished.json()["photos"]) == 2
    rated = step(w.resident, order, "rate", {"stars": 5, "comment": "谢谢"}, format="json")
    assert rated.status_code == 200 and rated.json()["stars"] == 5
    assert [e["step"] for e in rated.json()["events"]] == [
        "order",
        "dispatch",
        "accept",
        "start",
        "finish",
        "rate",
    ]
    assert order_awards().count() == 1


def test_decline_release_and_cancel(w):
    member = w.members[1]
    order = place(w)
    step(w.d.secretary1, order, "dispatch", {"member": member.pk}, format="json")
    assert step(member, order, "decline", {"reason": "出差"}, format="json").json()["state"] == "ordered"
    assert step(w.d.secretary1, order, "pool").json()["state"] == "pooled"
    assert step(member, order, "grab").json()["state"] == "accepted"
    assert step(member, order, "release").json()["state"] == "pooled"
    assert (
        step(w.resident, order, "cancel", {"reason": "不需要了"}, format="json").json()["state"]
        == "cancelled"
    )


def test_dispatching_to_someone_not_reported_here_is_refused(w):
    order = place(w)
    before = snapshot(order)
    assert_error(
        step(w.d.secretary1, order, "dispatch", {"member": w.outsider.pk}, format="json"),
        400,
        "member_not_reported",
    )
    assert_error(step(w.d.secretary1, order, "dispatch", {"member": 999999}, format="json"), 400, "invalid")
    assert_error(step(w.members[0], order, "dispatch", {"member": w.members[1].pk}, format="json"), 403)
    assert snapshot(order) == before


def test_grabbing_an_order_already_taken_is_409(w):
    order = pooled(w)
    assert step(w.members[1], order, "grab").status_code == 200
    before = snapshot(order)
    error = assert_error(step(w.members[2], order, "grab"), 409, "order_taken")
    assert error["detail"] == "This order has already been taken by another member."
    assert snapshot(order) == before


def test_a_member_acting_on_an_order_not_theirs_is_refused(w):
    order = services.order_dispatch(actor=w.d.secretary1, order=place(w), member=w.members[1])
    before = snapshot(order)
    for verb in ("accept", "decline", "start", "release"):
        assert_error(step(w.members[2], order, verb), 403, "not_your_order")
        assert_error(step(w.outsider, order, verb), 404)
    assert_error(
        step(w.members[2], order, "finish", {"note": "x", "photos": [photo()]}, format="multipart"), 403
    )
    assert_error(step(w.outsider, order, "grab"), 404)
    assert snapshot(order) == before


def test_rating_twice_or_someone_elses_order_is_refused(w):
    order = done(w)
    assert step(w.resident, order, "rate", {"stars": 4}, format="json").status_code == 200
    before = snapshot(order)
    assert_error(step(w.resident, order, "rate", {"stars": 4}, format="json"), 409, "order_rated")
    assert_error(step(w.members[1], order, "rate", {"stars": 5}, format="json"), 403, "not_your_order")
    assert_error(step(w.outsider, order, "rate", {"stars": 5}, format="json"), 404)
    assert_error(step(w.resident, order, "rate", {"stars": 9}, format="json"), 400)
    assert snapshot(order) == before and order_awards().count() == 1


@pytest.mark.parametrize(
    ("upload", "code"),
    [
        (lambda: photo("fake.jpg", b"this is text pretending to be a picture", "image/jpeg"), "photo_type"),
        (
            lambda: photo("big.jpg", b"\xff\xd8\xff\xe0" + b"\0" * (8 * 1024 * 1024), "image/jpeg"),
            "photo_too_large",
        ),
    ],
    ids=["text-as-jpg", "too-large"],
)
def test_a_bad_photo_is_refused_and_nothing_is_saved(w, upload, code):
    order = grabbed(w, w.members[1])
    before = snapshot(order)
    response = step(
        w.members[1], order, "finish", {"note": "做好了", "photos": [upload()]}, format="multipart"
    )
    error = assert_error(response, 400, code)
    assert "photos" in error["errors"]
    assert snapshot(order) == before and not OrderPhoto.objects.exists()


def test_finishing_without_a_photo_is_refused(w):
    order = grabbed(w, w.members[1])
    before = snapshot(order)
    assert_error(
        step(w.members[1], order, "finish", {"note": "做好了"}, format="multipart"), 400, "photos_required"
    )
    assert snapshot(order) == before


# --- The address in JSON ------------------------------------------------------------------------------------


def test_the_full_address_is_in_the_json_only_for_those_who_must_call(w):
    order = pooled(w, place(w, address=ADDRESS, contact_phone=PHONE))

    def seen(user) -> str:
        return api(user).get(f"{URL}{order.pk}/").content.decode()

    def listed(user) -> str:
        return api(user).get(URL).content.decode()

    for user in (w.members[1], w.members[2]):  # members of the community looking at the pool
        for text in (seen(user), listed(user)):
            assert "3幢2单元501" not in text and PHONE not in text
        assert api(user).get(f"{URL}{order.pk}/").json()["address"] == "越都花园3幢****"
    assert "李**" in seen(w.members[2])
    assert_error(api(w.outsider).get(f"{URL}{order.pk}/"), 404)
    assert "3幢2单元501" not in listed(w.outsider) and api(w.outsider).get(URL).json()["count"] == 0
    for user in (w.resident, w.d.secretary1, w.social_worker, w.d.street_admin):
        assert ADDRESS in seen(user) and PHONE in seen(user)

    services.order_grab(actor=w.members[1], order=order)
    assert ADDRESS in seen(w.members[1]) and ADDRESS in listed(w.members[1])
    assert_error(api(w.members[2]).get(f"{URL}{order.pk}/"), 404)
    assert ADDRESS not in listed(w.members[2])


def test_a_dispatched_member_sees_the_address_only_once_accepted(w):
    order = services.order_dispatch(
        actor=w.d.secretary1, order=place(w, address=ADDRESS, contact_phone=PHONE), member=w.members[1]
    )
    data = api(w.members[1]).get(f"{URL}{order.pk}/").json()
    assert (
        data["address"] == "越都花园3幢****"
        and data["contact_phone"] == "139****5678"
        and not data["contact_visible"]
    )
    data = step(w.members[1], order, "accept").json()
    assert data["address"] == ADDRESS and data["contact_phone"] == PHONE and data["contact_visible"]


# --- Lists, filters and the schema --------------------------------------------------------------------------


def test_the_list_filters_by_state_field_community_grid_and_mine(w):
    repair = place(w)
    legal = pooled(w, place(w, field="legal", description="遗嘱咨询"))
    held = grabbed(w, w.members[1])
    client = api(w.d.secretary1)

    def ids(**query):
        response = client.get(URL, query)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids() == {repair.pk, legal.pk, held.pk}
    assert ids(state="pooled") == {legal.pk}
    assert ids(state="open") == {repair.pk, legal.pk, held.pk}
    assert ids(field="legal") == {legal.pk}
    assert ids(community=w.d.community1.pk) == {repair.pk, legal.pk, held.pk}
    assert ids(community=w.d.community3.pk) == set()
    assert ids(grid=w.d.grid1.pk) == {repair.pk, legal.pk, held.pk}
    assert ids(mine="ordered") == set()
    member_ids = {row["id"] for row in api(w.members[1]).get(URL, {"mine": "held"}).json()["results"]}
    assert member_ids == {held.pk}
    assert_error(client.get(URL, {"state": "nonsense"}), 400)


def test_the_list_costs_the_same_queries_for_3_or_20_orders(w):
    for _n in range(3):
        done(w)
    client = api(w.d.secretary1)
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for n in range(17):
        order = place(w, description=f"订单{n}")
        if n % 2:
            grabbed(w, order=order)
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)
    assert response.json()["count"] == 20
    assert len(many) == len(few)


def test_the_pool_list_costs_the_same_queries_for_a_member(w):
    for _n in range(3):
        pooled(w)
    client = api(w.members[1])
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for _n in range(17):
        pooled(w)
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)
    assert response.json()["count"] == 20
    assert len(many) == len(few)


def test_the_schema_generates_with_the_orders_steps(w):
    response = api(w.d.district_admin).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for verb in (
        "dispatch",
        "pool",
        "accept",
        "decline",
        "grab",
        "release",
        "start",
        "finish",
        "rate",
        "cancel",
    ):
        assert f"/api/v1/service-orders/{{id}}/{verb}/" in paths
    assert (
        "multipart/form-data"
        in paths["/api/v1/service-orders/{id}/finish/"]["post"]["requestBody"]["content"]
    )
    assert api(w.resident).get("/api/schema/").status_code == 200


def test_an_order_that_does_not_exist_is_a_json_404(w):
    assert_error(api(w.resident).get(f"{URL}999999/"), 404)
    assert_error(api(w.resident).post(f"{URL}abc/grab/"), 404)
    assert ServiceOrder.objects.count() == 0
