"""Print views (A4, no navigation in print): the monthly community report and a signed contract with its
signing certificate.

Who sees what:
- the monthly report of an area: the staff who may open that area's dashboard (dashboards.areas);
- a signed contract: its two sides and the staff over its community (the contracts app's own rule,
  `Contract.objects.visible_to`), in full, with the signers and where they signed from, as the
  certificate page shows them; and, once published (亮约: published, being evaluated, evaluated),
  anyone, without login — then without the signers' names and IP addresses, as the public contract
  page shows it. A contract never signed has no text to print: 404.
"""

from __future__ import annotations

import calendar
from datetime import date

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from contracts import selectors as contract_selectors
from contracts.models import Contract, MenuKind, Side
from contracts.workflow import PUBLIC_STATES
from core.exceptions import ApplicationError, ValidationFailed
from core.qr import qr_svg

from .areas import dashboard_area
from .figures import by_section, figures_for
from .periods import EARLIEST, Period


def month_period(year: int, month: int) -> Period:
    """The local month `year`-`month` (400 outside 2008-01 … this month)."""
    today = timezone.localdate()
    asked, first, last = (year, month), (EARLIEST.year, EARLIEST.month), (today.year, today.month)
    if not 1 <= month <= 12 or not first <= asked <= last:
        raise ValidationFailed(
            _("Choose a month from %(first)s to this month.") % {"first": f"{EARLIEST:%Y-%m}"},
            code="invalid_period",
        )
    return Period(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))


def _shift(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + by
    return index // 12, index % 12 + 1


class MonthlyReportPrintView(View):
    """The monthly report of a district, street or community: contracts, councils, volunteers, points,
    for the staff who may open that area's dashboard."""

    template_name = "dashboards/print/monthly_report.html"

    def get(self, request, area_id: str, year: str, month: str):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            area = dashboard_area(request.user, area_id)
            period = month_period(int(year), int(month))
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
            return render(request, "dashboards/print/refused.html", status=exc.status_code)
        # The dashboard's own figures (dashboards.figures), so the paper and the screen always agree.
        figures = figures_for(area, period)
        today = timezone.localdate()
        previous = _shift(period.start.year, period.start.month, -1)
        following = _shift(period.start.year, period.start.month, 1)
        return render(
            request,
            self.template_name,
            {
                "area": area,
                "period": period,
                "sections": by_section(figures),
                "generated_at": timezone.now(),
                "previous_url": reverse(
                    "dashboards:report_print", args=[area.pk, f"{previous[0]:04d}", f"{previous[1]:02d}"]
                )
                if previous >= (EARLIEST.year, EARLIEST.month)
                else "",
                "next_url": reverse(
                    "dashboards:report_print", args=[area.pk, f"{following[0]:04d}", f"{following[1]:02d}"]
                )
                if following <= (today.year, today.month)
                else "",
            },
        )


def _contract_queryset():
    return Contract.objects.select_related(
        "pairing__community", "pairing__community_org", "pairing__unit_org", "frozen_version"
    ).prefetch_related(contract_selectors.live_signatures())


def printable_contract(user, pk: int) -> tuple[Contract, bool]:
    """The contract and whether `user` sees it in full (a side or staff); Http404 when neither applies.

    Anonymous visitors reach only published contracts; the caller sends them to sign in otherwise.
    """
    contract = _contract_queryset().visible_to(user).filter(pk=pk).first() if user.is_authenticated else None
    full = contract is not None
    if contract is None:
        contract = _contract_queryset().filter(pk=pk, state__in=PUBLIC_STATES).first()
    if contract is None or contract.signed_at is None or contract.frozen_version is None:
        raise Http404
    return contract, full


class ContractPrintView(View):
    """A signed contract's full text (items, milestones) and its signing certificate, ready to print."""

    template_name = "dashboards/print/contract.html"

    def get(self, request, pk: int):
        try:
            contract, full = printable_contract(request.user, pk)
        except Http404:
            if not request.user.is_authenticated:
                # The parties sign in to print a contract that is not published yet.
                return redirect_to_login(request.get_full_path())
            raise
        items = contract.frozen_version.items
        progress = contract_selectors.progress_by_item(contract)
        milestones = contract_selectors.milestones_by_item(contract, items, timezone.localdate())
        menus = dict(MenuKind.choices)
        rows = [
            {
                **item,
                "number": index + 1,
                "kind_label": menus.get(item.get("kind"), ""),
                "progress": progress.get(index),
                "milestone_rows": milestones.get(index),
            }
            for index, item in enumerate(items)
        ]
        public = contract.state in PUBLIC_STATES
        context = {
            "contract": contract,
            "full": full,
            "public": public,
            "unit_items": [row for row in rows if row["side"] == Side.UNIT],
            "community_items": [row for row in rows if row["side"] == Side.COMMUNITY],
            "overall": contract_selectors.overall_progress(items, progress, milestones),
            # The certificate: as the certificate page shows it to the parties (every signature, voided
            # ones too, with signer and IP); to the public only the signatures that stand.
            "signatures": contract_selectors.certificate_signatures(contract)
            if full
            else contract.live_signatures,
            "entries": contract_selectors.record_entries(contract),
            "public_url": request.build_absolute_uri(reverse("contracts:public", args=[contract.pk]))
            if public
            else "",
            "printed_at": timezone.now(),
        }
        if public:
            context["qr"] = qr_svg(context["public_url"])
        return render(request, self.template_name, context)
