"""The inbox pages and the header's bell, with and without htmx."""

import re

import pytest
from django.urls import reverse

from notices.models import Notice
from notices.services import notice_mark_read

pytestmark = pytest.mark.django_db

INBOX = "/notices/"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def bell_count(html: str) -> str | None:
    match = re.search(r'id="unread-notice-count"[^>]*>([^<]*)<', html)
    return match.group(1) if match else None


def test_urls_are_where_the_design_says():
    assert reverse("notices:inbox") == INBOX
    assert reverse("notices:read", args=[5]) == "/notices/5/read/"
    assert reverse("notices:read_all") == "/notices/read-all/"


def test_the_inbox_needs_a_login(client):
    response = client.get(INBOX)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_inbox_lists_my_notices_unread_in_bold(alice_client, alice, bob, make_notice):
    unread = make_notice(alice, title="Activity tomorrow")
    read = make_notice(alice, title="Contract signed")
    notice_mark_read(actor=alice, notice=read)
    make_notice(bob, title="Bob's business")

    response = alice_client.get(INBOX)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Activity tomorrow" in html and "Contract signed" in html
    assert "Bob's business" not in html
    unread_item = re.search(rf'<li id="notice-{unread.pk}".*?</li>', html, re.S).group(0)
    read_item = re.search(rf'<li id="notice-{read.pk}".*?</li>', html, re.S).group(0)
    assert "fw-bold" in unread_item and 'data-read="false"' in unread_item
    assert "fw-bold" not in read_item and 'data-read="true"' in read_item
    assert html.index("Activity tomorrow") < html.index("Contract signed")


def test_the_unread_tab_shows_only_unread(alice_client, alice, make_notice):
    make_notice(alice, title="Still new")
    notice_mark_read(actor=alice, notice=make_notice(alice, title="Seen"))

    html = alice_client.get(INBOX, {"show": "unread"}).content.decode()

    assert "Still new" in html and "Seen" not in html


def test_the_inbox_is_paginated(alice_client, alice, make_notice):
    for _ in range(25):
        make_notice(alice)

    first = alice_client.get(INBOX)
    second = alice_client.get(INBOX, {"page": 2})

    assert len(first.context["notices"]) == 20
    assert len(second.context["notices"]) == 5
    assert 'page=2"' in first.content.decode()


def test_the_header_bell_shows_the_unread_count(alice_client, alice, make_notice):
    for _ in range(3):
        make_notice(alice)

    assert bell_count(alice_client.get("/").content.decode()) == "3"
    alice_client.post(reverse("notices:read_all"))
    assert bell_count(alice_client.get("/").content.decode()) is None


def test_marking_read_with_a_plain_form_redirects_back(alice_client, alice, make_notice):
    notice = make_notice(alice)

    response = alice_client.post(reverse("notices:read", args=[notice.pk]))

    assert response.status_code == 302 and response["Location"] == INBOX
    assert Notice.objects.get(pk=notice.pk).read_at is not None


def test_opening_a_notice_marks_it_read_and_follows_its_link(alice_client, alice, make_notice):
    notice = make_notice(alice, url="/contracts/12/")

    response = alice_client.post(reverse("notices:read", args=[notice.pk]), {"next": "/contracts/12/"})

    assert response["Location"] == "/contracts/12/"
    assert Notice.objects.get(pk=notice.pk).read_at is not None


def test_a_foreign_next_is_not_followed(alice_client, alice, make_notice):
    notice = make_notice(alice)

    response = alice_client.post(reverse("notices:read", args=[notice.pk]), {"next": "https://evil.example/"})

    assert response["Location"] == INBOX


def test_marking_read_with_htmx_swaps_the_item_and_the_bell(alice_client, alice, make_notice):
    notice = make_notice(alice, title="Activity tomorrow")
    make_notice(alice)

    response = alice_client.post(reverse("notices:read", args=[notice.pk]), **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<li id="notice-{notice.pk}"')
    assert 'data-read="true"' in html and "<html" not in html
    assert 'id="notice-bell"' in html and 'hx-swap-oob="true"' in html
    assert bell_count(html) == "1"


def test_mark_all_read_with_htmx_swaps_the_inbox(alice_client, alice, make_notice):
    for _ in range(2):
        make_notice(alice)

    response = alice_client.post(reverse("notices:read_all"), **HTMX)

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="notice-inbox"')
    assert 'data-read="false"' not in html
    assert bell_count(html) is None
    assert not Notice.objects.filter(read_at__isnull=True).exists()


def test_mark_all_read_with_a_plain_form_redirects_to_the_inbox(alice_client, alice, make_notice):
    make_notice(alice)

    response = alice_client.post(reverse("notices:read_all"), {"show": "unread"})

    assert response["Location"] == f"{INBOX}?show=unread"
    assert not Notice.objects.filter(read_at__isnull=True).exists()


def test_someone_elses_notice_is_not_found(alice_client, bob, make_notice):
    notice = make_notice(bob)

    assert alice_client.post(reverse("notices:read", args=[notice.pk])).status_code == 404
    assert Notice.objects.get(pk=notice.pk).read_at is None


def test_marking_read_needs_post(alice_client, alice, make_notice):
    notice = make_notice(alice)
    assert alice_client.get(reverse("notices:read", args=[notice.pk])).status_code == 405


@pytest.mark.parametrize("count", [2, 20])
def test_the_inbox_costs_the_same_queries_for_2_or_20_notices(
    alice_client, alice, make_notice, count, django_assert_num_queries
):
    for _ in range(count):
        make_notice(alice)
    alice_client.get(INBOX)  # warm up: the session, the scope

    # session, user, role grants (scope), unread count (bell), page count, page rows
    with django_assert_num_queries(6):
        response = alice_client.get(INBOX)
    assert len(response.context["notices"]) == count
