"""The council pages: raising an issue from a phone (or for a resident), the convener's steps on the
issue page, the triage queue, voting on a motion's page, and the public results board — every change
through the services, errors shown with their status and nothing changed, lists at fixed queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import Entry
from community import services as community_services
from community.models import Role
from councils import services
from councils.models import Ballot, Issue, Motion
from councils.workflow import IssueState, Track
from tests.councils.support import council_world, motion
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def signed_in(user, *, english: bool = False) -> Client:
    client = Client()
    client.force_login(user)
    if english:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def english_client() -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def raise_issue(w, actor=None, **fields) -> Issue:
    values = {
        "category": "facilities",
        "title": "1幢楼道灯坏了",
        "description": "三楼到五楼的楼道灯坏了。",
        **fields,
    }
    return services.issue_raise(actor=actor or w.d.resident_user, council=w.council, **values)


def resolved(w, **fields) -> Issue:
    issue = raise_issue(w, **fields)
    services.issue_triage(actor=w.d.convener1, issue=issue, track=Track.SMALL)
    return services.issue_advance(actor=w.d.convener1, issue=issue, step="resolve")


def opened(w, **rule) -> Motion:
    return services.motion_open(actor=w.d.convener1, motion=motion(w, **rule))


def closed(m: Motion) -> Motion:
    Motion.objects.filter(pk=m.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    return services.motion_close(actor=None, motion=Motion.objects.get(pk=m.pk))


def same_queries(client, url, add_more) -> None:
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add_more()
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


# --- Raising an issue -----------------------------------------------------------------------------


def test_a_resident_raises_an_issue_from_the_page_with_a_photo(district):
    w = council_world(district)
    client = signed_in(district.resident_user)
    form = client.get("/councils/issues/new/")
    assert form.status_code == 200
    assert 'accept="image/jpeg,image/png"' in form.content.decode()
    assert "on_behalf_of" not in form.context["form"].fields
    assert district.building1 in form.context["form"].fields["building"].queryset

    response = client.post(
        "/councils/issues/new/",
        {
            "category": "facilities",
            "title": "1幢楼道灯坏了",
            "description": "1幢2单元三楼到五楼的楼道灯坏了一个多星期。",
            "building": district.building1.pk,
            "photo": SimpleUploadedFile("灯.png", PNG, content_type="image/png"),
        },
    )

    issue = Issue.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/councils/issues/{issue.pk}/"
    assert (issue.council, issue.raised_by, issue.building) == (
        w.council,
        district.resident,
        district.building1,
    )
    assert issue.photo.name.endswith(".png")
    page = client.get(f"/councils/issues/{issue.pk}/")
    assert page.status_code == 200
    assert 'data-testid="issue-photo"' in page.content.decode()
    assert [e.step for e in page.context["events"]] == ["raise"]


def test_a_photo_of_the_wrong_type_or_a_missing_title_raises_nothing(district):
    council_world(district)
    client = signed_in(district.resident_user, english=True)
    fields = {"category": "safety", "title": "消防通道被占", "description": "车停在消防通道上。"}

    wrong = client.post(
        "/councils/issues/new/", {**fields, "photo": SimpleUploadedFile("车.gif", b"GIF89a", "image/gif")}
    )
    missing = client.post("/councils/issues/new/", {**fields, "title": ""})

    assert wrong.status_code == 400
    assert "The photo must be a JPG or PNG picture." in wrong.content.decode()
    assert missing.status_code == 400
    assert "Please correct what is marked below. Nothing was changed." in missing.content.decode()
    assert Issue.objects.count() == 0


def test_a_resident_whose_compound_has_no_council_is_told_so(district):
    user = make_user("resident2")
    community_services.person_create(
        actor=None,
        name="赵大爷",
        community=district.community2,
        home=district.compound2,
        phone="13900004444",
        user=user,
    )
    client = signed_in(user, english=True)
    page = client.get("/councils/issues/new/")
    assert "Your compound has no council yet" in page.content.decode()
    assert 'data-testid="issue-form"' not in page.content.decode()

    response = client.post(
        "/councils/issues/new/", {"category": "other", "title": "问题", "description": "说明"}
    )
    assert response.status_code == 400
    assert "Your compound has no council yet" in response.content.decode()
    assert Issue.objects.count() == 0


def test_a_social_worker_records_an_issue_for_a_resident(district):
    w = council_world(district)
    worker = make_user("worker1", Role.SOCIAL_WORKER, area=district.community1)
    client = signed_in(worker)
    form = client.get("/councils/issues/new/")
    assert form.status_code == 200
    choices = dict(form.context["form"].fields["on_behalf_of"].choices)
    assert district.resident.pk in choices and district.resident3.pk not in choices

    fields = {"category": "other", "title": "问题", "description": "说明"}
    assert client.post("/councils/issues/new/", fields).status_code == 400  # for whom?
    assert client.post("/councils/issues/new/", {**fields, "on_behalf_of": "999999"}).status_code == 400
    assert Issue.objects.count() == 0

    response = client.post(
        "/councils/issues/new/",
        {
            "on_behalf_of": district.resident.pk,
            "category": "elderly_children",
            "title": "助老食堂想延长开放时间",
            "description": "李阿姨电话反映：食堂中午11点就关门，希望延长到12点半。",
            "building": district.building1.pk,
        },
    )

    issue = Issue.objects.get()
    assert response.status_code == 302
    assert (issue.council, issue.raised_by, issue.recorded_by) == (w.council, district.resident, worker)


# --- The issue page: the convener's steps ---------------------------------------------------------


def test_the_convener_triages_from_the_issue_page_and_a_resident_cannot(district):
    w = council_world(district)
    issue = raise_issue(w)
    resident = signed_in(district.resident_user, english=True)
    page = resident.get(f"/councils/issues/{issue.pk}/")
    assert page.status_code == 200 and "triage_form" not in page.context

    refused = resident.post(f"/councils/issues/{issue.pk}/", {"step": "triage", "track": "big"})
    assert refused.status_code == 403
    assert "convener or the community" in refused.content.decode()
    assert Issue.objects.get(pk=issue.pk).state == IssueState.RAISED

    convener = signed_in(district.convener1)
    assert 'data-testid="triage-form"' in convener.get(f"/councils/issues/{issue.pk}/").content.decode()
    response = convener.post(f"/councils/issues/{issue.pk}/", {"step": "triage", "track": "big"})

    assert response.status_code == 302
    issue.refresh_from_db()
    assert (issue.state, issue.track) == (IssueState.ON_AGENDA, Track.BIG)
    page = convener.get(f"/councils/issues/{issue.pk}/")
    assert [step for step, _label in page.context["advance_steps"]] == ["decide"]
    assert [e.step for e in page.context["events"]] == ["raise", "triage"]


def test_the_issue_page_refuses_bad_steps_without_changing_anything(district):
    w = council_world(district)
    issue = raise_issue(w)
    other = raise_issue(w, title="2幢门禁坏了")
    convener = signed_in(district.convener1, english=True)
    url = f"/councils/issues/{issue.pk}/"

    assert convener.post(url, {"step": "triage", "track": "huge"}).status_code == 400
    assert convener.post(url, {"step": "reject", "reason": ""}).status_code == 400
    assert convener.post(url, {"step": "fly"}).status_code == 400
    out_of_order = convener.post(url, {"step": "resolve"})
    assert out_of_order.status_code == 409
    assert "This issue has not been triaged yet." in out_of_order.content.decode()
    assert Issue.objects.get(pk=issue.pk).state == IssueState.RAISED

    assert convener.post(url, {"step": "merge", "into": other.pk}).status_code == 302
    issue.refresh_from_db()
    assert (issue.state, issue.merged_into) == (IssueState.MERGED, other)


def test_another_compounds_issue_is_not_found(district):
    w = council_world(district)
    issue = raise_issue(w)
    assert signed_in(district.secretary3).get(f"/councils/issues/{issue.pk}/").status_code == 404
    outsider = make_user("zhiping_resident")
    community_services.person_create(
        actor=None, name="卫红", community=district.community2, home=district.compound2, user=outsider
    )
    assert signed_in(outsider).get(f"/councils/issues/{issue.pk}/").status_code == 404
    # A resident of the same community reads it (and may discuss and rate it): 云协商 is open to them.
    assert signed_in(district.member_user).get(f"/councils/issues/{issue.pk}/").status_code == 200


# --- Lists at fixed queries -----------------------------------------------------------------------


def test_my_issues_cost_the_same_queries_for_two_or_twenty(district):
    w = council_world(district)
    for n in range(2):
        raise_issue(w, title=f"问题{n}")
    client = signed_in(district.resident_user)

    same_queries(
        client, "/councils/issues/", lambda: [raise_issue(w, title=f"问题{n}") for n in range(2, 20)]
    )

    response = client.get("/councils/issues/")
    assert len(response.context["issues"]) == 20
    assert list(response.context["issues"]) == list(Issue.objects.order_by("-created_at", "-pk"))
    # Another resident sees none of them.
    assert len(signed_in(w.voters[0]).get("/councils/issues/").context["issues"]) == 0


def test_the_triage_queue_is_for_conveners_oldest_first_overdue_in_red(district):
    w = council_world(district)
    first, second = raise_issue(w, title="问题0"), raise_issue(w, title="问题1")
    Issue.objects.filter(pk=first.pk).update(triage_by=timezone.localdate() - timedelta(days=1))
    client = signed_in(district.convener1)

    same_queries(
        client, "/councils/triage/", lambda: [raise_issue(w, title=f"问题{n}") for n in range(2, 20)]
    )

    response = client.get("/councils/triage/")
    issues = list(response.context["issues"])
    assert len(issues) == 20 and issues[:2] == [first, second]
    assert response.content.decode().count('data-overdue="true"') == 1
    assert signed_in(district.resident_user).get("/councils/triage/").status_code == 403
    assert signed_in(district.secretary3).get("/councils/triage/").context["issues"].count() == 0


def test_the_board_costs_the_same_queries_for_two_or_twenty(district):
    w = council_world(district)
    for n in range(2):
        resolved(w, title=f"问题{n}")
    closed(opened(w))

    def more():
        for n in range(2, 20):
            resolved(w, title=f"问题{n}") if n % 2 else raise_issue(w, title=f"问题{n}")
        closed(opened(w, title="第二项表决"))

    same_queries(Client(), "/councils/board/", more)
    same_queries(Client(), f"/councils/board/?community={district.community1.pk}", lambda: raise_issue(w))
    same_queries(Client(), f"/councils/board/?compound={district.compound1.pk}", lambda: raise_issue(w))


# --- Voting on the motion's page ------------------------------------------------------------------


def test_a_seat_votes_on_the_page_once_and_gets_a_receipt(district):
    w = council_world(district)
    m = opened(w)
    voter = signed_in(w.voters[0], english=True)
    url = f"/councils/motions/{m.pk}/"
    page = voter.get(url)
    assert page.status_code == 200 and page.context["vote_form"] is not None
    assert m.rule_hash in page.content.decode()
    assert "Quorum: at least 50% of the 5 voting seats" in page.content.decode()

    response = voter.post(url, {"option": "0"})

    assert response.status_code == 302
    ballot = Ballot.objects.get()
    assert ballot.option == 0
    page = voter.get(url)
    assert "You have voted" in page.content.decode()
    assert ballot.token in page.content.decode() and page.context["vote_form"] is None

    again = voter.post(url, {"option": "1"})
    assert again.status_code == 409
    assert "You have already voted" in again.content.decode()
    assert Ballot.objects.get().option == 0


def test_a_changeable_vote_can_be_changed_and_abstaining_is_a_choice(district):
    w = council_world(district)
    m = opened(w, changeable=True, secret=True)
    voter = signed_in(w.voters[1])
    url = f"/councils/motions/{m.pk}/"
    assert voter.post(url, {"option": "-1"}).status_code == 302
    assert voter.get(url).context["vote_form"] is not None
    assert voter.post(url, {"option": "1"}).status_code == 302
    ballot = Ballot.objects.get()
    assert (ballot.option, ballot.changes, ballot.seat) == (1, 1, None)
    assert voter.post(url, {"option": "7"}).status_code == 400


def test_only_seat_holders_and_staff_over_the_compound_see_the_motion(district):
    w = council_world(district)
    m = opened(w)
    url = f"/councils/motions/{m.pk}/"
    assert signed_in(district.resident_user).get(url).status_code == 404
    assert signed_in(district.secretary3).get(url).status_code == 404
    staff = signed_in(district.convener1).get(url)
    assert staff.status_code == 200 and staff.context["vote_form"] is None
    # A seat without a vote sees the motion but has no vote.
    no_vote = signed_in(w.no_vote_user)
    assert no_vote.get(url).context["vote_form"] is None
    assert no_vote.post(url, {"option": "0"}).status_code == 403
    assert Ballot.objects.count() == 0


def test_a_closed_motion_shows_the_tally_and_the_receipts(district):
    w = council_world(district)
    m = opened(w, secret=True)
    for user, option in zip(w.voters[:4], [0, 0, 1, -1], strict=True):
        services.vote_cast(actor=user, motion=m, option=option)
    m = closed(m)

    voter = signed_in(w.voters[0], english=True)
    response = voter.get(f"/councils/motions/{m.pk}/")

    assert response.status_code == 200
    tally = response.context["tally"]
    assert tally["passed"] and tally["winner"] == "赞成"
    assert tally["counts"] == [("赞成", 2), ("反对", 1)] and tally["abstentions"] == 1
    assert (tally["ballots"], tally["voting_seats"], tally["turnout_percent"]) == (4, 5, "80")
    assert len(tally["receipts"]) == 4
    html = response.content.decode()
    assert "Passed" in html and "Turnout: 4 of 5 voting seats (80%)." in html
    token = services.ballot_token(m, w.seats[0])
    assert html.count('data-testid="my-receipt"') == 1 and token in html
    # Staff over the compound see the receipts too, with nothing highlighted.
    staff = signed_in(district.convener1).get(f"/councils/motions/{m.pk}/").content.decode()
    assert token in staff and 'data-testid="my-receipt"' not in staff


# --- The public board -----------------------------------------------------------------------------


def test_the_public_board_shows_the_figures_and_the_votes_logged_out(district):
    w = council_world(district)
    resolved(w, title="问题0")
    resolved(w, title="问题1")
    open_issue = raise_issue(w, title="问题2")
    duplicate = raise_issue(w, title="问题2（重复）")
    services.issue_merge(actor=district.convener1, issue=duplicate, into=open_issue)
    m = opened(w)
    for user in w.voters[:3]:
        services.vote_cast(actor=user, motion=m, option=0)
    m = closed(m)
    entry = Entry.objects.get(kind="councils.motion_closed", subject=f"councils.Motion:{m.pk}")

    response = english_client().get("/councils/board/")

    assert response.status_code == 200
    total = response.context["total"]
    assert (total.raised, total.resolved, total.rate) == (3, 2, 66.7)
    assert total.median_days is not None and total.median_days < 1
    html = response.content.decode()
    assert "66.7%" in html and entry.entry_hash in html and "Passed" in html
    [row] = response.context["rows"]
    assert (row.area, row.figures.raised, row.figures.resolved) == (district.community1, 3, 2)
    [motion_row] = response.context["motions"]
    assert motion_row.counts == [("赞成", 3), ("反对", 0)] and motion_row.entry == entry

    compound = english_client().get(f"/councils/board/?compound={district.compound1.pk}")
    assert compound.context["total"].raised == 3 and len(compound.context["motions"]) == 1
    other = english_client().get(f"/councils/board/?community={district.community3.pk}")
    assert other.context["total"].raised == 0 and other.context["motions"] == []
    assert "—" in other.content.decode()
