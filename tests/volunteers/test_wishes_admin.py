"""The back office lists wishes read-only, scoped to the user's communities, with their claims and timeline."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.volunteers.test_wishes_support import claimed, post, wish_world
from volunteers.models import Wish

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_wish_list_is_scoped_read_only_and_costs_the_same_queries_for_few_or_many(district):
    w = wish_world(district)
    for n in range(2):
        post(w, title=f"心愿{n}")
    client = signed_in(district.secretary1)
    client.get("/admin/volunteers/wish/")
    with CaptureQueriesContext(connection) as few:
        client.get("/admin/volunteers/wish/")
    for n in range(2, 20):
        post(w, title=f"心愿{n}")
    with CaptureQueriesContext(connection) as many:
        response = client.get("/admin/volunteers/wish/")
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 20
    assert len(many) == len(few)
    # Another community's secretary sees none of them, and cannot open one.
    other = signed_in(district.secretary3)
    assert len(other.get("/admin/volunteers/wish/").context["cl"].result_list) == 0
    assert other.get(f"/admin/volunteers/wish/{Wish.objects.first().pk}/change/").status_code == 404
    assert signed_in(w.social_worker).get("/admin/volunteers/wish/").status_code == 200


def test_a_wish_shows_its_claims_and_timeline_and_cannot_be_changed_or_deleted(district):
    w = wish_world(district)
    wish = claimed(w)
    client = signed_in(district.secretary1)
    page = client.get(f"/admin/volunteers/wish/{wish.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "一袋大米" in html and str(w.members[0]) in html
    assert client.get("/admin/volunteers/wish/add/").status_code == 403
    assert client.post(f"/admin/volunteers/wish/{wish.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(f"/admin/volunteers/wish/{wish.pk}/change/", {"title": "改了"}).status_code == 403
    assert Wish.objects.get(pk=wish.pk).title == "一袋大米"
