"""The back office shows the record read-only: nobody may add, change or delete an entry there."""

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from audit.models import Entry
from audit.services import audit_append
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/audit/entry/"


@pytest.fixture
def superuser():
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def test_nobody_may_add_change_or_delete(superuser):
    admin = site._registry[Entry]
    request = RequestFactory().get(CHANGELIST)
    request.user = superuser
    assert admin.has_view_permission(request)
    assert not admin.has_add_permission(request)
    assert not admin.has_change_permission(request)
    assert not admin.has_delete_permission(request)
    assert not admin.get_actions(request)


def test_superuser_reads_list_search_filters_and_entry(client, superuser, make_chain):
    entries = make_chain(3)
    client.force_login(superuser)

    assert client.get(CHANGELIST).status_code == 200
    found = client.get(CHANGELIST, {"q": entries[1].entry_hash}).context["cl"].result_list
    assert [e.pk for e in found] == [entries[1].pk]
    found = client.get(CHANGELIST, {"q": "contracts.Contract:3"}).context["cl"].result_list
    assert [e.pk for e in found] == [entries[2].pk]
    assert client.get(CHANGELIST, {"kind": "contract.signed"}).status_code == 200

    detail = client.get(f"{CHANGELIST}{entries[0].pk}/change/")
    assert detail.status_code == 200
    assert entries[0].entry_hash in detail.content.decode()
    assert 'name="_save"' not in detail.content.decode()


def test_add_change_and_delete_are_refused(client, superuser, make_chain):
    entry = make_chain(1)[0]
    client.force_login(superuser)

    assert client.get(f"{CHANGELIST}add/").status_code == 403
    assert client.post(f"{CHANGELIST}{entry.pk}/change/", {"subject": "x"}).status_code == 403
    assert client.post(f"{CHANGELIST}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Entry.objects.get().entry_hash == entry.entry_hash


def test_staff_see_only_their_areas(client, district):
    d = district
    mine = audit_append(kind="vote.tallied", subject="councils.Vote:1", payload={}, area=d.compound1)
    audit_append(kind="vote.tallied", subject="councils.Vote:2", payload={}, area=d.community3)
    client.force_login(d.secretary1)

    response = client.get(CHANGELIST)

    assert response.status_code == 200
    assert [e.pk for e in response.context["cl"].result_list] == [mine.pk]


def test_non_staff_cannot_open_it(client, district):
    client.force_login(district.resident_user)
    assert client.get(CHANGELIST).status_code == 302  # to the admin login
