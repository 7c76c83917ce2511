"""The dashboard pages: an area's figures for a period (/dashboards/, /dashboards/<area>/) and the list
of the rows behind one figure (/dashboards/<area>/figures/<key>/).

A user opens the dashboards of their own areas and below (dashboards.areas); another area answers
404, a user without a dashboard gets a clear 403 page. A bad period is refused with its message and
status 400, and nothing is computed.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views import View

from community.models import Area
from core.exceptions import ApplicationError, NotFound, PermissionDenied

from . import figures as registry
from .areas import DASHBOARD_KINDS, child_areas, dashboard_area, dashboard_areas
from .charts import chart_context
from .periods import EARLIEST, Period, period_from

LIST_PAGE_SIZE = 50


def _shortcuts(area: Area) -> list[dict]:
    """The period shortcuts: this year, last year, every year since the model began."""
    today = timezone.localdate()
    base = reverse("dashboards:area", args=[area.pk])
    last = today.year - 1
    return [
        {"key": "this_year", "url": f"{base}?{urlencode(Period.this_year().as_params())}"},
        {"key": "last_year", "url": f"{base}?{urlencode(Period.year(last).as_params())}", "year": last},
        {"key": "all", "url": f"{base}?{urlencode(Period(EARLIEST, today).as_params())}"},
    ]


def _switcher(user, area: Area) -> dict:
    """The user's dashboard areas (a select), the way up to this area, and its parts one level down."""
    mine = list(dashboard_areas(user).order_by("path"))
    ids = {a.pk for a in mine}
    ancestors = [a for a in mine if a.pk in set(area.ancestor_ids()) and a.pk != area.pk]
    children = [c for c in child_areas(area) if c.kind in DASHBOARD_KINDS and c.pk in ids]
    top_depth = min((a.depth for a in mine), default=0)
    return {
        # Full-width spaces indent a street's communities under it in the select.
        "choices": [{"area": a, "prefix": "\u3000" * max(0, a.depth - top_depth)} for a in mine],
        "ancestors": ancestors,
        "children": children,
    }


def _report_url(area: Area, period: Period) -> str:
    """The printable monthly report of the period's last month (this month at the latest)."""
    month = min(period.end, timezone.localdate())
    if month < EARLIEST:
        return ""
    return reverse("dashboards:report_print", args=[area.pk, f"{month.year:04d}", f"{month.month:02d}"])


def _refused(request, exc: ApplicationError):
    return render(
        request,
        "dashboards/dashboard.html",
        {"refusal": str(exc.message)},
        status=exc.status_code,
    )


class DashboardView(LoginRequiredMixin, View):
    """An area's figures for a period, section by section, each a link to the rows behind it."""

    template_name = "dashboards/dashboard.html"

    def get(self, request, area_id: int | None = None):
        wanted = area_id if area_id is not None else request.GET.get("area") or None
        try:
            area = dashboard_area(request.user, wanted)
        except NotFound:
            raise Http404 from None
        except PermissionDenied as exc:
            return _refused(request, exc)
        if area_id is None and wanted is not None:
            # The switcher's form: to the area's own address, keeping the period.
            params = {k: v for k, v in request.GET.items() if k in ("from", "to", "year") and v}
            url = reverse("dashboards:area", args=[area.pk])
            return redirect(f"{url}?{urlencode(params)}" if params else url)
        context = {
            "area": area,
            "switcher": _switcher(request.user, area),
            "shortcuts": _shortcuts(area),
            "form": {"from": request.GET.get("from", ""), "to": request.GET.get("to", "")},
            "earliest": EARLIEST,
            "latest": timezone.localdate() + timedelta(days=366),
        }
        try:
            period = period_from(request.GET)
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
            context.update({"period": None, "period_errors": exc.extra})
            return render(request, self.template_name, context, status=exc.status_code)
        values = registry.figures_for(area, period)
        context.update(
            {
                "period": period,
                "form": {"from": period.start.isoformat(), "to": period.end.isoformat()},
                "sections": registry.by_section(values),
                "empty": registry.is_empty(values),
                "ranking": registry.evaluation_ranking(area, period),
                "ranking_key": "contracts.evaluation_score",
                "period_query": urlencode(period.as_params()),
                "report_url": _report_url(area, period),
            }
        )
        context.update(chart_context(area=area, period=period))
        return render(request, self.template_name, context)


class FigureListView(LoginRequiredMixin, View):
    """The rows one figure counts, for an area and a period: "N rows" is the figure for a count."""

    template_name = "dashboards/figure_list.html"

    def get(self, request, area_id: int, key: str):
        fig = registry.figure(key)
        if fig is None:
            raise Http404
        try:
            area = dashboard_area(request.user, area_id)
        except NotFound:
            raise Http404 from None
        except PermissionDenied as exc:
            return _refused(request, exc)
        back = reverse("dashboards:area", args=[area.pk])
        try:
            period = period_from(request.GET)
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
            return render(
                request,
                self.template_name,
                {"figure": fig, "area": area, "period": None, "back": back},
                status=exc.status_code,
            )
        paginator = Paginator(fig.rows(area, period), LIST_PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        value = registry.value_for(key, area, period)
        params = period.as_params()
        return render(
            request,
            self.template_name,
            {
                "figure": fig,
                "area": area,
                "period": period,
                "value": value,
                "page_obj": page,
                "paginator": paginator,
                "rows": registry.describe_rows(fig, page.object_list),
                "back": f"{back}?{urlencode(params)}",
                "query": urlencode(params),
                "parts": [registry.value_for(part, area, period) for part in fig.parts],
                "is_count": fig.kind == registry.COUNT,
            },
        )
