"""Pages of the micro-wishes (微心愿): the wish wall with a big "light up" button per wish, posting a
wish, a wish's page with the steps the viewer may take, my wishes, and the staff's list.

Every change goes through volunteers.services.wishes; its errors are shown as a message with their
status, and nothing changes. The wall and the wish page say where a wish is only as "a resident of
<compound>": the resident's name and phone are shown to the resident and the community's staff.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View

from core.exceptions import ApplicationError

from .forms_wishes import CancelForm, ConfirmForm, FulfilForm, StaffFilterForm, WishForm
from .selectors import wishes as selectors
from .services import wishes as services
from .services.common import active_report, is_staff_of, person_of
from .workflow import WISH_TABLE, WishCategory, WishState, WishStep

INVALID = _("Please correct what is marked below. Nothing was changed.")
WALL_PAGE = 30
LIST_PAGE = 50


def _page(request, rows, size: int):
    return Paginator(rows, size).get_page(request.GET.get("page"))


def _category(request) -> str:
    value = request.GET.get("category", "")
    return value if value in WishCategory.values else ""


class WishWallView(LoginRequiredMixin, View):
    """心愿墙: the open wishes of the viewer's communities, no personal details, a "light up" button each."""

    template_name = "volunteers/wishes/wall.html"

    def get(self, request):
        user = request.user
        category = _category(request)
        wishes = selectors.wish_wall(actor=user)
        if category:
            wishes = wishes.filter(category=category)
        page = _page(request, wishes, WALL_PAGE)
        page.object_list = selectors.with_places(page.object_list)
        reported = selectors.reported_communities(user)
        context = {
            "page_obj": page,
            "wishes": page.object_list,
            "categories": WishCategory.choices,
            "category": category,
            "reported_in": set(reported),
            "belongs": bool(selectors.member_communities(user)),
            "is_staff": selectors.is_wish_staff(user),
            "soon": timezone.localdate() + timedelta(days=settings.VOLUNTEER_WISH_PUSH_DAYS),
        }
        return render(request, self.template_name, context)


class WishCreateView(LoginRequiredMixin, View):
    """Post a wish: a resident for themself; the community's staff for a resident they choose."""

    template_name = "volunteers/wishes/form.html"

    def _form(self, request, data=None) -> WishForm:
        user = request.user
        staff = selectors.is_wish_staff(user)
        return WishForm(
            data,
            people=selectors.resident_choices(user) if staff else None,
            own_person=person_of(user),
        )

    def _render(self, request, form, status=200):
        user = request.user
        can_post = person_of(user) is not None or "beneficiary" in form.fields
        context = {"form": form, "can_post": can_post, "is_staff": "beneficiary" in form.fields}
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        return self._render(request, self._form(request))

    def post(self, request):
        form = self._form(request, request.POST)
        if not form.is_valid():
            messages.error(request, INVALID)
            return self._render(request, form, status=400)
        values = dict(form.cleaned_data)
        beneficiary = values.pop("beneficiary", None)
        try:
            wish = services.wish_post(actor=request.user, beneficiary=beneficiary, **values)
        except ApplicationError as exc:
            for field, field_messages in (exc.extra or {}).items():
                for message in field_messages:
                    if field in form.fields:
                        form.add_error(field, message)
            messages.error(request, str(exc.message))
            return self._render(request, form, status=exc.status_code)
        messages.success(
            request,
            _(
                "Your wish is on the wish wall of your community. You will be told when a member lights it up."
            ),
        )
        return redirect("volunteers:wish", wish.pk)


def _wish(request, pk: int):
    wish = selectors.wish_for_page(actor=request.user, pk=pk)
    if wish is None:
        raise Http404
    return wish


def detail_context(request, wish, **forms_) -> dict:
    """What the wish page shows this viewer, and the steps they may take."""
    user = request.user
    claims = selectors.wish_claims(wish)
    claimant_ids = {claim.user_id for claim in claims}
    staff = is_staff_of(user, wish.community)
    owner = user.pk in (wish.beneficiary.user_id, wish.posted_by_id)
    involved = staff or owner or user.pk in claimant_ids
    room = services.has_room(wish, len(claims))
    report = active_report(user, wish.community)
    show_beneficiary = selectors.may_see_beneficiary(user, wish)
    phone = ""
    if staff:
        person = wish.beneficiary
        phone = (
            person.phone if user.has_perm("community.view_person_contact", person) else person.masked_phone
        )
    can_claim = (
        report is not None
        and room
        and WISH_TABLE.can(WishStep.CLAIM, wish.state)
        and user.pk not in claimant_ids
        and wish.beneficiary.user_id != user.pk
    )
    context = {
        "wish": wish,
        "place": selectors.wish_place(wish),
        "claims": claims if involved else [],
        "claim_count": len(claims),
        "room": room,
        "events": selectors.wish_timeline(wish) if involved else [],
        "show_beneficiary": show_beneficiary,
        "beneficiary_phone": phone,
        "is_staff": selectors.is_wish_staff(user),
        "claimed_by_me": user.pk in claimant_ids,
        "can_claim": can_claim,
        "needs_report": report is None
        and not staff
        and room
        and wish.state in (WishState.OPEN, WishState.CLAIMED),
        "can_fulfil": user.pk in claimant_ids and WISH_TABLE.can(WishStep.FULFIL, wish.state),
        "can_confirm": services.may_confirm(user, wish) and WISH_TABLE.can(WishStep.CONFIRM, wish.state),
        "can_cancel": services.may_cancel(user, wish) and WISH_TABLE.can(WishStep.CANCEL, wish.state),
        "fulfil_form": forms_.get("fulfil_form") or FulfilForm(),
        "confirm_form": forms_.get("confirm_form") or ConfirmForm(),
        "cancel_form": forms_.get("cancel_form") or CancelForm(),
        "today": timezone.localdate(),
    }
    return context


class WishDetailView(LoginRequiredMixin, View):
    """One wish: its state and the steps the viewer may take (light up, fulfil, confirm, cancel)."""

    template_name = "volunteers/wishes/detail.html"

    def get(self, request, pk: int):
        wish = _wish(request, pk)
        return render(request, self.template_name, detail_context(request, wish))


class _Invalid(Exception):
    pass


class WishStepView(LoginRequiredMixin, View):
    """POST one step on a wish; on a refusal the wish page again, with the reason and its status."""

    template_name = "volunteers/wishes/detail.html"
    step = ""
    done = _("Done.")

    def perform(self, request, wish, forms_: dict) -> None:
        raise NotImplementedError

    def post(self, request, pk: int):
        wish = _wish(request, pk)
        forms_: dict = {}
        try:
            self.perform(request, wish, forms_)
        except _Invalid:
            messages.error(request, INVALID)
            return render(request, self.template_name, detail_context(request, wish, **forms_), status=400)
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
            fresh = _wish(request, pk)
            return render(
                request, self.template_name, detail_context(request, fresh, **forms_), status=exc.status_code
            )
        messages.success(request, self.done)
        return redirect("volunteers:wish", wish.pk)


class WishClaimView(WishStepView):
    done = _("You lit up this wish. Thank you! Fulfil it by the wanted-by date and show it with a photo.")

    def perform(self, request, wish, forms_):
        services.wish_claim(actor=request.user, wish=wish)


class WishFulfilView(WishStepView):
    done = _("Marked fulfilled. The resident is asked to confirm; then your points are paid.")

    def perform(self, request, wish, forms_):
        forms_["fulfil_form"] = form = FulfilForm(request.POST, request.FILES)
        if not form.is_valid():
            raise _Invalid
        services.wish_fulfil(
            actor=request.user, wish=wish, note=form.cleaned_data["note"], photo=form.cleaned_data["photo"]
        )


class WishConfirmView(WishStepView):
    done = _("Confirmed. Thank you for telling us; the members who fulfilled it earn their points.")

    def perform(self, request, wish, forms_):
        forms_["confirm_form"] = form = ConfirmForm(request.POST)
        if not form.is_valid():
            raise _Invalid
        services.wish_confirm(actor=request.user, wish=wish, note=form.cleaned_data["note"])


class WishCancelView(WishStepView):
    done = _("The wish is cancelled.")

    def perform(self, request, wish, forms_):
        forms_["cancel_form"] = form = CancelForm(request.POST)
        if not form.is_valid():
            raise _Invalid
        services.wish_cancel(actor=request.user, wish=wish, reason=form.cleaned_data["reason"])


class MyWishesView(LoginRequiredMixin, View):
    """My wishes: a resident's own (and those the staff posted), a member's lit-up ones; unfinished first."""

    template_name = "volunteers/wishes/mine.html"
    LIMIT = 100

    def get(self, request):
        user = request.user
        posted = selectors.with_places(selectors.wishes_posted(actor=user)[: self.LIMIT])
        for wish in posted:
            # The staff see whom the wishes they posted are for; a resident's own need no name.
            wish.show_name = wish.beneficiary.user_id != user.pk and selectors.may_see_beneficiary(user, wish)
        claimed = selectors.with_places(selectors.wishes_claimed(actor=user)[: self.LIMIT])
        context = {
            "posted": posted,
            "claimed": claimed,
            "is_member": bool(selectors.reported_communities(user)) or bool(claimed),
            "is_staff": selectors.is_wish_staff(user),
        }
        return render(request, self.template_name, context)


class StaffWishListView(LoginRequiredMixin, View):
    """The community's staff: every wish of their communities, by state, kind and grid."""

    template_name = "volunteers/wishes/manage.html"

    def get(self, request):
        user = request.user
        if not selectors.is_wish_staff(user):
            raise PermissionDenied
        grids = list(selectors.staff_grid_choices(user))
        form = StaffFilterForm(request.GET or None, grids=grids)
        wishes = selectors.wishes_for_staff(actor=user, **form.filters())
        page = _page(request, wishes, LIST_PAGE)
        page.object_list = selectors.with_places(page.object_list)
        return render(
            request,
            self.template_name,
            {"form": form, "page_obj": page, "wishes": page.object_list, "today": timezone.localdate()},
        )
