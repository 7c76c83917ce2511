""" "My service" (/volunteers/): what a member, a resident and the staff see, and a constant number of
queries however much there is."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from tests.volunteers.test_activities_support import publish
from tests.volunteers.test_orders_support import grabbed, order_world, place, pooled
from volunteers.services import activities, wishes

URL = "/volunteers/"


def _wish(w, title="一袋大米"):
    return wishes.wish_post(
        actor=w.social_worker,
        beneficiary=w.d.resident,
        title=title,
        category="daily",
        due_on=timezone.localdate() + timedelta(days=5),
    )


def _fill(w, n: int):
    for i in range(n):
        pooled(w, place(w, description=f"第{i}单：换灯泡"))
        _wish(w, f"心愿{i}")
        activity = publish(w, title=f"活动{i}")
        activities.signup_create(actor=w.members[0], activity=activity)
    grabbed(w, member=w.members[0])
    wishes.wish_claim(actor=w.members[0], wish=_wish(w, "老花镜"))


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_a_member_sees_tasks_pool_and_wall(district, english):
    w = order_world(district)
    _fill(w, 2)
    english.force_login(w.members[0])
    page = english.get(URL).content.decode()
    for part in ('data-testid="my-tasks"', 'data-testid="pool"', 'data-testid="wall"', "老花镜", "活动0"):
        assert part in page
    # The pool shows a masked address, never the door.
    pool = page.split('data-testid="pool"')[1].split("</section>")[0]
    assert "****" in pool and "越都花园1幢" not in pool
    assert 'data-testid="report-prompt"' not in page


def test_a_resident_sees_their_orders_and_wishes_not_the_members_part(district, english):
    w = order_world(district)
    place(w)
    english.force_login(w.resident)
    page = english.get(URL).content.decode()
    assert 'data-testid="my-orders"' in page and 'data-testid="order-service"' in page
    assert 'data-testid="pool"' not in page and 'data-testid="my-tasks"' not in page


def test_an_unreported_member_is_asked_to_report(district, english):
    w = order_world(district)
    english.force_login(w.unreported)
    page = english.get(URL).content.decode()
    assert 'data-testid="report-prompt"' in page


def test_staff_get_their_boards(district, english):
    order_world(district)
    english.force_login(district.secretary1)
    page = english.get(URL).content.decode()
    assert 'data-testid="staff-links"' in page and "/volunteers/orders/board/" in page


def test_the_page_costs_the_same_queries_for_few_and_many(district, client, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    w = order_world(district)
    _fill(w, 1)
    client.force_login(w.members[0])
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    _fill(w, 6)
    with django_assert_max_num_queries(len(few)):
        assert client.get(URL).status_code == 200
