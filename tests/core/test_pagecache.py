"""core.pagecache: public pages served from the cache to visitors without a session, each with their own
CSRF token, never to signed-in users, and rendered afresh once something they show has changed."""

import re

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import pagecache

pytestmark = pytest.mark.django_db
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ANY_TOKEN = re.compile(r"[A-Za-z0-9]{64}")  # the form's and the page's X-CSRFToken header


@pytest.fixture(autouse=True)
def cache_on(settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 60
    pagecache.bump()  # pages cached by an earlier test are not this test's


def visitor(language: str = "zh-hans") -> Client:
    return Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE=language)


def test_the_second_anonymous_visit_runs_no_query_and_each_visitor_gets_a_working_token(
    district, django_assert_num_queries
):
    first, second = visitor(), visitor()
    page = first.get("/")
    assert page.status_code == 200 and pagecache.CSRF_PLACEHOLDER not in page.content.decode()
    with django_assert_num_queries(0):
        again = second.get("/")
    html = again.content.decode()
    assert again.status_code == 200 and pagecache.CSRF_PLACEHOLDER not in html
    # The same page, but for the tokens: and the second visitor's token is accepted with its cookie.
    assert ANY_TOKEN.sub("", html) == ANY_TOKEN.sub("", page.content.decode())
    token = TOKEN.search(html).group(1)
    switched = second.post(
        reverse("set_language"), {"language": "en", "next": "/", "csrfmiddlewaretoken": token}
    )
    assert switched.status_code == 302


def test_each_language_has_its_own_page(district):
    chinese = visitor("zh-hans").get("/contracts/").content.decode()
    english = visitor("en").get("/contracts/").content.decode()
    assert 'lang="zh-hans"' in chinese and 'lang="en"' in english
    assert visitor("en").get("/contracts/").content.decode().count('lang="en"') == 1


def queries_of(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx)


def test_signed_in_users_and_visitors_with_a_session_get_the_page_rendered(district):
    visitor().get("/councils/board/")
    assert queries_of(visitor(), "/councils/board/") == 0
    member = Client()
    member.force_login(district.member_user)
    assert queries_of(member, "/councils/board/") > 0
    with_session = visitor()
    with_session.cookies[settings.SESSION_COOKIE_NAME] = "not-a-session"
    assert queries_of(with_session, "/councils/board/") > 0


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_renders_the_page_afresh(district):
    from community.models import Area

    visitor().get("/")
    assert queries_of(visitor(), "/") == 0
    generation = pagecache._generation()
    with transaction.atomic():
        area = Area.objects.get(pk=district.district.pk)
        area.save()
        area.save()
        assert pagecache._generation() == generation  # not before the commit
    assert pagecache._generation() == generation + 1  # once per transaction, however many rows
    assert queries_of(visitor(), "/") > 0  # rendered from the database again
    assert queries_of(visitor(), "/") == 0  # and cached again


@pytest.mark.django_db(transaction=True)
def test_a_change_rolled_back_keeps_the_pages(district):
    visitor().get("/")
    generation = pagecache._generation()
    with pytest.raises(RuntimeError), transaction.atomic():
        district.district.save()
        raise RuntimeError("rolled back")
    assert pagecache._generation() == generation
    assert queries_of(visitor(), "/") == 0


def test_nothing_is_cached_when_turned_off(settings, district):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    visitor().get("/")
    assert queries_of(visitor(), "/") > 0


def test_the_public_map_api_is_cached_by_accept_header_and_not_for_token_clients(district):
    first = visitor().get("/api/v1/map-points/", HTTP_ACCEPT="application/json")
    assert first.status_code == 200 and first["Content-Type"].startswith("application/json")
    with CaptureQueriesContext(connection) as ctx:
        again = visitor().get("/api/v1/map-points/", HTTP_ACCEPT="application/json")
    assert len(ctx) == 0 and again.json() == first.json()
    assert again["Content-Type"] == first["Content-Type"]
    # Another Accept header is another answer (the browsable API), not the JSON kept for the first.
    html = visitor().get("/api/v1/map-points/", HTTP_ACCEPT="text/html")
    assert html["Content-Type"].startswith("text/html")
    with CaptureQueriesContext(connection) as ctx:
        visitor().get(
            "/api/v1/map-points/", HTTP_ACCEPT="application/json", HTTP_AUTHORIZATION="Token nothing"
        )
    assert len(ctx) > 0
