"""Red-steward councils (红管家议事厅): councils and their seats, residents' issues and their history,
motions with their stated rule, and ballots.

A motion's rule (quorum, threshold, open or secret, whether a vote may be changed, the window) is
fixed when voting opens. A ballot names its seat only in an open vote; in a secret vote it carries a
token derived from the seat with the server's key, so that nobody reading the tables sees how a seat
voted, while the voter's receipt shows their ballot among those counted (docs/adr/0007).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from community.access import ScopedQuerySet

from .voting import Threshold
from .workflow import IssueState, IssueStep, MotionState, Track


class Council(models.Model):
    """One council per compound, convened by the compound's Party branch."""

    SCOPE_AREA = "compound"

    compound = models.OneToOneField(
        "community.Area", verbose_name=_("compound"), on_delete=models.PROTECT, related_name="council"
    )
    name = models.CharField(_("name"), max_length=60)
    convener_org = models.ForeignKey(
        "community.Organisation",
        verbose_name=_("convened by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("council")
        verbose_name_plural = _("councils")
        ordering = ["compound__path"]

    def __str__(self) -> str:
        return self.name


class SeatKind(models.TextChoices):
    """The "1+2+N" of a council."""

    PARTY_BRANCH = "party_branch", _("Compound Party branch")
    OWNERS_COMMITTEE = "owners_committee", _("Owners' committee")
    PROPERTY_COMPANY = "property_company", _("Property company")
    AREA_UNIT = "area_unit", _("Unit in the area")
    PAIRED_UNIT = "paired_unit", _("Paired unit")
    REGISTERED_MEMBER = "registered_member", _("Registered Party member")
    IN_SERVICE_MEMBER = "in_service_member", _("In-service Party member")
    RESIDENT_REP = "resident_rep", _("Resident representative")
    OWNER_REP = "owner_rep", _("Owner representative")


class Seat(models.Model):
    """A seat on a council, held by one person for a term, with or without a vote."""

    SCOPE_AREA = "council__compound"

    council = models.ForeignKey(
        Council, verbose_name=_("council"), on_delete=models.PROTECT, related_name="seats"
    )
    kind = models.CharField(_("seat"), max_length=24, choices=SeatKind.choices)
    person = models.ForeignKey(
        "community.Person", verbose_name=_("held by"), on_delete=models.PROTECT, related_name="council_seats"
    )
    voting = models.BooleanField(_("has a vote"), default=True)
    since = models.DateField(_("since"))
    until = models.DateField(_("until"), null=True, blank=True)
    replaced_by = models.ForeignKey(
        "self",
        verbose_name=_("replaced by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("seat")
        verbose_name_plural = _("seats")
        ordering = ["council", "kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["council", "person"],
                condition=Q(until__isnull=True),
                name="councils_one_seat_per_person",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.person}"


class IssueCategory(models.TextChoices):
    ENVIRONMENT = "environment", _("Environment and sanitation")
    FACILITIES = "facilities", _("Facilities and repairs")
    SAFETY = "safety", _("Safety")
    PARKING = "parking", _("Parking and traffic")
    PROPERTY = "property", _("Property management")
    NEIGHBOURS = "neighbours", _("Neighbours")
    ELDERLY_CHILDREN = "elderly_children", _("The elderly and children")
    OTHER = "other", _("Other")


class Issue(models.Model):
    """A resident's issue (民提) in a compound, from raising to resolution."""

    SCOPE_AREA = "compound"
    SCOPE_OWNER = "raised_by__user"

    council = models.ForeignKey(
        Council, verbose_name=_("council"), on_delete=models.PROTECT, related_name="issues"
    )
    compound = models.ForeignKey(
        "community.Area", verbose_name=_("compound"), on_delete=models.PROTECT, related_name="+"
    )
    raised_by = models.ForeignKey(
        "community.Person",
        verbose_name=_("raised by"),
        on_delete=models.PROTECT,
        related_name="council_issues",
    )
    # A social worker records an issue for an elderly or offline resident: "recorded by X for Y".
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    category = models.CharField(_("category"), max_length=20, choices=IssueCategory.choices)
    title = models.CharField(_("title"), max_length=80)
    description = models.TextField(_("description"), max_length=2000)
    building = models.ForeignKey(
        "community.Area",
        verbose_name=_("building"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    photo = models.FileField(_("photo"), upload_to="councils/issues/%Y/%m/", blank=True)
    state = models.CharField(
        _("state"), max_length=12, choices=IssueState.choices, default=IssueState.RAISED, db_index=True
    )
    track = models.CharField(_("track"), max_length=8, choices=Track.choices, blank=True)
    triage_by = models.DateField(_("triage by"))
    due_on = models.DateField(_("due on"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged",
    )
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("issue")
        verbose_name_plural = _("issues")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class IssueEvent(models.Model):
    """The timeline of an issue: every step (who, when, from, to, note), which the resident follows."""

    SCOPE_AREA = "issue__compound"
    SCOPE_OWNER = "issue__raised_by__user"

    issue = models.ForeignKey(Issue, verbose_name=_("issue"), on_delete=models.CASCADE, related_name="events")
    step = models.CharField(_("step"), max_length=12, choices=IssueStep.choices)
    from_state = models.CharField(_("from"), max_length=12, choices=IssueState.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=12, choices=IssueState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("issue event")
        verbose_name_plural = _("issue events")
        ordering = ["issue", "at", "id"]

    def __str__(self) -> str:
        return f"{self.issue} · {self.get_step_display()}"


class Motion(models.Model):
    """A question put to the council's voting seats (民决), with its rule stated before voting opens."""

    SCOPE_AREA = "council__compound"

    council = models.ForeignKey(
        Council, verbose_name=_("council"), on_delete=models.PROTECT, related_name="motions"
    )
    issue = models.ForeignKey(
        Issue,
        verbose_name=_("issue"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="motions",
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    options = models.JSONField(_("options"))
    quorum = models.DecimalField(_("quorum (share of voting seats)"), max_digits=4, decimal_places=3)
    threshold = models.CharField(_("threshold"), max_length=12, choices=Threshold.choices)
    secret = models.BooleanField(_("secret ballot"), default=False)
    changeable = models.BooleanField(_("votes may be changed until the close"), default=False)
    opens_at = models.DateTimeField(_("voting opens"))
    closes_at = models.DateTimeField(_("voting closes"))
    state = models.CharField(
        _("state"), max_length=10, choices=MotionState.choices, default=MotionState.DRAFT, db_index=True
    )
    # Fixed at opening: the voting seats (their ids) and the SHA-256 of the rule as published.
    electorate = models.JSONField(_("voting seats"), default=list, blank=True)
    rule_hash = models.CharField(_("SHA-256 of the rule"), max_length=64, blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("motion")
        verbose_name_plural = _("motions")
        ordering = ["-opens_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="councils_window_order"
            ),
            models.CheckConstraint(condition=Q(quorum__gt=0, quorum__lte=1), name="councils_quorum_range"),
        ]

    def __str__(self) -> str:
        return self.title


class Ballot(models.Model):
    """One seat's vote on one motion. `token` identifies the seat's ballot without naming the seat in a
    secret vote (HMAC of motion and seat with the server's key); `seat` is set only in an open vote."""

    SCOPE_AREA = "motion__council__compound"

    motion = models.ForeignKey(
        Motion, verbose_name=_("motion"), on_delete=models.PROTECT, related_name="ballots"
    )
    token = models.CharField(_("ballot token"), max_length=64)
    seat = models.ForeignKey(
        Seat, verbose_name=_("seat"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    option = models.SmallIntegerField(_("option"))
    cast_at = models.DateTimeField(_("cast at"))
    changes = models.PositiveSmallIntegerField(_("times changed"), default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = [
            models.UniqueConstraint(fields=["motion", "token"], name="councils_one_ballot_per_seat")
        ]

    def __str__(self) -> str:
        return f"{self.motion} · {self.token[:8]}"
