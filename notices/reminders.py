"""The registry of reminder providers: each app says what is due, notices sends it once.

An app registers a provider in its `AppConfig.ready()`:

    from notices import reminders

    def due_sign_reminders(now):
        for contract in Contract.objects.awaiting_signature(before=now):
            yield reminders.DueReminder(
                recipient_id=contract.contact_id,
                key=f"contract:{contract.pk}:sign-reminder:{now:%Y-%m-%d}",
                kind="contract-sign",
                title=gettext("Contract awaiting your signature"),
                url=contract.get_absolute_url(),
            )

    reminders.register(due_sign_reminders)

The minute job calls every provider and sends each reminder through `notice_send` under its key,
so a provider may yield the same reminder every minute: it becomes one notice. Put the period
into the key (the day above) when a reminder should repeat once per period.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class DueReminder:
    recipient_id: int
    key: str
    kind: str
    title: str
    body: str = ""
    url: str = ""
    email: bool = False


Provider = Callable[[datetime], Iterable[DueReminder]]

_providers: list[Provider] = []


def register(provider: Provider) -> Provider:
    """Add a provider (idempotent, so a second `ready()` does not double it); usable as a decorator."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def unregister(provider: Provider) -> None:
    if provider in _providers:
        _providers.remove(provider)


def providers() -> tuple[Provider, ...]:
    return tuple(_providers)
