"""Inbox pages: the list, mark one read, mark all read; plain forms, or htmx partial swaps."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from core.exceptions import NotFound

from . import selectors, services
from .models import Notice

PAGE_SIZE = 20
TEMPLATE = "notices/notice_list.html"


def _is_htmx(request) -> bool:
    # A boosted request wants the whole page, like a plain navigation.
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


def _show(params) -> str:
    return "unread" if params.get("show") == "unread" else "all"


def _inbox_context(request, *, show: str, page: str | int | None) -> dict:
    notices = selectors.notice_list(user=request.user, read=False if show == "unread" else None)
    page_obj = Paginator(notices, PAGE_SIZE).get_page(page)
    return {"page_obj": page_obj, "notices": page_obj.object_list, "show": show}


def _partial(request, partial: str, context: dict) -> HttpResponse:
    """A fragment for htmx, plus the header's bell swapped out-of-band so its count stays right."""
    html = render_to_string(f"{TEMPLATE}#{partial}", context, request=request)
    html += render_to_string("notices/includes/notice_bell.html", {"oob": True}, request=request)
    return HttpResponse(html)


def _safe_next(request) -> str | None:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


class NoticeListView(LoginRequiredMixin, View):
    """The inbox: unread first, newest first, 20 a page."""

    def get(self, request):
        context = _inbox_context(request, show=_show(request.GET), page=request.GET.get("page"))
        if _is_htmx(request):
            return _partial(request, "inbox", context)
        return render(request, TEMPLATE, context)


class NoticeReadView(LoginRequiredMixin, View):
    """Mark one notice read; with `next` (the notice's link) go on there, as opening it does."""

    http_method_names = ["post"]

    def post(self, request, pk: int):
        notice = get_object_or_404(Notice.objects.filter(recipient=request.user), pk=pk)
        try:
            services.notice_mark_read(actor=request.user, notice=notice)
        except NotFound as exc:
            raise Http404 from exc
        target = _safe_next(request)
        if _is_htmx(request) and target is None:
            return _partial(request, "notice_item", {"notice": notice})
        return redirect(target or reverse("notices:inbox"))


class NoticeReadAllView(LoginRequiredMixin, View):
    """Mark every unread notice read, then show the inbox again."""

    http_method_names = ["post"]

    def post(self, request):
        count = services.notice_mark_all_read(actor=request.user)
        show = _show(request.POST)
        if _is_htmx(request):
            return _partial(request, "inbox", _inbox_context(request, show=show, page=1))
        if count:
            messages.success(request, _("All notices are marked read."))
        url = reverse("notices:inbox")
        return redirect(f"{url}?show=unread" if show == "unread" else url)
