"""Votes (民决): the rule is fixed when voting opens; one vote per seat; the close computes the result by
the rule and appends the tally to the public record; a secret ballot names no seat."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection

from audit.models import Entry
from core.exceptions import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from councils import services
from councils.models import Ballot, Motion
from councils.voting import ABSTAIN
from councils.workflow import MotionState
from tests.councils.support import council_world, motion
from tests.points.test_concurrency import run_together

pytestmark = pytest.mark.django_db


def closed(w, m):
    return services.motion_close(actor=w.d.convener1, motion=m, now=m.closes_at + timedelta(seconds=1))


def test_an_open_vote_counted_by_the_stated_rule_and_recorded_publicly(district):
    w = council_world(district)
    m = services.motion_open(actor=district.convener1, motion=motion(w))
    assert m.state == MotionState.OPEN and len(m.electorate) == 5 and len(m.rule_hash) == 64
    for user, option in zip(w.voters[:4], [0, 0, 0, 1], strict=True):
        services.vote_cast(actor=user, motion=m, option=option)

    m = closed(w, m)

    assert m.outcome == "passed" and m.result["counts"] == [3, 1] and m.result["turnout"] == "4/5"
    entry = Entry.objects.get(kind="councils.motion_closed")
    assert entry.payload["counts"] == [3, 1] and entry.payload["rule_hash"] == m.rule_hash
    assert Entry.objects.filter(kind="councils.motion_opened", subject=f"councils.Motion:{m.pk}").exists()
    assert Ballot.objects.filter(motion=m, seat__isnull=False).count() == 4  # open: seats are named


def test_quorum_not_reached_fails(district):
    w = council_world(district)
    m = services.motion_open(actor=district.convener1, motion=motion(w, quorum="0.6"))
    for user in w.voters[:2]:
        services.vote_cast(actor=user, motion=m, option=0)
    assert closed(w, m).outcome == "no_quorum"  # 2 of 5 < 3/5


def test_a_secret_ballot_names_no_seat_and_each_voter_finds_their_receipt(district):
    w = council_world(district)
    m = services.motion_open(actor=district.convener1, motion=motion(w, secret=True, threshold="two_thirds"))
    for user, option in zip(w.voters, [0, 0, 0, 0, 1], strict=True):
        services.vote_cast(actor=user, motion=m, option=option)
    assert not Ballot.objects.filter(motion=m, seat__isnull=False).exists()
    m = closed(w, m)
    assert m.outcome == "passed" and m.result["winner_share"] == "4/5"
    receipts = {r["token"]: r["option"] for r in m.result["receipts"]}
    for user, option in zip(w.voters, [0, 0, 0, 0, 1], strict=True):
        token = services.ballot_token(m, services.voter_seat(user, m))
        assert receipts[token] == option


def test_one_vote_per_seat_unless_the_rule_allows_changes(district):
    w = council_world(district)
    fixed = services.motion_open(actor=district.convener1, motion=motion(w))
    services.vote_cast(actor=w.voters[0], motion=fixed, option=0)
    with pytest.raises(Conflict) as again:
        services.vote_cast(actor=w.voters[0], motion=fixed, option=1)
    assert again.value.code == "already_voted"
    assert Ballot.objects.get(motion=fixed).option == 0

    changeable = services.motion_open(
        actor=district.convener1, motion=motion(w, title="可改票", changeable=True)
    )
    services.vote_cast(actor=w.voters[0], motion=changeable, option=0)
    services.vote_cast(actor=w.voters[0], motion=changeable, option=ABSTAIN)
    ballot = Ballot.objects.get(motion=changeable)
    assert (ballot.option, ballot.changes) == (ABSTAIN, 1)


def test_votes_outside_the_window_from_no_seat_or_for_no_option_are_refused(district):
    w = council_world(district)
    m = services.motion_open(actor=district.convener1, motion=motion(w))
    with pytest.raises(PermissionDenied):
        services.vote_cast(actor=w.no_vote_user, motion=m, option=0)  # a seat without a vote
    with pytest.raises(PermissionDenied):
        services.vote_cast(actor=district.resident_user, motion=m, option=0)
    with pytest.raises(InvalidTransition) as late:
        services.vote_cast(actor=w.voters[0], motion=m, option=0, now=m.closes_at)
    assert late.value.code == "outside_window"
    with pytest.raises(ValidationFailed):
        services.vote_cast(actor=w.voters[0], motion=m, option=2)
    assert not Ballot.objects.exists()
    draft = motion(w, title="未开始")
    with pytest.raises(InvalidTransition) as not_open:
        services.vote_cast(actor=w.voters[0], motion=draft, option=0)
    assert not_open.value.code == "not_open"


def test_the_rule_cannot_change_once_voting_opened(district):
    w = council_world(district)
    m = motion(w)
    services.motion_change_rule(actor=district.convener1, motion=m, quorum="0.8", threshold="two_thirds")
    m.refresh_from_db()
    assert (str(m.quorum), m.threshold) == ("0.800", "two_thirds")
    services.motion_open(actor=district.convener1, motion=m)
    with pytest.raises(InvalidTransition) as refused:
        services.motion_change_rule(actor=district.convener1, motion=m, quorum="0.1")
    assert refused.value.code == "voting_open"
    m.refresh_from_db()
    assert str(m.quorum) == "0.800"


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        ({"options": ["赞成"]}, "invalid_options"),
        ({"options": ["赞成", "赞成"]}, "invalid_options"),
        ({"options": ["赞成", ""]}, "invalid_options"),
        ({"quorum": "0"}, "invalid_quorum"),
        ({"quorum": "1.5"}, "invalid_quorum"),
        ({"quorum": "一半"}, "invalid_quorum"),
        ({"threshold": "most"}, "invalid_threshold"),
        ({"title": ""}, "invalid_title"),
        ({"title": "长" * 121}, "invalid_title"),
    ],
)
def test_a_bad_rule_is_refused_and_nothing_is_drafted(district, rule, code):
    w = council_world(district)
    with pytest.raises(ValidationFailed) as refused:
        motion(w, **rule)
    assert refused.value.code == code
    assert not Motion.objects.exists()


def test_closing_before_the_window_ends_is_refused(district):
    w = council_world(district)
    m = services.motion_open(actor=district.convener1, motion=motion(w))
    with pytest.raises(InvalidTransition):
        services.motion_close(actor=district.convener1, motion=m)
    assert Motion.objects.get().state == MotionState.OPEN


def test_another_compounds_convener_cannot_see_or_run_the_vote(district):
    from tests.factories import make_user

    w = council_world(district)
    stranger = make_user("convener2", "council_convener", area=district.compound2)
    m = motion(w)
    with pytest.raises(NotFound):
        services.motion_open(actor=stranger, motion=m)
    with pytest.raises(PermissionDenied):
        services.motion_open(actor=district.resident_user, motion=m)
    assert Motion.objects.get().state == MotionState.DRAFT


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("require_postgres")
def test_twenty_simultaneous_votes_from_one_seat_count_once(district):
    w = council_world(district)
    m = services.motion_open(actor=district.convener1, motion=motion(w))

    results, errors = run_together(
        20, lambda n: services.vote_cast(actor=w.voters[0], motion=m, option=n % 2)
    )

    assert errors == []
    assert sum(isinstance(r, Ballot) for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == 19
    assert Ballot.objects.filter(motion=m).count() == 1
    assert connection.vendor == "postgresql"
