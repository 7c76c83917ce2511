"""The convener's pages of the councils: meetings (民议) — the list, scheduling one with its agenda, the
minutes, their approval, cancelling — and motions (民决) — drafting one with its rule, opening and
closing its vote.

Every change goes through councils.services; its errors are shown as a message with their status,
and nothing changes.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import ListView

from community.access import get_visible_or_404
from core.exceptions import ApplicationError

from . import selectors, services
from .forms_meetings import (
    MeetingApproveForm,
    MeetingCancelForm,
    MeetingRecordForm,
    MeetingScheduleForm,
    MotionForm,
)
from .models import Council, Issue, Meeting, MeetingState, Motion, Seat
from .views import INVALID, MotionDetailView
from .workflow import OPEN_STATES, IssueState


class _Invalid(Exception):
    pass


# --- Reads for these pages ------------------------------------------------------------------------


def _issues_of(councils: QuerySet[Council], states) -> QuerySet[Issue]:
    return (
        Issue.objects.filter(council__in=councils, state__in=states)
        .select_related("compound")
        .order_by("compound__path", "created_at", "pk")
    )


def _preselected(request, issues: QuerySet[Issue]) -> Issue | None:
    """?issue=<id>, if it is one of the issues the form offers."""
    raw = request.GET.get("issue", "")
    if raw.isascii() and raw.isdigit():
        return issues.filter(pk=int(raw)).first()
    return None


def _conveners_only(request) -> QuerySet[Council]:
    councils = selectors.convened_councils(request.user)
    if not councils.exists():
        raise PermissionDenied
    return councils


# --- Meetings -------------------------------------------------------------------------------------


class MeetingListView(LoginRequiredMixin, ListView):
    """议事会: the meetings of the councils the user may see, newest first."""

    template_name = "councils/meetings/meeting_list.html"
    context_object_name = "meetings"
    paginate_by = 30

    def get_queryset(self):
        return (
            Meeting.objects.visible_to(self.request.user)
            .select_related("council")
            .annotate(agenda_size=Count("items"))
            .order_by("-starts_at", "-pk")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_schedule"] = selectors.convened_councils(self.request.user).exists()
        return context


class MeetingCreateView(LoginRequiredMixin, View):
    """Schedule a council meeting with big issues awaiting the council on its agenda."""

    template_name = "councils/meetings/meeting_form.html"

    def _form(self, request, councils, data=None) -> MeetingScheduleForm:
        issues = _issues_of(councils, [IssueState.ON_AGENDA])
        initial = {}
        issue = _preselected(request, issues) if data is None else None
        if issue is not None:
            initial = {"council": issue.council_id, "agenda": [issue.pk]}
        return MeetingScheduleForm(data, councils=councils, issues=issues, initial=initial)

    def get(self, request):
        councils = _conveners_only(request)
        return render(request, self.template_name, {"form": self._form(request, councils)})

    def post(self, request):
        councils = _conveners_only(request)
        form = self._form(request, councils, request.POST)
        if not form.is_valid():
            messages.error(request, INVALID)
            return render(request, self.template_name, {"form": form}, status=400)
        values = form.cleaned_data
        try:
            meeting = services.meeting_schedule(
                actor=request.user,
                council=values["council"],
                title=values["title"],
                starts_at=values["starts_at"],
                place=values["place"],
                online=values["online"],
                issues=list(values["agenda"]),
            )
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
            return render(request, self.template_name, {"form": form}, status=exc.status_code)
        messages.success(request, _("The meeting is scheduled. The seat holders are reminded before it."))
        return redirect("councils:meeting", meeting.pk)


MEETING_STEPS = ("record", "approve", "cancel")


class MeetingDetailView(LoginRequiredMixin, View):
    """One meeting: its agenda, time and place; for the convener, the minutes, their approval or cancelling.

    The minutes and decisions are public to everyone who sees the meeting once approved.
    """

    template_name = "councils/meetings/meeting_detail.html"

    def _meeting(self, request, pk: int) -> Meeting:
        return get_visible_or_404(Meeting.objects.select_related("council__compound"), request.user, pk=pk)

    def _seats(self, meeting: Meeting) -> QuerySet[Seat]:
        return (
            Seat.objects.filter(council_id=meeting.council_id, until__isnull=True)
            .select_related("person")
            .order_by("pk")
        )

    def _context(self, request, meeting: Meeting, **forms_) -> dict:
        convener = services.is_convener(request.user, meeting.council.compound)
        state = meeting.state
        context = {
            "meeting": meeting,
            "items": meeting.items.select_related("issue").order_by("position", "pk"),
            "is_convener": convener,
            "show_minutes": state == MeetingState.APPROVED or (convener and state == MeetingState.HELD),
        }
        if context["show_minutes"]:
            context["attendees"] = meeting.attendees.select_related("person").order_by("pk")
        if convener:
            started = meeting.starts_at <= timezone.now()
            scheduled = state == MeetingState.SCHEDULED
            context.update(
                {
                    "can_record": scheduled and started,
                    "not_yet_started": scheduled and not started,
                    "can_approve": state == MeetingState.HELD,
                    "can_cancel": scheduled,
                    "record_form": forms_.get("record_form") or MeetingRecordForm(seats=self._seats(meeting)),
                    "approve_form": forms_.get("approve_form") or MeetingApproveForm(),
                    "cancel_form": forms_.get("cancel_form") or MeetingCancelForm(),
                }
            )
        return context

    def get(self, request, pk: int):
        meeting = self._meeting(request, pk)
        return render(request, self.template_name, self._context(request, meeting))

    def post(self, request, pk: int):
        meeting = self._meeting(request, pk)
        step = request.POST.get("step", "")
        forms_ = {}
        try:
            if step == "record":
                forms_["record_form"] = form = MeetingRecordForm(request.POST, seats=self._seats(meeting))
                if not form.is_valid():
                    raise _Invalid
                services.meeting_record(
                    actor=request.user,
                    meeting=meeting,
                    attendees=list(form.cleaned_data["attendees"]),
                    minutes=form.cleaned_data["minutes"],
                    decisions=form.cleaned_data["decisions"],
                )
                done = _("The minutes are recorded; approve them to publish the summary.")
            elif step == "approve":
                forms_["approve_form"] = form = MeetingApproveForm(request.POST)
                if not form.is_valid():
                    raise _Invalid
                services.meeting_approve(
                    actor=request.user, meeting=meeting, summary=form.cleaned_data["summary"]
                )
                done = _("The minutes are approved and the summary is public.")
            elif step == "cancel":
                forms_["cancel_form"] = form = MeetingCancelForm(request.POST)
                if not form.is_valid():
                    raise _Invalid
                services.meeting_cancel(
                    actor=request.user, meeting=meeting, reason=form.cleaned_data["reason"]
                )
                done = _("The meeting is cancelled.")
            else:
                raise _Invalid
        except _Invalid:
            messages.error(request, INVALID)
            return render(request, self.template_name, self._context(request, meeting, **forms_), status=400)
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
            return render(
                request, self.template_name, self._context(request, meeting, **forms_), status=exc.status_code
            )
        messages.success(request, done)
        return redirect("councils:meeting", meeting.pk)


# --- Motions --------------------------------------------------------------------------------------


class MotionCreateView(LoginRequiredMixin, View):
    """Draft a motion with its rule (民决); ?issue=<id> puts it on that issue."""

    template_name = "councils/motion_form.html"

    def _form(self, request, councils, data=None) -> MotionForm:
        issues = _issues_of(councils, OPEN_STATES)
        now = timezone.localtime().replace(second=0, microsecond=0)
        initial = {"opens_at": now, "closes_at": now + timedelta(days=3)}
        issue = _preselected(request, issues) if data is None else None
        if issue is not None:
            initial.update({"council": issue.council_id, "issue": issue.pk})
        return MotionForm(data, councils=councils, issues=issues, initial=initial)

    def get(self, request):
        councils = _conveners_only(request)
        return render(request, self.template_name, {"form": self._form(request, councils)})

    def post(self, request):
        councils = _conveners_only(request)
        form = self._form(request, councils, request.POST)
        if not form.is_valid():
            messages.error(request, INVALID)
            return render(request, self.template_name, {"form": form}, status=400)
        try:
            motion = services.motion_create(actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
            return render(request, self.template_name, {"form": form}, status=exc.status_code)
        messages.success(
            request,
            _("The motion is drafted. Check its rule, then open voting: the rule is fixed from then on."),
        )
        return redirect("councils:motion", motion.pk)


MOTION_STEPS = {
    "open": (services.motion_open, _("Voting is open. The seat holders can vote on their phones.")),
    "close": (services.motion_close, _("Voting is closed and counted; the result is on the public record.")),
}


class MotionStepView(LoginRequiredMixin, View):
    """The convener opens a draft motion's vote, or closes an open one after its window and counts it."""

    http_method_names = ["post"]

    def post(self, request, pk: int):
        motion = selectors.motion_for_page(actor=request.user, pk=pk)
        if motion is None:
            raise Http404
        step = request.POST.get("step", "")
        if step not in MOTION_STEPS:
            messages.error(request, INVALID)
            return self._motion_page(request, motion, status=400)
        service, done = MOTION_STEPS[step]
        try:
            service(actor=request.user, motion=motion)
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
            return self._motion_page(request, motion, status=exc.status_code)
        messages.success(request, done)
        return redirect("councils:motion", motion.pk)

    def _motion_page(self, request, motion: Motion, *, status: int):
        """The motion's page again, as MotionDetailView shows it, with the refusal's status."""
        page = MotionDetailView()
        page.setup(request, pk=motion.pk)
        response = page.get(request, pk=motion.pk)
        response.status_code = status
        return response
