"""Ledger exports (the only table of this app): a requested Excel ledger (台账) and its progress.

A ledger is asked for one area and one period by someone who may open that area's dashboard; small
ones are made at once, large ones by a Celery job (`dashboards.build_ledger`) that reports its
progress here. Changes go through `dashboards.services` only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from community.access import ScopedQuerySet


class LedgerKind(models.TextChoices):
    PAIRINGS = "pairings", _("Pairings ledger")
    CONTRACTS = "contracts", _("Contracts and items ledger")
    CONSULTATIONS = "consultations", _("Consultation meetings ledger")
    COUNCIL_MEETINGS = "council_meetings", _("Council meetings ledger")
    ISSUES = "issues", _("Council issues ledger")
    ORDERS = "orders", _("Service orders ledger")
    ACTIVITIES = "activities", _("Activities and hours ledger")
    POINTS = "points", _("Points transfers ledger")


class ExportState(models.TextChoices):
    QUEUED = "queued", _("Waiting to be made")
    RUNNING = "running", _("Being made")
    DONE = "done", _("Ready to download")
    FAILED = "failed", _("Could not be made")


# States in which the export is still on its way (the list page keeps polling).
PENDING_STATES = frozenset({ExportState.QUEUED, ExportState.RUNNING})


class LedgerExport(models.Model):
    """One requested ledger: which, for what area and period, by whom, in what language, how far along."""

    SCOPE_AREA = "area"
    SCOPE_OWNER = "requested_by"

    kind = models.CharField(_("ledger"), max_length=20, choices=LedgerKind.choices)
    area = models.ForeignKey(
        "community.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    period_start = models.DateField(_("period starts"))
    period_end = models.DateField(_("period ends"))
    # The headers and the title are written in the language of the request that asked for the ledger.
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="ledger_exports",
    )
    state = models.CharField(
        _("state"), max_length=10, choices=ExportState.choices, default=ExportState.QUEUED, db_index=True
    )
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    rows_total = models.PositiveIntegerField(_("rows in all"), default=0)
    file = models.FileField(_("file"), upload_to="ledgers/%Y/%m/", blank=True, max_length=200)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # The build holding the export: a random token, so that a worker whose claim was taken over (it
    # went silent) can no longer write progress or a file. `heartbeat_at` moves with every progress step.
    claim = models.CharField(_("claimed by build"), max_length=32, blank=True, editable=False)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger export")
        verbose_name_plural = _("ledger exports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["requested_by", "-created_at"], name="ledger_export_owner_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="ledger_export_period_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.area} · {self.get_kind_display()} · {self.period_start} – {self.period_end}"

    @property
    def is_pending(self) -> bool:
        return self.state in PENDING_STATES

    @property
    def percent(self) -> int:
        """How far along, 0–100 (a done export is 100 even when it had no rows)."""
        if self.state == ExportState.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, self.rows_done * 100 // self.rows_total)
