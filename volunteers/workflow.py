"""The states of a micro-wish, a service order, a member's report and an activity sign-up, and the one
table of steps of each (no database here).

A micro-wish (微心愿, "light it up" 点亮心愿):

    open ──claim──▶ claimed ──fulfil (photo)──▶ fulfilled ──confirm──▶ confirmed (points paid)
      │               │ (a group wish stays open to claims until it has `group_size` claimants)
      └──cancel──▶ cancelled ◀──cancel── claimed (every claimant is told)

A service order (群众点单 → 社区发单 → 党员接单/随时抢单 → 实时晒单 → 服务评单):

    ordered ──dispatch to a member──▶ assigned ──accept──▶ accepted ──start──▶ started ──finish──▶ done
       │    ──dispatch to the pool──▶ pooled ──grab─────▶ accepted                 (photos)    │
       │                      assigned/pooled ──not accepted in time──▶ ordered (the community is told)
       │                      accepted ──release (before starting)──▶ ordered, or pooled again
       └──cancel (the resident, before it is accepted)──▶ cancelled
    done ──rate──▶ rated (points paid)      done ──not rated in time──▶ closed (points paid)

A member's report (党员报到): pending ──accept (placed in a grid)──▶ accepted ──leave──▶ left
                                  pending ──decline──▶ declined; a move is a leave and a new report.

An activity sign-up (共建活动): signed_up ──check in (code at the venue)──▶ attended
                                signed_up ──cancel──▶ cancelled; signed_up ──after the end──▶ no_show

The services in `volunteers.services` perform each step, check who may do it, and write an event row
for every transition of a wish or an order.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.workflow import StepTable


class ServiceField(models.TextChoices):
    """Fields of service (DOMAIN.md §5): what members offer and what residents order."""

    PATROL = "patrol", _("Joint security patrol")
    MEDIATION = "mediation", _("Dispute mediation")
    WASTE = "waste", _("Waste sorting")
    ELECTRICITY = "electricity", _("Safe electricity")
    EVERYDAY = "everyday", _("Everyday services")
    EPIDEMIC = "epidemic", _("Epidemic prevention")
    RESCUE = "rescue", _("Emergency rescue")
    REPAIR = "repair", _("Appliance repair")
    HARDSHIP = "hardship", _("Hardship aid")
    ENVIRONMENT = "environment", _("Environment")
    LEGAL = "legal", _("Legal education")


# --- Reporting (党员报到) -------------------------------------------------------------------------


class ReportState(models.TextChoices):
    PENDING = "pending", _("Awaiting the community")
    ACCEPTED = "accepted", _("Reported")
    DECLINED = "declined", _("Declined")
    LEFT = "left", _("Left")


REPORT_TABLE = StepTable(
    {
        "accept": (frozenset({ReportState.PENDING}), ReportState.ACCEPTED),
        "decline": (frozenset({ReportState.PENDING}), ReportState.DECLINED),
        "place": (frozenset({ReportState.ACCEPTED}), ReportState.ACCEPTED),
        "leave": (frozenset({ReportState.PENDING, ReportState.ACCEPTED}), ReportState.LEFT),
    },
    {
        ReportState.PENDING: (_("This report is still awaiting the community."), "report_pending"),
        ReportState.ACCEPTED: (_("This report has already been accepted."), "report_accepted"),
        ReportState.DECLINED: (_("This report was declined."), "report_declined"),
        ReportState.LEFT: (_("This member has left the community."), "report_left"),
    },
)
ACTIVE_REPORT_STATES = frozenset({ReportState.PENDING, ReportState.ACCEPTED})


# --- Micro-wishes (微心愿) ------------------------------------------------------------------------


class WishCategory(models.TextChoices):
    DAILY = "daily", _("Daily necessities")
    STUDY = "study", _("Study")
    HEALTH = "health", _("Health")
    COMPANY = "company", _("Company and care")
    REPAIR = "repair", _("Repairs at home")
    OTHER = "other", _("Other")


class WishState(models.TextChoices):
    OPEN = "open", _("Waiting to be lit up")
    CLAIMED = "claimed", _("Lit up")
    FULFILLED = "fulfilled", _("Fulfilled, awaiting confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    CANCELLED = "cancelled", _("Cancelled")


class WishStep(models.TextChoices):
    POST = "post", _("Post")
    CLAIM = "claim", _("Light up")
    FULFIL = "fulfil", _("Fulfil")
    CONFIRM = "confirm", _("Confirm")
    CANCEL = "cancel", _("Cancel")


W = WishState
WISH_TABLE = StepTable(
    {
        # A group wish takes claims while claimed until it has `group_size` claimants (the service checks).
        WishStep.CLAIM: (frozenset({W.OPEN, W.CLAIMED}), W.CLAIMED),
        WishStep.FULFIL: (frozenset({W.CLAIMED}), W.FULFILLED),
        WishStep.CONFIRM: (frozenset({W.FULFILLED}), W.CONFIRMED),
        WishStep.CANCEL: (frozenset({W.OPEN, W.CLAIMED}), W.CANCELLED),
    },
    {
        W.OPEN: (_("Nobody has lit up this wish yet."), "wish_open"),
        W.CLAIMED: (_("This wish has already been lit up."), "wish_claimed"),
        W.FULFILLED: (_("This wish has been fulfilled and awaits confirmation."), "wish_fulfilled"),
        W.CONFIRMED: (_("This wish has been fulfilled and confirmed."), "wish_confirmed"),
        W.CANCELLED: (_("This wish was cancelled."), "wish_cancelled"),
    },
)
OPEN_WISH_STATES = frozenset({W.OPEN, W.CLAIMED})


# --- Service orders (点单 → 发单 → 接单/抢单 → 晒单 → 评单) --------------------------------------------


class OrderState(models.TextChoices):
    ORDERED = "ordered", _("Ordered, awaiting dispatch")
    ASSIGNED = "assigned", _("Dispatched to a member")
    POOLED = "pooled", _("Open to grab")
    ACCEPTED = "accepted", _("Accepted")
    STARTED = "started", _("In service")
    DONE = "done", _("Done, awaiting rating")
    RATED = "rated", _("Rated")
    CLOSED = "closed", _("Closed without rating")
    CANCELLED = "cancelled", _("Cancelled")


class OrderStep(models.TextChoices):
    ORDER = "order", _("Service ordered")
    DISPATCH = "dispatch", _("Dispatch to a member")
    POOL = "pool", _("Open to grab")
    ACCEPT = "accept", _("Accept")
    DECLINE = "decline", _("Decline")
    GRAB = "grab", _("Grab")
    RELEASE = "release", _("Release")
    START = "start", _("Start")
    FINISH = "finish", _("Mark done")
    RATE = "rate", _("Rate")
    CLOSE = "close", _("Close (not rated in time)")
    TIMEOUT = "timeout", _("Return (not accepted in time)")
    CANCEL = "cancel", _("Cancel")


S = OrderState
ORDER_TABLE = StepTable(
    {
        OrderStep.DISPATCH: (frozenset({S.ORDERED}), S.ASSIGNED),
        OrderStep.POOL: (frozenset({S.ORDERED}), S.POOLED),
        OrderStep.ACCEPT: (frozenset({S.ASSIGNED}), S.ACCEPTED),
        OrderStep.DECLINE: (frozenset({S.ASSIGNED}), S.ORDERED),
        OrderStep.GRAB: (frozenset({S.POOLED}), S.ACCEPTED),
        # Back to the pool when it was grabbed from there, else back to the community (the service decides).
        OrderStep.RELEASE: (frozenset({S.ACCEPTED}), None),
        OrderStep.START: (frozenset({S.ACCEPTED}), S.STARTED),
        OrderStep.FINISH: (frozenset({S.ACCEPTED, S.STARTED}), S.DONE),
        OrderStep.RATE: (frozenset({S.DONE}), S.RATED),
        OrderStep.CLOSE: (frozenset({S.DONE}), S.CLOSED),
        OrderStep.TIMEOUT: (frozenset({S.ASSIGNED, S.POOLED}), S.ORDERED),
        OrderStep.CANCEL: (frozenset({S.ORDERED, S.ASSIGNED, S.POOLED}), S.CANCELLED),
    },
    {
        S.ORDERED: (_("This order has not been dispatched yet."), "order_not_dispatched"),
        S.ASSIGNED: (
            _("This order has been dispatched to a member and awaits acceptance."),
            "order_assigned",
        ),
        S.POOLED: (_("This order is open to grab and has not been accepted yet."), "order_pooled"),
        S.ACCEPTED: (_("This order has already been accepted by a member."), "order_taken"),
        S.STARTED: (_("The service has already started."), "order_started"),
        S.DONE: (_("This order is done and awaits the resident's rating."), "order_done"),
        S.RATED: (_("This order has been rated."), "order_rated"),
        S.CLOSED: (_("This order is closed."), "order_closed"),
        S.CANCELLED: (_("This order was cancelled."), "order_cancelled"),
    },
)
# Orders the community still has to see through (the dispatch board's "open" filter).
OPEN_ORDER_STATES = frozenset({S.ORDERED, S.ASSIGNED, S.POOLED, S.ACCEPTED, S.STARTED, S.DONE})
# The member who holds the order may see its full address in these states.
HELD_ORDER_STATES = frozenset({S.ACCEPTED, S.STARTED, S.DONE})


# --- Activities (共建活动) ------------------------------------------------------------------------


class SignupState(models.TextChoices):
    SIGNED_UP = "signed_up", _("Signed up")
    ATTENDED = "attended", _("Attended")
    NO_SHOW = "no_show", _("Did not come")
    CANCELLED = "cancelled", _("Cancelled")


# Sign-ups that take a place.
PLACE_STATES = frozenset({SignupState.SIGNED_UP, SignupState.ATTENDED, SignupState.NO_SHOW})

SIGNUP_TABLE = StepTable(
    {
        "check_in": (frozenset({SignupState.SIGNED_UP}), SignupState.ATTENDED),
        "cancel": (frozenset({SignupState.SIGNED_UP}), SignupState.CANCELLED),
        "no_show": (frozenset({SignupState.SIGNED_UP}), SignupState.NO_SHOW),
        "record_hours": (frozenset({SignupState.ATTENDED, SignupState.NO_SHOW}), SignupState.ATTENDED),
    },
    {
        SignupState.SIGNED_UP: (_("Not checked in yet."), "not_checked_in"),
        SignupState.ATTENDED: (_("Already checked in."), "already_checked_in"),
        SignupState.NO_SHOW: (_("Marked as not having come."), "no_show"),
        SignupState.CANCELLED: (_("This sign-up was cancelled."), "signup_cancelled"),
    },
)
