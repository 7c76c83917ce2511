"""The states of a market redemption and the one table of steps between them (no database access here).

    reserved ──complete──▶ completed      the merchant verified the code and handed the item over
        │ └────cancel────▶ cancelled      the holder (or community staff) withdrew it: points refunded
        └──────expire────▶ expired        nobody collected it in time: points refunded

Completed, cancelled and expired are final. The services in points.market perform each step.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.exceptions import InvalidTransition


class RedemptionState(models.TextChoices):
    RESERVED = "reserved", _("Reserved, waiting to be collected")
    COMPLETED = "completed", _("Collected")
    CANCELLED = "cancelled", _("Cancelled, points refunded")
    EXPIRED = "expired", _("Expired, points refunded")


class RedemptionStep(models.TextChoices):
    COMPLETE = "complete", _("Complete")
    CANCEL = "cancel", _("Cancel")
    EXPIRE = "expire", _("Expire")


TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    RedemptionStep.COMPLETE: (frozenset({RedemptionState.RESERVED}), RedemptionState.COMPLETED),
    RedemptionStep.CANCEL: (frozenset({RedemptionState.RESERVED}), RedemptionState.CANCELLED),
    RedemptionStep.EXPIRE: (frozenset({RedemptionState.RESERVED}), RedemptionState.EXPIRED),
}

FINAL_STATES = frozenset({RedemptionState.COMPLETED, RedemptionState.CANCELLED, RedemptionState.EXPIRED})
# Redemptions that count against stock and the per-person limit.
HOLDING_STATES = frozenset({RedemptionState.RESERVED, RedemptionState.COMPLETED})

# Why a step is refused, by the state the redemption is in.
_REFUSALS = {
    RedemptionState.COMPLETED: (_("This code has already been used."), "already_used"),
    RedemptionState.CANCELLED: (_("This redemption was cancelled; its points were refunded."), "cancelled"),
    RedemptionState.EXPIRED: (_("This code has expired; its points were refunded."), "expired"),
}


def can(step: str, state: str) -> bool:
    sources, _target = TRANSITIONS[step]
    return state in sources


def target_state(step: str, state: str) -> str:
    """The state `step` leads to from `state`; refuses with a clear reason when the table does not allow it."""
    sources, target = TRANSITIONS[step]
    if state not in sources:
        message, code = _REFUSALS.get(
            state, (InvalidTransition.default_message, InvalidTransition.default_code)
        )
        raise InvalidTransition(message, code=code)
    return target
