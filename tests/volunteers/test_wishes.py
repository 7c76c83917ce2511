"""Micro-wishes (微心愿) through the services: post, light up (one member, or a group), fulfil with a
photo, confirm (points to every claimant, once), cancel; every refusal is clear and changes nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.exceptions import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from core.models import OutboxMessage
from notices.models import Notice
from points.models import Transfer
from points.services import wallet_for
from points.tasks import points_award_for_event_task
from tests.factories import make_user
from tests.volunteers.support import add_member
from tests.volunteers.test_wishes_support import claimed, days, fulfilled, photo, post, wish_world
from volunteers.models import Wish, WishClaim, WishEvent
from volunteers.services import wishes as services
from volunteers.workflow import WishState

pytestmark = pytest.mark.django_db


def events(wish) -> list[tuple[str, str, str]]:
    return list(
        WishEvent.objects.filter(wish=wish).order_by("pk").values_list("step", "from_state", "to_state")
    )


def state(wish) -> str:
    return Wish.objects.get(pk=wish.pk).state


# --- Posting ---------------------------------------------------------------------------------------


def test_a_resident_posts_a_wish_for_themself_in_their_community_and_grid(district):
    w = wish_world(district)
    wish = post(w)
    assert wish.beneficiary == district.resident and wish.posted_by == district.resident_user
    assert wish.community == district.community1 and wish.grid == district.grid1
    assert wish.state == WishState.OPEN and wish.group_size == 1
    assert events(wish) == [("post", "", "open")]


def test_a_social_worker_or_the_secretary_posts_for_a_resident_without_a_login(district):
    w = wish_world(district)
    for actor in (w.social_worker, district.secretary1):
        wish = post(w, actor=actor, beneficiary=w.elder, title="助听器维修", category="health")
        assert wish.beneficiary == w.elder and wish.posted_by == actor
        assert wish.community == district.community1 and wish.grid == district.grid1


def test_only_the_communitys_staff_post_for_someone_else_and_nothing_is_posted(district):
    w = wish_world(district)
    with pytest.raises(PermissionDenied) as refused:
        post(w, actor=district.member_user, beneficiary=w.elder)
    assert refused.value.code == "not_community_staff"
    with pytest.raises(NotFound):
        post(w, actor=district.secretary3, beneficiary=w.elder)
    with pytest.raises(PermissionDenied) as nobody:
        post(w, actor=make_user("visitor"))
    assert nobody.value.code == "not_a_resident"
    assert not Wish.objects.exists() and not WishEvent.objects.exists()


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"due_on": -1}, "due_in_past"),
        ({"due_on": 0}, "due_in_past"),
        ({"due_on": 100}, "due_too_far"),
        ({"due_on": None}, "invalid_due_on"),
        ({"title": ""}, "invalid_title"),
        ({"title": "大" * 61}, "invalid_title"),
        ({"description": "长" * 501}, "invalid_description"),
        ({"category": "money"}, "invalid_category"),
        ({"group_size": 0}, "invalid_group_size"),
        ({"group_size": 21}, "invalid_group_size"),
        ({"group_size": "3"}, "invalid_group_size"),
    ],
)
def test_bad_input_is_refused_clearly_and_nothing_is_posted(district, fields, code):
    w = wish_world(district)
    if "due_on" in fields and fields["due_on"] is not None:
        fields["due_on"] = days(fields["due_on"])
    with pytest.raises(ValidationFailed) as refused:
        post(w, **fields)
    assert refused.value.code == code
    assert str(refused.value.message)
    assert not Wish.objects.exists()


def test_a_big_wish_takes_up_to_twenty_members(district):
    w = wish_world(district)
    assert post(w, title="楼道粉刷", category="repair", group_size=20).group_size == 20


# --- Lighting up ---------------------------------------------------------------------------------


def test_one_member_lights_up_a_small_wish_and_the_resident_is_told_once(district):
    w = wish_world(district)
    wish = post(w)
    claim = services.wish_claim(actor=w.members[0], wish=wish)
    assert claim.user == w.members[0]
    assert state(wish) == WishState.CLAIMED
    assert events(wish)[-1] == ("claim", "open", "claimed")
    notice = Notice.objects.get(kind="wish-lit")
    assert notice.recipient == district.resident_user and "一袋大米" in notice.title

    with pytest.raises(Conflict) as taken:
        services.wish_claim(actor=w.members[1], wish=wish)
    assert taken.value.code == "wish_taken" and taken.value.status_code == 409
    assert "already been lit up by another member" in str(taken.value.message)
    assert WishClaim.objects.filter(wish=wish).count() == 1
    assert len(events(wish)) == 2 and Notice.objects.filter(kind="wish-lit").count() == 1


def test_a_group_wish_takes_claims_until_it_is_full_and_nobody_claims_twice(district):
    w = wish_world(district, members=5)
    wish = post(w, title="楼道粉刷", category="repair", group_size=3)
    services.wish_claim(actor=w.members[0], wish=wish)
    with pytest.raises(Conflict) as twice:
        services.wish_claim(actor=w.members[0], wish=wish)
    assert twice.value.code == "already_claimed"
    services.wish_claim(actor=w.members[1], wish=wish)
    services.wish_claim(actor=w.members[2], wish=wish)
    with pytest.raises(Conflict) as full:
        services.wish_claim(actor=w.members[3], wish=wish)
    assert full.value.code == "wish_full"
    assert WishClaim.objects.filter(wish=wish).count() == 3
    assert [e[0] for e in events(wish)] == ["post", "claim", "claim", "claim"]
    assert list(WishEvent.objects.filter(step="claim").values_list("note", flat=True)) == [
        "1/3",
        "2/3",
        "3/3",
    ]
    assert Notice.objects.filter(kind="wish-full", recipient=district.resident_user).count() == 1


def test_only_members_reported_to_the_community_light_up(district):
    w = wish_world(district)
    wish = post(w)
    # A member who has not reported (or left), and a resident who is no member: they see the wall, 403.
    for actor in (w.unreported, district.resident_user):
        with pytest.raises(PermissionDenied) as refused:
            services.wish_claim(actor=actor, wish=wish)
        assert refused.value.code == "not_reported_here"
    # Someone from another community does not see it at all.
    with pytest.raises(NotFound):
        services.wish_claim(actor=district.secretary3, wish=wish)
    assert state(wish) == WishState.OPEN and not WishClaim.objects.exists()
    assert events(wish) == [("post", "", "open")]


def test_a_member_cannot_light_up_their_own_wish(district):
    w = wish_world(district)
    wish = post(w, actor=district.member_user)
    with pytest.raises(PermissionDenied) as refused:
        services.wish_claim(actor=district.member_user, wish=wish)
    assert refused.value.code == "own_wish"
    assert not WishClaim.objects.exists()


def test_a_wish_no_longer_open_cannot_be_lit_up(district):
    w = wish_world(district)
    wish = fulfilled(w)
    with pytest.raises(InvalidTransition) as refused:
        services.wish_claim(actor=w.members[1], wish=wish)
    assert refused.value.status_code == 409
    assert WishClaim.objects.count() == 1


# --- Fulfilling --------------------------------------------------------------------------------------


def test_the_claimant_marks_it_fulfilled_with_a_photo_and_the_resident_is_asked_to_confirm(
    district, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    w = wish_world(district)
    wish = claimed(w)
    done = services.wish_fulfil(
        actor=w.members[0], wish=wish, note="已送大米到家。", photo=photo("我的照片.png")
    )
    assert done.state == WishState.FULFILLED and done.fulfilled_at is not None
    assert done.fulfil_note == "已送大米到家。"
    assert done.fulfil_photo.name.endswith(f"wish-{wish.pk}.png")
    assert events(wish)[-1] == ("fulfil", "claimed", "fulfilled")
    notice = Notice.objects.get(kind="wish-fulfilled")
    assert notice.recipient == district.resident_user and notice.url == f"/volunteers/wishes/{wish.pk}/"


@pytest.mark.parametrize(
    ("upload", "code"),
    [
        (None, "photo_required"),
        (SimpleUploadedFile("done.gif", b"GIF89a" + b"\0" * 20, content_type="image/gif"), "photo_type"),
        (SimpleUploadedFile("fake.jpg", b"not a picture at all", content_type="image/jpeg"), "photo_type"),
        (SimpleUploadedFile("big.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (8 * 1024 * 1024)), "photo_too_large"),
    ],
)
def test_a_missing_or_bad_photo_is_refused_and_nothing_changes(district, settings, tmp_path, upload, code):
    settings.MEDIA_ROOT = tmp_path
    w = wish_world(district)
    wish = claimed(w)
    with pytest.raises(ValidationFailed) as refused:
        services.wish_fulfil(actor=w.members[0], wish=wish, note="已送到。", photo=upload)
    assert refused.value.code == code and refused.value.status_code == 400
    stored = Wish.objects.get(pk=wish.pk)
    assert stored.state == WishState.CLAIMED and not stored.fulfil_photo and stored.fulfilled_at is None
    assert not list(tmp_path.rglob("*.*"))
    assert not Notice.objects.filter(kind="wish-fulfilled").exists()


def test_a_note_is_needed_too(district, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = wish_world(district)
    wish = claimed(w)
    with pytest.raises(ValidationFailed) as refused:
        services.wish_fulfil(actor=w.members[0], wish=wish, note="  ", photo=photo())
    assert refused.value.code == "invalid_note"
    assert state(wish) == WishState.CLAIMED


def test_only_a_claimant_fulfils(district, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = wish_world(district)
    wish = claimed(w)
    for actor in (w.members[1], district.resident_user, w.social_worker):
        with pytest.raises(PermissionDenied) as refused:
            services.wish_fulfil(actor=actor, wish=wish, note="已送到。", photo=photo())
        assert refused.value.code == "not_claimant"
    with pytest.raises(NotFound):
        services.wish_fulfil(actor=district.secretary3, wish=wish, note="已送到。", photo=photo())
    # An open wish nobody lit up cannot be fulfilled either.
    open_wish = post(w, title="老花镜", category="health")
    with pytest.raises(PermissionDenied):
        services.wish_fulfil(actor=w.members[0], wish=open_wish, note="已送到。", photo=photo())
    assert state(wish) == WishState.CLAIMED and state(open_wish) == WishState.OPEN
    assert not Notice.objects.filter(kind="wish-fulfilled").exists()


def test_fulfilling_twice_is_refused(district, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = wish_world(district)
    wish = fulfilled(w)
    with pytest.raises(InvalidTransition) as refused:
        services.wish_fulfil(actor=w.members[0], wish=wish, note="又送一次。", photo=photo())
    assert refused.value.code == "wish_fulfilled"
    assert Wish.objects.get(pk=wish.pk).fulfil_note == "已送到家中。"


# --- Confirming and the points -------------------------------------------------------------------


def test_the_resident_confirms_and_every_claimant_earns_the_points_exactly_once(district, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = wish_world(district)
    wish = post(w, title="楼道粉刷", category="repair", group_size=2)
    services.wish_claim(actor=w.members[0], wish=wish)
    services.wish_claim(actor=w.members[1], wish=wish)
    services.wish_fulfil(actor=w.members[1], wish=wish, note="楼道已粉刷。", photo=photo())

    confirmed = services.wish_confirm(actor=district.resident_user, wish=wish, note="谢谢！")

    assert confirmed.state == WishState.CONFIRMED and confirmed.confirmed_at is not None
    assert events(wish)[-1] == ("confirm", "fulfilled", "confirmed")
    messages = OutboxMessage.objects.filter(
        task_name="points.award_for_event", args__0="wish_fulfilled"
    ).order_by("pk")
    assert [m.args[3] for m in messages] == [
        f"wish:{wish.pk}:claim:{w.members[0].pk}",
        f"wish:{wish.pk}:claim:{w.members[1].pk}",
    ]
    assert {m.args[0] for m in messages} == {"wish_fulfilled"}
    assert {m.args[5] for m in messages} == {f"volunteers.Wish:{wish.pk}"}
    # The worker runs each message, and runs it again (a redelivery): one transfer per claimant.
    for _run in range(2):
        for message in messages:
            points_award_for_event_task(*message.args, **message.kwargs)
    for member in w.members[:2]:
        wallet = wallet_for(user=member)
        assert Transfer.objects.filter(destination=wallet, kind="earning").count() == 1
        assert wallet.balance == 10
    told = Notice.objects.filter(kind="wish-confirmed")
    assert set(told.values_list("recipient", flat=True)) == {w.members[0].pk, w.members[1].pk}


def test_confirming_twice_is_refused_and_pays_nothing_more(district, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = wish_world(district)
    wish = fulfilled(w)
    services.wish_confirm(actor=district.resident_user, wish=wish)
    with pytest.raises(InvalidTransition) as refused:
        services.wish_confirm(actor=district.resident_user, wish=wish)
    assert refused.value.code == "wish_confirmed" and refused.value.status_code == 409
    assert (
        OutboxMessage.objects.filter(task_name="points.award_for_event", args__0="wish_fulfilled").count()
        == 1
    )
    assert WishEvent.objects.filter(wish=wish, step="confirm").count() == 1


def test_nobody_else_confirms(district, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = wish_world(district)
    wish = fulfilled(w)
    neighbour = add_member(district, "neighbour", "邻居老陈", accept=False)[0]
    for actor in (w.members[0], w.social_worker, neighbour):
        with pytest.raises(PermissionDenied) as refused:
            services.wish_confirm(actor=actor, wish=wish)
        assert refused.value.code == "not_wish_owner"
    with pytest.raises(NotFound):
        services.wish_confirm(actor=district.secretary3, wish=wish)
    assert state(wish) == WishState.FULFILLED
    assert not OutboxMessage.objects.filter(
        task_name="points.award_for_event", args__0="wish_fulfilled"
    ).exists()


def test_for_a_resident_without_a_login_the_poster_or_the_staff_confirm(district, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = wish_world(district)
    wish = post(w, actor=w.social_worker, beneficiary=w.elder, title="助听器维修", category="health")
    fulfilled(w, wish)
    # The social worker who posted it is the one told it was lit up and fulfilled.
    assert set(Notice.objects.values_list("kind", "recipient")) == {
        ("wish-lit", w.social_worker.pk),
        ("wish-fulfilled", w.social_worker.pk),
    }
    with pytest.raises(PermissionDenied):
        services.wish_confirm(actor=w.members[1], wish=wish)
    services.wish_confirm(actor=district.secretary1, wish=wish)
    assert state(wish) == WishState.CONFIRMED


# --- Cancelling --------------------------------------------------------------------------------------


def test_the_resident_cancels_a_lit_up_wish_with_a_reason_and_the_claimants_are_told(district):
    w = wish_world(district)
    wish = claimed(w)
    with pytest.raises(ValidationFailed) as no_reason:
        services.wish_cancel(actor=district.resident_user, wish=wish, reason=" ")
    assert no_reason.value.code == "reason_required"
    assert state(wish) == WishState.CLAIMED

    services.wish_cancel(actor=district.resident_user, wish=wish, reason="子女已经买好了。")

    stored = Wish.objects.get(pk=wish.pk)
    assert stored.state == WishState.CANCELLED and stored.cancel_reason == "子女已经买好了。"
    assert events(wish)[-1] == ("cancel", "claimed", "cancelled")
    notice = Notice.objects.get(kind="wish-cancelled")
    assert notice.recipient == w.members[0] and "子女已经买好了" in notice.title


def test_the_staff_cancel_too_but_not_a_member_and_not_a_finished_wish(district, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = wish_world(district)
    wish = post(w)
    with pytest.raises(PermissionDenied):
        services.wish_cancel(actor=w.members[0], wish=wish, reason="不需要了")
    with pytest.raises(NotFound):
        services.wish_cancel(actor=district.secretary3, wish=wish, reason="不需要了")
    assert state(wish) == WishState.OPEN
    services.wish_cancel(actor=w.social_worker, wish=wish, reason="居民已搬走")
    assert state(wish) == WishState.CANCELLED

    done = fulfilled(w, post(w, title="老花镜", category="health"))
    with pytest.raises(InvalidTransition) as refused:
        services.wish_cancel(actor=district.resident_user, wish=done, reason="不需要了")
    assert refused.value.code == "wish_fulfilled"
    assert state(done) == WishState.FULFILLED


def test_every_step_is_on_the_timeline(district, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = wish_world(district)
    wish = fulfilled(w)
    services.wish_confirm(actor=district.resident_user, wish=wish)
    assert events(wish) == [
        ("post", "", "open"),
        ("claim", "open", "claimed"),
        ("fulfil", "claimed", "fulfilled"),
        ("confirm", "fulfilled", "confirmed"),
    ]
    assert list(WishEvent.objects.filter(wish=wish).values_list("actor", flat=True)) == [
        district.resident_user.pk,
        w.members[0].pk,
        w.members[0].pk,
        district.resident_user.pk,
    ]
