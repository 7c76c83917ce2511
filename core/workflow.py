"""One table of steps for a workflow: which states each step may start from, where it leads, and the
clear refusal for a step the current state does not allow (no database access here).

Each app's `workflow.py` states its own states, steps and refusals, and builds a `StepTable` from them.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.exceptions import InvalidTransition


@dataclass(frozen=True)
class StepTable:
    # step: (the states it may start from, the state it leads to; None = decided by the service)
    transitions: dict[str, tuple[frozenset[str], str | None]]
    # state: (why a step is refused in it, the stable error code)
    refusals: dict[str, tuple[str, str]]

    def can(self, step: str, state: str) -> bool:
        sources, _target = self.transitions[step]
        return state in sources

    def refusal(self, state: str) -> tuple[str, str]:
        """Why a step is refused in `state`: (message, code)."""
        return self.refusals.get(state, (InvalidTransition.default_message, InvalidTransition.default_code))

    def check(self, step: str, state: str) -> str | None:
        """The state `step` leads to from `state`; refuses (InvalidTransition) when the table does not allow it."""
        sources, target = self.transitions[step]
        if state not in sources:
            message, code = self.refusal(state)
            raise InvalidTransition(message, code=code)
        return target
