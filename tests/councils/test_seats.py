"""Seats: one per person at a time, from the compound's community; a replacement ends one term and
starts the next; a vote opened afterwards counts the new holder, not the old."""

from __future__ import annotations

from datetime import date

import pytest

from community import services as community_services
from core.exceptions import Conflict, PermissionDenied, ValidationFailed
from councils import services
from councils.models import Seat
from tests.councils.support import council_world, motion

pytestmark = pytest.mark.django_db


def test_a_seat_is_replaced_and_the_next_vote_counts_the_new_holder(district):
    w = council_world(district)
    old = w.seats[0]
    newcomer = community_services.person_create(
        actor=None, name="蒋春生", community=district.community1, home=district.building1
    )
    successor = services.seat_replace(
        actor=district.convener1, seat=old, person=newcomer, on=date(2026, 6, 1)
    )
    old.refresh_from_db()
    assert (old.until, old.replaced_by, successor.kind, successor.since) == (
        date(2026, 6, 1),
        successor,
        old.kind,
        date(2026, 6, 1),
    )
    with pytest.raises(Conflict):
        services.seat_replace(actor=district.convener1, seat=old, person=newcomer, on=date(2026, 7, 1))
    opened = services.motion_open(actor=district.convener1, motion=motion(w))
    assert successor.pk in opened.electorate and old.pk not in opened.electorate


def test_one_seat_per_person_from_the_community_and_only_by_the_convener(district):
    w = council_world(district)
    with pytest.raises(Conflict):
        services.seat_add(
            actor=district.convener1,
            council=w.council,
            kind="owner_rep",
            person=w.seats[0].person,
            since=date.today(),
        )
    stranger = community_services.person_create(actor=None, name="沈小平", community=district.community2)
    with pytest.raises(ValidationFailed):
        services.seat_add(
            actor=district.convener1, council=w.council, kind="owner_rep", person=stranger, since=date.today()
        )
    with pytest.raises(ValidationFailed):
        services.seat_add(
            actor=district.convener1,
            council=w.council,
            kind="mayor",
            person=district.resident,
            since=date.today(),
        )
    with pytest.raises(PermissionDenied):
        services.seat_add(
            actor=district.resident_user,
            council=w.council,
            kind="owner_rep",
            person=district.resident,
            since=date.today(),
        )
    assert Seat.objects.filter(council=w.council).count() == 6
