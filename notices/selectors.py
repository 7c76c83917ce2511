"""Reads of the inbox: each a single query, shaped for the page or API that shows it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from .models import Notice

if TYPE_CHECKING:
    from community.models import User


def unread_count(*, user: User | None) -> int:
    """The header's badge: one COUNT on the partial unread index."""
    if user is None or not user.is_authenticated:
        return 0
    return Notice.objects.filter(recipient=user, read_at__isnull=True).count()


def notice_list(*, user: User, read: bool | None = None, kind: str = "") -> QuerySet[Notice]:
    """The user's own notices, unread first, then newest first.

    Only the recipient's: an inbox is personal, even for administrators who may see all notices
    in the admin.
    """
    qs = Notice.objects.filter(recipient=user)
    if read is not None:
        qs = qs.filter(read_at__isnull=not read)
    if kind:
        qs = qs.filter(kind=kind)
    unread = ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())
    return qs.alias(unread=unread).order_by("-unread", "-created_at", "-id")
