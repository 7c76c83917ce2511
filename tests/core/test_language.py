"""Pages are Chinese first whatever the browser asks; the language switch and the API header still work."""

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_an_english_browser_still_gets_chinese_pages(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert response["Content-Language"] == "zh-hans"
    assert "越城党建契约化共建平台" in response.content.decode()


def test_the_language_switch_gives_english_pages(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN")

    assert response["Content-Language"] == "en"
    assert "Yuecheng Co-construction Platform" in response.content.decode()
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_api_clients_negotiate_with_accept_language(client):
    english = client.get("/api/v1/areas/", HTTP_ACCEPT_LANGUAGE="en")
    chinese = client.get("/api/v1/areas/")

    assert english.status_code == chinese.status_code == 401
    assert english["Content-Language"] == "en"
    assert chinese["Content-Language"] == "zh-hans"
    assert english.json()["detail"] != chinese.json()["detail"]
