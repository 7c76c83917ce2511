"""Shared helpers for the demo data: idempotent look-ups and the list of demo logins."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEMO_PASSWORD = "Yuecheng@2024"  # noqa: S105 - printed on purpose: these are demo logins


@dataclass
class DemoContext:
    stdout: Any
    style: Any
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (role, username, who)
    objects: dict[str, Any] = field(default_factory=dict)

    def login(self, role: str, username: str, who: str) -> None:
        if (role, username, who) not in self.logins:
            self.logins.append((role, username, who))

    def print_logins(self) -> None:
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING(f"Demo logins (password for all: {DEMO_PASSWORD})"))
        width = max((len(r) for r, _u, _w in self.logins), default=10)
        for role, username, who in self.logins:
            self.stdout.write(f"  {role.ljust(width)}  {username.ljust(18)}  {who}")
