"""The reads the member's feed uses: the wish wall (own grid first, nearest date, only wishes with room),
the wishes a member lit up (unfinished first) and those posted for or by someone; constant queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from community import services as community_services
from community.models import AreaKind
from tests.factories import make_user
from tests.volunteers.test_wishes_support import claimed, days, fulfilled, post, wish_world
from volunteers.selectors import wishes as selectors
from volunteers.services import wishes as services

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def titles(wishes) -> list[str]:
    return [wish.title for wish in wishes]


def test_the_wall_puts_the_members_own_grid_first_then_the_nearest_date(district):
    w = wish_world(district)
    grid2 = community_services.area_create(
        actor=None, name="越都二网格", kind=AreaKind.GRID, parent=district.community1
    )
    compound = community_services.area_create(
        actor=None, name="和畅苑", kind=AreaKind.COMPOUND, parent=district.community1, grid=grid2
    )
    neighbour = community_services.person_create(
        actor=None, name="和畅苑居民", community=district.community1, home=compound
    )
    post(w, actor=w.social_worker, beneficiary=neighbour, title="别的网格·最近", due_on=days(2))
    post(w, title="本网格·较晚", due_on=days(20))
    post(w, title="本网格·较早", due_on=days(9))
    claimed(w, post(w, title="已被点亮", due_on=days(3)))
    group = post(w, title="楼道粉刷", group_size=2, due_on=days(30))
    services.wish_claim(actor=w.members[1], wish=group)

    wall = selectors.wish_wall(actor=w.members[0])

    assert titles(wall) == ["本网格·较早", "本网格·较晚", "楼道粉刷", "别的网格·最近"]
    assert [wish.claim_count for wish in wall] == [0, 0, 1, 0]
    assert selectors.wish_place(wall[3]) == "A resident of 和畅苑"
    # A resident of the community sees the same wall; someone of another community sees none of it.
    assert len(selectors.wish_wall(actor=district.resident_user)) == 4
    assert list(selectors.wish_wall(actor=district.secretary3)) == []
    assert list(selectors.wish_wall(actor=make_user("stranger"))) == []
    # Narrowed to a community: its own staff see it; a member sees it only where they belong.
    assert len(selectors.wish_wall(actor=district.secretary1, community=district.community1)) == 4
    assert list(selectors.wish_wall(actor=w.members[0], community=district.community3)) == []


def test_claimed_unfinished_first_and_posted_for_or_by_someone(district):
    w = wish_world(district)
    done = fulfilled(w, post(w, title="已完成", due_on=days(2)))
    services.wish_confirm(actor=district.resident_user, wish=done)
    claimed(w, post(w, title="进行中", due_on=days(20)))
    elders = post(w, actor=w.social_worker, beneficiary=w.elder, title="助听器维修", due_on=days(5))

    assert titles(selectors.wishes_claimed(actor=w.members[0])) == ["进行中", "已完成"]
    assert titles(selectors.wishes_posted(actor=district.resident_user)) == ["进行中", "已完成"]
    assert titles(selectors.wishes_posted(actor=w.social_worker)) == [elders.title]
    assert list(selectors.wishes_claimed(actor=w.members[1])) == []


def test_the_feeds_cost_the_same_queries_for_3_or_20_wishes(district):
    w = wish_world(district)

    def read() -> int:
        member = type(w.members[0]).objects.get(pk=w.members[0].pk)  # a fresh user: nothing cached
        with CaptureQueriesContext(connection) as queries:
            for wish in selectors.with_places(selectors.wish_wall(actor=member)):
                assert wish.place and wish.claim_count is not None
            selectors.with_places(selectors.wishes_claimed(actor=member))
            selectors.with_places(selectors.wishes_posted(actor=member))
        return len(queries)

    for n in range(3):
        claimed(w, post(w, title=f"心愿{n}", group_size=2), member=w.members[1])
    few = read()
    for n in range(3, 20):
        post(w, actor=w.social_worker, beneficiary=w.elder, title=f"心愿{n}")
    assert read() == few
