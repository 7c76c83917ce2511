"""The states of a co-construction contract and the one table of steps between them (no database access here).

    draft ──agree (both sides, one version)──▶ agreed ──sign (both sides)──▶ signed ──publish──▶ published
      ▲  │ revise (a new version)               │                                                │
      │  └──────────────────────────────────────┘ request_change (voids any signature)           │
      └───────────────────────────────────────────┘                                 open_evaluation
                                                                                                 ▼
                         terminate: from any state before evaluated ──▶ terminated      evaluating
                                                                                  close_evaluation ▼
                                                                                         evaluated

"Agreed" with one signature is the partly-signed contract; the second signature moves it to
"signed", after which its text can never change. The services in contracts.services perform each
step, check who may do it, and write a `ContractEvent` for every transition.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.workflow import StepTable


class ContractState(models.TextChoices):
    DRAFT = "draft", _("Negotiating")
    AGREED = "agreed", _("Agreed, awaiting signatures")
    SIGNED = "signed", _("Signed")
    PUBLISHED = "published", _("Published, being fulfilled")
    EVALUATING = "evaluating", _("Being evaluated")
    EVALUATED = "evaluated", _("Evaluated")
    TERMINATED = "terminated", _("Terminated")


class ContractStep(models.TextChoices):
    REVISE = "revise", _("Revise")
    AGREE = "agree", _("Agree to this version")
    REQUEST_CHANGE = "request_change", _("Ask for a change")
    SIGN = "sign", _("Sign")
    PUBLISH = "publish", _("Publish")
    OPEN_EVALUATION = "open_evaluation", _("Open the evaluation")
    CLOSE_EVALUATION = "close_evaluation", _("Close the evaluation")
    TERMINATE = "terminate", _("Terminate")


S = ContractState
# step: (the states it may start from, the state it leads to; None = decided by the service)
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    ContractStep.REVISE: (frozenset({S.DRAFT}), S.DRAFT),
    # Both sides agreeing to one version freezes it; one side's agreement leaves the draft as it is.
    ContractStep.AGREE: (frozenset({S.DRAFT}), None),
    ContractStep.REQUEST_CHANGE: (frozenset({S.AGREED}), S.DRAFT),
    # The second signature makes it signed; the first leaves it agreed.
    ContractStep.SIGN: (frozenset({S.AGREED}), None),
    ContractStep.PUBLISH: (frozenset({S.SIGNED}), S.PUBLISHED),
    ContractStep.OPEN_EVALUATION: (frozenset({S.PUBLISHED}), S.EVALUATING),
    ContractStep.CLOSE_EVALUATION: (frozenset({S.EVALUATING}), S.EVALUATED),
    ContractStep.TERMINATE: (
        frozenset({S.DRAFT, S.AGREED, S.SIGNED, S.PUBLISHED, S.EVALUATING}),
        S.TERMINATED,
    ),
}

FINAL_STATES = frozenset({S.EVALUATED, S.TERMINATED})
# Once signed, the text never changes.
TEXT_FIXED_STATES = frozenset({S.SIGNED, S.PUBLISHED, S.EVALUATING, S.EVALUATED})
# Seen by the public on the 亮约 board.
PUBLIC_STATES = frozenset({S.PUBLISHED, S.EVALUATING, S.EVALUATED})

_REFUSALS = {
    S.DRAFT: (
        _("This contract is still being negotiated; nothing has been agreed yet."),
        "still_negotiating",
    ),
    S.AGREED: (_("A version has been agreed and is waiting for signatures."), "awaiting_signatures"),
    S.SIGNED: (_("This contract has been signed; its text can no longer change."), "already_signed"),
    S.PUBLISHED: (_("This contract has been published and is being fulfilled."), "already_published"),
    S.EVALUATING: (_("This contract is being evaluated."), "being_evaluated"),
    S.EVALUATED: (_("This contract has been evaluated and is closed."), "evaluated"),
    S.TERMINATED: (_("This contract has been terminated."), "terminated"),
}


TABLE = StepTable(TRANSITIONS, _REFUSALS)
can, refusal, check = TABLE.can, TABLE.refusal, TABLE.check
