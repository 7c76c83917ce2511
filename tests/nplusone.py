"""The test suite's N+1 guard: django-zeal, checking each request the test client makes.

tests/settings.py installs zeal and puts `zeal_middleware` below first in MIDDLEWARE, so every
page, API call and admin page rendered in a test runs in its own `zeal_context()`. There:

* a relation loaded lazily on two rows at the same line (`Contract.pairing` read in a template
  loop without `select_related`) fails the test at once;
* the same `.get()` line run `GET_THRESHOLD` times fails it too. zeal reports a `.get()` from
  the second run on, which in a request is often not a query per row (a form field validated
  again after a service error), so the count starts here.

Outside requests zeal is off: a test that calls a service once per object, and the demo seeding,
write rows one at a time on purpose, and zeal cannot tell that from a loop over a queryset.
A test that must render a page with a query per row says why with
`@pytest.mark.allow_n_plus_one("reason")` (tests/conftest.py).
"""

from __future__ import annotations

from collections import Counter
from contextvars import ContextVar

from django.dispatch import receiver
from zeal import zeal_context
from zeal.signals import nplusone_detected
from zeal.util import get_stack

# A `.get()` run this many times at one line within one request is a query per row.
GET_THRESHOLD = 5

# The `.get()` reports of the request being handled; None outside requests and in allowed tests.
_request_reports: ContextVar[Counter[tuple[str, str, int]] | None] = ContextVar(
    "request_reports", default=None
)
# False while a test marked allow_n_plus_one runs.
checking: ContextVar[bool] = ContextVar("n_plus_one_checking", default=True)


def zeal_middleware(get_response):
    """zeal's own middleware (a `zeal_context()` per request), with the `.get()` count."""

    def middleware(request):
        if not checking.get():
            return get_response(request)
        token = _request_reports.set(Counter())
        try:
            with zeal_context():
                return get_response(request)
        finally:
            _request_reports.reset(token)

    return middleware


@receiver(nplusone_detected, dispatch_uid="tests.nplusone")
def _fail_on_n_plus_one(sender, exception, **kwargs):
    reports = _request_reports.get()
    if reports is None:
        return
    # The line of the project's code that ran the query, as zeal finds it; the first is this receiver.
    filename, lineno, function = next(frame for frame in get_stack() if frame[0] != __file__)
    failure = type(exception)(f"{exception} at {filename}:{lineno} in {function}")
    if not str(exception).endswith(".get()"):
        raise failure
    key = (str(exception), filename, lineno)
    reports[key] += 1
    # zeal reports from its threshold (2) on: the first report is the line's second run.
    if reports[key] + 1 >= GET_THRESHOLD:
        raise failure
