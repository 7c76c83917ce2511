"""The periodic push: wishes still waiting for members within VOLUNTEER_WISH_PUSH_DAYS of their date are
pushed once to the reported members of their grid (or community); a second run sends nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from community import services as community_services
from community.models import AreaKind
from notices.models import Notice
from tests.volunteers.support import add_member
from tests.volunteers.test_wishes_support import claimed, days, post, wish_world
from volunteers.services import reporting
from volunteers.services import wishes as services

pytestmark = pytest.mark.django_db


def pushed(wish) -> set[int]:
    return set(
        Notice.objects.filter(kind="wish-push", dedupe_key__startswith=f"wish-push:{wish.pk}:").values_list(
            "recipient", flat=True
        )
    )


def test_a_wish_near_its_date_is_pushed_once_to_the_members_of_its_grid(district, settings):
    settings.VOLUNTEER_WISH_PUSH_DAYS = 3
    w = wish_world(district, members=3)
    # A member reported to another grid of the same community is not told.
    grid2 = community_services.area_create(
        actor=None, name="越都二网格", kind=AreaKind.GRID, parent=district.community1
    )
    other, report = add_member(district, "grid2_member", "网格二党员", accept=False)
    reporting.report_accept(actor=None, report=report, grid=grid2)
    near = post(w, title="一袋大米", due_on=days(2))
    far = post(w, title="陪读绘本", category="study", due_on=days(10))

    sent = services.wishes_push_near_due(timezone.now())

    assert pushed(near) == {m.pk for m in w.members}
    assert sent == 3
    assert pushed(far) == set()
    assert other.pk not in pushed(near)
    assert "一袋大米" in Notice.objects.filter(kind="wish-push").first().title
    # Run again (the next quarter of an hour, or a second worker): nothing more.
    assert services.wishes_push_near_due(timezone.now()) == 0
    assert Notice.objects.filter(kind="wish-push").count() == 3


def test_taken_finished_or_overdue_wishes_are_not_pushed_and_a_group_wish_with_room_is(district):
    w = wish_world(district, members=3)
    taken = claimed(w, post(w, title="老花镜", category="health", due_on=days(1)))
    overdue = post(w, title="轮椅一台", category="health", due_on=days(1))
    overdue.due_on = days(-1)
    overdue.save(update_fields=["due_on"])
    cancelled = post(w, title="书包文具", category="study", due_on=days(2))
    services.wish_cancel(actor=district.resident_user, wish=cancelled, reason="已有人捐赠")
    group = post(w, title="楼道粉刷", category="repair", group_size=4, due_on=days(3))
    services.wish_claim(actor=w.members[0], wish=group)

    services.wishes_push_near_due(timezone.now())

    assert pushed(taken) == pushed(overdue) == pushed(cancelled) == set()
    # The member already in the group is not asked again.
    assert pushed(group) == {w.members[1].pk, w.members[2].pk}


def test_a_wish_without_a_grid_goes_to_the_communitys_reported_members(district):
    w = wish_world(district, members=2)
    homeless = community_services.person_create(actor=None, name="王奶奶", community=district.community1)
    wish = post(
        w, actor=w.social_worker, beneficiary=homeless, title="陪伴聊天", category="company", due_on=days(1)
    )
    assert wish.grid is None
    services.wishes_push_near_due(timezone.now())
    assert pushed(wish) == {m.pk for m in w.members}
