"""What residents and the convener do on an issue's page after triage: the discussion (云协商), the
satisfaction rating (民评), crowdfunding (居民众筹) and the project's tasks (民办).

Every change calls one function of councils.services, which decides who may act (the objects are
looked up by id alone, so that the answer — 404, 403, 409 or 400 — is the service's). An error is
shown as a message with its status on the issue's page, and nothing changes. `project_context` gives
the issue page what the includes under templates/councils/projects/ need, at a fixed number of
queries however many posts, pledges, tasks and updates there are.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View

from community.access import is_visible, scope_for
from community.models import Organisation, Role
from core.exceptions import ApplicationError
from points.selectors import mask_name

from . import selectors, services, workflow
from .forms_projects import CampaignForm, HideForm, PledgeForm, PostForm, RateForm, ReportForm, TaskForm
from .models import Campaign, Issue, Pledge, PledgeKind, Post, ResultRating, Satisfaction, Task, TaskUpdate
from .workflow import IssueState

# The same words as the other council pages (councils.views imports this module, so not from there).
INVALID = _("Please correct what is marked below. Nothing was changed.")
SATISFACTION_STYLE = {
    Satisfaction.SATISFIED: ("success", "emoji-smile"),
    Satisfaction.BASIC: ("warning", "emoji-neutral"),
    Satisfaction.UNSATISFIED: ("danger", "emoji-frown"),
}


# --- Reading the page -----------------------------------------------------------------------------


def _name(user, *, full: bool) -> str:
    """A resident's name, masked for other residents (王*国); staff by their display name."""
    person = getattr(user, "person", None)
    if person is None:
        return str(user)
    return person.name if full else mask_name(person.name)


def _percent(part: int, whole: int) -> int:
    return min(100, part * 100 // whole) if whole else 0


def _bar(given: int, pledged: int, goal: int | None) -> dict | None:
    """A goal as a progress bar: given (solid) and pledged but not yet given (lighter)."""
    if not goal:
        return None
    given_percent = _percent(given, goal)
    return {
        "goal": goal,
        "given": given,
        "pledged": pledged,
        "given_percent": given_percent,
        "pledged_percent": max(0, _percent(pledged, goal) - given_percent),
    }


def _unit_ids(user) -> frozenset[int]:
    """The units `user` is a contact of (pledging "for my unit")."""
    return scope_for(user).for_roles((Role.UNIT_CONTACT,)).org_ids


def _my_units(user) -> list[Organisation]:
    org_ids = _unit_ids(user)
    if not org_ids:
        return []
    return list(Organisation.objects.filter(pk__in=org_ids).order_by("name", "pk"))


def _in_community(person, issue: Issue) -> bool:
    return person is not None and person.community_id in issue.compound.ancestor_ids()


def _pledge_row(pledge: Pledge, *, convener: bool) -> dict:
    if pledge.organisation_id:
        who = pledge.organisation.name
    else:
        who = _name(pledge.pledged_by, full=convener)
    return {"pledge": pledge, "who": who}


def _campaign_rows(request, issue: Issue, bound: dict, *, convener: bool, only: Campaign | None = None):
    """The issue's campaigns (or `only` one), newest first, with their progress and pledges (the
    convener sees all of them, a resident their own): one query for the pledges, and
    the campaigns with their progress in one more."""
    user, today = request.user, timezone.localdate()
    units = _my_units(user)
    may_pledge = bool(units) or _in_community(getattr(user, "person", None), issue)
    pledges = Pledge.objects.select_related("pledged_by__person", "organisation").order_by("created_at", "pk")
    if not convener:
        pledges = pledges.filter(pledged_by_id=user.pk)
    campaigns = (
        selectors.with_progress(issue.campaigns.all())
        .prefetch_related(Prefetch("pledges", queryset=pledges, to_attr="shown_pledges"))
        .order_by("-created_at", "-pk")
    )
    if only is not None:
        campaigns = campaigns.filter(pk=only.pk)
    rows = []
    for campaign in campaigns:
        progress = selectors.progress_of(campaign)
        is_open = campaign.closes_on >= today
        rows.append(
            {
                "campaign": campaign,
                "open": is_open,
                "progress": progress,
                "money": _bar(progress["money_given"], progress["money_pledged"], campaign.money_goal),
                "hours": _bar(progress["hours_given"], progress["hours_pledged"], campaign.hours_goal),
                "pledges": [_pledge_row(p, convener=convener) for p in campaign.shown_pledges],
                "pledge_form": (
                    bound.get(f"pledge:{campaign.pk}")
                    or PledgeForm(campaign_id=campaign.pk, units=units, initial={"kind": PledgeKind.MONEY})
                )
                if is_open and may_pledge
                else None,
            }
        )
    return rows


def _survey(request, issue: Issue) -> dict | None:
    """The rating of the current resolution: the buttons for a resident concerned who has not rated
    while the survey is open, and the tally once someone has rated."""
    if not issue.resolutions:
        return None
    person = getattr(request.user, "person", None)
    survey_open = issue.state == IssueState.RESOLVED and issue.survey_closed_at is None
    concerned = survey_open and services.is_concerned(person, issue)
    mine = (
        ResultRating.objects.filter(issue=issue, round=issue.resolutions, person=person).first()
        if concerned
        else None
    )
    counts = services.survey_tally(issue)
    total = sum(counts.values())
    if not (concerned or total):
        return None
    return {
        "open": survey_open,
        "may_rate": concerned and mine is None,
        "mine": mine,
        "choices": [(value, label, *SATISFACTION_STYLE[value]) for value, label in Satisfaction.choices],
        "total": total,
        "rows": [
            (label, counts[value], _percent(counts[value], total), SATISFACTION_STYLE[value][0])
            for value, label in Satisfaction.choices
        ],
    }


def project_context(request, issue: Issue, bound: dict | None = None) -> dict:
    """Everything the project includes of the issue page need, under one key, "project". `bound`
    holds a form that was sent and refused, by the key of the place it came from."""
    bound = bound or {}
    user = request.user
    convener = services.is_convener(user, issue.compound)
    handling = issue.state == IssueState.HANDLING
    today = timezone.localdate()

    posts = issue.posts.select_related("author__person").order_by("created_at", "pk")
    post_rows = [
        {
            "post": post,
            "author": _name(post.author, full=convener),
            "mine": post.author_id == user.pk,
            "hide_form": (bound.get(f"hide:{post.pk}") or HideForm(post_id=post.pk))
            if convener and post.hidden_at is None
            else None,
        }
        for post in posts
    ]

    campaigns = _campaign_rows(request, issue, bound, convener=convener)

    updates = TaskUpdate.objects.order_by("created_at", "pk")
    tasks = issue.tasks.prefetch_related(Prefetch("updates", queryset=updates, to_attr="shown_updates"))
    task_rows = [
        {
            "task": task,
            "overdue": task.done_at is None and task.due_on < today,
            "report_form": (bound.get(f"report:{task.pk}") or ReportForm(task_id=task.pk))
            if convener and task.done_at is None
            else None,
        }
        for task in tasks.order_by("due_on", "pk")
    ]

    return {
        "project": {
            "is_convener": convener,
            "posts": post_rows,
            "post_form": (bound.get("post") or PostForm()) if issue.state in workflow.OPEN_STATES else None,
            "survey": _survey(request, issue),
            "campaigns": campaigns,
            "campaign_form": (bound.get("campaign") or CampaignForm()) if convener and handling else None,
            "tasks": task_rows,
            "task_form": (bound.get("task") or TaskForm()) if convener and handling else None,
        }
    }


# --- Changing things ------------------------------------------------------------------------------


def _refused_page(request, status: int):
    """For someone who may act here but not see the issue's page (or may do neither): the message alone."""
    return render(request, "councils/projects/refused.html", status=status)


def _issue_page(request, issue: Issue, bound: dict, status: int):
    """The issue's page again, with the form that was refused and the message, at the error's status."""
    from .views import IssueDetailView  # councils.views imports this module for project_context

    if not is_visible(issue, request.user):
        return _refused_page(request, status)
    issue = selectors.issue_get_queryset().get(pk=issue.pk)
    view = IssueDetailView()
    view.setup(request, pk=issue.pk)
    context = view._context(request, issue)
    context.update(project_context(request, issue, bound))
    return render(request, IssueDetailView.template_name, context, status=status)


def _back_to(request, issue: Issue, anchor: str):
    if is_visible(issue, request.user):
        return redirect(reverse("councils:issue", args=[issue.pk]) + f"#{anchor}")
    return redirect("councils:issues")


class _ProjectStep(LoginRequiredMixin, View):
    """POST: parse the form, call one service, and come back to the issue's page."""

    http_method_names = ["post"]
    queryset = None
    anchor = ""

    def issue_of(self, target) -> Issue:
        return target

    def bound_key(self, target) -> str:
        raise NotImplementedError

    def make_form(self, request, target):
        raise NotImplementedError

    def perform(self, request, target, data: dict) -> str:
        """Call the service; return the success message."""
        raise NotImplementedError

    def refused(self, request, target, form, status: int):
        return _issue_page(request, self.issue_of(target), {self.bound_key(target): form}, status)

    def done(self, request, target):
        return _back_to(request, self.issue_of(target), self.anchor)

    def post(self, request, pk: int):
        target = get_object_or_404(self.queryset, pk=pk)
        form = self.make_form(request, target)
        if not form.is_valid():
            messages.error(request, INVALID)
            return self.refused(request, target, form, 400)
        try:
            message = self.perform(request, target, form.cleaned_data)
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
            return self.refused(request, target, form, exc.status_code)
        messages.success(request, message)
        return self.done(request, target)


class PostAddView(_ProjectStep):
    """云协商: take part in the discussion of an open issue."""

    queryset = Issue.objects.select_related("compound")
    anchor = "discussion"

    def bound_key(self, target) -> str:
        return "post"

    def make_form(self, request, target):
        return PostForm(request.POST)

    def perform(self, request, target, data) -> str:
        services.post_add(actor=request.user, issue=target, body=data["body"])
        return _("Your post is added to the discussion.")


class PostHideView(_ProjectStep):
    """The convener hides a post, with a reason shown in its place."""

    queryset = Post.objects.select_related("issue__compound")
    anchor = "discussion"

    def issue_of(self, target) -> Issue:
        return target.issue

    def bound_key(self, target) -> str:
        return f"hide:{target.pk}"

    def make_form(self, request, target):
        return HideForm(request.POST, post_id=target.pk)

    def perform(self, request, target, data) -> str:
        services.post_hide(actor=request.user, post=target, reason=data["reason"])
        return _("The post is hidden; its reason is shown in its place.")


class ResultRateView(_ProjectStep):
    """民评: a resident concerned rates the resolution, once."""

    queryset = Issue.objects.select_related("compound")
    anchor = "survey"

    def bound_key(self, target) -> str:
        return "rate"

    def make_form(self, request, target):
        return RateForm(request.POST)

    def perform(self, request, target, data) -> str:
        services.result_rate(actor=request.user, issue=target, rating=data["rating"])
        return _("Thank you: your rating is recorded.")


class CampaignOpenView(_ProjectStep):
    """居民众筹: the convener asks for money, labour or materials for a project being carried out."""

    queryset = Issue.objects.select_related("compound")
    anchor = "campaigns"

    def bound_key(self, target) -> str:
        return "campaign"

    def make_form(self, request, target):
        return CampaignForm(request.POST)

    def perform(self, request, target, data) -> str:
        services.campaign_open(actor=request.user, issue=target, **data)
        return _("The campaign is open: residents and units can pledge now.")


def _may_see_campaign(user, campaign: Campaign) -> bool:
    """The pledge page is for those who may pledge (the community's residents, units' contacts) and
    for those who see the issue."""
    issue = campaign.issue
    return (
        bool(_unit_ids(user))
        or _in_community(getattr(user, "person", None), issue)
        or is_visible(issue, user)
    )


class PledgeMakeView(_ProjectStep):
    """A resident, or a unit's contact for their unit, pledges money, hours or materials.

    GET shows the campaign alone with the pledge form: the page to share with the units' contacts,
    who do not see the residents' issues."""

    http_method_names = ["get", "post"]
    queryset = Campaign.objects.select_related("issue__compound", "council")
    template_name = "councils/projects/campaign_page.html"

    def issue_of(self, target) -> Issue:
        return target.issue

    def bound_key(self, target) -> str:
        return f"pledge:{target.pk}"

    def make_form(self, request, target):
        return PledgeForm(request.POST, campaign_id=target.pk, units=_my_units(request.user))

    def perform(self, request, target, data) -> str:
        services.pledge_make(actor=request.user, campaign=target, **data)
        return _("Thank you for your pledge. The convener records it when it is given.")

    def _page(self, request, campaign: Campaign, bound: dict, status: int = 200):
        if not _may_see_campaign(request.user, campaign):
            if status == 200:
                raise Http404
            return _refused_page(request, status)
        issue = campaign.issue
        convener = services.is_convener(request.user, issue.compound)
        context = {
            "campaign": campaign,
            "issue": issue,
            "issue_visible": is_visible(issue, request.user),
            "project": {
                "is_convener": convener,
                "campaigns": _campaign_rows(request, issue, bound, convener=convener, only=campaign),
            },
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, pk: int):
        campaign = get_object_or_404(self.queryset, pk=pk)
        return self._page(request, campaign, {})

    def refused(self, request, target, form, status: int):
        bound = {self.bound_key(target): form}
        if is_visible(target.issue, request.user):
            return _issue_page(request, target.issue, bound, status)
        return self._page(request, target, bound, status)

    def done(self, request, target):
        if is_visible(target.issue, request.user):
            return redirect(reverse("councils:issue", args=[target.issue_id]) + f"#campaign-{target.pk}")
        return redirect("councils:pledge", target.pk)


class PledgeFulfilView(_ProjectStep):
    """The convener records a pledge as given (labour earns points, once)."""

    queryset = Pledge.objects.select_related("campaign__issue__compound")

    def issue_of(self, target) -> Issue:
        return target.campaign.issue

    def bound_key(self, target) -> str:
        return f"fulfil:{target.pk}"

    def make_form(self, request, target):
        return forms.Form(request.POST)  # a button: nothing to type

    def perform(self, request, target, data) -> str:
        services.pledge_fulfil(actor=request.user, pledge=target)
        return _("Recorded as given.")

    def done(self, request, target):
        return _back_to(request, self.issue_of(target), f"campaign-{target.campaign_id}")


class TaskAddView(_ProjectStep):
    """民办: the convener adds a task to an issue being handled."""

    queryset = Issue.objects.select_related("compound")
    anchor = "tasks"

    def bound_key(self, target) -> str:
        return "task"

    def make_form(self, request, target):
        return TaskForm(request.POST)

    def perform(self, request, target, data) -> str:
        services.task_add(actor=request.user, issue=target, **data)
        return _("The task is added.")


class TaskReportView(_ProjectStep):
    """Progress on a task, with an optional photo; "done" marks the task done."""

    queryset = Task.objects.select_related("issue__compound")

    def issue_of(self, target) -> Issue:
        return target.issue

    def bound_key(self, target) -> str:
        return f"report:{target.pk}"

    def make_form(self, request, target):
        return ReportForm(request.POST, request.FILES, task_id=target.pk)

    def perform(self, request, target, data) -> str:
        services.task_report(
            actor=request.user, task=target, note=data["note"], photo=data["photo"], done=data["done"]
        )
        return _("Progress recorded: the task is done.") if data["done"] else _("Progress recorded.")

    def done(self, request, target):
        return _back_to(request, target.issue, f"task-{target.pk}")
