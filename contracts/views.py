"""Public pages: the 亮约 board (no login) and each published contract's page with its QR code."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.generic import DetailView, ListView

from community.models import Area, AreaKind
from points.views import qr_svg

from . import selectors
from .models import Side
from .workflow import PUBLIC_STATES


class BoardView(ListView):
    """亮约: every published contract, by community; anyone may read it."""

    template_name = "contracts/board.html"
    context_object_name = "contracts"
    paginate_by = 30

    def get_queryset(self):
        queryset = selectors.public_contracts()
        self.community = None
        raw = self.request.GET.get("community", "")
        if raw.isascii() and raw.isdigit():
            self.community = Area.objects.filter(pk=int(raw), kind=AreaKind.COMMUNITY).first()
            if self.community is not None:
                queryset = queryset.filter(pairing__community=self.community)
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["community"] = self.community
        context["communities"] = (
            Area.objects.filter(kind=AreaKind.COMMUNITY, pairings__contracts__state__in=PUBLIC_STATES)
            .distinct()
            .order_by("path")
        )
        return context


class PublicContractView(DetailView):
    template_name = "contracts/public_detail.html"
    context_object_name = "contract"

    def get_object(self, queryset=None):
        return get_object_or_404(selectors.public_contracts(), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        contract = self.object
        items = contract.frozen_version.items if contract.frozen_version else []
        progress = selectors.progress_by_item(contract)
        rows = [{**item, "progress": progress.get(index)} for index, item in enumerate(items)]
        context["unit_items"] = [row for row in rows if row["side"] == Side.UNIT]
        context["community_items"] = [row for row in rows if row["side"] == Side.COMMUNITY]
        context["entry"] = selectors.publication_entry(contract)
        context["qr"] = qr_svg(
            self.request.build_absolute_uri(reverse("contracts:public", args=[contract.pk]))
        )
        return context
