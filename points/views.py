"""Points pages for phones: my points, the market, my codes, verifying a code, leaderboards.

Views parse the request, ask the selectors and call the services in points.market; an
`ApplicationError` from a service is shown on the same page, in the user's language, and nothing
has changed. Lists take a fixed number of queries however long they are.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from community.access import scope_for
from core.exceptions import ApplicationError
from core.qr import qr_svg

from . import market, market_selectors, selectors
from .forms import LeaderboardForm, RedeemForm, VerifyForm
from .market_rules import may_verify_somewhere
from .models import MarketItem, Redemption
from .workflow import RedemptionState

STATEMENT_PAGE = 20


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


def _points_nav(request, tab: str) -> dict:
    """Which of the points tabs this user is offered (see points/includes/points_nav.html)."""
    user = request.user
    may_redeem = getattr(user, "person", None) is not None
    scope = scope_for(user)
    return {
        "tab": tab,
        "may_redeem": may_redeem,
        "may_verify": may_verify_somewhere(user),
        "show_board": may_redeem or scope.everything or bool(scope.area_paths),
    }


# --- My points ---------------------------------------------------------------------------------


class WalletDetailView(LoginRequiredMixin, View):
    """Balance, what expires when, and the statement: every line with its cause, newest first."""

    template_name = "points/wallet_detail.html"

    def get(self, request):
        wallet = market_selectors.wallet_of(request.user)
        before = request.GET.get("before", "")
        lines, more = [], None
        expiring = []
        if wallet is not None:
            qs = selectors.statement(account=wallet)
            if before.isascii() and before.isdigit():
                qs = qs.filter(pk__lt=int(before))
            page = list(qs[: STATEMENT_PAGE + 1])
            if len(page) > STATEMENT_PAGE:
                page = page[:STATEMENT_PAGE]
                more = page[-1].pk
            lines = [(transfer, market_selectors.cause_url(transfer.cause)) for transfer in page]
            if not before:
                expiring = selectors.expiring_points(account=wallet)
        context = {
            "wallet": wallet,
            "person": getattr(request.user, "person", None),
            "lines": lines,
            "more": more,
            "expiring": expiring,
            "older": bool(before),
            **_points_nav(request, "wallet"),
        }
        if _is_htmx(request) and before:
            return render(request, f"{self.template_name}#statement_page", context)
        return render(request, self.template_name, context)


# --- Market ------------------------------------------------------------------------------------


def _market_context(request) -> dict:
    wallet = market_selectors.wallet_of(request.user)
    return {
        "balance": wallet.balance if wallet is not None else 0,
        "my_community": market_selectors.market_community_of(request.user),
        "now": timezone.now(),
        **_points_nav(request, "market"),
    }


class MarketItemListView(LoginRequiredMixin, View):
    """The market of my community: what is on offer, for how many points, how many are left."""

    template_name = "points/marketitem_list.html"

    def get(self, request):
        community = market_selectors.market_community_of(request.user)
        show = request.GET.get("show", "")
        items = market_selectors.market_item_list(
            actor=request.user,
            community=community if show != "all" else None,
            available=None,
        )
        context = _market_context(request)
        context.update({"items": list(items), "show": show, "staff_view": community is None or show == "all"})
        return render(request, self.template_name, context)


def _item_or_404(request, pk: int) -> MarketItem:
    try:
        return market_selectors.market_item_get(actor=request.user, pk=pk)
    except MarketItem.DoesNotExist as exc:
        raise Http404 from exc


def _most_redeemable(item: MarketItem) -> int:
    return max(1, min(item.per_person_limit - item.held, item.stock))


class MarketItemDetailView(LoginRequiredMixin, View):
    """One item and the confirm step: what it costs, what remains of my balance, then "Confirm"."""

    template_name = "points/marketitem_detail.html"

    def get(self, request, pk: int):
        item = _item_or_404(request, pk)
        return self._render(request, item, RedeemForm(most=_most_redeemable(item)))

    def _render(self, request, item, form, *, error: ApplicationError | None = None, status: int = 200):
        context = _market_context(request)
        context.update(
            {"item": item, "form": form, "error": error, "valid_days": market.REDEMPTION_VALID_FOR.days}
        )
        return render(request, self.template_name, context, status=status)


class RedeemView(MarketItemDetailView):
    http_method_names = ["post"]

    def post(self, request, pk: int):
        item = _item_or_404(request, pk)
        form = RedeemForm(request.POST, most=_most_redeemable(item))
        if not form.is_valid():
            return self._render(request, item, form, status=400)
        try:
            redemption = market.redemption_create(
                actor=request.user, item=item, quantity=form.cleaned_data["quantity"]
            )
        except ApplicationError as exc:
            # Nothing changed; show the item as it is now, with the reason.
            item = _item_or_404(request, pk)
            return self._render(request, item, RedeemForm(most=_most_redeemable(item)), error=exc, status=400)
        messages.success(
            request,
            _("Redeemed: %(item)s. Show code %(code)s at %(place)s by %(when)s.")
            % {
                "item": item.name,
                "code": redemption.grouped_code,
                "place": item.pickup_place,
                "when": market._when(redemption.expires_at),
            },
        )
        return redirect(f"{reverse('points:codes')}#redemption-{redemption.pk}")


# --- My codes ----------------------------------------------------------------------------------


def _verify_link(request, redemption: Redemption) -> str:
    return request.build_absolute_uri(
        f"{reverse('points:verify')}?code={redemption.code}&t={redemption.token}"
    )


class RedemptionListView(LoginRequiredMixin, View):
    """My redemption codes: open ones with a QR code and large digits, then the history."""

    template_name = "points/redemption_list.html"

    def get(self, request):
        redemptions = list(market_selectors.redemption_list(user=request.user))
        now = timezone.now()
        open_codes = [
            {"redemption": r, "qr": qr_svg(_verify_link(request, r)), "overdue": r.expires_at <= now}
            for r in redemptions
            if r.state == RedemptionState.RESERVED
        ]
        history = [r for r in redemptions if r.state != RedemptionState.RESERVED]
        context = {"open_codes": open_codes, "history": history, **_points_nav(request, "codes")}
        return render(request, self.template_name, context)


class RedemptionCancelView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk: int):
        redemption = get_object_or_404(Redemption.objects.filter(user=request.user), pk=pk)
        try:
            closed = market.redemption_cancel(actor=request.user, redemption=redemption)
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(
                request,
                _("Cancelled: %(item)s. %(points)s points are back in your wallet.")
                % {"item": closed.item.name, "points": closed.points},
            )
        return redirect("points:codes")


# --- Verify (merchants) ------------------------------------------------------------------------


class RedemptionVerifyView(LoginRequiredMixin, View):
    """A merchant's contact types (or scans) a code, sees what it is for, and completes it."""

    template_name = "points/redemption_verify.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_verify_somewhere(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        if "code" not in request.GET:
            return self._render(request, VerifyForm())
        form = VerifyForm(request.GET)
        if not form.is_valid():
            return self._render(request, form, status=400)
        try:
            found = market.redemption_lookup(
                actor=request.user, code=form.cleaned_data["code"], token=form.cleaned_data["t"]
            )
        except ApplicationError as exc:
            return self._render(request, form, error=exc, status=exc.status_code)
        return self._render(request, form, found=found)

    def post(self, request):
        form = VerifyForm(request.POST)
        if not form.is_valid():
            return self._render(request, form, status=400)
        try:
            done = market.redemption_verify(
                actor=request.user, code=form.cleaned_data["code"], token=form.cleaned_data["t"]
            )
        except ApplicationError as exc:
            return self._render(request, form, error=exc, status=exc.status_code)
        messages.success(
            request,
            _("Completed: %(item)s ×%(quantity)s for %(holder)s. Please hand it over.")
            % {
                "item": done.item.name,
                "quantity": done.quantity,
                "holder": selectors.mask_name(_holder_name(done)),
            },
        )
        return redirect("points:verify")

    def _render(self, request, form, *, found=None, error=None, status=200):
        context = {
            "form": form,
            "found": found,
            "found_holder": selectors.mask_name(_holder_name(found)) if found else "",
            "error": error,
            "recent": list(market_selectors.redemption_merchant_list(actor=request.user)[:10]),
            **_points_nav(request, "verify"),
        }
        if _is_htmx(request):
            return HttpResponse(
                render_to_string(f"{self.template_name}#verify_panel", context, request=request),
                status=status,
            )
        return render(request, self.template_name, context, status=status)


def _holder_name(redemption: Redemption) -> str:
    person = getattr(redemption.user, "person", None)
    return person.name if person is not None else str(redemption.user)


# --- Leaderboard -------------------------------------------------------------------------------


class LeaderboardView(LoginRequiredMixin, View):
    """Who earned most this month in a community; names masked."""

    template_name = "points/leaderboard.html"

    def get(self, request):
        communities = market_selectors.leaderboard_communities(request.user)
        own = market_selectors.market_community_of(request.user)
        data = request.GET.copy()
        if "community" in data:
            asked = data["community"]
            if not (asked.isascii() and asked.isdigit() and communities.filter(pk=int(asked)).exists()):
                raise Http404
        default = own or communities.first()
        data.setdefault("community", str(default.pk) if default else "")
        data.setdefault("month", timezone.localdate().strftime("%Y-%m"))
        form = LeaderboardForm(data, communities=communities)
        rows, community, month = [], None, timezone.localdate().replace(day=1)
        if form.is_valid():
            community = form.cleaned_data["community"]
            month: date = form.cleaned_data["month"]
            rows = selectors.leaderboard(community=community, month=month)
        elif default is None:
            form = LeaderboardForm(communities=communities)
        context = {
            "form": form,
            "rows": rows,
            "community": community,
            "month": month,
            "me": request.user.pk,
            **_points_nav(request, "leaderboard"),
        }
        return render(request, self.template_name, context)
