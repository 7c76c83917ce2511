"""The micro-wish pages: the wall without personal details and its "light up" button, posting, a wish's
page with the viewer's steps (light up, fulfil with a photo, confirm, cancel), my wishes, the staff's
list; refusals show the reason with their status and change nothing; lists cost constant queries."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from notices.models import Notice
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
from volunteers.models import Wish, WishClaim, WishEvent
from volunteers.services import wishes as services
from volunteers.workflow import WishState

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def signed_in(user) -> Client:
    """A signed-in browser that reads the pages in English (the messages are checked in English)."""
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def html(response) -> str:
    return response.content.decode()


def no_personal_details(text: str) -> None:
    for secret in (
        RESIDENT_NAME,
        RESIDENT_PHONE,
        "139****2222",
        ELDER_NAME,
        ELDER_PHONE,
        "139****2222",
        "1幢",
    ):
        assert secret not in text, secret


# --- The wall ------------------------------------------------------------------------------------


def test_the_wall_shows_open_wishes_to_members_without_name_phone_or_address(district):
    w = wish_world(district)
    post(w)
    post(w, actor=w.social_worker, beneficiary=w.elder, title="助听器维修", category="health")

    response = signed_in(w.members[0]).get("/volunteers/wishes/")

    assert response.status_code == 200
    page = html(response)
    assert "一袋大米" in page and "助听器维修" in page
    assert "A resident of 越都花园" in page
    assert page.count('data-testid="light-up"') == 2
    no_personal_details(page)
    assert "腿脚不便" not in page  # the details are on the wish's page, not the wall


def test_a_resident_sees_the_wall_without_the_button_and_strangers_see_nothing(district):
    w = wish_world(district)
    post(w, actor=w.social_worker, beneficiary=w.elder, title="助听器维修", category="health")
    resident = html(signed_in(district.resident_user).get("/volunteers/wishes/"))
    assert "助听器维修" in resident and 'data-testid="light-up"' not in resident
    assert 'data-testid="wall-members-only"' in resident
    stranger = make_user("stranger")
    assert "助听器维修" not in html(signed_in(stranger).get("/volunteers/wishes/"))
    assert "助听器维修" not in html(signed_in(district.secretary3).get("/volunteers/wishes/"))
    assert Client().get("/volunteers/wishes/").status_code == 302  # the public: sign in first


def test_the_wall_filters_by_kind_and_shows_only_wishes_with_room(district):
    w = wish_world(district, members=3)
    post(w, title="一袋大米", category="daily")
    post(w, title="陪读绘本", category="study")
    claimed(w, post(w, title="老花镜", category="health"))
    group = post(w, title="楼道粉刷", category="repair", group_size=4)
    services.wish_claim(actor=w.members[1], wish=group)

    member = signed_in(w.members[0])
    page = html(member.get("/volunteers/wishes/"))
    assert "一袋大米" in page and "陪读绘本" in page and "楼道粉刷" in page
    assert "老花镜" not in page  # lit up by someone: no room
    assert "1 of 4 members" in page
    study = html(member.get("/volunteers/wishes/?category=study"))
    assert "陪读绘本" in study and "一袋大米" not in study
    # The member who joined the group wish sees it as theirs.
    assert 'data-testid="wish-mine"' in html(signed_in(w.members[1]).get("/volunteers/wishes/"))


def test_the_wall_costs_the_same_queries_for_3_or_20_wishes(district):
    w = wish_world(district)
    for n in range(3):
        post(w, title=f"心愿{n}")
    member = signed_in(w.members[0])
    member.get("/volunteers/wishes/")
    with CaptureQueriesContext(connection) as few:
        first = member.get("/volunteers/wishes/")
    for n in range(3, 20):
        post(w, title=f"心愿{n}", group_size=2 if n % 2 else 1)
    with CaptureQueriesContext(connection) as many:
        second = member.get("/volunteers/wishes/")
    assert html(first).count('data-testid="wish-card"') == 3
    assert html(second).count('data-testid="wish-card"') == 20
    assert len(many) == len(few)


# --- Lighting up from the wall -------------------------------------------------------------------


def test_a_member_taps_light_up_and_the_next_member_is_told_it_is_taken(district):
    w = wish_world(district)
    wish = post(w)
    first = signed_in(w.members[0]).post(f"/volunteers/wishes/{wish.pk}/claim/")
    assert first.status_code == 302 and first["Location"] == f"/volunteers/wishes/{wish.pk}/"
    assert WishClaim.objects.get().user == w.members[0]

    second = signed_in(w.members[1]).post(f"/volunteers/wishes/{wish.pk}/claim/")
    assert second.status_code == 409
    assert "already been lit up by another member" in html(second)
    assert WishClaim.objects.count() == 1 and Wish.objects.get().state == WishState.CLAIMED


def test_light_up_is_refused_to_those_not_reported_here(district):
    w = wish_world(district)
    wish = post(w)
    refused = signed_in(w.unreported).post(f"/volunteers/wishes/{wish.pk}/claim/")
    assert refused.status_code == 403
    assert "reported to this community" in html(refused)
    assert signed_in(district.secretary3).post(f"/volunteers/wishes/{wish.pk}/claim/").status_code == 404
    assert signed_in(w.members[0]).get(f"/volunteers/wishes/{wish.pk}/claim/").status_code == 405
    assert not WishClaim.objects.exists() and WishEvent.objects.count() == 1


# --- Posting -------------------------------------------------------------------------------------


def wish_data(**fields):
    data = {
        "category": "daily",
        "title": "一袋大米",
        "description": "想请人帮忙买一袋大米。",
        "due_on": days(7).isoformat(),
        "group_size": "1",
    }
    data.update(fields)
    return data


def test_a_resident_posts_a_wish_from_the_form(district):
    wish_world(district)
    client = signed_in(district.resident_user)
    form = client.get("/volunteers/wishes/new/")
    assert form.status_code == 200 and 'name="beneficiary"' not in html(form)
    response = client.post("/volunteers/wishes/new/", wish_data())
    wish = Wish.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/volunteers/wishes/{wish.pk}/"
    assert wish.beneficiary == district.resident and wish.due_on == days(7)


@pytest.mark.parametrize(
    ("fields", "status", "text"),
    [
        ({"due_on": days(-1).isoformat()}, 400, "must be in the future"),
        ({"due_on": days(120).isoformat()}, 400, "three months"),
        ({"title": ""}, 400, "Please correct"),
        ({"group_size": "21"}, 400, "Please correct"),
        ({"category": "money"}, 400, "Please correct"),
    ],
)
def test_a_bad_wish_is_refused_with_the_reason_and_nothing_is_posted(district, fields, status, text):
    wish_world(district)
    response = signed_in(district.resident_user).post("/volunteers/wishes/new/", wish_data(**fields))
    assert response.status_code == status
    assert text in html(response)
    assert not Wish.objects.exists()


def test_the_social_worker_posts_for_a_resident_chosen_from_the_community(district):
    w = wish_world(district)
    client = signed_in(w.social_worker)
    form = html(client.get("/volunteers/wishes/new/"))
    assert ELDER_NAME in form and "张桂兰" not in form  # 府山社区's resident is not offered
    response = client.post(
        "/volunteers/wishes/new/", wish_data(beneficiary=str(w.elder.pk), title="助听器维修")
    )
    assert response.status_code == 302
    wish = Wish.objects.get()
    assert wish.beneficiary == w.elder and wish.posted_by == w.social_worker
    # Without choosing a resident (a social worker has no home here) nothing is posted.
    assert client.post("/volunteers/wishes/new/", wish_data()).status_code == 400
    assert Wish.objects.count() == 1


def test_someone_registered_nowhere_is_told_to_register(district):
    page = signed_in(make_user("visitor")).get("/volunteers/wishes/new/")
    assert page.status_code == 200 and 'data-testid="not-a-resident"' in html(page)


# --- The wish's page and its steps -----------------------------------------------------------------


def test_the_wish_page_names_the_resident_only_to_them_and_to_the_staff(district):
    w = wish_world(district)
    wish = post(w)
    url = f"/volunteers/wishes/{wish.pk}/"
    member = html(signed_in(w.members[0]).get(url))
    assert "一袋大米" in member and "腿脚不便" in member and 'data-testid="light-up"' in member
    no_personal_details(member)
    resident = html(signed_in(district.resident_user).get(url))
    assert RESIDENT_NAME in resident and 'data-testid="cancel-form"' in resident
    secretary = html(signed_in(district.secretary1).get(url))
    assert RESIDENT_NAME in secretary and RESIDENT_PHONE in secretary
    assert signed_in(district.secretary3).get(url).status_code == 404
    assert signed_in(make_user("stranger")).get(url).status_code == 404


def test_the_claimant_fulfils_with_a_photo_and_the_resident_confirms_on_the_page(district):
    w = wish_world(district)
    wish = claimed(w)
    url = f"/volunteers/wishes/{wish.pk}/"
    claimant = signed_in(w.members[0])
    assert 'data-testid="fulfil-form"' in html(claimant.get(url))

    done = claimant.post(f"{url}fulfil/", {"note": "大米已送到家。", "photo": photo()})
    assert done.status_code == 302
    assert Wish.objects.get().state == WishState.FULFILLED
    page = html(signed_in(district.resident_user).get(url))
    assert 'data-testid="wish-photo"' in page and 'data-testid="confirm-form"' in page

    # Someone else cannot confirm; the resident can, once.
    assert signed_in(w.members[1]).post(f"{url}confirm/").status_code == 403
    assert Wish.objects.get().state == WishState.FULFILLED
    resident = signed_in(district.resident_user)
    assert resident.post(f"{url}confirm/", {"note": "谢谢！"}).status_code == 302
    again = resident.post(f"{url}confirm/")
    assert again.status_code == 409 and "confirmed" in html(again)
    assert Wish.objects.get().state == WishState.CONFIRMED
    assert WishEvent.objects.filter(step="confirm").count() == 1


@pytest.mark.parametrize(
    ("upload", "text"),
    [
        (SimpleUploadedFile("done.gif", b"GIF89a" + b"\0" * 20), "must be a JPG or PNG"),
        (SimpleUploadedFile("big.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (8 * 1024 * 1024)), "at most 8 MB"),
    ],
)
def test_a_wrong_photo_on_the_page_is_refused_and_nothing_changes(district, upload, text):
    w = wish_world(district)
    wish = claimed(w)
    response = signed_in(w.members[0]).post(
        f"/volunteers/wishes/{wish.pk}/fulfil/", {"note": "已送到。", "photo": upload}
    )
    assert response.status_code == 400 and text in html(response)
    stored = Wish.objects.get()
    assert stored.state == WishState.CLAIMED and not stored.fulfil_photo


def test_without_a_photo_the_form_says_so(district):
    w = wish_world(district)
    wish = claimed(w)
    response = signed_in(w.members[0]).post(f"/volunteers/wishes/{wish.pk}/fulfil/", {"note": "已送到。"})
    assert response.status_code == 400 and "Please correct" in html(response)
    assert Wish.objects.get().state == WishState.CLAIMED


def test_a_member_who_did_not_light_it_up_cannot_fulfil_it(district):
    w = wish_world(district)
    wish = claimed(w)
    response = signed_in(w.members[1]).post(
        f"/volunteers/wishes/{wish.pk}/fulfil/", {"note": "已送到。", "photo": photo()}
    )
    assert response.status_code == 403
    assert Wish.objects.get().state == WishState.CLAIMED


def test_the_resident_cancels_with_a_reason_and_the_claimant_is_told(district):
    w = wish_world(district)
    wish = claimed(w)
    url = f"/volunteers/wishes/{wish.pk}/cancel/"
    assert signed_in(w.members[0]).post(url, {"reason": "不要了"}).status_code == 403
    empty = signed_in(district.resident_user).post(url, {"reason": ""})
    assert empty.status_code == 400
    assert Wish.objects.get().state == WishState.CLAIMED
    assert signed_in(district.resident_user).post(url, {"reason": "子女已买好"}).status_code == 302
    assert Wish.objects.get().state == WishState.CANCELLED
    assert Notice.objects.filter(kind="wish-cancelled", recipient=w.members[0]).exists()


# --- My wishes and the staff's list --------------------------------------------------------------


def test_my_wishes_lists_a_residents_own_and_a_members_lit_up_ones(district):
    w = wish_world(district)
    fulfilled(w, post(w, title="一袋大米"))
    post(w, title="老花镜", category="health")
    resident = html(signed_in(district.resident_user).get("/volunteers/wishes/mine/"))
    assert "一袋大米" in resident and "老花镜" in resident and "please confirm" in resident
    member = html(signed_in(w.members[0]).get("/volunteers/wishes/mine/"))
    assert 'data-testid="wishes-claimed"' in member
    claimed_part = member.split('data-testid="wishes-claimed"')[1].split('data-testid="wishes-posted"')[0]
    assert "一袋大米" in claimed_part and "老花镜" not in claimed_part
    no_personal_details(member)


def test_the_staff_see_every_wish_of_their_community_with_filters(district):
    w = wish_world(district)
    claimed(w, post(w, title="一袋大米"))
    post(w, actor=w.social_worker, beneficiary=w.elder, title="助听器维修", category="health")
    secretary = signed_in(district.secretary1)
    page = html(secretary.get("/volunteers/wishes/manage/"))
    assert "一袋大米" in page and "助听器维修" in page and ELDER_NAME in page
    claimed_only = html(secretary.get("/volunteers/wishes/manage/?state=claimed"))
    assert "一袋大米" in claimed_only and "助听器维修" not in claimed_only
    health = html(secretary.get("/volunteers/wishes/manage/?category=health"))
    assert "助听器维修" in health and "一袋大米" not in health
    by_grid = html(secretary.get(f"/volunteers/wishes/manage/?grid={district.grid1.pk}"))
    assert "一袋大米" in by_grid
    assert "一袋大米" not in html(signed_in(district.secretary3).get("/volunteers/wishes/manage/"))
    assert signed_in(district.resident_user).get("/volunteers/wishes/manage/").status_code == 403
    assert signed_in(w.members[0]).get("/volunteers/wishes/manage/").status_code == 403


def test_the_staff_list_costs_the_same_queries_for_3_or_20_wishes(district):
    w = wish_world(district)
    for n in range(3):
        claimed(w, post(w, title=f"心愿{n}"), member=w.members[n % 3])
    client = signed_in(district.secretary1)
    client.get("/volunteers/wishes/manage/")
    with CaptureQueriesContext(connection) as few:
        client.get("/volunteers/wishes/manage/")
    for n in range(3, 20):
        post(w, actor=w.social_worker, beneficiary=w.elder, title=f"心愿{n}")
    with CaptureQueriesContext(connection) as many:
        response = client.get("/volunteers/wishes/manage/")
    assert html(response).count('data-testid="wish-row"') == 40  # the table and the phone list
    assert len(many) == len(few)
