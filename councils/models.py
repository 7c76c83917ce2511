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
    # The satisfaction survey (民评) after each resolution: which resolution, and when it closed.
    resolutions = models.PositiveSmallIntegerField(_("times resolved"), default=0)
    survey_closed_at = models.DateTimeField(_("survey closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("issue")
        verbose_name_plural = _("issues")
        ordering = ["-created_at", "-id"]
        indexes = [
            # Newest first: the API's cursor pages, the admin's list and the council pages read by it.
            models.Index(fields=["-created_at", "-id"], name="councils_issue_created_idx"),
            # The periodic job asks the residents and closes the surveys of resolved issues whose
            # survey is open: a handful among every issue ever resolved.
            models.Index(
                fields=["resolved_at"],
                name="councils_issue_survey_idx",
                condition=Q(state=IssueState.RESOLVED, survey_closed_at__isnull=True),
            ),
        ]

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


# --- Meetings (民议) and cloud consultation (云协商) ---------------------------------------------


class MeetingState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held, minutes awaiting approval")
    APPROVED = "approved", _("Minutes approved, summary public")
    CANCELLED = "cancelled", _("Cancelled")


class Meeting(models.Model):
    """A council meeting with its agenda (issues), attendance, minutes and decisions."""

    SCOPE_AREA = "council__compound"

    council = models.ForeignKey(
        Council, verbose_name=_("council"), on_delete=models.PROTECT, related_name="meetings"
    )
    title = models.CharField(_("title"), max_length=120)
    starts_at = models.DateTimeField(_("starts at"))
    place = models.CharField(_("place"), max_length=120, blank=True)
    online = models.BooleanField(_("online (cloud consultation)"), default=False)
    state = models.CharField(
        _("state"), max_length=10, choices=MeetingState.choices, default=MeetingState.SCHEDULED, db_index=True
    )
    agenda = models.ManyToManyField(
        Issue, verbose_name=_("agenda"), through="AgendaItem", related_name="meetings"
    )
    attendees = models.ManyToManyField(Seat, verbose_name=_("attended"), blank=True, related_name="meetings")
    minutes = models.TextField(_("minutes"), max_length=10000, blank=True)
    decisions = models.TextField(_("decisions"), max_length=5000, blank=True)
    summary = models.TextField(_("public summary"), max_length=3000, blank=True)
    approved_at = models.DateTimeField(_("minutes approved at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("council meeting")
        verbose_name_plural = _("council meetings")
        ordering = ["-starts_at", "-id"]

    def __str__(self) -> str:
        return self.title


class AgendaItem(models.Model):
    SCOPE_AREA = "meeting__council__compound"

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="items"
    )
    issue = models.ForeignKey(Issue, verbose_name=_("issue"), on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["meeting", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "issue"], name="councils_issue_once_per_agenda")
        ]

    def __str__(self) -> str:
        return f"{self.meeting} · {self.issue}"


class Post(models.Model):
    """A contribution to the online discussion of an issue (云协商); the convener may hide one, with a reason."""

    SCOPE_AREA = "issue__compound"

    issue = models.ForeignKey(Issue, verbose_name=_("issue"), on_delete=models.PROTECT, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    body = models.CharField(_("text"), max_length=1000)
    hidden_at = models.DateTimeField(_("hidden at"), null=True, blank=True)
    hidden_reason = models.CharField(_("why hidden"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("posted at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("discussion post")
        verbose_name_plural = _("discussion posts")
        ordering = ["issue", "created_at", "id"]

    def __str__(self) -> str:
        return self.body[:40]


# --- Results (民评) -----------------------------------------------------------------------------------


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASIC = "basic", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class ResultRating(models.Model):
    """A resident concerned rates how an issue was resolved, once per resolution."""

    SCOPE_AREA = "issue__compound"
    SCOPE_OWNER = "person__user"

    issue = models.ForeignKey(
        Issue, verbose_name=_("issue"), on_delete=models.PROTECT, related_name="ratings"
    )
    round = models.PositiveSmallIntegerField(_("resolution"), default=1)
    person = models.ForeignKey(
        "community.Person", verbose_name=_("rated by"), on_delete=models.PROTECT, related_name="+"
    )
    rating = models.CharField(_("rating"), max_length=12, choices=Satisfaction.choices)
    created_at = models.DateTimeField(_("rated at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("result rating")
        verbose_name_plural = _("result ratings")
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "round", "person"], name="councils_one_rating_per_resolution"
            )
        ]

    def __str__(self) -> str:
        return f"{self.issue} · {self.get_rating_display()}"


# --- Crowdfunding (居民众筹) and execution (民办) ---------------------------------------------------


class Campaign(models.Model):
    """What a decided project asks residents and units for: money, labour (hours), materials."""

    SCOPE_AREA = "council__compound"

    council = models.ForeignKey(
        Council, verbose_name=_("council"), on_delete=models.PROTECT, related_name="campaigns"
    )
    issue = models.ForeignKey(
        Issue, verbose_name=_("issue"), on_delete=models.PROTECT, related_name="campaigns"
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    money_goal = models.PositiveIntegerField(_("money goal (yuan)"), null=True, blank=True)
    hours_goal = models.PositiveIntegerField(_("labour goal (hours)"), null=True, blank=True)
    materials = models.CharField(_("materials needed"), max_length=300, blank=True)
    closes_on = models.DateField(_("pledges close on"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("crowdfunding campaign")
        verbose_name_plural = _("crowdfunding campaigns")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class PledgeKind(models.TextChoices):
    MONEY = "money", _("Money")
    LABOUR = "labour", _("Labour")
    MATERIALS = "materials", _("Materials")


class Pledge(models.Model):
    """A resident's or a unit's pledge to a campaign, and whether it was given."""

    SCOPE_AREA = "campaign__council__compound"
    SCOPE_OWNER = "pledged_by"

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="pledges"
    )
    pledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("pledged by"), on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "community.Organisation",
        verbose_name=_("on behalf of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=PledgeKind.choices)
    amount = models.PositiveIntegerField(_("amount (yuan)"), null=True, blank=True)
    hours = models.PositiveIntegerField(_("hours"), null=True, blank=True)
    what = models.CharField(_("what"), max_length=200, blank=True)
    fulfilled_at = models.DateTimeField(_("given at"), null=True, blank=True)
    created_at = models.DateTimeField(_("pledged at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ["campaign", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.get_kind_display()}"


class Task(models.Model):
    """A piece of work for an issue being handled (民办): its owner, deadline and progress."""

    SCOPE_AREA = "issue__compound"

    issue = models.ForeignKey(Issue, verbose_name=_("issue"), on_delete=models.PROTECT, related_name="tasks")
    title = models.CharField(_("title"), max_length=120)
    owner = models.CharField(_("owner"), max_length=60)
    due_on = models.DateField(_("due on"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["issue", "due_on", "id"]

    def __str__(self) -> str:
        return self.title


class TaskUpdate(models.Model):
    SCOPE_AREA = "task__issue__compound"

    task = models.ForeignKey(Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="updates")
    note = models.CharField(_("progress"), max_length=500)
    photo = models.FileField(_("photo"), upload_to="councils/tasks/%Y/%m/", blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        ordering = ["task", "created_at", "id"]

    def __str__(self) -> str:
        return self.note[:40]
