"""Pages of reporting and pledges: a member's report (党员报到), the registry of reported members for the
community's staff, the member's pledge (锋领十条) with its one-tap signature, and the staff's pledge page.

Every change goes through volunteers.services.reporting; its errors are shown as a message with their
status, and nothing changes.
"""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from community.models import Area
from core.exceptions import ApplicationError, NotFound

from .forms_reporting import (
    DeclineForm,
    GridForm,
    MoveForm,
    PledgeForm,
    RegistryFilterForm,
    ReportForm,
    SignForm,
    SkillsForm,
)
from .models import PledgeText
from .selectors import reporting as selectors
from .services import reporting as services
from .services.common import member_of
from .workflow import ReportState, ServiceField

INVALID = gettext_lazy("Please correct what is marked below. Nothing was changed.")
REGISTRY_PAGE = 50


class _Invalid(Exception):
    pass


# --- The member's report --------------------------------------------------------------------------


class ReportView(LoginRequiredMixin, View):
    """党员报到: the member's current report and its state, the form, and the past reports."""

    template_name = "volunteers/reporting/report.html"

    def _context(self, request, **forms_) -> dict:
        user = request.user
        member = member_of(user)
        report = selectors.my_report(actor=user)
        history = list(selectors.report_history(actor=user))
        context = {"member": member, "report": report, "history": history}
        if member is None:
            return context
        communities = selectors.community_choices()
        if report is None:
            last = history[0] if history else None
            context["report_form"] = forms_.get("report_form") or ReportForm(
                communities=communities,
                initial={
                    "community": member.person.community_id,
                    "skills": last.skills if last else "",
                    "service_fields": last.service_fields if last else [],
                },
            )
            return context
        context["skills_form"] = forms_.get("skills_form") or SkillsForm(
            initial={"skills": report.skills, "service_fields": report.service_fields}
        )
        context["move_form"] = forms_.get("move_form") or MoveForm(
            communities=communities.exclude(pk=report.community_id)
        )
        if report.state == ReportState.ACCEPTED:
            context["pledge_to_sign"] = selectors.pledge_to_sign(actor=user)
        return context

    def get(self, request):
        return render(request, self.template_name, self._context(request))

    def post(self, request):
        user = request.user
        step = request.POST.get("step", "")
        forms_ = {}
        communities = selectors.community_choices()
        try:
            if step == "report":
                forms_["report_form"] = form = ReportForm(request.POST, communities=communities)
                if not form.is_valid():
                    raise _Invalid
                services.report_submit(actor=user, **form.cleaned_data)
                done = _("You have reported. The community will accept you and place you in a grid.")
            elif step == "update":
                forms_["skills_form"] = form = SkillsForm(request.POST)
                if not form.is_valid():
                    raise _Invalid
                services.report_update(actor=user, report=_own_report(user), **form.cleaned_data)
                done = _("Your skills and services are saved.")
            elif step == "leave":
                report = _own_report(user)
                withdrawn = report.state == ReportState.PENDING
                services.report_leave(actor=user, report=report)
                done = (
                    _("Your report is withdrawn. You can report again at any time.")
                    if withdrawn
                    else _("You have left the community. You can report again at any time.")
                )
            elif step == "move":
                forms_["move_form"] = form = MoveForm(request.POST, communities=communities)
                if not form.is_valid():
                    raise _Invalid
                report = services.report_move(actor=user, community=form.cleaned_data["community"])
                done = _("You have left your old community and reported to %(community)s.") % {
                    "community": report.community.name
                }
            else:
                raise _Invalid
        except _Invalid:
            messages.error(request, INVALID)
            return render(request, self.template_name, self._context(request, **forms_), status=400)
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
            return render(
                request, self.template_name, self._context(request, **forms_), status=exc.status_code
            )
        messages.success(request, done)
        return redirect("volunteers:report")


def _own_report(user):
    report = selectors.my_report(actor=user)
    if report is None:
        raise NotFound(_("You have no report in progress."), code="no_report")
    return report


# --- The registry (staff) -------------------------------------------------------------------------


def _registry_context(request) -> dict:
    """The registry page for the staff: pending reports first, then reported members, filtered."""
    user = request.user
    communities = list(selectors.staff_communities(actor=user))
    if not communities:
        raise PermissionDenied
    grids = list(selectors.staff_grids(actor=user))
    filter_form = RegistryFilterForm(
        request.GET or None,
        communities=selectors.staff_communities(actor=user),
        grids=selectors.staff_grids(actor=user),
    )
    filters = filter_form.filters()
    grids_of = selectors.grids_by_community(grids)
    pending = list(selectors.pending_reports(actor=user, community=filters["community"]))
    members = selectors.registry(actor=user, **filters)
    page = Paginator(members, REGISTRY_PAGE).get_page(request.GET.get("page"))
    for report in [*pending, *page]:
        report.grid_choices = grids_of.get(report.community_id, [])
        report.shown_phone = selectors.shown_phone(user, report)
        # Those who must contact members see the number in full: a tap calls it.
        report.callable = selectors.may_contact(user, report.community)
    for report in pending:
        report.suggested_grid_id = selectors.suggested_grid_id(report)
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "communities": communities,
        "several_communities": len(communities) > 1,
        "filter_form": filter_form,
        "pending": pending,
        "page_obj": page,
        "members": page.object_list,
        "query": query.urlencode(),
        "decline_form": DeclineForm(),
        "today": timezone.localdate(),
    }


class RegistryView(LoginRequiredMixin, View):
    """报到党员名册: reports awaiting the community, then the reported members with filters."""

    template_name = "volunteers/reporting/registry.html"

    def get(self, request):
        return render(request, self.template_name, _registry_context(request))


REGISTRY_STEPS = ("accept", "decline", "place", "leave")


class RegistryReportView(LoginRequiredMixin, View):
    """The staff's steps on one report: accept (with a grid), decline (with a reason), place, leave."""

    template_name = "volunteers/reporting/registry.html"

    def post(self, request, pk: int):
        user = request.user
        try:
            report = services.get_report(actor=user, pk=pk)
        except NotFound as exc:
            raise Http404 from exc
        step = request.POST.get("step", "")
        try:
            if step not in REGISTRY_STEPS:
                raise _Invalid
            if step in ("accept", "place"):
                form = GridForm(request.POST)
                if not form.is_valid():
                    raise _Invalid
                grid = form.cleaned_data["grid"]
                if step == "accept":
                    services.report_accept(actor=user, report=report, grid=grid)
                else:
                    services.report_place(actor=user, report=report, grid=grid)
            elif step == "decline":
                form = DeclineForm(request.POST)
                if not form.is_valid():
                    raise _Invalid
                services.report_decline(actor=user, report=report, reason=form.cleaned_data["reason"])
            else:
                services.report_leave(actor=user, report=report)
        except _Invalid:
            messages.error(request, INVALID)
            return render(request, self.template_name, _registry_context(request), status=400)
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
            return render(request, self.template_name, _registry_context(request), status=exc.status_code)
        name = report.member.person.name
        done = {
            "accept": _("%(name)s is accepted."),
            "decline": _("%(name)s's report is declined; they are told why."),
            "place": _("%(name)s is placed in the new grid."),
            "leave": _("%(name)s has left the community."),
        }[step]
        messages.success(request, done % {"name": name})
        url = reverse("volunteers:registry")
        return redirect(f"{url}?{request.GET.urlencode()}" if request.GET else url)


class RegistryExportView(LoginRequiredMixin, View):
    """The filtered registry as CSV (phone numbers as the page shows them)."""

    def get(self, request):
        user = request.user
        if selectors.staff_scope(user).is_empty:
            raise PermissionDenied
        filter_form = RegistryFilterForm(
            request.GET or None,
            communities=selectors.staff_communities(actor=user),
            grids=selectors.staff_grids(actor=user),
        )
        reports = selectors.registry(actor=user, **filter_form.filters())
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="registry-{timezone.localdate():%Y%m%d}.csv"'
        response.write("\ufeff")  # Excel opens UTF-8 with a BOM as UTF-8
        writer = csv.writer(response)
        writer.writerow(
            [
                _("community"),
                _("grid"),
                _("full name"),
                _("mobile number"),
                _("membership"),
                _("skills"),
                _("services offered"),
                _("state"),
                _("reported on"),
                _("Served in the last 90 days"),
            ]
        )
        labels = dict(ServiceField.choices)
        for report in reports.iterator(chunk_size=500):
            writer.writerow(
                [
                    report.community.name,
                    report.grid.name if report.grid_id else "",
                    report.member.person.name,
                    selectors.shown_phone(user, report),
                    report.member.get_membership_type_display(),
                    report.skills,
                    "、".join(str(labels.get(v, v)) for v in report.service_fields),
                    report.get_state_display(),
                    timezone.localtime(report.reported_at).strftime("%Y-%m-%d"),
                    _("yes") if report.served_recently else _("no"),
                ]
            )
        return response


# --- Pledges --------------------------------------------------------------------------------------


class PledgeView(LoginRequiredMixin, View):
    """The member's pledge (锋领十条): read the current version and sign it with one tap."""

    template_name = "volunteers/reporting/pledge.html"

    def _context(self, request) -> dict:
        user = request.user
        report = selectors.my_report(actor=user)
        context = {"report": report, "member": member_of(user)}
        if report is None or report.state != ReportState.ACCEPTED:
            return context
        pledge = services.current_pledge(report.community)
        context["pledge"] = pledge
        if pledge is None:
            return context
        signatures = selectors.my_signatures(actor=user, community=report.community, year=pledge.year)
        context["signature"] = signatures.get(pledge.pk)
        context["older_signatures"] = sorted(
            (s for s in signatures.values() if s.text_id != pledge.pk),
            key=lambda s: -s.text.version,
        )
        versions = list(selectors.pledge_versions(community=report.community, year=pledge.year))
        context["versions"] = versions
        context["published_entry"] = selectors.publication_entries([pledge]).get(pledge.pk)
        context["sign_form"] = SignForm(initial={"text": pledge.pk})
        return context

    def get(self, request):
        return render(request, self.template_name, self._context(request))

    def post(self, request):
        form = SignForm(request.POST)
        if not form.is_valid():
            messages.error(request, INVALID)
            return render(request, self.template_name, self._context(request), status=400)
        text = PledgeText.objects.filter(pk=form.cleaned_data["text"]).first()
        if text is None:
            raise Http404
        try:
            services.pledge_sign(actor=request.user, text=text)
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
            return render(request, self.template_name, self._context(request), status=exc.status_code)
        messages.success(request, _("Signed. Your signature is recorded in the public record."))
        return redirect("volunteers:pledge")


class PledgeManageView(LoginRequiredMixin, View):
    """The staff's pledge page: publish the year's pledge or a new version, the versions, who has signed."""

    template_name = "volunteers/reporting/pledges.html"

    def _community(self, communities: list[Area], raw: str, *, default: bool) -> Area:
        """One of the staff's communities, by id; the first by default; else 404."""
        if not raw and default:
            return communities[0]
        for community in communities:
            if str(community.pk) == raw:
                return community
        raise Http404

    def _context(self, request, community: Area, communities: list[Area], form=None) -> dict:
        user = request.user
        status = selectors.pledge_status(actor=user, community=community)
        pledge = status["pledge"]
        versions = list(selectors.pledge_versions(community=community))
        entries = selectors.publication_entries(versions)
        for version in versions:
            version.entry = entries.get(version.pk)
        if pledge is not None:
            pledge.entry = entries.get(pledge.pk)
        year = timezone.localdate().year
        if form is None:
            initial = (
                {"title": pledge.title, "body": pledge.body}
                if pledge
                else {"title": _("%(year)s “Vanguard Ten” pledge of Party members") % {"year": year}}
            )
            form = PledgeForm(initial=initial)
        return {
            "community": community,
            "communities": communities,
            "several_communities": len(communities) > 1,
            "pledge": pledge,
            "status": status,
            "versions": versions,
            "form": form,
            "year": year,
        }

    def _communities(self, request) -> list[Area]:
        communities = list(selectors.staff_communities(actor=request.user))
        if not communities:
            raise PermissionDenied
        return communities

    def get(self, request):
        communities = self._communities(request)
        community = self._community(communities, request.GET.get("community", ""), default=True)
        return render(request, self.template_name, self._context(request, community, communities))

    def post(self, request):
        communities = self._communities(request)
        community = self._community(communities, request.POST.get("community", ""), default=False)
        form = PledgeForm(request.POST)
        if not form.is_valid():
            messages.error(request, INVALID)
            context = self._context(request, community, communities, form)
            return render(request, self.template_name, context, status=400)
        try:
            text = services.pledge_publish(actor=request.user, community=community, **form.cleaned_data)
        except ApplicationError as exc:
            for name, errors in (exc.extra or {}).items():
                if name in form.fields:
                    for error in errors:
                        form.add_error(name, error)
            messages.error(request, str(exc.message))
            context = self._context(request, community, communities, form)
            return render(request, self.template_name, context, status=exc.status_code)
        if text.version > 1:
            done = _("Version %(version)s is published. Members are asked to sign it.")
        else:
            done = _("The pledge is published (version %(version)s). Members can sign it now.")
        messages.success(request, done % {"version": text.version})
        return redirect(f"{reverse('volunteers:pledges')}?community={community.pk}")
