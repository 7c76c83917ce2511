"""The councils' API beyond votes: meetings, discussion, satisfaction, crowdfunding and tasks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from councils import services
from councils.models import Campaign, Meeting, Post
from councils.workflow import Track
from tests.api.helpers import assert_error
from tests.councils.support import council_world
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def issue_in(w, track):
    issue = services.issue_raise(
        actor=w.d.resident_user,
        council=w.council,
        category="facilities",
        title="东门道闸故障",
        description="道闸经常抬不起来。",
    )
    return services.issue_triage(actor=w.d.convener1, issue=issue, track=track)


def test_a_meeting_scheduled_recorded_and_approved_through_the_api(district):
    w = council_world(district)
    issue = issue_in(w, Track.BIG)
    convener = api(district.convener1)
    scheduled = convener.post(
        "/api/v1/council-meetings/",
        {
            "council": w.council.pk,
            "title": "道闸更换议事会",
            "starts_at": (timezone.now() + timedelta(days=3)).isoformat(),
            "place": "物业会议室",
            "issues": [issue.pk],
        },
        format="json",
    )
    assert scheduled.status_code == 201, scheduled.content
    meeting_id = scheduled.json()["id"]
    assert scheduled.json()["agenda"] == [issue.pk]
    minutes = {"attendees": [s.pk for s in w.seats[:3]], "minutes": "讨论道闸更换方案。"}
    assert_error(convener.post(f"/api/v1/council-meetings/{meeting_id}/record/", minutes, format="json"), 409)
    Meeting.objects.filter(pk=meeting_id).update(starts_at=timezone.now() - timedelta(hours=1))
    recorded = convener.post(f"/api/v1/council-meetings/{meeting_id}/record/", minutes, format="json")
    assert recorded.status_code == 200 and recorded.json()["attendees"] == 3
    approved = convener.post(
        f"/api/v1/council-meetings/{meeting_id}/approve/", {"summary": "同意更换道闸。"}, format="json"
    )
    assert approved.json()["state"] == "approved"
    assert_error(
        api(district.resident_user).post(
            f"/api/v1/council-meetings/{meeting_id}/approve/", {"summary": "x"}, format="json"
        ),
        404,
    )


def test_residents_of_the_community_read_and_discuss_its_issues_and_hidden_posts_stay_hidden(district):
    w = council_world(district)
    issue = issue_in(w, Track.BIG)
    neighbour = api(w.voters[0])
    assert neighbour.get(f"/api/v1/issues/{issue.pk}/").status_code == 200  # not theirs, same community
    posted = neighbour.post(
        f"/api/v1/issues/{issue.pk}/posts/", {"body": "支持更换，建议加装人脸识别。"}, format="json"
    )
    assert posted.status_code == 201
    services.post_hide(actor=district.convener1, post=Post.objects.get(), reason="与议题无关")
    listed = neighbour.get(f"/api/v1/issues/{issue.pk}/posts/").json()
    assert listed[0]["hidden"] is True and listed[0]["body"] == ""
    assert_error(api(make_user("stranger")).get(f"/api/v1/issues/{issue.pk}/"), 404)
    assert_error(neighbour.post(f"/api/v1/issues/{issue.pk}/posts/", {"body": ""}, format="json"), 400)


def test_rating_a_resolution_through_the_api_once(district):
    w = council_world(district)
    issue = issue_in(w, Track.SMALL)
    client = api(district.resident_user)
    assert_error(client.post(f"/api/v1/issues/{issue.pk}/rate/", {"rating": "satisfied"}, format="json"), 409)
    services.issue_advance(actor=district.convener1, issue=issue, step="resolve")
    rated = client.post(f"/api/v1/issues/{issue.pk}/rate/", {"rating": "satisfied"}, format="json")
    assert rated.status_code == 201 and rated.json() == {"rating": "satisfied", "round": 1}
    assert_error(client.post(f"/api/v1/issues/{issue.pk}/rate/", {"rating": "basic"}, format="json"), 409)


def test_a_campaign_pledged_to_and_given_through_the_api_with_progress(district):
    w = council_world(district)
    issue = issue_in(w, Track.SMALL)
    created = api(district.convener1).post(
        "/api/v1/campaigns/",
        {
            "issue": issue.pk,
            "title": "道闸更换众筹",
            "money_goal": 5000,
            "hours_goal": 10,
            "closes_on": (timezone.localdate() + timedelta(days=10)).isoformat(),
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    campaign_id = created.json()["id"]
    resident = api(district.resident_user)
    pledged = resident.post(
        f"/api/v1/campaigns/{campaign_id}/pledge/", {"kind": "money", "amount": 300}, format="json"
    )
    assert pledged.status_code == 201, pledged.content
    assert_error(
        resident.post(f"/api/v1/campaigns/{campaign_id}/pledge/", {"kind": "labour"}, format="json"), 400
    )
    fulfil = api(district.convener1).post(f"/api/v1/pledges/{pledged.json()['id']}/fulfil/")
    assert fulfil.status_code == 200 and fulfil.json()["fulfilled_at"]
    progress = resident.get(f"/api/v1/campaigns/{campaign_id}/").json()["progress"]
    assert progress == {"money_pledged": 300, "money_given": 300, "hours_pledged": 0, "hours_given": 0}


def test_the_campaign_list_costs_the_same_queries_for_few_or_many(district):
    w = council_world(district)
    issue = issue_in(w, Track.SMALL)

    def open_some(n):
        for k in range(n):
            services.campaign_open(
                actor=None, issue=issue, title=f"众筹{k}", money_goal=100, closes_on=timezone.localdate()
            )

    open_some(2)
    client = api(district.convener1)
    client.get("/api/v1/campaigns/")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/campaigns/")
    open_some(15)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/api/v1/campaigns/").json()["count"] == 17
    assert len(many) == len(few)
    assert Campaign.objects.count() == 17


def test_tasks_through_the_api(district):
    w = council_world(district)
    issue = issue_in(w, Track.SMALL)
    convener = api(district.convener1)
    task = convener.post(
        "/api/v1/council-tasks/",
        {
            "issue": issue.pk,
            "title": "联系厂家维修",
            "owner": "物业公司",
            "due_on": timezone.localdate().isoformat(),
        },
        format="json",
    )
    assert task.status_code == 201, task.content
    done = convener.post(
        f"/api/v1/council-tasks/{task.json()['id']}/report/", {"note": "已修好", "done": True}, format="json"
    )
    assert done.status_code == 200 and done.json()["done_at"]
    assert_error(
        convener.post(f"/api/v1/council-tasks/{task.json()['id']}/report/", {"note": "再报"}, format="json"),
        409,
    )
