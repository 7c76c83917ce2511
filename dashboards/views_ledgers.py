"""Pages of the ledgers (台账): "my ledgers" with their progress, asking for one, trying a failed one
again, and downloading the Excel file.

Every change goes through dashboards.services; its errors are shown as a message with their status
(400 a bad period, 404 an area outside one's dashboards, 409 a file not ready yet), and nothing changes.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from core.exceptions import ApplicationError

from . import services
from .areas import dashboard_areas
from .ledgers import XLSX_CONTENT_TYPE
from .models import ExportState, LedgerKind
from .periods import Period, period_from

# "My ledgers" shows this many of the latest.
LIST_SIZE = 30


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


def _list_context(request, *, period: Period | None = None, chosen: dict | None = None) -> dict:
    user = request.user
    exports = list(services.ledger_exports_mine(user)[:LIST_SIZE])
    if period is None:
        try:
            period = period_from(request.GET)
        except ApplicationError:
            period = Period.this_year()
    return {
        "exports": exports,
        "polling": services.pending_exports(exports),
        "areas": list(dashboard_areas(user)),
        "kinds": LedgerKind.choices,
        "period": period,
        "chosen": chosen or {"area": request.GET.get("area", ""), "kind": request.GET.get("kind", "")},
        "highlight": request.GET.get("export", ""),
    }


def _render_list(request, *, status: int = 200, **kwargs):
    return render(request, "dashboards/ledgers.html", _list_context(request, **kwargs), status=status)


class LedgerListView(LoginRequiredMixin, View):
    """我的台账: the ledgers I asked for, newest first, with progress (htmx polls while one is on its way)."""

    def get(self, request):
        if _is_htmx(request):
            exports = list(services.ledger_exports_mine(request.user)[:LIST_SIZE])
            context = {
                "exports": exports,
                "polling": services.pending_exports(exports),
                "highlight": request.GET.get("export", ""),
            }
            return render(request, "dashboards/ledgers.html#exports", context)
        return _render_list(request)


class LedgerRequestView(LoginRequiredMixin, View):
    """Ask for one ledger of an area and a period (from the dashboard's buttons or the form on "my ledgers")."""

    def post(self, request):
        data = request.POST
        chosen = {"area": data.get("area", ""), "kind": data.get("kind", "")}
        try:
            period = period_from(data)
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
            return _render_list(request, status=exc.status_code, chosen=chosen)
        try:
            export = services.ledger_request(
                actor=request.user, kind=data.get("kind", ""), area=data.get("area") or None, period=period
            )
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
            return _render_list(request, status=exc.status_code, period=period, chosen=chosen)
        _tell(request, export)
        return redirect(f"{reverse('dashboards:ledgers')}?export={export.pk}#export-{export.pk}")


def _tell(request, export) -> None:
    if export.state == ExportState.DONE:
        messages.success(request, _("The ledger is ready: download it below."))
    elif export.state == ExportState.FAILED:
        messages.error(
            request,
            _(
                "The ledger could not be made. Try again; if it fails again, tell the platform's administrator."
            ),
        )
    else:
        messages.info(
            request,
            _(
                "The ledger is being made: its progress shows below. You may leave this page and come back for it."
            ),
        )


class LedgerRetryView(LoginRequiredMixin, View):
    """Make a failed ledger again."""

    def post(self, request, pk: int):
        try:
            export = services.ledger_export_get(actor=request.user, export_id=pk)
            export = services.ledger_retry(actor=request.user, export=export)
        except ApplicationError as exc:
            if exc.status_code == 404:
                raise Http404 from exc
            messages.error(request, str(exc.message))
            return _render_list(request, status=exc.status_code)
        _tell(request, export)
        return redirect(f"{reverse('dashboards:ledgers')}?export={export.pk}#export-{export.pk}")


class LedgerDownloadView(LoginRequiredMixin, View):
    """The Excel file, for the one who asked for it or the staff of its area; named in Chinese."""

    def get(self, request, pk: int):
        try:
            export = services.ledger_file_for_download(actor=request.user, export_id=pk)
        except ApplicationError as exc:
            if exc.status_code == 404:
                raise Http404 from exc
            messages.error(request, str(exc.message))
            return _render_list(request, status=exc.status_code)
        response = FileResponse(export.file.open("rb"), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = services.content_disposition(export)
        response["Cache-Control"] = "private, no-store"
        return response
