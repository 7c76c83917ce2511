"""The period a dashboard, a chart, a ledger or a stats call covers: whole local days, both ends included.

`period_from(params)` reads `from` and `to` (YYYY-MM-DD) or `year` from a query string or a form; with
none, this year up to today. A reversed or absurd period is refused with a clear message (400) and
nothing is computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ValidationFailed

# The Yuecheng model began in 2008 (DOMAIN.md §1); nothing the platform counts is older.
EARLIEST = date(2008, 1, 1)
# A ledger or a dashboard spans at most this many years.
MAX_YEARS = 20


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # included

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes in the platform's time zone, for filtering timestamps."""
        zone = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time.min, tzinfo=zone),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone),
        )

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def as_params(self) -> dict[str, str]:
        """The query-string parameters that give this period back (for links to the lists behind a figure)."""
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}

    def label(self) -> str:
        if self.start.month == 1 and self.start.day == 1 and self.end.month == 12 and self.end.day == 31:
            if self.start.year == self.end.year:
                return _("%(year)s") % {"year": self.start.year}
        return f"{self.start.isoformat()} – {self.end.isoformat()}"

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def this_year(cls) -> Period:
        today = timezone.localdate()
        return cls(date(today.year, 1, 1), today)


def _date(value: Any, field: str) -> date:
    try:
        return date.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationFailed(
            _("Write dates as YYYY-MM-DD, for example 2026-01-31."),
            code="invalid_period",
            extra={field: [_("Not a date.")]},
        ) from None


def period_from(params: Any) -> Period:
    """The period asked for in `params` (a QueryDict or a dict); this year to today when none is given."""
    params = params or {}
    today = timezone.localdate()
    year = (params.get("year") or "").strip() if hasattr(params, "get") else ""
    start_text = (params.get("from") or "").strip() if hasattr(params, "get") else ""
    end_text = (params.get("to") or "").strip() if hasattr(params, "get") else ""
    if year and not (start_text or end_text):
        if not year.isdigit() or not EARLIEST.year <= int(year) <= today.year + 1:
            raise ValidationFailed(
                _("Choose a year from %(first)s to %(last)s.")
                % {"first": EARLIEST.year, "last": today.year + 1},
                code="invalid_period",
                extra={"year": [_("Not a year the platform covers.")]},
            )
        return Period.year(int(year))
    start = _date(start_text, "from") if start_text else date(today.year, 1, 1)
    end = _date(end_text, "to") if end_text else max(today, start)
    if end < start:
        raise ValidationFailed(
            _("The period ends before it starts: swap the two dates."),
            code="invalid_period",
            extra={"to": [_("Before the start.")]},
        )
    if start < EARLIEST or end > today + timedelta(days=366):
        raise ValidationFailed(
            _("Choose dates between %(first)s and a year from today.") % {"first": EARLIEST.isoformat()},
            code="invalid_period",
            extra={"from": [_("Outside what the platform covers.")]},
        )
    if (end - start).days > MAX_YEARS * 366:
        raise ValidationFailed(
            _("A period can span at most %(years)s years.") % {"years": MAX_YEARS},
            code="invalid_period",
            extra={"to": [_("Too long a period.")]},
        )
    return Period(start, end)
