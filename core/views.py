"""Platform pages that belong to no domain app: the public home, health check, error pages."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token

from .selectors import headline_figures

logger = logging.getLogger(__name__)


def home(request):
    """The public portal: what the platform is, the district's headline figures, the public pages (亮约
    board, council results, the wish wall, the market, the map, the record's verification), the five steps."""
    from dashboards.portal import portal_teasers

    return render(request, "core/home.html", {"figures": headline_figures(), **portal_teasers()})


ROBOTS_TXT = "User-agent: *\nDisallow: /admin/\nDisallow: /api/\nDisallow: /accounts/\n"


def robots_txt(request):
    """Crawlers may read the public pages, not the back office, the API or the sign-in pages. No query:
    it is also the trivial view the HTTP benchmark measures the server against (BENCHMARKS.md)."""
    return HttpResponse(ROBOTS_TXT, content_type="text/plain; charset=utf-8")


def _check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True, "ok"
    except Exception as exc:
        return False, type(exc).__name__


def _check_broker() -> tuple[bool, str]:
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=settings.OUTBOX_SEND_TIMEOUT)
        return True, "ok"
    except Exception as exc:
        return False, type(exc).__name__


@never_cache
def healthz(request):
    db_ok, db_detail = _check_database()
    broker_ok, broker_detail = _check_broker()
    ok = db_ok and broker_ok
    return JsonResponse(
        {
            "status": "ok" if ok else "unavailable",
            "database": db_detail,
            "broker": broker_detail,
        },
        status=200 if ok else 503,
    )


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    if request.path.startswith("/api/"):
        # API clients get the JSON error format even for a path no route matches.
        return JsonResponse({"detail": str(_("Not found.")), "code": "not_found"}, status=404)
    return render(request, "404.html", status=404)


@requires_csrf_token
def server_error(request):
    # Rendered without the request, so no context processor runs: the 500 page needs neither the
    # database nor the session, which may be why we are here.
    html = loader.get_template("500.html").render({"PLATFORM_NAME": settings.PLATFORM_NAME})
    return HttpResponseServerError(html)
