"""Pages of the councils (红管家议事厅): my issues, raising one from a phone, an issue's page with the
convener's steps, the triage queue, a motion's page with the vote, and the public results board.

Every change goes through councils.services; its errors are shown as a message with their status,
and nothing changes.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import ListView

from community.models import Area, AreaKind
from core.exceptions import ApplicationError

from . import selectors, services, views_projects, workflow
from .forms import IssueForm, MergeForm, NoteForm, RejectForm, TriageForm, VoteForm
from .models import Issue, Motion
from .voting import ABSTAIN, Outcome
from .workflow import IssueStep, MotionState

INVALID = _("Please correct what is marked below. Nothing was changed.")


class _Invalid(Exception):
    pass


def _person(user):
    return getattr(user, "person", None)


# --- Issues ---------------------------------------------------------------------------------------


class IssueListView(LoginRequiredMixin, ListView):
    """我的问题: the resident's own issues (staff: their compounds'), newest first."""

    template_name = "councils/issue_list.html"
    context_object_name = "issues"
    paginate_by = 30

    def get_queryset(self):
        return selectors.issue_list(actor=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["is_convener"] = not selectors.convener_scope(user).is_empty
        context["open_motions"] = selectors.open_motions_for_seat(actor=user)
        return context


class IssueCreateView(LoginRequiredMixin, View):
    """Raise an issue from a phone (民提); a social worker or secretary may record one for a resident."""

    template_name = "councils/issue_form.html"

    def _own_council(self, request):
        try:
            return services.council_for(_person(request.user)), None
        except ApplicationError as exc:
            return None, exc

    def _form(self, request, council, data=None, files=None) -> IssueForm:
        user = request.user
        recorder = selectors.is_recorder(user)
        return IssueForm(
            data,
            files,
            buildings=selectors.building_choices(actor=user, compound=council.compound if council else None),
            people=selectors.recordable_people(user) if recorder else None,
        )

    def _render(self, request, form, council, problem, status=200):
        context = {
            "form": form,
            "council": council,
            "problem": problem,
            "triage_days": settings.COUNCIL_TRIAGE_DAYS,
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        council, problem = self._own_council(request)
        form = self._form(request, council)
        return self._render(request, form, council, problem)

    def post(self, request):
        own_council, _problem = self._own_council(request)
        form = self._form(request, own_council, request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, INVALID)
            return self._render(request, form, own_council, None, status=400)
        values = dict(form.cleaned_data)
        on_behalf_of = values.pop("on_behalf_of", None)
        if on_behalf_of is None and _person(request.user) is None and "on_behalf_of" in form.fields:
            # A social worker with no home of their own records issues only for residents.
            form.add_error("on_behalf_of", _("Choose the resident you record this issue for."))
            messages.error(request, INVALID)
            return self._render(request, form, own_council, None, status=400)
        try:
            council = services.council_for(on_behalf_of or _person(request.user))
            issue = services.issue_raise(
                actor=request.user, council=council, on_behalf_of=on_behalf_of, **values
            )
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
            return self._render(request, form, own_council, None, status=exc.status_code)
        messages.success(
            request, _("Your issue is raised. The council triages it within a few days; follow it here.")
        )
        return redirect("councils:issue", issue.pk)


ADVANCE_STEPS = (IssueStep.DECIDE, IssueStep.RESPOND, IssueStep.RESOLVE, IssueStep.REOPEN)


class IssueDetailView(LoginRequiredMixin, View):
    """One issue with its timeline; for the compound's convener, the next steps as forms."""

    template_name = "councils/issue_detail.html"

    def _issue(self, request, pk: int) -> Issue:
        # The staff over the compound, and the residents of its community (they read, discuss and rate).
        issue = (
            selectors.in_my_community(selectors.issue_get_queryset(), request.user, "compound")
            .filter(pk=pk)
            .first()
        )
        if issue is None:
            raise Http404
        return issue

    def _context(self, request, issue: Issue, **forms_) -> dict:
        convener = services.is_convener(request.user, issue.compound)
        context = {
            "issue": issue,
            "events": selectors.issue_timeline(issue),
            "motions": issue.motions.order_by("-opens_at", "-pk"),
            "is_convener": convener,
            "today": timezone.localdate(),
        }
        context.update(views_projects.project_context(request, issue))
        if convener:
            state = issue.state
            context.update(
                {
                    "can_triage": workflow.can(IssueStep.TRIAGE, state),
                    "can_reject": workflow.can(IssueStep.REJECT, state),
                    "can_merge": workflow.can(IssueStep.MERGE, state),
                    "advance_steps": [
                        (step, IssueStep(step).label) for step in ADVANCE_STEPS if workflow.can(step, state)
                    ],
                    "triage_form": forms_.get("triage_form") or TriageForm(),
                    "reject_form": forms_.get("reject_form") or RejectForm(),
                    "merge_form": forms_.get("merge_form")
                    or MergeForm(targets=selectors.merge_targets(issue)),
                    "note_form": forms_.get("note_form") or NoteForm(),
                }
            )
        return context

    def get(self, request, pk: int):
        issue = self._issue(request, pk)
        return render(request, self.template_name, self._context(request, issue))

    def post(self, request, pk: int):
        issue = self._issue(request, pk)
        step = request.POST.get("step", "")
        forms_ = {}
        try:
            if step == IssueStep.TRIAGE:
                forms_["triage_form"] = form = TriageForm(request.POST)
                if not form.is_valid():
                    raise _Invalid
                services.issue_triage(actor=request.user, issue=issue, **form.cleaned_data)
            elif step == IssueStep.REJECT:
                forms_["reject_form"] = form = RejectForm(request.POST)
                if not form.is_valid():
                    raise _Invalid
                services.issue_reject(actor=request.user, issue=issue, reason=form.cleaned_data["reason"])
            elif step == IssueStep.MERGE:
                forms_["merge_form"] = form = MergeForm(request.POST, targets=selectors.merge_targets(issue))
                if not form.is_valid():
                    raise _Invalid
                services.issue_merge(actor=request.user, issue=issue, into=form.cleaned_data["into"])
            elif step in ADVANCE_STEPS:
                forms_["note_form"] = form = NoteForm(request.POST)
                if not form.is_valid():
                    raise _Invalid
                services.issue_advance(
                    actor=request.user, issue=issue, step=step, note=form.cleaned_data["note"]
                )
            else:
                raise _Invalid
        except _Invalid:
            messages.error(request, INVALID)
            return render(request, self.template_name, self._context(request, issue, **forms_), status=400)
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
            return render(
                request, self.template_name, self._context(request, issue, **forms_), status=exc.status_code
            )
        messages.success(request, _("Done: %(step)s.") % {"step": IssueStep(step).label})
        return redirect("councils:issue", issue.pk)


class TriageListView(LoginRequiredMixin, ListView):
    """四事分流: the issues awaiting triage in the compounds the user convenes, oldest first."""

    template_name = "councils/triage_list.html"
    context_object_name = "issues"
    paginate_by = 50

    def get_queryset(self):
        queue = selectors.triage_queue(actor=self.request.user)
        if queue is None:
            raise PermissionDenied
        return queue

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["today"] = timezone.localdate()
        return context


# --- Motions --------------------------------------------------------------------------------------


def _percent(share: Decimal) -> str:
    """0.5 → "50", 0.667 → "66.7"."""
    return f"{share * 100:.1f}".removesuffix(".0")


class MotionDetailView(LoginRequiredMixin, View):
    """A motion for its council's seat holders and the staff over it: the rule, the vote, the tally."""

    template_name = "councils/motion_detail.html"

    def _motion(self, request, pk: int) -> Motion:
        motion = selectors.motion_for_page(actor=request.user, pk=pk)
        if motion is None:
            raise Http404
        return motion

    def _context(self, request, motion: Motion, vote_form: VoteForm | None = None) -> dict:
        now = timezone.now()
        seat = services.voter_seat(request.user, motion) if motion.electorate else None
        token = services.ballot_token(motion, seat) if seat is not None else None
        ballot = motion.ballots.filter(token=token).first() if token else None
        voting_open = motion.state == MotionState.OPEN and motion.opens_at <= now < motion.closes_at
        can_vote = seat is not None and voting_open and (ballot is None or motion.changeable)
        context = {
            "motion": motion,
            "quorum_percent": _percent(motion.quorum),
            "voting_seats": len(motion.electorate),
            "voting_open": voting_open,
            "not_yet_open": motion.state == MotionState.OPEN and now < motion.opens_at,
            "seat": seat,
            "token": token,
            "ballot": ballot,
            "ballot_choice": _choice_label(motion, ballot.option) if ballot else "",
            "vote_form": (vote_form or _vote_form(motion, ballot)) if can_vote else None,
            "is_convener": services.is_convener(request.user, motion.council.compound),
        }
        if motion.state == MotionState.CLOSED and motion.result:
            context["tally"] = _tally(motion)
        return context

    def get(self, request, pk: int):
        motion = self._motion(request, pk)
        return render(request, self.template_name, self._context(request, motion))

    def post(self, request, pk: int):
        motion = self._motion(request, pk)
        form = VoteForm(request.POST, options=motion.options)
        if not form.is_valid():
            messages.error(request, INVALID)
            return render(request, self.template_name, self._context(request, motion, form), status=400)
        try:
            services.vote_cast(actor=request.user, motion=motion, option=form.cleaned_data["option"])
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
            return render(
                request, self.template_name, self._context(request, motion, form), status=exc.status_code
            )
        messages.success(request, _("Your vote is recorded. Keep your receipt to find it in the tally."))
        return redirect("councils:motion", motion.pk)


def _vote_form(motion: Motion, ballot) -> VoteForm:
    return VoteForm(options=motion.options, initial={"option": ballot.option} if ballot else None)


def _choice_label(motion: Motion, option: int) -> str:
    if option == ABSTAIN:
        return str(_("Abstain"))
    return motion.options[option] if 0 <= option < len(motion.options) else str(option)


def _tally(motion: Motion) -> dict:
    result = motion.result
    counts = result.get("counts") or []
    seats = result.get("voting_seats") or 0
    ballots = result.get("ballots") or 0
    winner = result.get("winner")
    who = {}
    if not motion.secret:
        # An open vote: each ballot names its seat.
        who = {
            b.token: b.seat for b in motion.ballots.select_related("seat__person").filter(seat__isnull=False)
        }
    return {
        "outcome": Outcome(motion.outcome).label if motion.outcome in Outcome.values else motion.outcome,
        "passed": motion.outcome == Outcome.PASSED,
        "counts": list(zip(motion.options, counts, strict=False)),
        "abstentions": result.get("abstentions", 0),
        "ballots": ballots,
        "voting_seats": seats,
        "turnout_percent": f"{ballots * 100 / seats:.1f}".removesuffix(".0") if seats else "0",
        "winner": motion.options[winner] if isinstance(winner, int) else None,
        "receipts": [
            {
                "token": r["token"],
                "choice": _choice_label(motion, r["option"]),
                "seat": who.get(r["token"]),
            }
            for r in result.get("receipts", [])
        ],
    }


# --- The public results board ---------------------------------------------------------------------


def _area(raw: str, kind: str) -> Area | None:
    if raw.isascii() and raw.isdigit():
        return Area.objects.filter(pk=int(raw), kind=kind).first()
    return None


class BoardView(View):
    """议事公开: issues raised and solved, the resolution rate, the time to resolve, and the motions' results."""

    template_name = "councils/board.html"

    def get(self, request):
        compound = _area(request.GET.get("compound", ""), AreaKind.COMPOUND)
        community = None if compound else _area(request.GET.get("community", ""), AreaKind.COMMUNITY)
        if compound is not None:
            community = compound.ancestor_of_kind(AreaKind.COMMUNITY)
            total, rows = selectors.board_figures(compound=compound)
            motions = selectors.closed_motions(compound=compound)
        else:
            total, rows = selectors.board_figures(community=community)
            motions = selectors.closed_motions(community=community)
        communities, compounds = selectors.board_choices()
        if community is not None:
            compounds = [c for c in compounds if c.path.startswith(community.path)]
        else:
            compounds = []
        return render(
            request,
            self.template_name,
            {
                "community": community,
                "compound": compound,
                "total": total,
                "rows": rows,
                "rows_are_communities": community is None and compound is None,
                "motions": motions,
                "satisfaction": selectors.board_satisfaction(community=community, compound=compound),
                "communities": communities,
                "compounds": compounds,
            },
        )
