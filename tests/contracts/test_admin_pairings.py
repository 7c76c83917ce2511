"""Pairings in the back office: the community's secretary pairs it with a unit and names the
community side's contacts and signers; each through the service, its refusals shown, nothing saved."""

from __future__ import annotations

import pytest
from django.test import Client

from contracts.models import Pairing, PairingContact, Side
from tests.contracts.support import pairing_world
from tests.factories import make_user

pytestmark = pytest.mark.django_db

ADD = "/admin/contracts/pairing/add/"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_secretary_pairs_the_community_with_a_unit(district):
    client = signed_in(district.secretary1)
    form = client.get(ADD)
    assert form.status_code == 200
    # Only community Party organisations on the first side, unit ones on the second.
    community_choices = {o.pk for o in form.context["adminform"].form.fields["community_org"].queryset}
    assert district.party1.pk in community_choices and district.unit1.pk not in community_choices

    response = client.post(
        ADD, {"community_org": district.party1.pk, "unit_org": district.unit1.pk, "since": "2026-03-01"}
    )

    assert response.status_code == 302
    pairing = Pairing.objects.get()
    assert (pairing.community, pairing.unit_org, str(pairing.since)) == (
        district.community1,
        district.unit1,
        "2026-03-01",
    )


def test_pairing_the_same_two_again_is_refused_with_the_reason(district):
    pairing_world(district)
    response = signed_in(district.secretary1).post(
        ADD, {"community_org": district.party1.pk, "unit_org": district.unit1.pk, "since": "2026-03-01"}
    )
    assert response.status_code == 200
    assert "结对共建 已经存在" in response.content.decode()
    assert Pairing.objects.count() == 1


def test_a_secretary_cannot_pair_another_community(district):
    response = signed_in(district.secretary3).post(
        ADD, {"community_org": district.party1.pk, "unit_org": district.unit1.pk, "since": "2026-03-01"}
    )
    assert response.status_code == 200  # the form again: 越都社区党委 is not among the choices
    assert Pairing.objects.count() == 0


def test_the_secretary_names_a_community_signer_and_not_the_units(district):
    w = pairing_world(district)
    deputy = make_user("deputy1", "community_secretary", area=district.community1)
    url = f"/admin/contracts/pairing/{w.pairing.pk}/change/"
    client = signed_in(district.secretary1)
    page = client.get(url)
    assert page.status_code == 200
    existing = PairingContact.objects.filter(pairing=w.pairing).order_by("pk")
    data = {
        "contacts-TOTAL_FORMS": str(existing.count() + 1),
        "contacts-INITIAL_FORMS": str(existing.count()),
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000",
    }
    for n, contact in enumerate(existing):
        data[f"contacts-{n}-id"] = contact.pk
        data[f"contacts-{n}-pairing"] = w.pairing.pk
    new = existing.count()
    data.update(
        {
            f"contacts-{new}-side": Side.COMMUNITY,
            f"contacts-{new}-user": deputy.pk,
            f"contacts-{new}-title": "副书记",
            f"contacts-{new}-can_sign": "on",
            f"contacts-{new}-pairing": w.pairing.pk,
        }
    )
    assert client.post(url, data).status_code == 302
    assert PairingContact.objects.get(user=deputy).can_sign

    data[f"contacts-{new}-side"] = Side.UNIT
    data[f"contacts-{new}-user"] = district.unit_contact2.pk
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert PairingContact.objects.filter(user=district.unit_contact2).count() == 0
