"""Pledges (锋领十条 · 人人契约): the secretary publishes the year's text and new versions; reported members
sign the current version once, and the signature's hash is in the public record; the staff see who has
and has not signed; every refusal is clear and changes nothing."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import Entry
from core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from tests.volunteers.support import add_member, volunteer_world
from volunteers.models import PledgeSignature, PledgeText
from volunteers.selectors import reporting as selectors
from volunteers.services import reporting

pytestmark = pytest.mark.django_db

TITLE = "2026年“锋领十条”党员承诺"
BODY = "一、亮身份，做群众身边的明白人。\n二、守规矩，做遵纪守法的带头人。"
BODY2 = BODY + "\n三、解民忧，做邻里互助的热心人。"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def publish(d, body=BODY, actor=None):
    return reporting.pledge_publish(
        actor=actor or d.secretary1, community=d.community1, title=TITLE, body=body
    )


def counts() -> tuple[int, int, int]:
    return PledgeText.objects.count(), PledgeSignature.objects.count(), Entry.objects.count()


# --- Publishing -----------------------------------------------------------------------------------


def test_the_secretary_publishes_the_pledge_and_a_new_version_supersedes_it(district):
    d = district
    v1 = publish(d)
    v2 = publish(d, BODY2)

    assert (v1.version, v2.version, v1.year) == (1, 2, v2.year)
    assert v1.text_hash != v2.text_hash and len(v2.text_hash) == 64
    assert reporting.current_pledge(d.community1) == v2
    assert Entry.objects.filter(kind="volunteers.pledge_published").count() == 2
    entry = Entry.objects.get(subject=f"volunteers.PledgeText:{v2.pk}")
    assert entry.payload["text_hash"] == v2.text_hash and entry.payload["version"] == 2


@pytest.mark.parametrize(("title", "body"), [("", BODY), (TITLE, ""), ("  ", "  "), (TITLE, "条" * 5001)])
def test_publishing_an_empty_or_overlong_pledge_is_400_and_publishes_nothing(district, title, body):
    d = district
    before = counts()
    with pytest.raises(ValidationFailed) as refused:
        reporting.pledge_publish(actor=d.secretary1, community=d.community1, title=title, body=body)
    assert refused.value.status_code == 400 and refused.value.code == "invalid_pledge"
    assert counts() == before


@pytest.mark.parametrize(("who", "refusal"), [("secretary3", NotFound), ("member_user", PermissionDenied)])
def test_only_the_communitys_staff_publish(district, who, refusal):
    d = district
    before = counts()
    with pytest.raises(refusal):
        publish(d, actor=getattr(d, who))
    assert counts() == before


# --- Signing --------------------------------------------------------------------------------------


def test_a_reported_member_signs_once_and_the_signature_is_in_the_public_record(district):
    d = district
    volunteer_world(d, members=1)
    pledge = publish(d)
    assert selectors.pledge_to_sign(actor=d.member_user) == pledge

    signature = reporting.pledge_sign(actor=d.member_user, text=pledge)

    entry = Entry.objects.get(subject=f"volunteers.PledgeSignature:{signature.pk}")
    assert signature.record_hash == entry.entry_hash
    assert entry.payload["text_hash"] == pledge.text_hash
    assert "王建国" not in str(entry.payload)  # no personal data in the public record
    assert selectors.pledge_to_sign(actor=d.member_user) is None


def test_signing_twice_is_409_and_records_nothing(district):
    d = district
    volunteer_world(d, members=1)
    pledge = publish(d)
    reporting.pledge_sign(actor=d.member_user, text=pledge)
    before = counts()

    with pytest.raises(Conflict) as refused:
        reporting.pledge_sign(actor=d.member_user, text=pledge)

    assert refused.value.status_code == 409 and refused.value.code == "already_signed"
    assert counts() == before


def test_signing_a_superseded_version_is_409_and_the_member_is_asked_to_sign_the_new_one(district):
    d = district
    volunteer_world(d, members=1)
    v1 = publish(d)
    reporting.pledge_sign(actor=d.member_user, text=v1)
    v2 = publish(d, BODY2)
    assert selectors.pledge_to_sign(actor=d.member_user) == v2
    before = counts()

    with pytest.raises(Conflict) as refused:
        reporting.pledge_sign(actor=d.member_user, text=v1)

    assert refused.value.status_code == 409 and refused.value.code == "superseded"
    assert counts() == before
    # A member who never signed v1 is refused v1 as superseded.
    other, _report = add_member(d, "vm", "孟庆华")
    with pytest.raises(Conflict) as refused:
        reporting.pledge_sign(actor=other, text=v1)
    assert refused.value.code == "superseded"
    assert counts() == before
    reporting.pledge_sign(actor=d.member_user, text=v2)
    assert selectors.pledge_to_sign(actor=d.member_user) is None


def test_last_years_pledge_is_superseded_by_this_years(district):
    d = district
    volunteer_world(d, members=1)
    this_year = reporting.current_pledge(d.community1)
    assert this_year is None
    last = reporting.pledge_publish(
        actor=d.secretary1, community=d.community1, title=TITLE, body=BODY, year=timezone.localdate().year - 1
    )
    current = publish(d)
    before = counts()
    with pytest.raises(Conflict) as refused:
        reporting.pledge_sign(actor=d.member_user, text=last)
    assert refused.value.code == "superseded" and counts() == before
    assert selectors.pledge_to_sign(actor=d.member_user) == current


@pytest.mark.parametrize("how", ["pending", "left", "never"])
def test_signing_without_an_accepted_report_is_403_and_records_nothing(district, how):
    d = district
    pledge = publish(d)
    if how != "never":
        report = reporting.report_submit(actor=d.member_user, skills="电工")
        if how == "left":
            reporting.report_accept(actor=None, report=report, grid=d.grid1)
            reporting.report_leave(actor=d.member_user, report=report)
    before = counts()

    with pytest.raises(PermissionDenied) as refused:
        reporting.pledge_sign(actor=d.member_user, text=pledge)

    assert refused.value.status_code == 403 and refused.value.code == "not_reported_here"
    assert counts() == before
    assert selectors.pledge_to_sign(actor=d.member_user) is None


def test_a_member_of_another_community_does_not_see_the_pledge(district):
    d = district
    pledge = publish(d)
    reporting.report_submit(actor=d.member_user, community=d.community3)
    # Reported (pending) elsewhere and living here: the pledge is the community's where they live, 403.
    with pytest.raises(PermissionDenied):
        reporting.pledge_sign(actor=d.member_user, text=pledge)
    with pytest.raises(NotFound):
        reporting.pledge_sign(actor=d.secretary3, text=pledge)


# --- Who has signed -------------------------------------------------------------------------------


def test_the_staff_see_who_has_and_has_not_signed_the_current_version(district):
    d = district
    w = volunteer_world(d, members=4)
    v1 = publish(d)
    reporting.pledge_sign(actor=w.members[0], text=v1)
    reporting.pledge_sign(actor=w.members[1], text=v1)
    v2 = publish(d, BODY2)
    reporting.pledge_sign(actor=w.members[1], text=v2)
    reporting.pledge_sign(actor=w.members[2], text=v2)

    status = selectors.pledge_status(actor=d.secretary1, community=d.community1)

    assert status["pledge"] == v2
    assert {r.member.person.user for r in status["signed"]} == {w.members[1], w.members[2]}
    assert {r.member.person.user: r.signed_version for r in status["unsigned"]} == {
        w.members[0]: 1,
        w.members[3]: 0,
    }
    assert (status["signed_count"], status["unsigned_count"]) == (2, 2)
    with pytest.raises(NotFound):
        selectors.pledge_status(actor=d.secretary3, community=d.community1)
    with pytest.raises(NotFound):
        selectors.pledge_status(actor=d.member_user, community=d.community1)


# --- Pages ----------------------------------------------------------------------------------------


def test_the_member_reads_and_signs_with_one_tap_and_sees_the_record_hash(district):
    d = district
    volunteer_world(d, members=1)
    v1 = publish(d)
    reporting.pledge_sign(actor=d.member_user, text=v1)
    v2 = publish(d, BODY2)
    client = signed_in(d.member_user)

    page = client.get("/volunteers/pledge/")
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="sign-new-version"' in html
    assert 'data-testid="sign-form"' in html and "三、解民忧" in html
    assert client.get("/volunteers/report/").context["pledge_to_sign"] == v2

    response = client.post("/volunteers/pledge/", {"text": v2.pk}, follow=True)

    signature = PledgeSignature.objects.get(text=v2, member=d.member)
    html = response.content.decode()
    assert 'data-testid="signed"' in html and 'data-testid="sign-form"' not in html
    assert f"/record/verify/?hash={signature.record_hash}" in html
    assert client.get(f"/record/verify/?hash={signature.record_hash}").status_code == 200


def test_signing_on_the_page_twice_or_a_superseded_version_is_409(district):
    d = district
    volunteer_world(d, members=1)
    v1 = publish(d)
    client = signed_in(d.member_user)
    client.post("/volunteers/pledge/", {"text": v1.pk})
    before = counts()
    again = client.post("/volunteers/pledge/", {"text": v1.pk})
    assert again.status_code == 409 and "You have already signed this pledge." in messages_of(again)
    assert counts() == before
    v2 = publish(d, BODY2)
    before = counts()
    stale = client.post("/volunteers/pledge/", {"text": v1.pk})
    assert stale.status_code == 409
    assert "A newer version of this pledge has been published; read and sign that one." in messages_of(stale)
    assert counts() == before
    assert not PledgeSignature.objects.filter(text=v2).exists()


def test_a_pending_member_sees_why_they_cannot_sign_yet_and_a_post_is_403(district):
    d = district
    pledge = publish(d)
    reporting.report_submit(actor=d.member_user)
    client = signed_in(d.member_user)
    page = client.get("/volunteers/pledge/")
    assert b'data-testid="report-pending"' in page.content
    response = client.post("/volunteers/pledge/", {"text": pledge.pk})
    assert response.status_code == 403
    assert not PledgeSignature.objects.exists()


def test_the_secretary_publishes_on_the_page_and_an_empty_pledge_is_400(district):
    d = district
    client = signed_in(d.secretary1)
    page = client.get("/volunteers/pledges/")
    assert page.status_code == 200 and b'data-testid="no-pledge"' in page.content

    empty = client.post("/volunteers/pledges/", {"community": d.community1.pk, "title": TITLE, "body": "  "})
    assert empty.status_code == 400
    assert not PledgeText.objects.exists()

    client.post("/volunteers/pledges/", {"community": d.community1.pk, "title": TITLE, "body": BODY})
    response = client.post(
        "/volunteers/pledges/", {"community": d.community1.pk, "title": TITLE, "body": BODY2}, follow=True
    )
    assert [t.version for t in response.context["versions"]] == [2, 1]
    assert any("Version 2 is published" in m for m in messages_of(response))
    # Another community's secretary may not publish here.
    other = signed_in(d.secretary3).post(
        "/volunteers/pledges/", {"community": d.community1.pk, "title": TITLE, "body": BODY}
    )
    assert other.status_code == 404
    assert PledgeText.objects.count() == 2
    assert signed_in(d.member_user).get("/volunteers/pledges/").status_code == 403


def test_the_staffs_pledge_page_lists_signed_and_unsigned_at_fixed_queries(district):
    d = district
    w = volunteer_world(d, members=3)
    v1 = publish(d)
    reporting.pledge_sign(actor=w.members[0], text=v1)
    client = signed_in(w.social_worker)
    client.get("/volunteers/pledges/")
    with CaptureQueriesContext(connection) as few:
        page = client.get("/volunteers/pledges/")
    assert (page.context["status"]["signed_count"], page.context["status"]["unsigned_count"]) == (1, 2)
    for n in range(10):
        user, _report = add_member(d, f"more{n}", f"党员{n}")
        reporting.pledge_sign(actor=user, text=v1)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/volunteers/pledges/")
    assert (page.context["status"]["signed_count"], page.context["status"]["unsigned_count"]) == (11, 2)
    html = page.content.decode()
    assert (
        html.count('data-testid="signed-member"') == 11 and html.count('data-testid="unsigned-member"') == 2
    )
    assert len(many) == len(few)
