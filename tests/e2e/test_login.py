"""A community Party secretary signs in through the real login page, switches language and signs out."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import DESKTOP, PHONE
from tests.factories import PASSWORD, build_district

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, base_url, login):
    page.goto(f"{base_url}/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.locator("#id_username").fill(login)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()
    page.wait_for_url(f"{base_url}/")


def test_secretary_signs_in_on_a_phone(live_server, new_page, screenshot):
    d = build_district()
    page = new_page(viewport=PHONE)

    page.goto(live_server.url)
    screenshot(page, "home")
    _sign_in(page, live_server.url, "secretary1")

    # On a phone the menu is folded away behind the menu button; opened, it shows the account at once.
    user_name = page.locator("[data-testid=user-name]:visible")
    assert user_name.count() == 0
    page.locator(".navbar-toggler").click()
    user_name.wait_for(state="visible")
    assert d.secretary1.display_name in user_name.inner_text()
    assert page.locator("a.nav-link[href='/admin/']").is_visible()
    screenshot(page, "menu-open")

    # The language switch stays visible without opening the menu.
    page.get_by_test_id("language-switch").click()
    page.wait_for_function("document.documentElement.lang === 'en'")
    # The menu button works once the page's scripts have run: wait for the load, not only the new <html>.
    page.wait_for_load_state("load")
    assert page.get_by_test_id("language-switch").inner_text().strip() == "简体中文"
    screenshot(page, "english")

    page.locator(".navbar-toggler").click()
    logout = page.locator("[data-testid=logout]:visible")
    logout.wait_for(state="visible")
    # The page is already at "/": wait for the sign-out's own navigation, not for the URL.
    with page.expect_navigation(url=f"{live_server.url}/"):
        logout.click()
    page.locator("a.site-signin").wait_for(state="attached")
    assert page.get_by_test_id("user-name").count() == 0
    screenshot(page, "signed-out")


def test_secretary_signs_in_with_mobile_number_on_a_desktop(live_server, new_page, screenshot):
    d = build_district()
    page = new_page(viewport=DESKTOP)

    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(d.secretary1.phone)
    page.locator("#id_password").fill("wrong-password")
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()
    page.get_by_test_id("form-error").wait_for()
    screenshot(page, "wrong-password")

    _sign_in(page, live_server.url, d.secretary1.phone)
    # htmx is loaded from build/vendor and sends the CSRF token with every request it makes.
    assert page.evaluate("window.htmx.version").startswith("2.")
    token = page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']")
    assert len(token) >= 32
    user_menu = page.get_by_test_id("user-menu")
    assert user_menu.is_visible()
    assert d.secretary1.display_name in user_menu.inner_text()
    screenshot(page, "signed-in")

    page.get_by_test_id("language-switch").click()
    page.wait_for_function("document.documentElement.lang === 'en'")
    page.wait_for_load_state("load")
    assert page.get_by_role("link", name="Back office", exact=True).is_visible()

    user_menu.click()
    logout = page.locator("[data-testid=logout]:visible")
    logout.wait_for(state="visible")
    with page.expect_navigation(url=f"{live_server.url}/"):
        logout.click()
    page.locator("a.site-signin").wait_for(state="visible")
    assert page.locator("html").get_attribute("lang") == "en"  # the choice outlives the session
