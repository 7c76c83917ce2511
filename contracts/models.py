"""Pairings (结对共建), contracts, their versions, signatures and the history of every step.

A contract's text is the items of one version. Versions are never edited: a revision is a new
version. A signature names the version and the SHA-256 of its canonical text; once both sides have
signed, the contract's `signed_version` is fixed for good.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from community.access import ScopedQuerySet

from .workflow import ContractState, ContractStep


class Side(models.TextChoices):
    COMMUNITY = "community", _("Community side")
    UNIT = "unit", _("Unit side")


class SigningOrder(models.TextChoices):
    COMMUNITY_FIRST = "community_first", _("Community first, then the unit")
    UNIT_FIRST = "unit_first", _("Unit first, then the community")
    ANY = "any", _("Either side first")


class MenuKind(models.TextChoices):
    RESPONSIBILITY = "responsibility", _("Responsibility")
    SERVICE = "service", _("Service")
    RESOURCE = "resource", _("Resource")
    PERSONALISED = "personalised", _("Personalised")


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("Excellent")
    GOOD = "good", _("Good")
    PASS = "pass", _("Satisfactory")
    FAIL = "fail", _("Unsatisfactory")


class Pairing(models.Model):
    """A community Party organisation and a unit Party organisation paired for co-construction."""

    SCOPE_AREA = "community"
    SCOPE_ORG = "unit_org"

    community = models.ForeignKey(
        "community.Area", verbose_name=_("community"), on_delete=models.PROTECT, related_name="pairings"
    )
    community_org = models.ForeignKey(
        "community.Organisation",
        verbose_name=_("community Party organisation"),
        on_delete=models.PROTECT,
        related_name="community_pairings",
    )
    unit_org = models.ForeignKey(
        "community.Organisation",
        verbose_name=_("unit Party organisation"),
        on_delete=models.PROTECT,
        related_name="unit_pairings",
    )
    since = models.DateField(_("paired since"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("pairing")
        verbose_name_plural = _("pairings")
        ordering = ["community__path", "unit_org__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["community_org", "unit_org"], name="contracts_one_pairing_per_pair"
            )
        ]

    def __str__(self) -> str:
        return f"{self.community_org} ⇄ {self.unit_org}"


class PairingContact(models.Model):
    """A contact of one side of a pairing; `can_sign` makes them an authorised signer."""

    SCOPE_AREA = "pairing__community"
    SCOPE_ORG = "pairing__unit_org"

    pairing = models.ForeignKey(
        Pairing, verbose_name=_("pairing"), on_delete=models.CASCADE, related_name="contacts"
    )
    side = models.CharField(_("side"), max_length=12, choices=Side.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="pairing_contacts",
    )
    title = models.CharField(_("title"), max_length=60, blank=True)
    can_sign = models.BooleanField(_("authorised signer"), default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("pairing contact")
        verbose_name_plural = _("pairing contacts")
        constraints = [
            models.UniqueConstraint(fields=["pairing", "side", "user"], name="contracts_one_contact_per_side")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_side_display()})"


class Contract(models.Model):
    """One pairing's contract for one term."""

    SCOPE_AREA = "pairing__community"
    SCOPE_ORG = "pairing__unit_org"

    pairing = models.ForeignKey(
        Pairing, verbose_name=_("pairing"), on_delete=models.PROTECT, related_name="contracts"
    )
    title = models.CharField(_("title"), max_length=120)
    term_start = models.DateField(_("term starts"))
    term_end = models.DateField(_("term ends"))
    state = models.CharField(
        _("state"), max_length=20, choices=ContractState.choices, default=ContractState.DRAFT, db_index=True
    )
    signing_order = models.CharField(
        _("signing order"), max_length=20, choices=SigningOrder.choices, default=SigningOrder.COMMUNITY_FIRST
    )
    # The version number each side has agreed to (cleared by a revision).
    community_agreed = models.PositiveIntegerField(_("community agreed to version"), null=True, blank=True)
    unit_agreed = models.PositiveIntegerField(_("unit agreed to version"), null=True, blank=True)
    frozen_version = models.ForeignKey(
        "ContractVersion",
        verbose_name=_("version for signature"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    sign_by = models.DateTimeField(_("sign by"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    terminated_at = models.DateTimeField(_("terminated at"), null=True, blank=True)
    termination_reason = models.CharField(_("reason for termination"), max_length=200, blank=True)
    # One side has proposed ending the contract by agreement; the other side's agreement ends it.
    termination_proposed_by = models.CharField(
        _("termination proposed by"), max_length=12, choices=Side.choices, blank=True
    )
    # At the close of the evaluation (评约): 0–100 and a grade.
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1, null=True, blank=True)
    grade = models.CharField(_("grade"), max_length=12, choices=Grade.choices, blank=True)
    renewed_from = models.ForeignKey(
        "self",
        verbose_name=_("renewed from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-term_start", "pairing__community__path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(term_end__gt=models.F("term_start")), name="contracts_term_order"
            ),
        ]
        indexes = [
            # The daily job opens and closes evaluation windows by the term's end: only the contracts
            # in those two states, so a run reads the due ones, not every published contract.
            models.Index(
                fields=["state", "term_end"],
                name="contracts_window_due_idx",
                condition=Q(state__in=[ContractState.PUBLISHED, ContractState.EVALUATING]),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ContractVersion(models.Model):
    """One version of a contract's text: its items, never edited (a revision is a new version)."""

    SCOPE_AREA = "contract__pairing__community"
    SCOPE_ORG = "contract__pairing__unit_org"

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    items = models.JSONField(_("items"))
    note = models.CharField(_("what changed"), max_length=200, blank=True)
    text_hash = models.CharField(_("SHA-256 of the text"), max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("contract version")
        verbose_name_plural = _("contract versions")
        ordering = ["contract", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "number"], name="contracts_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.contract} · v{self.number}"


class Signature(models.Model):
    """One side's signature of one version; void when a change was asked for before both had signed."""

    SCOPE_AREA = "contract__pairing__community"
    SCOPE_ORG = "contract__pairing__unit_org"

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="signatures"
    )
    version = models.ForeignKey(
        ContractVersion, verbose_name=_("version"), on_delete=models.PROTECT, related_name="+"
    )
    side = models.CharField(_("side"), max_length=12, choices=Side.choices)
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("signer"), on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "community.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(_("signed at"))
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    text_hash = models.CharField(_("SHA-256 of the signed text"), max_length=64)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["contract", "signed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "side"],
                condition=Q(voided_at__isnull=True),
                name="contracts_one_live_signature",
            )
        ]

    def __str__(self) -> str:
        return f"{self.contract} · {self.get_side_display()}"


class ContractEvent(models.Model):
    """The history of a contract: every step taken (who, when, from, to, note)."""

    SCOPE_AREA = "contract__pairing__community"
    SCOPE_ORG = "contract__pairing__unit_org"

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="events"
    )
    step = models.CharField(_("step"), max_length=20, choices=ContractStep.choices)
    from_state = models.CharField(_("from"), max_length=20, choices=ContractState.choices)
    to_state = models.CharField(_("to"), max_length=20, choices=ContractState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("contract event")
        verbose_name_plural = _("contract events")
        ordering = ["contract", "at", "id"]

    def __str__(self) -> str:
        return f"{self.contract} · {self.get_step_display()}"


class FulfilmentRecord(models.Model):
    """Something done for one item of a contract (履约): when, what, for how many, how long, with evidence."""

    SCOPE_AREA = "contract__pairing__community"
    SCOPE_ORG = "contract__pairing__unit_org"

    # Looked up through the (contract, -done_on, -id) index below, which serves a plain contract lookup too.
    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="records", db_index=False
    )
    item_index = models.PositiveSmallIntegerField(_("item"))
    # The item's dated milestone (节点) this record reports reached, if any: once per milestone.
    milestone = models.PositiveSmallIntegerField(_("milestone reached"), null=True, blank=True)
    done_on = models.DateField(_("date"))
    description = models.CharField(_("what was done"), max_length=500)
    people_served = models.PositiveIntegerField(_("people served"), default=0)
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=1, default=0)
    evidence = models.FileField(_("evidence"), upload_to="contracts/evidence/%Y/%m/", blank=True)
    side = models.CharField(_("reported by side"), max_length=12, choices=Side.choices)
    # Party members and residents who served: each earns the "contract item delivered" rule's points.
    served_by = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("served by"), blank=True, related_name="+"
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reported by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("reported at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("fulfilment record")
        verbose_name_plural = _("fulfilment records")
        ordering = ["contract", "-done_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "item_index", "milestone"],
                condition=Q(milestone__isnull=False),
                name="contracts_milestone_reached_once",
            )
        ]
        indexes = [
            # A contract's records, latest done first: the API's cursor pages and the contract's page.
            models.Index(fields=["contract", "-done_on", "-id"], name="contracts_record_done_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.contract} · {self.done_on}"


class Criterion(models.TextChoices):
    """What the two sides rate each other on (评约); CONTRACT_EVALUATION_CRITERIA picks them and their weights."""

    DELIVERY = "delivery", _("Promises delivered on time")
    QUALITY = "quality", _("Quality of what was delivered")
    COOPERATION = "cooperation", _("Communication and cooperation")
    RESIDENTS = "residents", _("Benefit to residents")


class RaterKind(models.TextChoices):
    RESIDENT = "resident", _("Resident of the community")
    COMMUNITY = "community", _("Community side")
    UNIT = "unit", _("Unit side")


class Rating(models.Model):
    """One rating of a contract in its evaluation window (评约): one per resident, one per side."""

    SCOPE_AREA = "contract__pairing__community"
    SCOPE_ORG = "contract__pairing__unit_org"

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="ratings"
    )
    rater_kind = models.CharField(_("rated as"), max_length=12, choices=RaterKind.choices)
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("rated by"), on_delete=models.PROTECT, related_name="+"
    )
    score = models.PositiveSmallIntegerField(_("score (1-5)"))
    # The score per criterion (1–5) when rated on the criteria; `score` is then their weighted mean, rounded.
    scores = models.JSONField(_("scores by criterion"), default=dict, blank=True)
    comment = models.CharField(_("comment"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("rated at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [
            models.UniqueConstraint(fields=["contract", "rater"], name="contracts_one_rating_per_person"),
            models.UniqueConstraint(
                fields=["contract", "rater_kind"],
                condition=~Q(rater_kind="resident"),
                name="contracts_one_rating_per_side",
            ),
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="contracts_score_range"),
        ]

    def __str__(self) -> str:
        return f"{self.contract} · {self.score}"


class Meeting(models.Model):
    """A consultation meeting (协商会议) of the two sides during negotiation, with minutes."""

    SCOPE_AREA = "contract__pairing__community"
    SCOPE_ORG = "contract__pairing__unit_org"

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="meetings"
    )
    held_on = models.DateField(_("held on"))
    place = models.CharField(_("place"), max_length=120)
    attendees = models.CharField(_("attendees"), max_length=500)
    minutes = models.TextField(_("minutes"), max_length=5000)
    decisions = models.TextField(_("decisions"), max_length=2000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("consultation meeting")
        verbose_name_plural = _("consultation meetings")
        ordering = ["contract", "-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.contract} · {self.held_on}"


class Comment(models.Model):
    """A remark by either side on a version of the draft, or on one of its items."""

    SCOPE_AREA = "contract__pairing__community"
    SCOPE_ORG = "contract__pairing__unit_org"

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="comments"
    )
    version = models.PositiveIntegerField(_("version"))
    item_index = models.PositiveSmallIntegerField(_("item"), null=True, blank=True)
    body = models.CharField(_("comment"), max_length=500)
    side = models.CharField(_("side"), max_length=12, choices=Side.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["contract", "created_at", "id"]

    def __str__(self) -> str:
        return self.body[:40]


class MenuOffer(models.Model):
    """An item on an organisation's menu (四类菜单): what it offers to its partners, both ways (双向服务)."""

    SCOPE_AREA = "area"
    SCOPE_ORG = "organisation"

    organisation = models.ForeignKey(
        "community.Organisation",
        verbose_name=_("offered by"),
        on_delete=models.PROTECT,
        related_name="menu_offers",
    )
    area = models.ForeignKey(
        "community.Area", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("menu"), max_length=20, choices=MenuKind.choices)
    title = models.CharField(_("title"), max_length=120)
    description = models.CharField(_("description"), max_length=500, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    estimated_value = models.PositiveIntegerField(_("estimated value (yuan)"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("menu offer")
        verbose_name_plural = _("menu offers")
        ordering = ["kind", "title"]

    def __str__(self) -> str:
        return self.title


class Need(models.Model):
    """A need a community posts, to be matched with offers on the menus."""

    SCOPE_AREA = "community"

    community = models.ForeignKey(
        "community.Area", verbose_name=_("community"), on_delete=models.PROTECT, related_name="needs"
    )
    kind = models.CharField(_("menu"), max_length=20, choices=MenuKind.choices)
    title = models.CharField(_("title"), max_length=120)
    description = models.CharField(_("description"), max_length=500, blank=True)
    open = models.BooleanField(_("open"), default=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("posted at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("community need")
        verbose_name_plural = _("community needs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class Rectification(models.Model):
    """What must be put right after a poor evaluation (整改), by when, and when it was."""

    SCOPE_AREA = "contract__pairing__community"
    SCOPE_ORG = "contract__pairing__unit_org"

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="rectifications"
    )
    description = models.CharField(_("what must be put right"), max_length=300)
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    done_note = models.CharField(_("what was done"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("rectification item")
        verbose_name_plural = _("rectification items")
        ordering = ["contract", "due_on", "id"]

    def __str__(self) -> str:
        return self.description
