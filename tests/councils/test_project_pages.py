"""The project part of an issue's page, after triage: the discussion (云协商) with the convener's
hiding, the satisfaction rating (民评), crowdfunding (居民众筹) and tasks (民办) — every change
through one service, a refusal shown with its status and nothing changed, the page at fixed queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from community import services as community_services
from core.models import OutboxMessage
from councils import services
from councils.models import Campaign, Issue, Pledge, PledgeKind, Post, ResultRating, Task, TaskUpdate
from councils.workflow import Track
from tests.councils.support import council_world
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
INVALID = "Please correct what is marked below. Nothing was changed."


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def raised(w, **fields) -> Issue:
    values = {
        "category": "facilities",
        "title": "加装休闲座椅",
        "description": "小区花园没有座椅，老人散步累了没处坐。",
        **fields,
    }
    return services.issue_raise(actor=w.d.resident_user, council=w.council, **values)


def handling(w, **fields) -> Issue:
    return services.issue_triage(actor=w.d.convener1, issue=raised(w, **fields), track=Track.SMALL)


def resolved(w) -> Issue:
    return services.issue_advance(actor=w.d.convener1, issue=handling(w), step="resolve")


def campaign(w, issue: Issue, **fields) -> Campaign:
    values = {
        "title": "花园座椅众筹",
        "closes_on": timezone.localdate() + timedelta(days=14),
        "money_goal": 3000,
        "hours_goal": 20,
        "materials": "防腐木、螺丝",
        **fields,
    }
    return services.campaign_open(actor=w.d.convener1, issue=issue, **values)


def task(w, issue: Issue, title: str = "采购并安装座椅", days: int = 10) -> Task:
    return services.task_add(
        actor=w.d.convener1,
        issue=issue,
        title=title,
        owner="物业公司",
        due_on=timezone.localdate() + timedelta(days=days),
    )


def page(client, issue: Issue) -> str:
    response = client.get(f"/councils/issues/{issue.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def queries(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def same_queries(clients, url, add_more) -> None:
    """Each client's page costs as many queries after `add_more()` as before."""
    for client in clients:
        client.get(url)
    few = [queries(client, url) for client in clients]
    add_more()
    many = [queries(client, url) for client in clients]
    for before, after in zip(few, many, strict=True):
        assert len(after) == len(before), after


# --- Discussion (云协商) ---------------------------------------------------------------------------


def test_a_resident_posts_to_the_discussion_and_an_empty_post_changes_nothing(district):
    w = council_world(district)
    issue = handling(w)
    resident = signed_in(district.resident_user)
    assert 'data-testid="post-form"' in page(resident, issue)

    response = resident.post(f"/councils/issues/{issue.pk}/posts/", {"body": "建议放在凉亭旁边。"})

    assert response.status_code == 302
    assert response["Location"] == f"/councils/issues/{issue.pk}/#discussion"
    post = Post.objects.get()
    assert (post.issue, post.author, post.body) == (issue, district.resident_user, "建议放在凉亭旁边。")
    html = page(resident, issue)
    assert "建议放在凉亭旁边。" in html and "李*英 · you" in html

    empty = resident.post(f"/councils/issues/{issue.pk}/posts/", {"body": "  "})
    too_long = resident.post(f"/councils/issues/{issue.pk}/posts/", {"body": "长" * 1001})
    assert empty.status_code == too_long.status_code == 400
    assert INVALID in empty.content.decode()
    assert Post.objects.count() == 1


def test_the_discussion_of_a_resolved_issue_is_closed(district):
    w = council_world(district)
    issue = resolved(w)
    resident = signed_in(district.resident_user)
    assert 'data-testid="post-form"' not in page(resident, issue)

    refused = resident.post(f"/councils/issues/{issue.pk}/posts/", {"body": "还有问题"})

    assert refused.status_code == 409
    assert "The discussion of this issue is closed." in refused.content.decode()
    assert not Post.objects.exists()


def test_the_convener_hides_a_post_with_a_reason_and_a_resident_cannot(district):
    w = council_world(district)
    issue = handling(w)
    post = services.post_add(actor=district.resident_user, issue=issue, body="物业经理的手机号是13900001234")
    url = f"/councils/posts/{post.pk}/hide/"
    resident = signed_in(district.resident_user)
    assert 'data-testid="hide-form"' not in page(resident, issue)

    refused = resident.post(url, {"reason": "我想删"})
    assert refused.status_code in (403, 404)
    assert Post.objects.get().hidden_at is None

    convener = signed_in(district.convener1)
    assert 'data-testid="hide-form"' in page(convener, issue)
    assert convener.post(url, {"reason": ""}).status_code == 400
    assert Post.objects.get().hidden_at is None

    response = convener.post(url, {"reason": "含有他人的手机号"})

    assert response.status_code == 302
    post.refresh_from_db()
    assert post.hidden_at is not None and post.hidden_reason == "含有他人的手机号"
    for client in (convener, resident):
        html = page(client, issue)
        assert "This post was hidden: 含有他人的手机号" in html
        assert "13900001234" not in html
    assert convener.post(url, {"reason": "再隐藏一次"}).status_code == 409


# --- The page at fixed queries --------------------------------------------------------------------


def test_the_issue_page_costs_the_same_queries_for_2_or_20_posts_and_1_or_5_tasks(district):
    w = council_world(district)
    issue = handling(w)
    c = campaign(w, issue)
    authors = [district.resident_user, district.member_user, district.convener1, *w.voters]

    def add(posts: range, tasks: range) -> None:
        for n in posts:
            post = services.post_add(actor=authors[n % len(authors)], issue=issue, body=f"意见{n}")
            if n % 3 == 2:
                services.post_hide(actor=district.convener1, post=post, reason="重复")
            services.pledge_make(actor=authors[n % 2], campaign=c, kind=PledgeKind.MONEY, amount=10 + n)
        for n in tasks:
            t = task(w, issue, title=f"任务{n}", days=n)
            photo = SimpleUploadedFile(f"进展{n}.png", PNG, content_type="image/png")
            services.task_report(actor=district.convener1, task=t, note=f"进展{n}", photo=photo)
            services.task_report(actor=district.convener1, task=t, note="完成", done=n % 2 == 0)

    add(range(2), range(1))
    clients = [signed_in(district.convener1), signed_in(district.resident_user)]
    same_queries(clients, f"/councils/issues/{issue.pk}/", lambda: add(range(2, 20), range(1, 5)))

    html = page(signed_in(district.convener1), issue)
    assert html.count('data-testid="post"') == 20
    assert html.count('data-testid="task"') == 5
    assert html.count('data-testid="task-update"') == 10
    assert html.count('data-testid="pledge"') == 20


def test_a_resolved_issue_with_its_survey_costs_the_same_queries_for_2_or_20_posts(district):
    w = council_world(district)
    issue = handling(w)

    def add(posts: range, raters) -> None:
        """Discussed while handled (reopened if need be), resolved again, and rated."""
        if Issue.objects.get(pk=issue.pk).state == "resolved":
            services.issue_advance(actor=district.convener1, issue=issue, step="reopen")
        for k in posts:
            services.post_add(actor=w.voters[k % len(w.voters)], issue=issue, body=f"意见{k}")
        services.issue_advance(actor=district.convener1, issue=issue, step="resolve")
        for user in raters:
            services.result_rate(actor=user, issue=issue, rating="satisfied")

    add(range(2), w.voters[:1])
    clients = [signed_in(district.resident_user), signed_in(district.convener1)]
    same_queries(clients, f"/councils/issues/{issue.pk}/", lambda: add(range(2, 20), w.voters[1:]))
    html = page(clients[0], issue)
    assert "4 residents have rated this resolution" in html  # the second resolution's
    assert html.count('data-testid="post"') == 20 and 'data-testid="rate-form"' in html


# --- Satisfaction (民评) ---------------------------------------------------------------------------


def test_a_resident_rates_a_resolved_issue_once_and_everyone_sees_the_tally(district):
    w = council_world(district)
    issue = resolved(w)
    resident = signed_in(district.resident_user)
    html = page(resident, issue)
    assert 'data-testid="rate-satisfied"' in html and 'data-testid="survey-tally"' not in html
    convener = signed_in(district.convener1)
    assert 'data-testid="survey"' not in page(convener, issue)  # no rating yet, nothing to rate

    response = resident.post(f"/councils/issues/{issue.pk}/rate/", {"rating": "basic"})

    assert response.status_code == 302
    rating = ResultRating.objects.get()
    assert (rating.issue, rating.person, rating.round, rating.rating) == (
        issue,
        district.resident,
        1,
        "basic",
    )
    html = page(resident, issue)
    assert 'data-testid="rate-form"' not in html and "You rated: Basically satisfied." in html
    assert "1 resident has rated this resolution" in page(convener, issue)

    again = resident.post(f"/councils/issues/{issue.pk}/rate/", {"rating": "unsatisfied"})
    assert again.status_code == 409
    assert "You have already rated this resolution." in again.content.decode()
    assert ResultRating.objects.get().rating == "basic"
    assert resident.post(f"/councils/issues/{issue.pk}/rate/", {"rating": "great"}).status_code == 400


def test_an_outsider_cannot_rate(district):
    w = council_world(district)
    issue = resolved(w)
    # The community's secretary sees the issue but does not live in the compound.
    secretary = signed_in(district.secretary1)
    assert 'data-testid="rate-form"' not in page(secretary, issue)
    refused = secretary.post(f"/councils/issues/{issue.pk}/rate/", {"rating": "satisfied"})
    assert refused.status_code == 403
    assert "The residents of the compound rate" in refused.content.decode()
    # A resident of the community who lives in no compound of it.
    user = make_user("outsider")
    community_services.person_create(
        actor=None, name="赵大爷", community=district.community1, phone="13900009999", user=user
    )
    assert (
        signed_in(user).post(f"/councils/issues/{issue.pk}/rate/", {"rating": "satisfied"}).status_code == 403
    )
    assert not ResultRating.objects.exists()


def test_an_issue_being_handled_is_not_rated(district):
    w = council_world(district)
    issue = handling(w)
    resident = signed_in(district.resident_user)
    assert 'data-testid="survey"' not in page(resident, issue)
    assert resident.post(f"/councils/issues/{issue.pk}/rate/", {"rating": "satisfied"}).status_code == 409
    assert not ResultRating.objects.exists()


# --- Crowdfunding (居民众筹) ------------------------------------------------------------------------


def test_the_convener_opens_a_campaign_and_a_resident_and_a_unit_pledge(district):
    w = council_world(district)
    issue = handling(w)
    convener = signed_in(district.convener1)
    assert 'data-testid="campaign-form"' in page(convener, issue)
    assert 'data-testid="campaign-form"' not in page(signed_in(district.resident_user), issue)
    fields = {
        "title": "花园座椅众筹",
        "description": "买6张防腐木座椅。",
        "money_goal": "3000",
        "hours_goal": "20",
        "materials": "防腐木",
        "closes_on": (timezone.localdate() + timedelta(days=14)).isoformat(),
    }

    response = convener.post(f"/councils/issues/{issue.pk}/campaigns/", fields)

    assert response.status_code == 302
    c = Campaign.objects.get()
    assert (c.issue, c.money_goal, c.hours_goal, c.materials) == (issue, 3000, 20, "防腐木")

    resident = signed_in(district.resident_user)
    html = page(resident, issue)
    assert 'data-testid="pledge-form"' in html and 'name="organisation"' not in html
    assert (
        resident.post(f"/councils/campaigns/{c.pk}/pledge/", {"kind": "money", "amount": "200"}).status_code
        == 302
    )
    unit = signed_in(district.unit_contact1)
    pledge_page = unit.get(f"/councils/campaigns/{c.pk}/pledge/")
    assert pledge_page.status_code == 200 and 'name="organisation"' in pledge_page.content.decode()
    response = unit.post(
        f"/councils/campaigns/{c.pk}/pledge/",
        {"kind": "materials", "what": "防腐木10根", "organisation": district.unit1.pk},
    )
    assert response.status_code == 302 and response["Location"] == f"/councils/campaigns/{c.pk}/pledge/"

    money, materials = Pledge.objects.order_by("pk")
    assert (money.pledged_by, money.kind, money.amount, money.organisation) == (
        district.resident_user,
        "money",
        200,
        None,
    )
    assert (materials.pledged_by, materials.what, materials.organisation) == (
        district.unit_contact1,
        "防腐木10根",
        district.unit1,
    )
    html = page(convener, issue)
    assert "¥0 given · ¥200 pledged · goal ¥3000" in html and "越城区人民医院党委" in html
    assert html.count('data-testid="fulfil"') == 2
    assert 'data-testid="fulfil"' not in page(resident, issue)


def test_bad_pledges_and_campaigns_change_nothing(district):
    w = council_world(district)
    issue = handling(w)
    c = campaign(w, issue)
    resident = signed_in(district.resident_user)
    url = f"/councils/campaigns/{c.pk}/pledge/"

    zero = resident.post(url, {"kind": "money", "amount": "0"})
    no_hours = resident.post(url, {"kind": "labour"})
    not_mine = resident.post(url, {"kind": "money", "amount": "10", "organisation": district.unit1.pk})
    other_unit = signed_in(district.unit_contact1).post(
        url, {"kind": "money", "amount": "10", "organisation": district.unit2.pk}
    )

    assert zero.status_code == no_hours.status_code == 400
    assert INVALID in zero.content.decode()
    assert not_mine.status_code == 302  # no unit to choose: a resident pledges for themself
    assert other_unit.status_code == 400
    assert Pledge.objects.get().organisation is None
    Pledge.objects.all().delete()

    Campaign.objects.filter(pk=c.pk).update(closes_on=timezone.localdate() - timedelta(days=1))
    closed = resident.post(url, {"kind": "money", "amount": "10"})
    assert closed.status_code == 409 and "Pledges for this campaign have closed." in closed.content.decode()
    stranger = make_user("stranger")
    assert signed_in(stranger).get(url).status_code == 404
    assert signed_in(stranger).post(url, {"kind": "money", "amount": "10"}).status_code == 403
    assert not Pledge.objects.exists()

    no_goal = signed_in(district.convener1).post(
        f"/councils/issues/{issue.pk}/campaigns/",
        {"title": "空的众筹", "closes_on": (timezone.localdate() + timedelta(days=3)).isoformat()},
    )
    assert no_goal.status_code == 400
    assert "Say what is asked for" in no_goal.content.decode()
    on_raised = signed_in(district.convener1).post(
        f"/councils/issues/{raised(w).pk}/campaigns/",
        {"title": "众筹", "money_goal": "100", "closes_on": timezone.localdate().isoformat()},
    )
    assert on_raised.status_code == 409
    assert Campaign.objects.count() == 1


def test_the_convener_records_a_labour_pledge_as_given_and_it_earns_points(district):
    w = council_world(district)
    issue = handling(w)
    c = campaign(w, issue)
    labour = services.pledge_make(actor=district.member_user, campaign=c, kind="labour", hours=4)
    url = f"/councils/pledges/{labour.pk}/fulfil/"
    assert signed_in(district.member_user).post(url).status_code == 403
    assert Pledge.objects.get().fulfilled_at is None

    convener = signed_in(district.convener1)
    response = convener.post(url)

    assert response.status_code == 302
    assert response["Location"] == f"/councils/issues/{issue.pk}/#campaign-{c.pk}"
    assert Pledge.objects.get().fulfilled_at is not None
    award = OutboxMessage.objects.get(task_name="points.award_for_event")
    assert award.args[0] == "crowdfunding_labour" and award.args[1] == district.member_user.pk
    assert award.args[4] == 4
    assert "4 h given · 4 h pledged · goal 20 h" in page(convener, issue)
    assert convener.post(url).status_code == 409
    assert OutboxMessage.objects.filter(task_name="points.award_for_event").count() == 1


# --- Tasks (民办) ----------------------------------------------------------------------------------


def test_the_convener_adds_a_task_and_reports_progress_with_a_photo_until_done(district):
    w = council_world(district)
    issue = handling(w)
    convener = signed_in(district.convener1)
    due = (timezone.localdate() + timedelta(days=10)).isoformat()
    assert 'data-testid="task-form"' in page(convener, issue)

    response = convener.post(
        f"/councils/issues/{issue.pk}/tasks/", {"title": "采购并安装座椅", "owner": "物业公司", "due_on": due}
    )

    assert response.status_code == 302
    t = Task.objects.get()
    assert (t.issue, t.title, t.owner, t.due_on.isoformat(), t.done_at) == (
        issue,
        "采购并安装座椅",
        "物业公司",
        due,
        None,
    )
    url = f"/councils/tasks/{t.pk}/report/"
    gif = convener.post(
        url, {"note": "已采购", "photo": SimpleUploadedFile("座椅.gif", b"GIF89a", "image/gif")}
    )
    assert gif.status_code == 400
    assert "The photo must be a JPG or PNG picture." in gif.content.decode()
    assert not TaskUpdate.objects.exists()

    done = convener.post(
        url,
        {"note": "6张座椅已安装", "done": "on", "photo": SimpleUploadedFile("座椅.png", PNG, "image/png")},
    )

    assert done.status_code == 302
    t.refresh_from_db()
    assert t.done_at is not None
    update = TaskUpdate.objects.get()
    assert (update.note, update.by) == ("6张座椅已安装", district.convener1)
    assert update.photo.name.endswith(".png")
    html = page(signed_in(district.resident_user), issue)
    assert "6张座椅已安装" in html and 'data-testid="update-photo"' in html
    assert 'data-testid="task-done"' in html and 'data-testid="report-form"' not in html
    assert convener.post(url, {"note": "再报一次"}).status_code == 409


def test_tasks_are_the_conveners_and_an_overdue_one_is_red(district):
    w = council_world(district)
    issue = handling(w)
    t = task(w, issue)
    Task.objects.filter(pk=t.pk).update(due_on=timezone.localdate() - timedelta(days=1))
    resident = signed_in(district.resident_user)
    html = page(resident, issue)
    assert html.count('data-overdue="true"') == 1 and 'data-testid="task-form"' not in html

    due = (timezone.localdate() + timedelta(days=3)).isoformat()
    add = resident.post(
        f"/councils/issues/{issue.pk}/tasks/", {"title": "自己装", "owner": "我", "due_on": due}
    )
    report = resident.post(f"/councils/tasks/{t.pk}/report/", {"note": "装好了", "done": "on"})
    missing = signed_in(district.convener1).post(f"/councils/issues/{issue.pk}/tasks/", {"title": "无人负责"})

    assert add.status_code == report.status_code == 403
    assert missing.status_code == 400 and INVALID in missing.content.decode()
    assert Task.objects.count() == 1 and not TaskUpdate.objects.exists()
    assert Task.objects.get().done_at is None
