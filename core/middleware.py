"""Chinese first: pages speak zh-hans unless the user chose English with the language switch."""

from __future__ import annotations


class ChineseFirstMiddleware:
    """Drop the browser's Accept-Language on pages, before LocaleMiddleware reads it.

    A community office PC or an imported phone often sends "en-US"; the people using this platform
    still expect Chinese. The language switch (a cookie) is the only way to English on pages.
    API clients (a province platform pulling figures) keep HTTP negotiation.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
