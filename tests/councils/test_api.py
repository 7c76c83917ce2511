"""The councils' API: raise and follow an issue, triage it, draft, open, vote on and close a motion;
JSON errors that change nothing; lists whose query count does not grow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from councils.models import Ballot, Issue, Motion
from tests.api.helpers import assert_error
from tests.councils.support import council_world
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


ISSUE = {
    "category": "parking",
    "title": "小区门口乱停车",
    "description": "早晚高峰小区门口车辆乱停，消防车进不来。",
}


def test_a_resident_raises_and_follows_an_issue_and_the_convener_triages_it(district):
    council_world(district)
    resident = api(district.resident_user)
    raised = resident.post("/api/v1/issues/", ISSUE, format="json")
    assert raised.status_code == 201, raised.content
    body = raised.json()
    assert body["state"] == "raised" and [e["step"] for e in body["events"]] == ["raise"]

    triaged = api(district.convener1).post(
        f"/api/v1/issues/{body['id']}/triage/", {"track": "big"}, format="json"
    )
    assert triaged.status_code == 200 and triaged.json()["state"] == "on_agenda"
    again = api(district.convener1).post(
        f"/api/v1/issues/{body['id']}/triage/", {"track": "small"}, format="json"
    )
    assert_error(again, 409, "on_agenda")

    mine = resident.get(f"/api/v1/issues/{body['id']}/").json()
    assert [e["to_state"] for e in mine["events"]] == ["raised", "on_agenda"]
    assert [row["id"] for row in resident.get("/api/v1/issues/").json()["results"]] == [body["id"]]


def test_bad_input_gets_the_json_error_and_raises_nothing(district):
    council_world(district)
    client = api(district.resident_user)
    assert_error(client.post("/api/v1/issues/", {**ISSUE, "title": ""}, format="json"), 400)
    gif = SimpleUploadedFile("车.gif", b"GIF89a")
    assert_error(
        client.post("/api/v1/issues/", {**ISSUE, "photo": gif}, format="multipart"), 400, "photo_type"
    )
    homeless = make_user("visitor")
    assert_error(api(homeless).post("/api/v1/issues/", ISSUE, format="json"), 400, "no_council")
    assert not Issue.objects.exists()


def test_another_compounds_convener_gets_404(district):
    council_world(district)
    issue = api(district.resident_user).post("/api/v1/issues/", ISSUE, format="json").json()
    stranger = make_user("convener2", "council_convener", area=district.compound2)
    assert_error(
        api(stranger).post(f"/api/v1/issues/{issue['id']}/triage/", {"track": "small"}, format="json"), 404
    )
    assert Issue.objects.get().state == "raised"


def test_a_motion_from_draft_to_tally_through_the_api(district):
    w = council_world(district)
    now = timezone.now()
    convener = api(district.convener1)
    created = convener.post(
        "/api/v1/motions/",
        {
            "council": w.council.pk,
            "title": "是否更换小区门禁系统",
            "options": ["赞成", "反对"],
            "quorum": "0.6",
            "threshold": "two_thirds",
            "secret": True,
            "opens_at": (now - timedelta(minutes=1)).isoformat(),
            "closes_at": (now + timedelta(seconds=2)).isoformat(),
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    motion_id = created.json()["id"]
    assert convener.post(f"/api/v1/motions/{motion_id}/open/").status_code == 200
    assert_error(
        convener.post(f"/api/v1/motions/{motion_id}/change-rule/", {"quorum": "0.1"}, format="json"), 409
    )
    for user, option in zip(w.voters[:4], [0, 0, 0, 1], strict=True):
        response = api(user).post(f"/api/v1/motions/{motion_id}/vote/", {"option": option}, format="json")
        assert response.status_code == 200, response.content
    assert_error(
        api(w.voters[0]).post(f"/api/v1/motions/{motion_id}/vote/", {"option": 1}, format="json"), 409
    )
    assert_error(
        api(w.no_vote_user).post(f"/api/v1/motions/{motion_id}/vote/", {"option": 0}, format="json"), 403
    )
    receipt = api(w.voters[0]).get(f"/api/v1/motions/{motion_id}/receipt/").json()
    assert receipt["voted"] is True

    Motion.objects.filter(pk=motion_id).update(closes_at=timezone.now() - timedelta(seconds=1))
    closed = convener.post(f"/api/v1/motions/{motion_id}/close/")
    assert closed.status_code == 200
    result = closed.json()["result"]
    assert (
        closed.json()["outcome"] == "passed"
        and result["counts"] == [3, 1]
        and result["winner_share"] == "3/4"
    )
    assert receipt["token"] in {r["token"] for r in result["receipts"]}
    assert Ballot.objects.filter(seat__isnull=False).count() == 0  # secret


def test_the_issue_list_costs_the_same_queries_for_few_or_many(district):
    w = council_world(district)
    from councils import services

    def raise_some(n):
        for k in range(n):
            services.issue_raise(
                actor=district.resident_user,
                council=w.council,
                category="other",
                title=f"问题{k}",
                description="说明",
            )

    raise_some(2)
    client = api(district.convener1)
    client.get("/api/v1/issues/")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/issues/")
    raise_some(18)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/api/v1/issues/")
    assert len(response.json()["results"]) == 20
    assert len(many) == len(few)


def test_the_schema_has_the_councils_steps(district):
    paths = api(district.district_admin).get("/api/schema/", {"format": "json"}).json()["paths"]
    for path in (
        "/api/v1/issues/{id}/triage/",
        "/api/v1/issues/{id}/merge/",
        "/api/v1/motions/{id}/open/",
        "/api/v1/motions/{id}/vote/",
        "/api/v1/motions/{id}/close/",
        "/api/v1/councils/{id}/seats/",
    ):
        assert path in paths
