"""Notices in each user's inbox, and reminders scheduled to become notices later."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.access import ScopedQuerySet


class EmailStatus(models.TextChoices):
    NOT_NEEDED = "not_needed", _("Not needed")
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notice(models.Model):
    """One message to one user, created once per cause.

    `dedupe_key` names the cause ("contract:12:sign-reminder:2026-11-23"); the unique index makes a
    re-run, a retried task or a second worker find the existing notice instead of sending another.
    """

    SCOPE_OWNER = "recipient"

    # No index of its own: notice_inbox_idx starts with the recipient.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notices",
        db_index=False,
    )
    kind = models.SlugField(_("kind"), max_length=50)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    dedupe_key = models.CharField(_("cause key"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email_status = models.CharField(
        _("email"), max_length=20, choices=EmailStatus.choices, default=EmailStatus.NOT_NEEDED
    )
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)
    email_error = models.CharField(_("email error"), max_length=500, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notice_inbox_idx"),
            # The header's unread badge counts on every page: keep that count on a small index.
            models.Index(fields=["recipient"], name="notice_unread_idx", condition=Q(read_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class ScheduledReminder(models.Model):
    """A notice any app wants sent at `due_at`; the periodic job turns it into a notice once."""

    SCOPE_OWNER = "recipient"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="scheduled_reminders",
    )
    due_at = models.DateTimeField(_("due at"))
    dedupe_key = models.CharField(_("cause key"), max_length=200, unique=True)
    kind = models.SlugField(_("kind"), max_length=50)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    email = models.BooleanField(_("also by email"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_notice = models.ForeignKey(
        Notice,
        verbose_name=_("notice sent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("scheduled reminder")
        verbose_name_plural = _("scheduled reminders")
        ordering = ["due_at", "id"]
        indexes = [
            # The minute job only ever looks for unsent reminders that are due.
            models.Index(fields=["due_at"], name="reminder_due_idx", condition=Q(sent_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.title
