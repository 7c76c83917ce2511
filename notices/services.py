"""Every write to notices and reminders: the one place on the platform that sends."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.text import Truncator

from core.exceptions import NotFound
from core.outbox import enqueue

from . import reminders
from .models import EmailStatus, Notice, ScheduledReminder

if TYPE_CHECKING:
    from community.models import User

logger = logging.getLogger(__name__)

EMAIL_TASK = "notices.email_notice"
KEY_MAX_LENGTH = Notice._meta.get_field("dedupe_key").max_length
TITLE_MAX_LENGTH = Notice._meta.get_field("title").max_length
# Rows per transaction when turning scheduled reminders into notices.
REMINDER_BATCH = 200
# Keys looked up, and notices inserted, per query when a job sends many notices at once.
NOTICE_BATCH = 500


class NoticeEmailFailed(Exception):
    """The mail server refused or was unreachable; the notice is marked failed and the task retries."""


def _check_key(key: str) -> None:
    # A key is chosen by code, not by users: a bad one is a programming error, not bad input.
    if not key or len(key) > KEY_MAX_LENGTH:
        raise ValueError(f"a notice key must be 1 to {KEY_MAX_LENGTH} characters: {key!r}")


def notice_send(
    *,
    recipient: User,
    key: str,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    email: bool = False,
) -> tuple[Notice, bool]:
    """Put a notice in `recipient`'s inbox once per `key`; returns (notice, created).

    Calling again with the same key (a re-run, a retried task, a second worker) returns the
    existing notice and sends nothing. With `email` (and an address on file), the email is
    enqueued in the same transaction: it goes out only if the notice is committed, and once.
    """
    _check_key(key)
    # Most repeated calls find the notice here, without provoking (and logging) a unique violation.
    existing = Notice.objects.filter(dedupe_key=key).first()
    if existing is not None:
        return _existing(existing, recipient), False
    wants_email = email and bool(recipient.email) and recipient.is_active
    try:
        with transaction.atomic():
            notice = Notice.objects.create(
                recipient=recipient,
                dedupe_key=key,
                kind=kind,
                title=Truncator(title).chars(TITLE_MAX_LENGTH),
                body=body,
                url=url,
                email_status=EmailStatus.PENDING if wants_email else EmailStatus.NOT_NEEDED,
            )
            if wants_email:
                enqueue(EMAIL_TASK, notice.pk)
    except IntegrityError:
        # Someone else created it between our look and our insert: theirs is the one.
        existing = Notice.objects.filter(dedupe_key=key).first()
        if existing is None:
            raise
        return _existing(existing, recipient), False
    return notice, True


@dataclass(frozen=True)
class NoticeDraft:
    """A notice for `notices_send_batch`: what `notice_send` takes, the recipient by id, no email."""

    recipient_id: int
    key: str
    kind: str
    title: str
    body: str = ""
    url: str = ""


def notices_send_batch(drafts: Iterable[NoticeDraft]) -> int:
    """Put each draft in its recipient's inbox once per key, as `notice_send` does; how many were new.

    For jobs that tell many people at once: a few queries whatever the number, so a run with
    nothing new to say costs one lookup per NOTICE_BATCH keys instead of one per notice. The first
    draft on a key wins. A key another worker takes between the lookup and the insert is skipped by
    the unique index and not counted. No email: a notice that needs one goes through `notice_send`.
    """
    unique: dict[str, NoticeDraft] = {}
    for draft in drafts:
        _check_key(draft.key)
        unique.setdefault(draft.key, draft)
    keys = list(unique)
    created = 0
    for start in range(0, len(keys), NOTICE_BATCH):
        chunk = keys[start : start + NOTICE_BATCH]
        done = set(Notice.objects.filter(dedupe_key__in=chunk).values_list("dedupe_key", flat=True))
        new = [
            Notice(
                recipient_id=draft.recipient_id,
                dedupe_key=draft.key,
                kind=draft.kind,
                title=Truncator(draft.title).chars(TITLE_MAX_LENGTH),
                body=draft.body,
                url=draft.url,
                email_status=EmailStatus.NOT_NEEDED,
            )
            for draft in (unique[key] for key in chunk if key not in done)
        ]
        if new:
            created += _insert_new(new)
    return created


def _insert_new(notices: list[Notice]) -> int:
    """Insert `notices` in one statement, skipping keys taken meanwhile; how many were inserted.

    `INSERT … ON CONFLICT (dedupe_key) DO NOTHING RETURNING id` counts exactly what this call
    inserted even while another worker inserts some of the same keys (two runs of a job at once
    report each notice once). Django's bulk_create returns nothing for skipped rows, hence the
    statement; a database that cannot return rows from it (SQLite before 3.35) gets bulk_create,
    whose count may then include a key another worker took in the same instant.
    """
    if not connection.features.can_return_rows_from_bulk_insert:
        Notice.objects.bulk_create(notices, ignore_conflicts=True)
        return len(notices)
    meta = Notice._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    table, key, pk = quote(meta.db_table), quote(meta.get_field("dedupe_key").column), quote(meta.pk.column)
    columns = ", ".join(quote(field.column) for field in fields)
    rows = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * len(notices))
    # Identifiers from the model's own metadata; every value is a parameter.
    sql = f"INSERT INTO {table} ({columns}) VALUES {rows} ON CONFLICT ({key}) DO NOTHING RETURNING {pk}"  # noqa: S608
    params = [
        field.get_db_prep_save(field.pre_save(notice, add=True), connection)
        for notice in notices
        for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return len(cursor.fetchall())


def notice_send_each(recipients, *, key: str, kind: str, title: str, url: str = "") -> int:
    """`notice_send` to each recipient, keyed `<key>:<user id>` (once each); how many were new.

    Through `notices_send_batch`: one lookup for all of them, one insert for the new ones.
    """
    return notices_send_batch(
        NoticeDraft(recipient_id=recipient.pk, key=f"{key}:{recipient.pk}", kind=kind, title=title, url=url)
        for recipient in recipients
    )


def _existing(notice: Notice, recipient: User) -> Notice:
    if notice.recipient_id != recipient.pk:
        logger.warning(
            "notice key %r is already used for another recipient; keys must name their cause",
            notice.dedupe_key,
        )
    return notice


def notice_mark_read(*, actor: User | None, notice: Notice) -> Notice:
    """Mark one notice read; only its recipient may, to anyone else it does not exist."""
    if actor is None or not actor.is_authenticated or notice.recipient_id != actor.pk:
        raise NotFound()
    if notice.read_at is None:
        now = timezone.now()
        # Conditional update: a second click or a second tab keeps the first read time.
        if Notice.objects.filter(pk=notice.pk, read_at__isnull=True).update(read_at=now):
            notice.read_at = now
        else:
            notice.refresh_from_db(fields=["read_at"])
    return notice


def notice_mark_all_read(*, actor: User | None) -> int:
    """Mark every unread notice of `actor` read; returns how many changed."""
    if actor is None or not actor.is_authenticated:
        return 0
    return Notice.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=timezone.now())


def notice_email(*, notice_id: int) -> str:
    """Email a notice unless that was done already; returns what happened. Safe to run twice.

    The row stays locked while the mail is handed over, so a second run of the task (a redelivery
    after a lost worker, a duplicate message) waits and then finds it sent. A crash after the mail
    server accepted but before the commit sends it again: email cannot be exactly-once.
    """
    failure: Exception | None = None
    with transaction.atomic():
        notice = (
            Notice.objects.select_related("recipient")
            .select_for_update(of=("self",))
            .filter(pk=notice_id)
            .first()
        )
        if notice is None:
            return "missing"
        if notice.email_status not in (EmailStatus.PENDING, EmailStatus.FAILED):
            return "already-sent" if notice.email_status == EmailStatus.SENT else "not-needed"
        recipient = notice.recipient
        if not recipient.email or not recipient.is_active:
            notice.email_status = EmailStatus.NOT_NEEDED
            notice.save(update_fields=["email_status"])
            return "no-address"
        try:
            _deliver(notice, recipient.email)
        except Exception as exc:  # whatever the mail backend raises, record it and let the task retry
            failure = exc
            notice.email_status = EmailStatus.FAILED
            notice.email_error = f"{type(exc).__name__}: {exc}"[:500]
            notice.save(update_fields=["email_status", "email_error"])
        else:
            notice.email_status = EmailStatus.SENT
            notice.emailed_at = timezone.now()
            notice.email_error = ""
            notice.save(update_fields=["email_status", "emailed_at", "email_error"])
            return "sent"
    raise NoticeEmailFailed(notice.email_error) from failure


def _deliver(notice: Notice, address: str) -> None:
    link = notice.url
    site = getattr(settings, "SITE_URL", "")
    if link.startswith("/") and site:
        link = site.rstrip("/") + link
    # Workers have no request: write in the platform's language.
    with translation.override(settings.LANGUAGE_CODE):
        message = render_to_string(
            "notices/email/notice.txt",
            {"notice": notice, "link": link, "PLATFORM_NAME": settings.PLATFORM_NAME},
        )
    send_mail(subject=notice.title, message=message, from_email=None, recipient_list=[address])


def notice_email_retry(*, actor: User | None, notices: Iterable[Notice]) -> int:
    """Queue failed emails again (an administrator's action once the mail server is fixed)."""
    retried = 0
    with transaction.atomic():
        for notice in notices:
            changed = Notice.objects.filter(pk=notice.pk, email_status=EmailStatus.FAILED).update(
                email_status=EmailStatus.PENDING
            )
            if changed:
                enqueue(EMAIL_TASK, notice.pk)
                retried += 1
    return retried


# --- Reminders ------------------------------------------------------------------------------


def reminder_schedule(
    *,
    recipient: User,
    key: str,
    due_at: datetime,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    email: bool = False,
) -> ScheduledReminder:
    """Schedule a notice for `due_at`, once per `key`.

    Calling again with the same key moves or rewrites the reminder until it has been sent (a
    deadline changed); after that it changes nothing.
    """
    _check_key(key)
    fields = {
        "recipient": recipient,
        "due_at": due_at,
        "kind": kind,
        "title": Truncator(title).chars(TITLE_MAX_LENGTH),
        "body": body,
        "url": url,
        "email": email,
    }
    reminder, created = ScheduledReminder.objects.get_or_create(dedupe_key=key, defaults=fields)
    if created or reminder.sent_at is not None:
        return reminder
    fields["recipient_id"] = fields.pop("recipient").pk
    changes = {name: value for name, value in fields.items() if getattr(reminder, name) != value}
    # Only while unsent: the minute job may be sending it right now.
    if changes and ScheduledReminder.objects.filter(pk=reminder.pk, sent_at__isnull=True).update(**changes):
        for name, value in changes.items():
            setattr(reminder, name, value)
    return reminder


def reminder_cancel(*, key: str) -> bool:
    """Drop a reminder that is no longer needed (the contract got signed); False if absent or sent."""
    deleted, _ = ScheduledReminder.objects.filter(dedupe_key=key, sent_at__isnull=True).delete()
    return bool(deleted)


def reminders_send_due(*, now: datetime | None = None) -> int:
    """Send every reminder due at `now`: scheduled ones, then each registered provider's.

    Each goes through `notice_send` under its key, so running this twice sends nothing new.
    Returns how many notices were created.
    """
    now = now or timezone.now()
    return _send_scheduled(now) + _send_provided(now)


def _send_scheduled(now: datetime) -> int:
    created_count = 0
    while True:
        with transaction.atomic():
            qs = (
                ScheduledReminder.objects.filter(sent_at__isnull=True, due_at__lte=now)
                .select_related("recipient")
                .order_by("due_at", "id")
            )
            if settings.IS_POSTGRES:
                # A second job running at the same time takes the rows this one has not locked.
                qs = qs.select_for_update(skip_locked=True, of=("self",))
            batch = list(qs[:REMINDER_BATCH])
            for reminder in batch:
                notice, created = notice_send(
                    recipient=reminder.recipient,
                    key=reminder.dedupe_key,
                    kind=reminder.kind,
                    title=reminder.title,
                    body=reminder.body,
                    url=reminder.url,
                    email=reminder.email,
                )
                ScheduledReminder.objects.filter(pk=reminder.pk).update(
                    sent_at=timezone.now(), sent_notice=notice
                )
                created_count += created
        if len(batch) < REMINDER_BATCH:
            return created_count


def _send_provided(now: datetime) -> int:
    created_count = 0
    for provider in reminders.providers():
        try:
            # A savepoint per provider: one app's failing query must not abort the others' reminders.
            with transaction.atomic():
                created_count += _send_reminders(list(provider(now)))
        except Exception:
            logger.exception("reminder provider %r failed; the other providers still ran", provider)
    return created_count


def _send_reminders(due: list[reminders.DueReminder]) -> int:
    unique: dict[str, reminders.DueReminder] = {}
    for reminder in due:
        unique.setdefault(reminder.key, reminder)  # the first word on a key wins, as notice_send would
    keys = list(unique)
    done: set[str] = set()
    for start in range(0, len(keys), 500):
        done.update(
            Notice.objects.filter(dedupe_key__in=keys[start : start + 500]).values_list(
                "dedupe_key", flat=True
            )
        )
    todo = [reminder for key, reminder in unique.items() if key not in done]
    users = get_user_model().objects.in_bulk({reminder.recipient_id for reminder in todo})
    created_count = 0
    for reminder in todo:
        recipient = users.get(reminder.recipient_id)
        if recipient is None:
            continue
        _, created = notice_send(
            recipient=recipient,
            key=reminder.key,
            kind=reminder.kind,
            title=reminder.title,
            body=reminder.body,
            url=reminder.url,
            email=reminder.email,
        )
        created_count += created
    return created_count
