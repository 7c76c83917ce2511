"""Browser tests: Playwright driving Debian's Chromium (never a downloaded browser) against live_server."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM, need

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 390, "height": 844}


def sign_in(page, base_url, login):
    """Sign in through the login page with the test password; lands on the home page."""
    from tests.factories import PASSWORD

    page.goto(f"{base_url}/accounts/login/")
    page.locator("#id_username").fill(login)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()
    page.wait_for_url(f"{base_url}/")


DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def browser(monkeypatch):
    need(os.path.exists(CHROMIUM), f"needs Chromium at {CHROMIUM} (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; Django would then refuse the
    # test's own (synchronous) database work. The live server answers from its own thread.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_page(browser, request):
    """new_page(viewport=PHONE) → a page in a fresh context, Chinese first like the district's browsers."""
    contexts = []

    def make(viewport=DESKTOP, locale="zh-CN", **options):
        context = browser.new_context(viewport=viewport, locale=locale, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot(request):
    """screenshot(page, "step") saves test-artifacts/<test name>-<step>.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    prefix = re.sub(r"[^\w.-]+", "_", request.node.name)

    def take(page, step: str) -> Path:
        path = ARTIFACTS / f"{prefix}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
