"""The result of a vote by its stated rule: quorum, threshold (simple majority, two thirds), ties."""

from __future__ import annotations

from fractions import Fraction

import pytest

from councils.voting import ABSTAIN, Outcome, Rule, Threshold, tally

HALF = Rule(quorum=Fraction(1, 2), threshold=Threshold.SIMPLE)
TWO_THIRDS = Rule(quorum=Fraction(1, 2), threshold=Threshold.TWO_THIRDS)
YES, NO = 0, 1


def test_quorum_not_reached_fails_whatever_the_votes():
    # 12 voting seats, quorum one half: 5 ballots (all for) is not enough.
    result = tally(HALF, options=2, voting_seats=12, choices=[YES] * 5)
    assert result.outcome == Outcome.NO_QUORUM and not result.passed
    assert result.counts == (5, 0)


def test_abstaining_counts_for_the_quorum_but_not_for_the_threshold():
    # 6 of 12 take part (quorum reached); 2 abstain; 3 for, 1 against: 3/4 of the votes cast.
    result = tally(HALF, options=2, voting_seats=12, choices=[YES, YES, YES, NO, ABSTAIN, ABSTAIN])
    assert result.outcome == Outcome.PASSED and result.winner == YES
    assert result.winner_share == Fraction(3, 4) and result.abstentions == 2


def test_a_tie_fails():
    result = tally(HALF, options=2, voting_seats=10, choices=[YES] * 4 + [NO] * 4)
    assert result.outcome == Outcome.TIE and result.winner is None


def test_a_tie_between_the_leading_options_of_three_fails():
    result = tally(HALF, options=3, voting_seats=9, choices=[0, 0, 0, 1, 1, 1, 2])
    assert result.outcome == Outcome.TIE


def test_simple_majority_needs_more_than_half():
    assert (
        tally(HALF, options=3, voting_seats=10, choices=[0, 0, 0, 1, 1, 2]).outcome
        == Outcome.THRESHOLD_MISSED
    )
    assert tally(HALF, options=2, voting_seats=10, choices=[YES] * 4 + [NO] * 3).outcome == Outcome.PASSED


def test_two_thirds_just_missed():
    # 9 seats, all vote: 5 for, 4 against is 5/9, short of 2/3; and 7 of 11 is 0.636…
    assert tally(TWO_THIRDS, options=2, voting_seats=9, choices=[YES] * 5 + [NO] * 4).outcome == (
        Outcome.THRESHOLD_MISSED
    )
    missed = tally(TWO_THIRDS, options=2, voting_seats=11, choices=[YES] * 7 + [NO] * 4)
    assert missed.outcome == Outcome.THRESHOLD_MISSED and missed.winner_share == Fraction(7, 11)


def test_two_thirds_just_reached():
    # 6 of 9 is exactly two thirds: reached (at least two thirds), with no rounding involved.
    reached = tally(TWO_THIRDS, options=2, voting_seats=9, choices=[YES] * 6 + [NO] * 3)
    assert reached.outcome == Outcome.PASSED and reached.winner_share == Fraction(2, 3)


def test_quorum_just_reached_and_just_missed():
    rule = Rule(quorum=Fraction(2, 3), threshold=Threshold.SIMPLE)
    assert tally(rule, options=2, voting_seats=9, choices=[YES] * 6).outcome == Outcome.PASSED
    assert tally(rule, options=2, voting_seats=9, choices=[YES] * 5).outcome == Outcome.NO_QUORUM


def test_only_abstentions_pass_nothing():
    assert tally(HALF, options=2, voting_seats=4, choices=[ABSTAIN] * 3).outcome == Outcome.NO_VOTES


@pytest.mark.parametrize(
    ("options", "seats", "choices"),
    [(1, 3, [0]), (2, 3, [2]), (2, 1, [0, 1])],
)
def test_impossible_inputs_are_refused(options, seats, choices):
    with pytest.raises(ValueError):
        tally(HALF, options=options, voting_seats=seats, choices=choices)


def test_the_published_form_keeps_exact_shares():
    result = tally(TWO_THIRDS, options=2, voting_seats=9, choices=[YES] * 6 + [NO] * 3)
    assert result.as_dict() == {
        "outcome": "passed",
        "voting_seats": 9,
        "ballots": 9,
        "abstentions": 0,
        "counts": [6, 3],
        "winner": 0,
        "turnout": "1/1",
        "winner_share": "2/3",
    }
