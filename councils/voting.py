"""How a motion's result follows from its rule and its ballots (民决): pure, exact, no database.

The rule is stated before voting opens and never changes afterwards:

- **quorum**: the share of the voting seats that must take part (abstaining counts as taking part);
  below it the motion fails, whatever the votes say;
- **threshold**: the share of the votes for an option (abstentions left out) that the leading
  option needs: a simple majority (more than half) or two thirds (at least two thirds);
- a tie between the leading options fails.

Fractions are exact (`fractions.Fraction`), so "two thirds just reached" (6 of 9) and "just
missed" (5 of 8) are never a rounding question.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction

from django.db import models
from django.utils.translation import gettext_lazy as _

ABSTAIN = -1  # the ballot's option for "abstain": counts for the quorum, not for the threshold


class Threshold(models.TextChoices):
    SIMPLE = "simple", _("Simple majority (more than half)")
    TWO_THIRDS = "two_thirds", _("Two thirds (at least two thirds)")


class Outcome(models.TextChoices):
    PASSED = "passed", _("Passed")
    NO_QUORUM = "no_quorum", _("Failed: quorum not reached")
    TIE = "tie", _("Failed: a tie")
    THRESHOLD_MISSED = "threshold_missed", _("Failed: threshold not reached")
    NO_VOTES = "no_votes", _("Failed: no votes for any option")


@dataclass(frozen=True)
class Rule:
    quorum: Fraction  # 0 < quorum <= 1
    threshold: str  # Threshold

    def threshold_share(self) -> Fraction:
        return Fraction(1, 2) if self.threshold == Threshold.SIMPLE else Fraction(2, 3)


@dataclass(frozen=True)
class Result:
    outcome: str
    voting_seats: int
    ballots: int  # seats that took part, abstentions included
    abstentions: int
    counts: tuple[int, ...]  # votes per option, in the motion's order
    winner: int | None  # the option index that passed, if any
    turnout: Fraction = field(default=Fraction(0))
    winner_share: Fraction | None = None

    @property
    def passed(self) -> bool:
        return self.outcome == Outcome.PASSED

    def as_dict(self) -> dict:
        """For the public record and the API: exact shares as "n/d" strings."""
        return {
            "outcome": self.outcome,
            "voting_seats": self.voting_seats,
            "ballots": self.ballots,
            "abstentions": self.abstentions,
            "counts": list(self.counts),
            "winner": self.winner,
            "turnout": f"{self.turnout.numerator}/{self.turnout.denominator}",
            "winner_share": (
                None
                if self.winner_share is None
                else f"{self.winner_share.numerator}/{self.winner_share.denominator}"
            ),
        }


def tally(rule: Rule, *, options: int, voting_seats: int, choices: list[int]) -> Result:
    """The result of a closed vote: `choices` holds one option index (or ABSTAIN) per seat that voted."""
    if options < 2:
        raise ValueError("a motion has at least two options")
    if any(c != ABSTAIN and not 0 <= c < options for c in choices):
        raise ValueError("a ballot names an option the motion does not have")
    if len(choices) > voting_seats:
        raise ValueError("more ballots than voting seats")
    counter = Counter(choices)
    counts = tuple(counter.get(index, 0) for index in range(options))
    abstentions = counter.get(ABSTAIN, 0)
    turnout = Fraction(len(choices), voting_seats) if voting_seats else Fraction(0)

    def result(outcome: str, winner: int | None = None, share: Fraction | None = None) -> Result:
        return Result(
            outcome=outcome,
            voting_seats=voting_seats,
            ballots=len(choices),
            abstentions=abstentions,
            counts=counts,
            winner=winner,
            turnout=turnout,
            winner_share=share,
        )

    if voting_seats == 0 or turnout < rule.quorum:
        return result(Outcome.NO_QUORUM)
    cast = sum(counts)
    if cast == 0:
        return result(Outcome.NO_VOTES)
    top = max(counts)
    leaders = [index for index, n in enumerate(counts) if n == top]
    share = Fraction(top, cast)
    if len(leaders) > 1:
        return result(Outcome.TIE, share=share)
    needed = rule.threshold_share()
    reached = share > needed if rule.threshold == Threshold.SIMPLE else share >= needed
    if not reached:
        return result(Outcome.THRESHOLD_MISSED, share=share)
    return result(Outcome.PASSED, winner=leaders[0], share=share)
