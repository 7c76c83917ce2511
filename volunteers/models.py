"""Volunteers: members' reports to their residential community and their pledges, residents' micro-wishes
and service orders, and co-construction activities with their sign-ups.

States change only through `volunteers.services` (the tables are in `volunteers.workflow`); a wish and
an order keep an event row for every transition. Rows are never deleted: a wish or an order that is
no longer wanted is cancelled, a member who moves leaves and reports again.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from community.access import ScopedQuerySet
from community.models import mask_phone

from .workflow import (
    OrderState,
    OrderStep,
    ReportState,
    ServiceField,
    SignupState,
    WishCategory,
    WishState,
    WishStep,
)

PHOTO_UPLOAD = "volunteers/%Y/%m/"


def mask_address(address: str) -> str:
    """The street and compound, not the building and door: "越都花园3幢2单元501" → "越都花园****"."""
    address = (address or "").strip()
    if not address:
        return ""
    keep = max(2, min(len(address) // 2, 8))
    return address[:keep] + "****"


# --- Reporting (党员报到) and pledges (锋领十条 · 人人契约) --------------------------------------------


class Report(models.Model):
    """A Party member's report to their residential community, with skills and the services offered.

    One report is active (pending or accepted) per member at a time; moving is leaving and reporting
    again, so the history of where a member served stays.
    """

    SCOPE_AREA = "community"
    SCOPE_OWNER = "member__person__user"

    member = models.ForeignKey(
        "community.PartyMember",
        verbose_name=_("Party member"),
        on_delete=models.PROTECT,
        related_name="reports",
    )
    community = models.ForeignKey(
        "community.Area",
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="member_reports",
        limit_choices_to={"kind": "community"},
    )
    grid = models.ForeignKey(
        "community.Area",
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grid_reports",
        limit_choices_to={"kind": "grid"},
    )
    skills = models.CharField(
        _("skills"), max_length=200, blank=True, help_text=_("For example: 电工, 法律咨询")
    )
    service_fields = models.JSONField(_("services offered"), default=list, blank=True)
    state = models.CharField(
        _("state"), max_length=12, choices=ReportState.choices, default=ReportState.PENDING
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    reported_at = models.DateTimeField(_("reported at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("member's report")
        verbose_name_plural = _("members' reports")
        ordering = ["community__path", "-reported_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(state__in=["pending", "accepted"]),
                name="volunteers_one_active_report",
            )
        ]
        indexes = [models.Index(fields=["community", "state"])]

    def __str__(self) -> str:
        return f"{self.member} → {self.community}"

    def service_field_labels(self) -> list[str]:
        labels = dict(ServiceField.choices)
        return [str(labels.get(value, value)) for value in self.service_fields]


class PledgeText(models.Model):
    """The pledge a community publishes for a year (锋领十条); a new version supersedes the last."""

    SCOPE_AREA = "community"

    community = models.ForeignKey(
        "community.Area",
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="pledge_texts",
        limit_choices_to={"kind": "community"},
    )
    year = models.PositiveSmallIntegerField(_("year"))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"))
    text_hash = models.CharField(_("text hash"), max_length=64, editable=False)
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("pledge text")
        verbose_name_plural = _("pledge texts")
        ordering = ["community__path", "-year", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["community", "year", "version"], name="volunteers_pledge_version")
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.year} v{self.version})"


class PledgeSignature(models.Model):
    """A member's signature under one version of the pledge; its hash goes into the public record."""

    SCOPE_AREA = "text__community"
    SCOPE_OWNER = "member__person__user"

    text = models.ForeignKey(
        PledgeText, verbose_name=_("pledge"), on_delete=models.PROTECT, related_name="signatures"
    )
    member = models.ForeignKey(
        "community.PartyMember",
        verbose_name=_("Party member"),
        on_delete=models.PROTECT,
        related_name="pledges",
    )
    signed_at = models.DateTimeField(_("signed at"), auto_now_add=True)
    record_hash = models.CharField(_("public record entry"), max_length=64, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("pledge signature")
        verbose_name_plural = _("pledge signatures")
        ordering = ["text", "signed_at", "id"]
        constraints = [models.UniqueConstraint(fields=["text", "member"], name="volunteers_sign_once")]

    def __str__(self) -> str:
        return f"{self.member} · {self.text}"


# --- Micro-wishes (微心愿) ------------------------------------------------------------------------


class Wish(models.Model):
    """A resident's small wish; the wall shows it without personal details."""

    SCOPE_AREA = "community"
    SCOPE_OWNER = "beneficiary__user"

    community = models.ForeignKey(
        "community.Area",
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="wishes",
        limit_choices_to={"kind": "community"},
    )
    grid = models.ForeignKey(
        "community.Area",
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grid_wishes",
        limit_choices_to={"kind": "grid"},
    )
    beneficiary = models.ForeignKey(
        "community.Person", verbose_name=_("for"), on_delete=models.PROTECT, related_name="wishes"
    )
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("posted by"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("wish"), max_length=60)
    description = models.CharField(_("details"), max_length=500, blank=True)
    category = models.CharField(_("category"), max_length=12, choices=WishCategory.choices)
    due_on = models.DateField(_("wanted by"))
    group_size = models.PositiveSmallIntegerField(
        _("members needed"),
        default=1,
        help_text=_("More than 1: a big wish that a group lights up together."),
    )
    state = models.CharField(_("state"), max_length=12, choices=WishState.choices, default=WishState.OPEN)
    fulfil_note = models.CharField(_("how it was fulfilled"), max_length=500, blank=True)
    fulfil_photo = models.FileField(_("photo"), upload_to=PHOTO_UPLOAD, blank=True)
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    cancel_reason = models.CharField(_("why cancelled"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("posted at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("micro-wish")
        verbose_name_plural = _("micro-wishes")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["community", "state", "due_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(group_size__gte=1, group_size__lte=20), name="volunteers_wish_group_size"
            )
        ]

    def __str__(self) -> str:
        return self.title


class WishClaim(models.Model):
    """A member who lit up a wish; a group wish has up to `group_size` of them."""

    SCOPE_AREA = "wish__community"
    SCOPE_OWNER = "user"

    wish = models.ForeignKey(Wish, verbose_name=_("wish"), on_delete=models.PROTECT, related_name="claims")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="wish_claims",
    )
    claimed_at = models.DateTimeField(_("lit up at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("wish claim")
        verbose_name_plural = _("wish claims")
        ordering = ["wish", "claimed_at", "id"]
        constraints = [models.UniqueConstraint(fields=["wish", "user"], name="volunteers_claim_once")]

    def __str__(self) -> str:
        return f"{self.user} · {self.wish}"


class WishEvent(models.Model):
    """One transition of a wish: who, when, from, to, note."""

    SCOPE_AREA = "wish__community"

    wish = models.ForeignKey(Wish, verbose_name=_("wish"), on_delete=models.CASCADE, related_name="events")
    step = models.CharField(_("step"), max_length=12, choices=WishStep.choices)
    from_state = models.CharField(_("from"), max_length=12, choices=WishState.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=12, choices=WishState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("wish event")
        verbose_name_plural = _("wish events")
        ordering = ["wish", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state or '—'} → {self.to_state}"


# --- Service orders (点单 → 发单 → 接单/抢单 → 晒单 → 评单) --------------------------------------------


class ServiceOrder(models.Model):
    """A resident's order for a service; its address is shown in full only to the member who holds it,
    the resident and the community's staff who must contact them."""

    SCOPE_AREA = "community"
    SCOPE_OWNER = "resident__user"

    community = models.ForeignKey(
        "community.Area",
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="service_orders",
        limit_choices_to={"kind": "community"},
    )
    grid = models.ForeignKey(
        "community.Area",
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grid_orders",
        limit_choices_to={"kind": "grid"},
    )
    resident = models.ForeignKey(
        "community.Person",
        verbose_name=_("resident"),
        on_delete=models.PROTECT,
        related_name="service_orders",
    )
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("ordered by"), on_delete=models.PROTECT, related_name="+"
    )
    field = models.CharField(_("service"), max_length=12, choices=ServiceField.choices)
    description = models.CharField(_("what is needed"), max_length=500)
    address = models.CharField(_("address"), max_length=200)
    contact_phone = models.CharField(_("contact phone"), max_length=11, blank=True)
    window_start = models.DateTimeField(_("from"))
    window_end = models.DateTimeField(_("until"))
    state = models.CharField(
        _("state"), max_length=12, choices=OrderState.choices, default=OrderState.ORDERED
    )
    # Who holds it: the member it was dispatched to (assigned) or who accepted or grabbed it.
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_orders_held",
    )
    from_pool = models.BooleanField(_("grabbed from the pool"), default=False)
    accept_by = models.DateTimeField(_("accept by"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_note = models.CharField(_("what was done"), max_length=500, blank=True)
    rate_by = models.DateTimeField(_("rate by"), null=True, blank=True)
    stars = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.CharField(_("comment"), max_length=300, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("ordered at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("service order")
        verbose_name_plural = _("service orders")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["community", "state"]),
            models.Index(fields=["state", "accept_by"]),
            models.Index(fields=["state", "rate_by"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(window_end__gt=models.F("window_start")), name="volunteers_order_window"
            ),
            models.CheckConstraint(
                condition=Q(stars__isnull=True) | Q(stars__gte=1, stars__lte=5), name="volunteers_order_stars"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_field_display()} · {self.created_at:%Y-%m-%d}" if self.created_at else str(self.pk)

    @property
    def masked_address(self) -> str:
        return mask_address(self.address)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.contact_phone)


class OrderPhoto(models.Model):
    """A photo of the service done (晒单)."""

    SCOPE_AREA = "order__community"

    order = models.ForeignKey(
        ServiceOrder, verbose_name=_("order"), on_delete=models.CASCADE, related_name="photos"
    )
    photo = models.FileField(_("photo"), upload_to=PHOTO_UPLOAD)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("order photo")
        verbose_name_plural = _("order photos")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.photo.name


class OrderEvent(models.Model):
    """One transition of an order: who, when, from, to, note."""

    SCOPE_AREA = "order__community"

    order = models.ForeignKey(
        ServiceOrder, verbose_name=_("order"), on_delete=models.CASCADE, related_name="events"
    )
    step = models.CharField(_("step"), max_length=12, choices=OrderStep.choices)
    from_state = models.CharField(_("from"), max_length=12, choices=OrderState.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=12, choices=OrderState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["order", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state or '—'} → {self.to_state}"


# --- Activities (共建活动) ------------------------------------------------------------------------


class Activity(models.Model):
    """A co-construction activity: place, time, capacity and sign-up deadline; check-in at the venue."""

    SCOPE_AREA = "community"

    community = models.ForeignKey(
        "community.Area",
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="activities",
        limit_choices_to={"kind": "community"},
    )
    organiser = models.ForeignKey(
        "community.Organisation",
        verbose_name=_("together with"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
        help_text=_("A paired unit that runs it with the community, if any."),
    )
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("details"), blank=True)
    field = models.CharField(_("service"), max_length=12, choices=ServiceField.choices)
    place = models.CharField(_("place"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    signup_deadline = models.DateTimeField(_("sign up by"))
    capacity = models.PositiveIntegerField(_("places"))
    open_to_residents = models.BooleanField(_("residents may sign up too"), default=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("why cancelled"), max_length=200, blank=True)
    # Set once the activity has ended and no-shows are marked and hours paid (the job's mark).
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("published by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("published at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["community", "starts_at"]),
            # The periodic job reminds those signed up to what starts within the day, and closes what
            # has ended and is not closed yet: neither reads the years of activities behind them.
            models.Index(
                fields=["starts_at"],
                name="volunteers_activity_start_idx",
                condition=Q(cancelled_at__isnull=True),
            ),
            models.Index(
                fields=["ends_at"],
                name="volunteers_activity_open_idx",
                condition=Q(closed_at__isnull=True, cancelled_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="volunteers_activity_times"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="volunteers_activity_capacity"),
        ]

    def __str__(self) -> str:
        return self.title


class Signup(models.Model):
    """A member's or resident's place at an activity; check-in records the hours."""

    SCOPE_AREA = "activity__community"
    SCOPE_OWNER = "user"

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.PROTECT, related_name="signups"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        related_name="activity_signups",
    )
    state = models.CharField(
        _("state"), max_length=12, choices=SignupState.choices, default=SignupState.SIGNED_UP
    )
    signed_up_at = models.DateTimeField(_("signed up at"), auto_now_add=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    hours = models.DecimalField(_("hours"), max_digits=4, decimal_places=1, default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        ordering = ["activity", "signed_up_at", "id"]
        constraints = [models.UniqueConstraint(fields=["activity", "user"], name="volunteers_signup_once")]

    def __str__(self) -> str:
        return f"{self.user} · {self.activity}"
