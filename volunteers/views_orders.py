"""Pages of service orders, phones first: a resident orders (群众点单) and rates (服务评单) on "my orders";
a member grabs from the pool (随时抢单), sees the orders they hold and takes each step on the order's
page, with photos when done (实时晒单); the community's staff dispatch from the board (社区发单).

Every change calls one function of volunteers.services.orders (looked up among the orders the actor may
try a step on, so the answer — 404, 403, 409 or 400 — is the service's). An error is shown as a message
on the page the form was on, with its status, and nothing changes. Residents' addresses and phones
are shown through `selectors.with_contact`, never read directly.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import View

from community.models import User
from core.exceptions import ApplicationError

from .forms_orders import BoardFilterForm, DispatchForm, FinishForm, OrderForm, RateForm, ReasonForm
from .models import ServiceOrder
from .selectors import orders as selectors
from .services import orders as services
from .services.common import is_staff_of, person_of
from .workflow import OrderState, OrderStep

INVALID = _("Please correct what is marked below. Nothing was changed.")
DONE_MESSAGES = {
    OrderStep.DISPATCH: _("The order is dispatched; the member is told."),
    OrderStep.POOL: _("The order is open to grab by the members of the community."),
    OrderStep.ACCEPT: _("You accepted the order. The resident's address and phone are below."),
    OrderStep.DECLINE: _("You declined the order; the community will dispatch it again."),
    OrderStep.GRAB: _("The order is yours. The resident's address and phone are below."),
    OrderStep.RELEASE: _("You released the order; the community is told."),
    OrderStep.START: _("The service has started."),
    OrderStep.FINISH: _("Marked done. The resident is asked to rate the service."),
    OrderStep.RATE: _("Thank you for your rating."),
    OrderStep.CANCEL: _("The order is cancelled."),
}
# Steps that take an optional reason: (step, button, Bootstrap colour).
REASON_STEPS = [
    (OrderStep.DECLINE, _("Decline the order"), "danger"),
    (OrderStep.RELEASE, _("Give the order back"), "secondary"),
    (OrderStep.CANCEL, _("Cancel the order"), "danger"),
]
PAGE_SIZE = 30
BOARD_PAGE_SIZE = 50


class _Invalid(Exception):
    pass


def _tabs(user) -> dict:
    """Which of the orders' tabs the user sees: the pool and held orders (members), the board (staff)."""
    return {
        "member": bool(selectors.reported_communities(user)),
        "board": selectors.is_board_user(user),
    }


def _page(request, queryset, size: int):
    paginator = Paginator(queryset, size)
    return paginator.get_page(request.GET.get("page"))


# --- The resident: order and follow ---------------------------------------------------------------


def _tomorrow_at_nine(now):
    return timezone.localtime(now).replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=1)


class OrderCreateView(LoginRequiredMixin, View):
    """点单 from a phone; a social worker or the secretary may order for a resident without a phone."""

    template_name = "volunteers/orders/order_form.html"

    def _form(self, request, data=None) -> OrderForm:
        person = person_of(request.user)
        # Tomorrow morning, 9 to 11: the most asked-for time; the resident changes it with two taps.
        start = _tomorrow_at_nine(timezone.now())
        initial = {
            "window_start": start.strftime("%Y-%m-%dT%H:%M"),
            "window_end": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "address": services.home_address(person),
        }
        return OrderForm(data, initial=initial, people=selectors.orderable_people(request.user))

    def _render(self, request, form, status=200):
        person = person_of(request.user)
        context = {
            "form": form,
            "community": getattr(person, "community", None),
            "accept_hours": settings.VOLUNTEER_ACCEPT_HOURS,
            "tabs": _tabs(request.user),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        return self._render(request, self._form(request))

    def post(self, request):
        form = self._form(request, request.POST)
        if not form.is_valid():
            messages.error(request, INVALID)
            return self._render(request, form, status=400)
        values = dict(form.cleaned_data)
        for_person = values.pop("for_person", None)
        if for_person is None and person_of(request.user) is None and "for_person" in form.fields:
            form.add_error("for_person", _("Choose the resident you order this service for."))
            messages.error(request, INVALID)
            return self._render(request, form, status=400)
        try:
            order = services.order_place(actor=request.user, for_person=for_person, **values)
        except ApplicationError as exc:
            for field, errors in (exc.extra or {}).items():
                if field in form.fields:
                    for error in errors:
                        form.add_error(field, error)
            messages.error(request, str(exc.message))
            return self._render(request, form, status=exc.status_code)
        messages.success(
            request, _("Your order is sent. The community dispatches it to a Party member; follow it here.")
        )
        if for_person is not None:
            return redirect("volunteers:order", order.pk)
        return redirect("volunteers:orders_mine")


class _ListPage(LoginRequiredMixin, View):
    """A list page that the order's step form can render again with an error (and its status)."""

    template_name = ""

    def context(self, request, query: QueryDict) -> dict:
        raise NotImplementedError

    def render_page(self, request, *, status: int = 200, query: QueryDict | None = None, **extra):
        context = self.context(request, request.GET if query is None else query)
        context["tabs"] = _tabs(request.user)
        context.update(extra)
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        return self.render_page(request)


class MyOrdersView(_ListPage):
    """我的点单: the resident's orders with their state; a done one has the rating form."""

    template_name = "volunteers/orders/mine.html"

    def context(self, request, query):
        page = _page(request, selectors.orders_ordered(actor=request.user), PAGE_SIZE)
        orders = selectors.with_contact(page.object_list, request.user)
        return {"page_obj": page, "orders": orders, "rate_form": RateForm(), "tab": "mine"}


class PoolView(_ListPage):
    """抢单: the open orders of the member's community, their own grid first."""

    template_name = "volunteers/orders/pool.html"

    def context(self, request, query):
        page = _page(request, selectors.order_pool(actor=request.user), PAGE_SIZE)
        return {
            "page_obj": page,
            "orders": selectors.with_contact(page.object_list, request.user),
            "reported": bool(selectors.reported_communities(request.user)),
            "tab": "pool",
        }


class HeldOrdersView(_ListPage):
    """我的接单: the orders a member holds, those awaiting them first."""

    template_name = "volunteers/orders/held.html"

    def context(self, request, query):
        page = _page(request, selectors.orders_held(actor=request.user), PAGE_SIZE)
        return {
            "page_obj": page,
            "orders": selectors.with_contact(page.object_list, request.user),
            "now": timezone.now(),
            "tab": "held",
        }


class BoardView(_ListPage):
    """社区发单: the community's orders by state, overdue ones marked, with dispatch and pool buttons."""

    template_name = "volunteers/orders/board.html"

    def context(self, request, query):
        user = request.user
        if not selectors.is_board_user(user):
            raise PermissionDenied
        grids = list(selectors.board_grids(user))
        data = query.copy()
        data.setdefault("state", "open")
        filters = BoardFilterForm(data, grids=grids)
        values = filters.cleaned_data if filters.is_valid() else {"state": "open", "field": "", "grid": None}
        board = selectors.order_board(
            actor=user, state=values["state"], field=values["field"], grid=values["grid"]
        )
        page = _page(request, board, BOARD_PAGE_SIZE)
        orders = selectors.with_contact(page.object_list, user)
        waiting = [order for order in orders if order.state == OrderState.ORDERED]
        candidates = selectors.dispatch_candidates(order.community_id for order in waiting)
        for order in orders:
            order.dispatch_form = (
                DispatchForm(
                    candidates=selectors.candidates_for(order, candidates), auto_id=f"id_%s_{order.pk}"
                )
                if order.state == OrderState.ORDERED
                else None
            )
        everything = selectors.order_board(actor=user, state="")
        counts = dict(everything.order_by().values_list("state").annotate(n=Count("pk")))
        overdue = everything.filter(selectors.overdue_q()).count()
        return {
            "page_obj": page,
            "orders": orders,
            "filters": filters,
            "counts": [(value, label, counts.get(value, 0)) for value, label in OrderState.choices],
            "open_count": sum(counts.get(s, 0) for s in selectors.OPEN_ORDER_STATES),
            "overdue_count": overdue,
            "query": _without_page(data),
            "tab": "board",
        }


def _without_page(query: QueryDict) -> str:
    query = query.copy()
    query.pop("page", None)
    return query.urlencode()


LIST_PAGES = {"mine": MyOrdersView, "pool": PoolView, "held": HeldOrdersView, "board": BoardView}
LIST_URLS = {
    "mine": "volunteers:orders_mine",
    "pool": "volunteers:order_pool",
    "held": "volunteers:orders_held",
    "board": "volunteers:order_board",
}


# --- One order: its page and its steps ------------------------------------------------------------


class OrderDetailView(LoginRequiredMixin, View):
    """One order: what is needed, the address as the viewer may see it, the photos, the timeline, and
    the steps the viewer may take (accept, decline, start, release, done with photos; grab; dispatch,
    pool, cancel; rate)."""

    template_name = "volunteers/orders/detail.html"

    def _context(self, request, order: ServiceOrder, **forms_) -> dict:
        user = request.user
        selectors.with_contact([order], user)
        steps = selectors.order_steps(user, order)
        context = {
            "order": order,
            "steps": steps,
            "events": list(order.events.all()),
            "photos": list(order.photos.all()),
            "is_staff": is_staff_of(user, order.community),
            "is_holder": services.is_holder(user, order),
            "overdue": selectors.is_overdue(order),
            "reason_form": forms_.get("reason_form") or ReasonForm(),
            "finish_form": forms_.get("finish_form") or FinishForm(),
            "rate_form": forms_.get("rate_form") or RateForm(),
            "reason_steps": REASON_STEPS,
            "tabs": _tabs(user),
        }
        if OrderStep.DISPATCH in steps:
            candidates = selectors.dispatch_candidates([order.community_id])
            context["dispatch_form"] = forms_.get("dispatch_form") or DispatchForm(
                candidates=selectors.candidates_for(order, candidates)
            )
        return context

    def get(self, request, pk: int):
        order = selectors.order_detail(actor=request.user, pk=pk)
        if order is None:
            raise Http404
        return render(request, self.template_name, self._context(request, order))

    def post(self, request, pk: int):
        order = selectors.orders_for_steps(actor=request.user).filter(pk=pk).first()
        if order is None:
            raise Http404
        step = request.POST.get("step", "")
        forms_: dict = {}
        try:
            order = self._step(request, order, step, forms_)
        except _Invalid:
            messages.error(request, INVALID)
            return self._again(request, pk, forms_, status=400)
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
            return self._again(request, pk, forms_, status=exc.status_code)
        messages.success(request, DONE_MESSAGES.get(step, _("Done.")))
        back = _back(request)
        if back and step not in (OrderStep.GRAB, OrderStep.ACCEPT):
            return redirect(back)
        return redirect("volunteers:order", order.pk)

    def _step(self, request, order: ServiceOrder, step: str, forms_: dict) -> ServiceOrder:
        user, post = request.user, request.POST
        if step == OrderStep.DISPATCH:
            candidates = selectors.dispatch_candidates([order.community_id])
            forms_["dispatch_form"] = form = DispatchForm(
                post, candidates=selectors.candidates_for(order, candidates)
            )
            if not form.is_valid():
                raise _Invalid
            member = User.objects.get(pk=form.cleaned_data["member"])
            return services.order_dispatch(actor=user, order=order, member=member)
        if step == OrderStep.POOL:
            return services.order_to_pool(actor=user, order=order)
        if step == OrderStep.ACCEPT:
            return services.order_accept(actor=user, order=order)
        if step == OrderStep.GRAB:
            return services.order_grab(actor=user, order=order)
        if step == OrderStep.START:
            return services.order_start(actor=user, order=order)
        if step in (OrderStep.DECLINE, OrderStep.RELEASE, OrderStep.CANCEL):
            forms_["reason_form"] = form = ReasonForm(post)
            if not form.is_valid():
                raise _Invalid
            service = {
                OrderStep.DECLINE: services.order_decline,
                OrderStep.RELEASE: services.order_release,
                OrderStep.CANCEL: services.order_cancel,
            }[step]
            return service(actor=user, order=order, reason=form.cleaned_data["reason"])
        if step == OrderStep.FINISH:
            forms_["finish_form"] = form = FinishForm(post, request.FILES)
            if not form.is_valid():
                raise _Invalid
            return services.order_finish(
                actor=user, order=order, photos=form.cleaned_data["photos"], note=form.cleaned_data["note"]
            )
        if step == OrderStep.RATE:
            forms_["rate_form"] = form = RateForm(post)
            if not form.is_valid():
                raise _Invalid
            return services.order_rate(actor=user, order=order, **form.cleaned_data)
        raise _Invalid

    def _again(self, request, pk: int, forms_: dict, *, status: int):
        """The page the form was on, again, with the error's status (nothing was changed)."""
        page = request.POST.get("page", "")
        if page in LIST_PAGES:
            back = _back(request)
            query = QueryDict(urlsplit(back).query) if back else QueryDict()
            return LIST_PAGES[page]().render_page(request, status=status, query=query, **forms_)
        order = selectors.order_detail(actor=request.user, pk=pk)
        if order is None:
            # Not theirs to see any more (grabbed by another member meanwhile): the pool, with the reason.
            return PoolView().render_page(request, status=status, query=QueryDict())
        return render(request, self.template_name, self._context(request, order, **forms_), status=status)


def _back(request) -> str:
    """Where to return after a step taken from a list page (only our own pages)."""
    page = request.POST.get("page", "")
    if page not in LIST_URLS:
        return ""
    back = request.POST.get("back", "")
    base = reverse(LIST_URLS[page])
    if back and back.startswith(base) and url_has_allowed_host_and_scheme(back, allowed_hosts=None):
        return back
    return base
