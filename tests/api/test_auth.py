"""Signing in to the API: a token for good credentials, a JSON error for anything else."""

import pytest
from rest_framework.authtoken.models import Token

from tests.api.helpers import assert_error
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
LIST_URLS = [
    "/api/v1/areas/",
    "/api/v1/organisations/",
    "/api/v1/people/",
    "/api/v1/party-members/",
    "/api/v1/role-grants/",
]


def test_good_credentials_give_a_token_that_authenticates(district, api):
    client = api()

    response = client.post(TOKEN_URL, {"username": "secretary1", "password": PASSWORD}, format="json")

    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=district.secretary1).key == token
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["username"] == "secretary1"
    assert client.get("/api/v1/areas/").json()["count"] == 4


def test_the_mobile_number_signs_in_too(district, api):
    response = api().post(
        TOKEN_URL, {"username": district.secretary1.phone, "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["token"]


def test_asking_twice_returns_the_same_token(district, api):
    first = api().post(TOKEN_URL, {"username": "secretary1", "password": PASSWORD}, format="json").json()
    second = api().post(TOKEN_URL, {"username": "secretary1", "password": PASSWORD}, format="json").json()

    assert first["token"] == second["token"]
    assert Token.objects.count() == 1


def test_wrong_password_is_a_400_json_error_and_issues_nothing(district, api):
    response = api().post(TOKEN_URL, {"username": "secretary1", "password": "wrong-password"}, format="json")

    body = assert_error(response, 400, "invalid")
    assert "non_field_errors" in body["errors"]
    assert not Token.objects.exists()


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(district, api):
    wrong = api().post(TOKEN_URL, {"username": "secretary1", "password": "wrong-password"}, format="json")
    unknown = api().post(TOKEN_URL, {"username": "nobody-here", "password": "wrong-password"}, format="json")

    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json()


def test_missing_fields_name_each_field(district, api):
    response = api().post(TOKEN_URL, {}, format="json")

    body = assert_error(response, 400, "invalid")
    assert set(body["errors"]) == {"username", "password"}


def test_the_error_speaks_the_users_language(district, api):
    english = api().post(
        TOKEN_URL, {"username": "secretary1", "password": "x"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    chinese = api().post(
        TOKEN_URL, {"username": "secretary1", "password": "x"}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    assert "Unable to log in" in english.json()["detail"]
    assert "Unable to log in" not in chinese.json()["detail"]
    assert english.json()["code"] == chinese.json()["code"] == "invalid"


@pytest.mark.parametrize("url", LIST_URLS)
def test_without_credentials_every_resource_answers_a_json_error(district, api, url):
    response = api().get(url)

    body = assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"
    assert "results" not in body


@pytest.mark.parametrize("url", LIST_URLS)
def test_a_made_up_token_is_refused(district, api, url):
    client = api()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")

    response = client.get(url)

    assert_error(response, 401, "authentication_failed")


def test_writes_without_credentials_change_nothing(district, api):
    from community.models import Organisation

    before = Organisation.objects.count()

    response = api().post(
        "/api/v1/organisations/", {"name": "新单位", "kind": "unit_party", "area": district.community1.pk}
    )

    assert response.status_code == 401
    assert Organisation.objects.count() == before


def test_token_requests_are_throttled(district, api):
    client = api()
    statuses = [
        client.post(TOKEN_URL, {"username": "secretary1", "password": PASSWORD}, format="json").status_code
        for _ in range(11)
    ]

    assert statuses[:10] == [200] * 10
    assert_error(client.post(TOKEN_URL, {"username": "secretary1", "password": PASSWORD}), 429, "throttled")


def test_an_unknown_api_path_answers_the_json_error_format(api):
    response = api().get("/api/v1/no-such-resource/")

    assert response.status_code == 404
    assert response.json() == {"detail": response.json()["detail"], "code": "not_found"}
