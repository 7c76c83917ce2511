"""The public record: one append-only, hash-chained table of facts the public relies on."""

from __future__ import annotations

from urllib.parse import urlencode

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from community.access import ScopedQuerySet

from .chain import hashed_content


class AppendOnlyError(Exception):
    """A write other than the append service tried to change or remove an entry.

    Not an ApplicationError: no user action can lead here, only a programming mistake.
    """


class EntryQuerySet(ScopedQuerySet):
    def delete(self):
        raise AppendOnlyError("Entries of the public record are never deleted.")

    delete.queryset_only = True


class Entry(models.Model):
    """One fact of the public record. Written only by `audit.services.audit_append`.

    The hash covers seq, kind, subject, payload, created_at and prev_hash (see `audit.chain`);
    `area` is for scoping and display and is deliberately outside it.
    """

    SCOPE_AREA = "area"

    seq = models.PositiveBigIntegerField(_("sequence number"), unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=64, editable=False)
    subject = models.CharField(_("subject"), max_length=200, editable=False)
    area = models.ForeignKey(
        "community.Area",
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="record_entries",
        editable=False,
    )
    payload = models.JSONField(_("payload"), default=dict, editable=False)
    created_at = models.DateTimeField(_("recorded at"), editable=False, db_index=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64, editable=False)
    entry_hash = models.CharField(_("hash"), max_length=64, unique=True, editable=False)

    objects = EntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("record entry")
        verbose_name_plural = _("record entries")
        ordering = ["seq"]
        constraints = [
            models.CheckConstraint(condition=models.Q(seq__gte=1), name="audit_entry_seq_positive"),
        ]
        indexes = [
            models.Index(fields=["kind", "seq"], name="audit_entry_kind_seq_idx"),
            models.Index(fields=["subject", "seq"], name="audit_entry_subject_seq_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind} {self.subject}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Entries of the public record are never changed.")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return f"{reverse('audit:verify')}?{urlencode({'hash': self.entry_hash})}"

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Entries of the public record are never deleted.")

    def hash_inputs(self) -> dict:
        """The keyword arguments of chain.compute_entry_hash for this entry."""
        return {
            "seq": self.seq,
            "kind": self.kind,
            "subject": self.subject,
            "payload": self.payload,
            "created_at": self.created_at,
            "prev_hash": self.prev_hash,
        }

    def hashed_content(self) -> dict:
        """What is hashed, as JSON-ready values (created_at as its UTC text)."""
        return hashed_content(**self.hash_inputs())
