"""The inbox over the API: /api/v1/notices/."""

import pytest
from rest_framework.test import APIClient

from notices.models import Notice
from notices.services import notice_mark_read

pytestmark = pytest.mark.django_db

LIST = "/api/v1/notices/"


@pytest.fixture
def api(alice):
    client = APIClient()
    client.force_authenticate(alice)
    return client


def test_anonymous_gets_nothing(make_notice, alice):
    make_notice(alice)
    response = APIClient().get(LIST)
    assert response.status_code in (401, 403)
    assert set(response.json()) >= {"detail", "code"}


def test_the_list_holds_only_my_notices_unread_first(api, alice, bob, make_notice):
    read = make_notice(alice, title="read", url="/x/")
    unread = make_notice(alice, title="unread")
    notice_mark_read(actor=alice, notice=read)
    make_notice(bob)

    body = api.get(LIST).json()

    assert body["count"] == 2
    assert [item["id"] for item in body["results"]] == [unread.pk, read.pk]
    item = body["results"][1]
    assert set(item) == {"id", "kind", "title", "body", "url", "created_at", "read_at", "is_read"}
    assert item["is_read"] is True and item["url"] == "/x/"


def test_filters_read_unread_and_kind(api, alice, make_notice):
    read = make_notice(alice, kind="contract-sign")
    unread = make_notice(alice, kind="activity-start")
    notice_mark_read(actor=alice, notice=read)

    def ids(**params):
        return [item["id"] for item in api.get(LIST, params).json()["results"]]

    assert ids(read="false") == [unread.pk]
    assert ids(read="true") == [read.pk]
    assert ids(kind="contract-sign") == [read.pk]
    assert ids(kind="contract-sign", read="false") == []


def test_mark_one_read(api, alice, make_notice):
    notice = make_notice(alice)

    response = api.post(f"{LIST}{notice.pk}/read/")

    assert response.status_code == 200
    assert response.json()["is_read"] is True and response.json()["read_at"]
    assert Notice.objects.get(pk=notice.pk).read_at is not None


def test_someone_elses_notice_is_404(api, bob, make_notice):
    notice = make_notice(bob)

    for response in (api.get(f"{LIST}{notice.pk}/"), api.post(f"{LIST}{notice.pk}/read/")):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert Notice.objects.get(pk=notice.pk).read_at is None


def test_read_all_and_unread_count(api, alice, bob, make_notice):
    for _ in range(3):
        make_notice(alice)
    make_notice(bob)

    assert api.get(f"{LIST}unread-count/").json() == {"unread": 3}
    assert api.post(f"{LIST}read-all/").json() == {"marked": 3, "unread": 0}
    assert api.get(f"{LIST}unread-count/").json() == {"unread": 0}
    assert Notice.objects.filter(recipient=bob, read_at__isnull=True).count() == 1


def test_the_schema_documents_the_endpoints(api):
    from django.test import Client

    schema = Client().get("/api/schema/").content.decode()
    for path in (
        "/api/v1/notices/",
        "/api/v1/notices/{id}/read/",
        "/api/v1/notices/read-all/",
        "/api/v1/notices/unread-count/",
    ):
        assert path in schema


@pytest.mark.parametrize("count", [2, 20])
def test_the_list_costs_the_same_queries_for_2_or_20_notices(
    client, alice, make_notice, count, django_assert_num_queries
):
    for _ in range(count):
        make_notice(alice)
    client.force_login(alice)
    client.get(LIST)

    # session, user, page count, page rows
    with django_assert_num_queries(4):
        response = client.get(LIST)
    assert response.json()["count"] == count
