"""The shared pages: home, language switch, sign in and out, lock-out, password change, errors, health."""

from __future__ import annotations

import html
import re

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from community.forms import LoginForm
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Another-pass-2025?"  # noqa: S105


def in_chinese(message: str) -> str:
    """The text a zh-hans page shows for `message` (the msgid itself until the catalogue has it)."""
    with translation.override("zh-hans"):
        return gettext(message)


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def sign_in(client, login: str, password: str = PASSWORD, **extra):
    return client.post(reverse("login"), {"username": login, "password": password}, **extra)


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


# --- Home -------------------------------------------------------------------------------------


def test_home_renders_for_anonymous_in_chinese_by_default(client, district, django_assert_max_num_queries):
    # The headline figures and the sections' teasers are aggregates: a fixed number of queries
    # (tests/dashboards/test_portal.py checks it does not grow with the data).
    with django_assert_max_num_queries(20):
        response = client.get("/")

    assert response.status_code == 200
    text = page_text(response)
    assert '<html lang="zh-hans">' in text
    for step in ("Negotiate", "Sign", "Publish", "Fulfil", "Evaluate"):
        assert in_chinese(step) in text
    assert text.count('data-testid="headline-figure"') == 8
    assert reverse("login") in text
    assert "/admin/" not in text


def test_home_shows_no_personal_data(client, district):
    text = page_text(client.get("/"))
    for person in (district.resident, district.member_person, district.resident3):
        assert person.name not in text
        assert person.phone not in text


def test_home_in_english_when_the_user_chose_english(client, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/")
    text = page_text(response)
    assert '<html lang="en">' in text
    assert "Five steps of every contract" in text
    assert "Verify the public record" in text


def test_every_page_sends_the_csrf_token_with_htmx_requests(client, db):
    text = page_text(client.get("/"))
    token = re.search(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", text)
    assert token and len(token.group(1)) >= 32


# --- Language ---------------------------------------------------------------------------------


def test_language_switch_sets_the_cookie_and_the_next_page_follows_it(client, db):
    text = page_text(client.get("/"))
    assert 'action="/i18n/setlang/"' in text and 'name="language" value="en"' in text

    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})

    assert response.status_code == 302 and response["Location"] == "/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en">' in page_text(client.get("/"))

    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert '<html lang="zh-hans">' in page_text(client.get("/"))


# --- Sign in ----------------------------------------------------------------------------------


def test_login_page_is_at_the_fixed_path_and_asks_for_username_or_mobile(client, db):
    assert reverse("login") == "/accounts/login/"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    text = page_text(client.get("/accounts/login/"))
    assert "Username or mobile number" in text
    assert 'autocomplete="current-password"' in text


def test_login_with_username(client, district):
    response = sign_in(client, "secretary1")

    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert signed_in_user_id(client) == str(district.secretary1.pk)
    assert district.secretary1.display_name in page_text(client.get("/"))


def test_login_with_mobile_number(client, district):
    response = sign_in(client, district.unit_contact1.phone)

    assert response.status_code == 302
    assert signed_in_user_id(client) == str(district.unit_contact1.pk)


def test_login_goes_on_to_the_page_asked_for(client, district):
    response = client.post(
        reverse("login"), {"username": "secretary1", "password": PASSWORD, "next": reverse("password_change")}
    )
    assert response["Location"] == reverse("password_change")


def test_wrong_password_and_unknown_user_get_the_same_clear_message(client, district):
    message = in_chinese(str(LoginForm.error_messages["invalid_login"]))

    wrong_password = sign_in(client, "secretary1", "not-the-password")
    unknown_user = sign_in(client, "nobody-here", "not-the-password")

    for response in (wrong_password, unknown_user):
        assert response.status_code == 200
        assert message in page_text(response)
        assert signed_in_user_id(client) is None
    assert page_text(wrong_password).count(message) == page_text(unknown_user).count(message) == 1


def test_navigation_follows_the_roles(client, district):
    sign_in(client, "secretary1")
    secretary_page = page_text(client.get("/"))
    assert 'href="/admin/"' in secretary_page
    assert 'id="notice-bell"' in secretary_page

    client.post(reverse("logout"))
    sign_in(client, "unit_contact1")
    unit_page = page_text(client.get("/"))
    assert 'href="/admin/"' not in unit_page
    assert district.unit_contact1.display_name in unit_page


# --- Lock-out (django-axes) -------------------------------------------------------------------


def test_lockout_after_five_failures_even_with_the_right_password(client, district):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        assert sign_in(client, "secretary1", "wrong-password").status_code == 200

    fifth = sign_in(client, "secretary1", "wrong-password")
    right_password = sign_in(client, "secretary1", PASSWORD)

    for response in (fifth, right_password):
        assert response.status_code in (403, 429)
        assert "registration/locked_out.html" in [t.name for t in response.templates]
        assert 'data-testid="locked-out"' in page_text(response)
    assert signed_in_user_id(client) is None
    assert "15" in page_text(right_password)  # the cool-off, in minutes


def test_lockout_is_per_login_and_address(client, district):
    for _ in range(5):
        sign_in(client, "secretary1", "wrong-password")

    assert sign_in(client, "secretary2").status_code == 302
    other_address = sign_in(client, "secretary1", REMOTE_ADDR="10.1.2.3")
    assert other_address.status_code == 302


# --- Sign out ---------------------------------------------------------------------------------


def test_logout_needs_a_post(client, district):
    sign_in(client, "secretary1")

    confirm = client.get(reverse("logout"))
    assert confirm.status_code == 200
    assert signed_in_user_id(client) is not None
    assert f'action="{reverse("logout")}"' in page_text(confirm)

    response = client.post(reverse("logout"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("home")
    assert signed_in_user_id(client) is None
    assert in_chinese("You have signed out.") in page_text(response)


# --- Password change --------------------------------------------------------------------------


def test_password_change_flow(client, district):
    assert client.get(reverse("password_change")).status_code == 302  # sign in first

    sign_in(client, "secretary1")
    assert client.get(reverse("password_change")).status_code == 200

    wrong_old = client.post(
        reverse("password_change"),
        {"old_password": "not-it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong_old.status_code == 200
    assert 'class="form-control form-control-lg is-invalid"' in page_text(wrong_old)

    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == reverse("password_change_done")
    assert client.get(response["Location"]).status_code == 200
    assert signed_in_user_id(client) == str(district.secretary1.pk)  # still signed in

    client.post(reverse("logout"))
    assert sign_in(client, "secretary1", PASSWORD).status_code == 200
    assert sign_in(client, "secretary1", NEW_PASSWORD).status_code == 302


# --- Errors and health ------------------------------------------------------------------------


def test_unknown_url_shows_the_friendly_404_page(client, db, settings):
    settings.DEBUG = False

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]
    text = page_text(response)
    assert 'data-testid="error-page"' in text
    assert in_chinese("Page not found") in text
    assert f'href="{reverse("home")}"' in text


def test_403_page_offers_sign_in_to_anonymous_users(rf, db):
    from django.contrib.auth.models import AnonymousUser

    from core.views import permission_denied

    request = rf.get("/somewhere/")
    request.user = AnonymousUser()
    response = permission_denied(request)

    assert response.status_code == 403
    assert reverse("login") in response.content.decode()


def test_500_page_needs_no_database():
    # No `db` fixture: any query here would fail the test.
    from core.views import server_error

    response = server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    text = page_text(response)
    assert 'data-testid="error-page"' in text
    assert 'href="/"' in text


def test_healthz_reports_database_and_broker(client, db):
    response = client.get("/healthz/")

    assert response.status_code in (200, 503)
    data = response.json()
    assert {"status", "database", "broker"} <= data.keys()
    assert data["database"] == "ok"


def test_robots_txt_keeps_crawlers_out_of_the_back_office_without_a_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "Disallow: /admin/" in text and "Disallow: /api/" in text
