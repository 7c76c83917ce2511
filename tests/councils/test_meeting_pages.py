"""The convener's meeting and motion pages: scheduling a meeting with its agenda, the minutes after
it started, their approval onto the public record, cancelling; drafting a motion with its rule, then
opening and closing its vote with the step buttons — every change through the services, refusals
shown with their status and nothing changed, the meeting list at fixed queries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import Entry
from community.models import Role
from councils import services
from councils.models import AgendaItem, Issue, Meeting, MeetingState, Motion
from councils.voting import Outcome, Threshold
from councils.workflow import MotionState, Track
from tests.councils.support import council_world, motion
from tests.councils.test_pages import same_queries, signed_in
from tests.factories import make_user

pytestmark = pytest.mark.django_db

INVALID = "Please correct what is marked below. Nothing was changed."


def local(moment) -> str:
    """A time as a phone's datetime-local input sends it."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def big_issue(w, title="3幢外墙脱落") -> Issue:
    issue = services.issue_raise(
        actor=w.d.resident_user,
        council=w.council,
        category="safety",
        title=title,
        description="外墙瓷砖脱落，有安全隐患。",
    )
    return services.issue_triage(actor=w.d.convener1, issue=issue, track=Track.BIG)


def schedule(w, issues=(), **fields) -> Meeting:
    return services.meeting_schedule(
        actor=w.d.convener1,
        council=w.council,
        title=fields.pop("title", "第三季度议事会"),
        starts_at=fields.pop("starts_at", timezone.now() + timedelta(days=5)),
        place=fields.pop("place", "越都花园党群议事角"),
        issues=list(issues),
        **fields,
    )


def started(meeting: Meeting) -> Meeting:
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - timedelta(hours=2))
    return Meeting.objects.get(pk=meeting.pk)


def meeting_fields(w, issue=None, **fields) -> dict:
    return {
        "council": w.council.pk,
        "title": "第三季度议事会",
        "starts_at": local(timezone.now() + timedelta(days=3)),
        "place": "越都花园党群议事角",
        **({"agenda": [issue.pk]} if issue else {}),
        **fields,
    }


# --- Scheduling -----------------------------------------------------------------------------------


def test_the_convener_schedules_a_meeting_with_an_issue_on_the_agenda(district):
    w = council_world(district)
    issue = big_issue(w)
    client = signed_in(district.convener1, english=True)
    form = client.get(f"/councils/meetings/new/?issue={issue.pk}")
    assert form.status_code == 200
    assert form.context["form"]["council"].value() == w.council.pk
    assert form.context["form"]["agenda"].value() == [issue.pk]
    assert 'type="datetime-local"' in form.content.decode()

    response = client.post("/councils/meetings/new/", meeting_fields(w, issue, online="on"))

    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/councils/meetings/{meeting.pk}/"
    assert (meeting.council, meeting.state, meeting.online, meeting.created_by) == (
        w.council,
        MeetingState.SCHEDULED,
        True,
        district.convener1,
    )
    assert list(AgendaItem.objects.values_list("meeting", "issue", "position")) == [(meeting.pk, issue.pk, 1)]
    page = client.get(response["Location"]).content.decode()
    assert f'href="/councils/issues/{issue.pk}/"' in page
    assert f'href="/councils/motions/new/?issue={issue.pk}"' in page
    assert 'data-testid="record-form"' not in page  # not before it starts


def test_a_start_in_the_past_or_a_missing_title_schedules_nothing(district):
    w = council_world(district)
    issue = big_issue(w)
    client = signed_in(district.convener1, english=True)

    past = client.post(
        "/councils/meetings/new/",
        meeting_fields(w, issue, starts_at=local(timezone.now() - timedelta(hours=1))),
    )
    untitled = client.post("/councils/meetings/new/", meeting_fields(w, issue, title=""))
    nowhere = client.post("/councils/meetings/new/", meeting_fields(w, issue, place=""))

    assert past.status_code == 400
    assert "A meeting is scheduled for a time still to come." in past.content.decode()
    assert untitled.status_code == 400 and INVALID in untitled.content.decode()
    assert nowhere.status_code == 400
    assert "Say where the meeting is held, or that it is online." in nowhere.content.decode()
    assert Meeting.objects.count() == 0 and AgendaItem.objects.count() == 0


def test_an_issue_not_awaiting_the_council_cannot_go_on_the_agenda(district):
    w = council_world(district)
    small = services.issue_raise(
        actor=district.resident_user, council=w.council, category="other", title="小事", description="说明"
    )
    services.issue_triage(actor=district.convener1, issue=small, track=Track.SMALL)
    client = signed_in(district.convener1, english=True)
    assert small not in client.get("/councils/meetings/new/").context["form"].fields["agenda"].queryset

    response = client.post("/councils/meetings/new/", meeting_fields(w, small))

    assert response.status_code == 400 and INVALID in response.content.decode()
    assert Meeting.objects.count() == 0


def test_a_resident_may_not_schedule_meetings_or_draft_motions(district):
    w = council_world(district)
    issue = big_issue(w)
    resident = signed_in(district.resident_user)
    assert resident.get("/councils/meetings/new/").status_code == 403
    assert resident.post("/councils/meetings/new/", meeting_fields(w, issue)).status_code == 403
    assert resident.get("/councils/motions/new/").status_code == 403
    assert signed_in(district.secretary3).get("/councils/meetings/new/").status_code == 403
    assert Meeting.objects.count() == 0
    signed_out = Client().get("/councils/meetings/new/")
    assert signed_out.status_code == 302 and signed_out["Location"].startswith("/accounts/login/")


# --- Minutes, approval, cancelling ----------------------------------------------------------------


def test_the_minutes_are_recorded_after_the_start_then_approved_onto_the_record(district):
    w = council_world(district)
    issue = big_issue(w)
    meeting = schedule(w, [issue])
    url = f"/councils/meetings/{meeting.pk}/"
    convener = signed_in(district.convener1, english=True)
    record = {"step": "record", "attendees": [s.pk for s in w.seats[:4]], "minutes": "讨论外墙维修方案。"}

    too_early = convener.post(url, record)
    assert too_early.status_code == 409
    assert "The meeting has not taken place yet." in too_early.content.decode()
    assert Meeting.objects.get().state == MeetingState.SCHEDULED

    started(meeting)
    page = convener.get(url)
    assert 'data-testid="record-form"' in page.content.decode()
    labels = [label for _pk, label in page.context["record_form"].fields["attendees"].choices]
    assert labels[0] == "周志明 · Compound Party branch" and len(labels) == 6
    assert convener.post(url, {**record, "minutes": ""}).status_code == 400

    response = convener.post(url, {**record, "decisions": "由物业牵头，两周内排查。"})

    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.HELD and meeting.decisions == "由物业牵头，两周内排查。"
    assert set(meeting.attendees.all()) == set(w.seats[:4])
    worker = signed_in(make_user("worker1", Role.SOCIAL_WORKER, area=district.community1), english=True)
    assert "讨论外墙维修方案" not in worker.get(url).content.decode()  # not before approval

    assert convener.post(url, {"step": "approve", "summary": ""}).status_code == 400
    approved = convener.post(url, {"step": "approve", "summary": "议定外墙维修由物业牵头。"})

    assert approved.status_code == 302
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.APPROVED and meeting.approved_at is not None
    entry = Entry.objects.get(kind="councils.meeting_approved")
    assert entry.subject == f"councils.Meeting:{meeting.pk}" and entry.payload["attendees"] == 4
    public = worker.get(url)
    assert public.status_code == 200 and "convener-steps" not in public.content.decode()
    for text in ("议定外墙维修由物业牵头。", "讨论外墙维修方案。", "由物业牵头，两周内排查。", "郑秀兰"):
        assert text in public.content.decode()
    again = convener.post(url, {"step": "approve", "summary": "再次审定"})
    assert again.status_code == 409 and Meeting.objects.get().summary == "议定外墙维修由物业牵头。"


def test_a_scheduled_meeting_is_cancelled_with_a_reason_and_strangers_see_nothing(district):
    w = council_world(district)
    meeting = schedule(w)
    url = f"/councils/meetings/{meeting.pk}/"
    convener = signed_in(district.convener1, english=True)
    assert signed_in(district.secretary3).get(url).status_code == 404
    assert signed_in(district.resident_user).get(url).status_code == 404
    assert convener.post(url, {"step": "cancel", "reason": ""}).status_code == 400
    assert convener.post(url, {"step": "adjourn"}).status_code == 400
    assert Meeting.objects.get().state == MeetingState.SCHEDULED

    response = convener.post(url, {"step": "cancel", "reason": "台风预警，改期另行通知。"})

    assert response.status_code == 302
    assert Meeting.objects.get().state == MeetingState.CANCELLED
    page = convener.get(url).content.decode()
    assert "台风预警" in page and 'data-testid="convener-steps"' not in page


def test_the_meeting_list_costs_the_same_queries_for_two_or_twenty(district):
    w = council_world(district)
    issue = big_issue(w)
    for n in range(2):
        schedule(w, [issue] if n == 0 else [], title=f"议事会{n}")
    client = signed_in(district.convener1)

    same_queries(
        client,
        "/councils/meetings/",
        lambda: [
            schedule(w, title=f"议事会{n}", starts_at=timezone.now() + timedelta(days=n))
            for n in range(2, 20)
        ],
    )

    response = client.get("/councils/meetings/")
    meetings = list(response.context["meetings"])
    assert len(meetings) == 20 and response.context["can_schedule"]
    assert meetings == list(Meeting.objects.order_by("-starts_at", "-pk"))
    assert 'data-testid="schedule-meeting"' in response.content.decode()
    resident = signed_in(district.resident_user).get("/councils/meetings/")
    assert resident.status_code == 200 and not resident.context["can_schedule"]
    assert len(resident.context["meetings"]) == 0
    assert len(signed_in(district.secretary3).get("/councils/meetings/").context["meetings"]) == 0
    assert (
        'data-testid="meetings-link"'
        in signed_in(district.resident_user).get("/councils/issues/").content.decode()
    )


# --- Motions --------------------------------------------------------------------------------------


def motion_fields(w, **fields) -> dict:
    now = timezone.now()
    return {
        "council": w.council.pk,
        "title": "是否在3幢东侧增设电动车充电桩",
        "description": "物业报价两万元，由维修资金支付。",
        "options": "赞成\r\n反对\r\n\r\n",
        "quorum": "50",
        "threshold": Threshold.TWO_THIRDS,
        "secret": "on",
        "opens_at": local(now - timedelta(minutes=1)),
        "closes_at": local(now + timedelta(days=3)),
        **fields,
    }


def test_the_convener_drafts_a_motion_on_the_page(district):
    w = council_world(district)
    issue = big_issue(w)
    client = signed_in(district.convener1, english=True)
    form = client.get(f"/councils/motions/new/?issue={issue.pk}")
    assert form.status_code == 200
    assert (form.context["form"]["council"].value(), form.context["form"]["issue"].value()) == (
        w.council.pk,
        issue.pk,
    )

    response = client.post("/councils/motions/new/", motion_fields(w, issue=issue.pk))

    m = Motion.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/councils/motions/{m.pk}/"
    assert (m.council, m.issue, m.state, m.created_by) == (
        w.council,
        issue,
        MotionState.DRAFT,
        district.convener1,
    )
    assert (m.options, m.quorum, m.threshold) == (["赞成", "反对"], Decimal("0.500"), Threshold.TWO_THIRDS)
    assert (m.secret, m.changeable) == (True, False)
    assert m.closes_at - m.opens_at == timedelta(days=3, minutes=1)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"options": "赞成"}, INVALID),
        ({"options": "\n".join(f"方案{n}" for n in range(11))}, INVALID),
        ({"quorum": "0"}, INVALID),
        ({"quorum": "101"}, INVALID),
        ({"threshold": "unanimous"}, INVALID),
        ({"options": "赞成\n赞成"}, "Two options say the same thing."),
        ({"closes_at": "2020-01-01T08:00"}, "Voting must close after it opens."),
    ],
)
def test_a_motion_with_a_bad_rule_is_not_drafted(district, fields, message):
    w = council_world(district)
    response = signed_in(district.convener1, english=True).post(
        "/councils/motions/new/", motion_fields(w, **fields)
    )
    assert response.status_code == 400 and message in response.content.decode()
    assert Motion.objects.count() == 0


def test_the_convener_opens_and_closes_the_vote_with_the_step_buttons(district):
    w = council_world(district)
    m = motion(w)
    convener = signed_in(district.convener1, english=True)
    page, step = f"/councils/motions/{m.pk}/", f"/councils/motions/{m.pk}/step/"
    html = convener.get(page).content.decode()
    assert 'data-testid="motion-open"' in html and 'data-testid="motion-close"' not in html
    assert 'data-testid="motion-open"' not in signed_in(w.voters[0]).get(page).content.decode()
    assert signed_in(w.voters[0]).post(step, {"step": "open"}).status_code == 403
    assert signed_in(district.resident_user).post(step, {"step": "open"}).status_code == 404
    assert convener.post(step, {"step": "fly"}).status_code == 400
    assert convener.get(step).status_code == 405

    opened = convener.post(step, {"step": "open"})

    assert opened.status_code == 302 and opened["Location"] == page
    m.refresh_from_db()
    assert m.state == MotionState.OPEN and m.rule_hash
    assert 'data-testid="motion-close"' in convener.get(page).content.decode()
    for user, option in zip(w.voters[:3], [0, 0, 1], strict=True):
        services.vote_cast(actor=user, motion=m, option=option)

    early = convener.post(step, {"step": "close"})

    assert early.status_code == 409
    assert "Voting closes at the end of its window, not before." in early.content.decode()
    assert Motion.objects.get().state == MotionState.OPEN

    Motion.objects.filter(pk=m.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    closed = convener.post(step, {"step": "close"})

    assert closed.status_code == 302
    m.refresh_from_db()
    assert (m.state, m.outcome) == (MotionState.CLOSED, Outcome.PASSED)
    assert m.result["counts"] == [2, 1]
    assert Entry.objects.filter(kind="councils.motion_closed", subject=f"councils.Motion:{m.pk}").exists()
    assert 'data-testid="convener-steps"' not in convener.get(page).content.decode()


def test_a_big_issues_page_links_the_convener_to_a_meeting_and_a_motion_for_it(district):
    w = council_world(district)
    issue = big_issue(w)
    page = signed_in(district.convener1).get(f"/councils/issues/{issue.pk}/").content.decode()
    assert (
        f"/councils/meetings/new/?issue={issue.pk}" in page
        and f"/councils/motions/new/?issue={issue.pk}" in page
    )
    resident_page = signed_in(district.resident_user).get(f"/councils/issues/{issue.pk}/").content.decode()
    assert "/councils/meetings/new/" not in resident_page
