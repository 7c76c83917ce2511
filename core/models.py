"""Shared base model, the task outbox and the (job, period) ledger of periodic runs."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class OutboxMessage(models.Model):
    """A task to hand to the broker, written in the same transaction as the change that caused it.

    Nothing is sent for a rolled-back transaction (the row never existed), and a row committed while
    the broker is down stays here, unsent, until the relay succeeds.
    """

    task_name = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    queue = models.CharField(_("queue"), max_length=50, blank=True)
    eta = models.DateTimeField(_("not before"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["id"], name="outbox_unsent_idx", condition=models.Q(sent_at__isnull=True))
        ]

    def __str__(self) -> str:
        return f"{self.task_name}#{self.pk}"

    @property
    def celery_task_id(self) -> str:
        return f"outbox-{self.pk}"


class JobRun(models.Model):
    """One row per (job, period): a second beat process or a re-run never does a period twice."""

    job = models.CharField(_("job"), max_length=120)
    period = models.CharField(_("period"), max_length=40)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)

    class Meta:
        verbose_name = _("periodic job run")
        verbose_name_plural = _("periodic job runs")
        ordering = ["-started_at"]
        constraints = [models.UniqueConstraint(fields=["job", "period"], name="jobrun_job_period_unique")]

    def __str__(self) -> str:
        return f"{self.job} @ {self.period}"
