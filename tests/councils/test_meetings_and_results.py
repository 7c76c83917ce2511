"""Meetings (民议) with agenda, attendance (points once), minutes approved onto the public record;
discussion (云协商) moderated by the convener; residents rate a resolution (民评), an unsatisfied
majority reopens the issue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import Entry
from community import services as community_services
from core.exceptions import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from core.models import OutboxMessage
from councils import services
from councils.models import Meeting, MeetingState, Post, ResultRating
from councils.workflow import IssueState, Track
from tests.councils.support import council_world
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def big_issue(w, title="3幢外墙脱落"):
    issue = services.issue_raise(
        actor=w.d.resident_user,
        council=w.council,
        category="safety",
        title=title,
        description="外墙瓷砖脱落，有安全隐患。",
    )
    return services.issue_triage(actor=w.d.convener1, issue=issue, track=Track.BIG)


def schedule(w, issues, **fields):
    return services.meeting_schedule(
        actor=w.d.convener1,
        council=w.council,
        title=fields.pop("title", "第三季度议事会"),
        starts_at=fields.pop("starts_at", timezone.now() + timedelta(days=5)),
        place=fields.pop("place", "越都花园党群议事角"),
        issues=issues,
        **fields,
    )


def test_a_meeting_from_agenda_to_approved_minutes_on_the_public_record(district):
    w = council_world(district)
    issue = big_issue(w)
    meeting = schedule(w, [issue])
    assert list(meeting.agenda.all()) == [issue]
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - timedelta(hours=2))

    services.meeting_record(
        actor=district.convener1,
        meeting=meeting,
        attendees=w.seats[:4],
        minutes="与会代表讨论外墙维修方案，物业提出先行排查。",
        decisions="由物业牵头申请维修资金，两周内排查。",
    )
    with pytest.raises(InvalidTransition):
        services.meeting_record(actor=district.convener1, meeting=meeting, attendees=[], minutes="再记一次")
    services.meeting_approve(actor=district.convener1, meeting=meeting, summary="议定外墙维修由物业牵头。")

    meeting.refresh_from_db()
    assert meeting.state == MeetingState.APPROVED and meeting.attendees.count() == 4
    entry = Entry.objects.get(kind="councils.meeting_approved")
    assert entry.payload["attendees"] == 4 and entry.payload["agenda"] == [issue.pk]
    awards = OutboxMessage.objects.filter(task_name="points.award_for_event", args__0="meeting_attended")
    assert awards.count() == 4  # each attending seat holder with a login, once


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"title": ""}, "invalid_title"),
        ({"place": ""}, "no_place"),
        ({"starts_at": "past"}, "invalid_time"),
    ],
)
def test_a_bad_meeting_is_refused_and_nothing_scheduled(district, fields, code):
    w = council_world(district)
    if fields.get("starts_at") == "past":
        fields["starts_at"] = timezone.now() - timedelta(hours=1)
    with pytest.raises(ValidationFailed) as refused:
        schedule(w, [], **fields)
    assert refused.value.code == code
    assert not Meeting.objects.exists()


def test_only_issues_awaiting_the_council_go_on_the_agenda(district):
    w = council_world(district)
    small = services.issue_raise(
        actor=district.resident_user, council=w.council, category="other", title="小事", description="说明"
    )
    with pytest.raises(ValidationFailed) as refused:
        schedule(w, [small])
    assert refused.value.code == "invalid_agenda"
    with pytest.raises(ValidationFailed):
        issue = big_issue(w)
        schedule(w, [issue, issue])
    assert not Meeting.objects.exists()


def test_minutes_before_the_meeting_and_attendees_from_elsewhere_are_refused(district):
    w = council_world(district)
    meeting = schedule(w, [])
    with pytest.raises(InvalidTransition):
        services.meeting_record(actor=district.convener1, meeting=meeting, attendees=w.seats, minutes="纪要")
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - timedelta(hours=1))
    other = services.council_create(actor=None, compound=district.compound2)
    stranger = services.seat_add(
        actor=None,
        council=other,
        kind="resident_rep",
        person=community_services.person_create(actor=None, name="褚一鸣", community=district.community2),
        since=timezone.localdate(),
    )
    with pytest.raises(ValidationFailed):
        services.meeting_record(
            actor=district.convener1, meeting=meeting, attendees=[stranger], minutes="纪要"
        )
    assert Meeting.objects.get().state == MeetingState.SCHEDULED


def test_residents_discuss_and_the_convener_hides_a_post_with_a_reason(district):
    w = council_world(district)
    issue = big_issue(w)
    post = services.post_add(actor=district.resident_user, issue=issue, body="建议先拉警戒线，提醒居民绕行。")
    bad = services.post_add(actor=w.voters[0], issue=issue, body="某某家电话13900001111，让他出钱")
    with pytest.raises(PermissionDenied):
        services.post_hide(actor=district.resident_user, post=bad, reason="含个人信息")
    services.post_hide(actor=district.convener1, post=bad, reason="含个人信息，已隐藏")
    with pytest.raises(Conflict):
        services.post_hide(actor=district.convener1, post=bad, reason="再次隐藏")
    assert Post.objects.filter(hidden_at__isnull=True).get() == post
    outsider = make_user("outsider2")
    with pytest.raises(NotFound):
        services.post_add(actor=outsider, issue=issue, body="路过")
    with pytest.raises(ValidationFailed):
        services.post_add(actor=district.resident_user, issue=issue, body="长" * 1001)
    assert Post.objects.count() == 2


def resolved(w):
    issue = services.issue_raise(
        actor=w.d.resident_user,
        council=w.council,
        category="facilities",
        title="路灯不亮",
        description="东门路灯不亮。",
    )
    services.issue_triage(actor=w.d.convener1, issue=issue, track=Track.SMALL)
    return services.issue_advance(actor=w.d.convener1, issue=issue, step="resolve")


def test_an_unsatisfied_majority_reopens_the_issue_when_the_survey_closes(district, settings):
    w = council_world(district)
    issue = resolved(w)
    for user, rating in zip(
        [district.resident_user, *w.voters[:2]], ["unsatisfied", "unsatisfied", "basic"], strict=True
    ):
        services.result_rate(actor=user, issue=issue, rating=rating)
    with pytest.raises(Conflict):
        services.result_rate(actor=district.resident_user, issue=issue, rating="satisfied")
    later = timezone.now() + timedelta(days=settings.COUNCIL_SURVEY_DAYS, minutes=1)
    assert services.survey_close(issue=issue, now=timezone.now()) is False  # still open
    assert services.survey_close(issue=issue, now=later) is True
    assert services.survey_close(issue=issue, now=later) is False  # once
    issue.refresh_from_db()
    assert issue.state == IssueState.HANDLING and issue.survey_closed_at is not None
    # Resolved again: a new round of ratings.
    issue = services.issue_advance(actor=district.convener1, issue=issue, step="resolve")
    services.result_rate(actor=district.resident_user, issue=issue, rating="satisfied")
    assert ResultRating.objects.filter(issue=issue).count() == 4


def test_a_satisfied_majority_keeps_it_resolved_and_outsiders_cannot_rate(district, settings):
    w = council_world(district)
    issue = resolved(w)
    services.result_rate(actor=district.resident_user, issue=issue, rating="satisfied")
    services.result_rate(actor=w.voters[0], issue=issue, rating="unsatisfied")
    outsider = make_user("outsider3")
    community_services.person_create(
        actor=None, name="卫红", community=district.community2, home=district.compound2, user=outsider
    )
    with pytest.raises(PermissionDenied):
        services.result_rate(actor=outsider, issue=issue, rating="unsatisfied")
    with pytest.raises(ValidationFailed):
        services.result_rate(actor=w.voters[1], issue=issue, rating="great")
    services.survey_close(issue=issue, now=timezone.now() + timedelta(days=settings.COUNCIL_SURVEY_DAYS + 1))
    issue.refresh_from_db()
    assert issue.state == IssueState.RESOLVED  # 1 of 2 unsatisfied is not a majority
    with pytest.raises(InvalidTransition):
        services.result_rate(actor=w.voters[1], issue=issue, rating="satisfied")  # the survey has closed
    assert ResultRating.objects.count() == 2
