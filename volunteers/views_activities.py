"""Pages of co-construction activities (共建活动): the list, an activity's page with sign-up, the check-in
page a phone opens from the venue's QR code; for the community's staff the publish and edit form, the
sign-up list (check-in by hand, hours) and the venue screen with the QR code that renews itself.

Every change goes through volunteers.services.activities; its errors are shown as a message with
their status, and nothing changes.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View

from community.models import Organisation
from core.exceptions import ApplicationError
from core.qr import qr_svg

from .forms_activities import ActivityCancelForm, ActivityForm, HoursForm
from .models import Activity, Signup
from .selectors import activities as selectors
from .services import activities as services
from .services.common import active_report, lives_in
from .workflow import ServiceField, SignupState

INVALID = _("Please correct what is marked below. Nothing was changed.")
TABS = ("upcoming", "past", "mine")


def _activity(request, pk: int) -> Activity:
    """The activity with its places and the viewer's sign-up state; 404 if the viewer may not see it."""
    activity = (
        selectors.with_places(selectors.activities_visible(request.user), request.user)
        .select_related("community", "organiser")
        .filter(pk=pk)
        .first()
    )
    if activity is None:
        raise Http404
    return activity


def _staff_activity(request, pk: int) -> Activity:
    """The activity for its community's staff: 404 if the viewer may not see it, 403 if not staff."""
    activity = _activity(request, pk)
    if not services.is_staff_for(request.user, activity):
        raise PermissionDenied
    return activity


def _party_organisations(user):
    return (
        Organisation.objects.visible_to(user)
        .filter(kind__in=services.PARTY_ORG_KINDS, is_active=True)
        .order_by("name", "pk")
    )


# --- The list -------------------------------------------------------------------------------------


class ActivityListView(LoginRequiredMixin, View):
    """共建活动: upcoming ones (the viewer's community first, with places left), past ones, or one's own."""

    template_name = "volunteers/activities/activity_list.html"
    paginate_by = 20

    def get(self, request):
        tab = request.GET.get("show", "upcoming")
        tab = tab if tab in TABS else "upcoming"
        field = request.GET.get("field", "")
        field = field if field in ServiceField.values else ""
        activities = selectors.activity_list(
            actor=request.user,
            when="past" if tab == "past" else "upcoming" if tab == "upcoming" else "",
            mine=tab == "mine",
            field=field,
        )
        page = Paginator(activities, self.paginate_by).get_page(request.GET.get("page"))
        context = {
            "page_obj": page,
            "activities": page.object_list,
            "tab": tab,
            "field": field,
            "fields": ServiceField.choices,
            "can_publish": selectors.staff_communities(request.user).exists(),
            "now": timezone.now(),
        }
        return render(request, self.template_name, context)


# --- One activity ---------------------------------------------------------------------------------


def _sign_up_state(request, activity: Activity) -> tuple[bool, str]:
    """Whether the viewer may sign up now, else why not (shown instead of the button)."""
    now = timezone.now()
    user = request.user
    if activity.my_state in (SignupState.SIGNED_UP, SignupState.ATTENDED, SignupState.NO_SHOW):
        return False, ""
    if activity.cancelled_at is not None:
        return False, ""
    if activity.ends_at <= now:
        return False, _("This activity is over.")
    if now >= activity.signup_deadline:
        return False, _("Sign-up has closed.")
    member = active_report(user, activity.community) is not None
    if not member and not activity.open_to_residents:
        return False, _("This activity is for Party members who have reported to the community.")
    if not member and not lives_in(user, activity.community):
        # Staff who serve the community without living there need no explanation on every page.
        if services.is_staff_for(user, activity):
            return False, ""
        return False, _("Only the community's residents and the members who reported there can sign up.")
    if activity.places_left <= 0:
        return False, _("Sorry, this activity is full.")
    return True, ""


class ActivityDetailView(LoginRequiredMixin, View):
    """An activity: details, places left, the viewer's sign-up (sign up, cancel, checked in, hours)."""

    template_name = "volunteers/activities/activity_detail.html"

    def _context(self, request, activity: Activity) -> dict:
        can_sign_up, why_not = _sign_up_state(request, activity)
        signup = Signup.objects.filter(activity=activity, user=request.user).first()
        now = timezone.now()
        return {
            "activity": activity,
            "signup": signup,
            "show_my_signup": bool(
                (signup is not None and signup.state != SignupState.CANCELLED)
                or can_sign_up
                or why_not
                or activity.cancelled_at
            ),
            "can_sign_up": can_sign_up,
            "why_not": why_not,
            "can_cancel_signup": signup is not None
            and signup.state == SignupState.SIGNED_UP
            and activity.starts_at > now
            and activity.cancelled_at is None,
            "is_staff": services.is_staff_for(request.user, activity),
            "editable": activity.cancelled_at is None and activity.starts_at > now,
            "started": activity.starts_at <= now,
            "ended": activity.ends_at <= now,
            "now": now,
        }

    def get(self, request, pk: int):
        activity = _activity(request, pk)
        return render(request, self.template_name, self._context(request, activity))

    def post(self, request, pk: int):
        activity = _activity(request, pk)
        step = request.POST.get("step", "")
        try:
            if step == "sign_up":
                services.signup_create(actor=request.user, activity=activity)
                done = _("You have signed up. You will be reminded the day before.")
            elif step == "cancel_signup":
                signup = services.signup_of(actor=request.user, activity=activity)
                services.signup_cancel(actor=request.user, signup=signup)
                done = _("Your sign-up is cancelled; the place is free for someone else.")
            else:
                messages.error(request, INVALID)
                return render(request, self.template_name, self._context(request, activity), status=400)
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
            activity = _activity(request, pk)
            return render(
                request, self.template_name, self._context(request, activity), status=exc.status_code
            )
        messages.success(request, done)
        return redirect("volunteers:activity_detail", activity.pk)


# --- Check-in from the venue's QR code ------------------------------------------------------------


class ActivityCheckInView(LoginRequiredMixin, View):
    """The link in the venue's QR code: opening it shows the activity and one big "check in" button;
    the tap (a POST, like every change) checks one in, with a big success or error.

    Opening a link never changes anything: a phone's link preview or a prefetch cannot check anyone in.
    """

    template_name = "volunteers/activities/checkin.html"

    def _check_in(self, request, pk: int, code: str):
        activity = _activity(request, pk)
        context = {"activity": activity}
        try:
            signup = services.signup_check_in(actor=request.user, activity=activity, code=code)
        except ApplicationError as exc:
            context.update({"error": str(exc.message), "code": exc.code})
            if exc.code == "already_checked_in":
                context["signup"] = Signup.objects.filter(activity=activity, user=request.user).first()
            return render(request, self.template_name, context, status=exc.status_code)
        context["signup"] = signup
        return render(request, self.template_name, context)

    def get(self, request, pk: int):
        activity = _activity(request, pk)
        context = {"activity": activity, "confirm": True, "checkin_code": request.GET.get("code", "")}
        return render(request, self.template_name, context)

    def post(self, request, pk: int):
        return self._check_in(request, pk, request.POST.get("code", ""))


# --- Staff: publish and edit -------------------------------------------------------------------


def _values(form: ActivityForm) -> dict:
    values = dict(form.cleaned_data)
    values.pop("community", None)
    return values


class ActivityCreateView(LoginRequiredMixin, View):
    """Publish an activity (the community's secretary or social workers)."""

    template_name = "volunteers/activities/activity_form.html"

    def _form(self, request, data=None) -> ActivityForm:
        communities = selectors.staff_communities(request.user)
        if not communities.exists():
            raise PermissionDenied
        # A morning three days from now, sign-up until the evening before: a common shape, easy to change.
        day = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=3)
        initial = {
            "starts_at": day,
            "ends_at": day + timedelta(hours=2),
            "signup_deadline": day - timedelta(hours=15),
            "capacity": 20,
            "open_to_residents": True,
        }
        return ActivityForm(
            data, communities=communities, organisations=_party_organisations(request.user), initial=initial
        )

    def get(self, request):
        return render(request, self.template_name, {"form": self._form(request)})

    def post(self, request):
        form = self._form(request, request.POST)
        if not form.is_valid():
            messages.error(request, INVALID)
            return render(request, self.template_name, {"form": form}, status=400)
        try:
            activity = services.activity_publish(
                actor=request.user, community=form.cleaned_data["community"], **_values(form)
            )
        except ApplicationError as exc:
            _add_errors(form, exc)
            messages.error(request, str(exc.message))
            return render(request, self.template_name, {"form": form}, status=exc.status_code)
        messages.success(request, _("The activity is published: residents and members can sign up now."))
        return redirect("volunteers:activity_detail", activity.pk)


def _add_errors(form, exc: ApplicationError) -> None:
    for name, errors in (exc.extra or {}).items():
        if name in form.fields:
            for error in errors:
                form.add_error(name, error)


class ActivityEditView(LoginRequiredMixin, View):
    """Change an activity's details before it starts, or cancel it with a reason."""

    template_name = "volunteers/activities/activity_form.html"

    def _forms(self, request, activity, data=None, cancel_data=None):
        initial = {
            name: getattr(activity, name)
            for name in services.EDITABLE
            if name not in ("starts_at", "ends_at", "signup_deadline")
        }
        for name in ("starts_at", "ends_at", "signup_deadline"):
            initial[name] = timezone.localtime(getattr(activity, name))
        initial["organiser"] = activity.organiser_id
        form = ActivityForm(
            data,
            communities=selectors.staff_communities(request.user),
            organisations=_party_organisations(request.user),
            editing=True,
            initial=initial,
        )
        return {"form": form, "cancel_form": ActivityCancelForm(cancel_data), "activity": activity}

    def get(self, request, pk: int):
        activity = _staff_activity(request, pk)
        return render(request, self.template_name, self._forms(request, activity))

    def post(self, request, pk: int):
        activity = _staff_activity(request, pk)
        step = request.POST.get("step", "edit")
        if step == "cancel":
            context = self._forms(request, activity, cancel_data=request.POST)
            form = context["cancel_form"]
            if not form.is_valid():
                messages.error(request, INVALID)
                return render(request, self.template_name, context, status=400)
            try:
                services.activity_cancel(
                    actor=request.user, activity=activity, reason=form.cleaned_data["reason"]
                )
            except ApplicationError as exc:
                messages.error(request, str(exc.message))
                return render(request, self.template_name, context, status=exc.status_code)
            messages.success(request, _("The activity is cancelled. Everyone signed up has been told."))
            return redirect("volunteers:activity_detail", activity.pk)
        context = self._forms(request, activity, data=request.POST)
        form = context["form"]
        if not form.is_valid():
            messages.error(request, INVALID)
            return render(request, self.template_name, context, status=400)
        try:
            services.activity_update(actor=request.user, activity=activity, **_values(form))
        except ApplicationError as exc:
            _add_errors(form, exc)
            messages.error(request, str(exc.message))
            return render(request, self.template_name, context, status=exc.status_code)
        messages.success(request, _("The activity is updated."))
        return redirect("volunteers:activity_detail", activity.pk)


# --- Staff: the sign-up list ----------------------------------------------------------------------


class ActivitySignupsView(LoginRequiredMixin, View):
    """Who signed up: check someone in by hand, correct hours, see who did not come."""

    template_name = "volunteers/activities/signup_list.html"

    def _context(self, request, activity: Activity, hours_errors: dict | None = None) -> dict:
        signups = list(selectors.signups_for_staff(activity=activity))
        totals = Signup.objects.filter(activity=activity).aggregate(
            attended=Count("pk", filter=Q(state=SignupState.ATTENDED)),
            no_show=Count("pk", filter=Q(state=SignupState.NO_SHOW)),
            hours=Sum("hours", filter=Q(state=SignupState.ATTENDED)),
        )
        now = timezone.now()
        opens, _closes = services.checkin_window(activity)
        return {
            "activity": activity,
            "signups": signups,
            "totals": totals,
            "hours_errors": hours_errors or {},
            "can_check_in": activity.cancelled_at is None and activity.closed_at is None and now >= opens,
            "can_correct": activity.closed_at is None and activity.cancelled_at is None,
            "checkin_opens": opens,
        }

    def get(self, request, pk: int):
        activity = _staff_activity(request, pk)
        return render(request, self.template_name, self._context(request, activity))

    def post(self, request, pk: int):
        activity = _staff_activity(request, pk)
        raw = request.POST.get("signup", "")
        signup = (
            Signup.objects.filter(activity=activity, pk=int(raw)).first()
            if raw.isascii() and raw.isdigit()
            else None
        )
        step = request.POST.get("step", "")
        if signup is None or step not in ("check_in", "hours"):
            messages.error(request, INVALID)
            return render(request, self.template_name, self._context(request, activity), status=400)
        name = _person_name(signup.user)
        try:
            if step == "check_in":
                services.signup_check_in_by_hand(actor=request.user, signup=signup)
                done = _("%(name)s is checked in.") % {"name": name}
            else:
                form = HoursForm(request.POST)
                if not form.is_valid():
                    messages.error(request, INVALID)
                    context = self._context(request, activity, {signup.pk: form.errors.get("hours")})
                    return render(request, self.template_name, context, status=400)
                services.signup_record_hours(
                    actor=request.user, signup=signup, hours=form.cleaned_data["hours"]
                )
                done = _("%(name)s's hours are recorded.") % {"name": name}
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
            return render(
                request, self.template_name, self._context(request, activity), status=exc.status_code
            )
        messages.success(request, done)
        return redirect("volunteers:activity_signups", activity.pk)


def _person_name(user) -> str:
    person = getattr(user, "person", None)
    return person.name if person is not None else str(user)


# --- Staff: the venue screen ----------------------------------------------------------------------


class ActivityVenueView(LoginRequiredMixin, View):
    """The venue screen (tablet or desktop): the QR code to scan, renewed every minute without a reload."""

    template_name = "volunteers/activities/venue.html"

    def get(self, request, pk: int):
        activity = _staff_activity(request, pk)
        now = timezone.now()
        opens, closes = services.checkin_window(activity)
        link = request.build_absolute_uri(services.checkin_url(activity, now=now))
        context = {
            "activity": activity,
            "qr": qr_svg(link),
            "link": link,
            "attended": Signup.objects.filter(activity=activity, state=SignupState.ATTENDED).count(),
            "opens": opens,
            "closes": closes,
            "is_open": opens <= now <= closes
            and activity.cancelled_at is None
            and activity.closed_at is None,
            "now": now,
        }
        if request.headers.get("HX-Request"):
            return render(request, f"{self.template_name}#code", context)
        return render(request, self.template_name, context)
