"""The states of a council issue and of a motion, and the one table of steps between them (no database).

An issue (民提) is raised, then triaged within `COUNCIL_TRIAGE_DAYS` (四事分流):

    raised ──triage: micro / small──▶ handling ──resolve──▶ resolved ──reopen (unsatisfied)──▶ handling
      │   ──triage: big──▶ on_agenda ──decide──▶ handling
      │   ──triage: hard─▶ escalated ──respond──▶ handling
      ├──reject (with a reason)──▶ rejected
      └──merge (into another issue)──▶ merged

A motion (民决) is drafted with its rule, opened (the rule is fixed from then on), and closed, which
computes the result by the stated rule (councils.voting). The services in councils.services perform
each step, check who may do it, and write an `IssueEvent` for every transition of an issue.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.workflow import StepTable


class IssueState(models.TextChoices):
    RAISED = "raised", _("Raised, awaiting triage")
    HANDLING = "handling", _("Being handled")
    ON_AGENDA = "on_agenda", _("On the council's agenda")
    ESCALATED = "escalated", _("Escalated to the street and departments")
    RESOLVED = "resolved", _("Resolved")
    REJECTED = "rejected", _("Not taken up")
    MERGED = "merged", _("Merged into another issue")


class Track(models.TextChoices):
    """四事分流: who carries the issue."""

    MICRO = "micro", _("Micro: residents handle it themselves (微事自办)")
    SMALL = "small", _("Small: done together in the compound (小事共办)")
    BIG = "big", _("Big: led by the community Party organisation (大事领办)")
    HARD = "hard", _("Hard: with the street and departments (难事联办)")


class IssueStep(models.TextChoices):
    RAISE = "raise", _("Raise")
    TRIAGE = "triage", _("Triage")
    REJECT = "reject", _("Not take up")
    MERGE = "merge", _("Merge")
    DECIDE = "decide", _("Decide")
    RESPOND = "respond", _("Response received")
    RESOLVE = "resolve", _("Resolve")
    REOPEN = "reopen", _("Reopen")
    ESCALATE = "escalate", _("Escalate (overdue)")


S = IssueState
TRACK_STATE = {
    Track.MICRO: S.HANDLING,
    Track.SMALL: S.HANDLING,
    Track.BIG: S.ON_AGENDA,
    Track.HARD: S.ESCALATED,
}
# step: (the states it may start from, the state it leads to; None = decided by the service)
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    IssueStep.TRIAGE: (frozenset({S.RAISED}), None),
    IssueStep.REJECT: (frozenset({S.RAISED, S.ON_AGENDA}), S.REJECTED),
    IssueStep.MERGE: (frozenset({S.RAISED}), S.MERGED),
    IssueStep.DECIDE: (frozenset({S.ON_AGENDA}), S.HANDLING),
    IssueStep.RESPOND: (frozenset({S.ESCALATED}), S.HANDLING),
    IssueStep.RESOLVE: (frozenset({S.HANDLING}), S.RESOLVED),
    IssueStep.REOPEN: (frozenset({S.RESOLVED}), S.HANDLING),
}
OPEN_STATES = frozenset({S.RAISED, S.HANDLING, S.ON_AGENDA, S.ESCALATED})

_REFUSALS = {
    S.RAISED: (_("This issue has not been triaged yet."), "not_triaged"),
    S.HANDLING: (_("This issue is already being handled."), "being_handled"),
    S.ON_AGENDA: (_("This issue is on the council's agenda."), "on_agenda"),
    S.ESCALATED: (_("This issue has been escalated and awaits a response."), "escalated"),
    S.RESOLVED: (_("This issue has been resolved."), "resolved"),
    S.REJECTED: (_("This issue was not taken up."), "rejected"),
    S.MERGED: (_("This issue was merged into another one."), "merged"),
}


TABLE = StepTable(TRANSITIONS, _REFUSALS)
can, check = TABLE.can, TABLE.check


class MotionState(models.TextChoices):
    DRAFT = "draft", _("Draft: the rule can still change")
    OPEN = "open", _("Voting open")
    CLOSED = "closed", _("Closed, result recorded")
    WITHDRAWN = "withdrawn", _("Withdrawn")


MOTION_TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "edit": (frozenset({MotionState.DRAFT}), MotionState.DRAFT),
    "open": (frozenset({MotionState.DRAFT}), MotionState.OPEN),
    "vote": (frozenset({MotionState.OPEN}), MotionState.OPEN),
    "close": (frozenset({MotionState.OPEN}), MotionState.CLOSED),
    "withdraw": (frozenset({MotionState.DRAFT}), MotionState.WITHDRAWN),
}

_MOTION_REFUSALS = {
    MotionState.DRAFT: (_("Voting has not opened yet."), "not_open"),
    MotionState.OPEN: (_("Voting is open: the rule and the options can no longer change."), "voting_open"),
    MotionState.CLOSED: (_("Voting has closed."), "closed"),
    MotionState.WITHDRAWN: (_("This motion was withdrawn."), "withdrawn"),
}


MOTION_TABLE = StepTable(MOTION_TRANSITIONS, _MOTION_REFUSALS)
check_motion = MOTION_TABLE.check
