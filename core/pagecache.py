"""Whole public pages kept in the cache for visitors who are not signed in (`public_page`).

The public pages (the portal, the 亮约 board, a published contract, the council results, the map)
are the same for every anonymous visitor in one language, and they are what the public loads most.
A visitor without a session gets the page from the cache: one cache read instead of the queries and
the template. Signed-in users, and anyone with a session or pending messages, get the page rendered
as always.

- The CSRF token differs per visitor: the page is cached with a placeholder where the token goes
  (`core.context_processors.platform` puts it in while a page is rendered for the cache) and each
  visitor's own token is written in when the page is served.
- The key holds the language, the full path with its query string and a generation number. Every
  save or delete of a model of the apps that public pages show bumps the generation once the
  transaction commits (`connect_invalidation`, from CoreConfig.ready): the next visitor gets a page
  rendered from the new data. What is written without model signals (queryset updates, bulk
  inserts, the ledger's SQL function) shows within `PUBLIC_PAGE_CACHE_SECONDS` (60 s by default);
  the portal's points figures are cached for two minutes by dashboards.portal anyway.
- `PUBLIC_PAGE_CACHE_SECONDS = 0` turns it off (the test settings do, but for the tests of this module).
"""

from __future__ import annotations

import functools
import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.middleware.csrf import get_token

logger = logging.getLogger(__name__)

CSRF_PLACEHOLDER = "__yc_csrf_token__"
GENERATION_KEY = "public-page:generation"
# The apps whose rows public pages show.
PUBLIC_APPS = frozenset({"community", "contracts", "councils", "volunteers", "points", "audit", "dashboards"})


def _seconds() -> int:
    return int(getattr(settings, "PUBLIC_PAGE_CACHE_SECONDS", 60))


def rendering_for_cache(request) -> bool:
    return getattr(request, "_public_page_render", False)


def _cacheable(request) -> bool:
    if request.method not in ("GET", "HEAD") or _seconds() <= 0:
        return False
    if settings.SESSION_COOKIE_NAME in request.COOKIES or "messages" in request.COOKIES:
        return False
    if "HTTP_AUTHORIZATION" in request.META:  # an API client with a token: answered as itself
        return False
    # No session cookie: the visitor is anonymous (read without a database query).
    return not request.user.is_authenticated


def _generation() -> int:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, 1, timeout=None)
        generation = cache.get(GENERATION_KEY) or 1
    return generation


def bump() -> None:
    """Every cached public page is out of date (after a commit that changed what they show)."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not there (yet, or evicted): any new number differs from the pages' keys
        cache.add(GENERATION_KEY, 1, timeout=None)


def _digest(text: str) -> str:
    """Keys of any length (a long query string, fifty figure names) as a short, fixed-length hash."""
    return hashlib.sha256(text.encode()).hexdigest()


def _key(request, *, by_accept: bool) -> str:
    accept = f":{request.META.get('HTTP_ACCEPT', '')}" if by_accept else ""
    return (
        f"public-page:{_generation()}:{_digest(f'{request.LANGUAGE_CODE}{accept}:{request.get_full_path()}')}"
    )


def cached(name: str, parts: tuple, compute):
    """`compute()`, kept for FIGURES_CACHE_SECONDS under the same generation as the public pages: the
    district's figures and charts are computed once for everyone who looks at the same area and period,
    and afresh after a committed change. 0 (the test settings) computes every time."""
    seconds = int(getattr(settings, "FIGURES_CACHE_SECONDS", 60))
    if seconds <= 0:
        return compute()
    key = f"cached:{name}:{_generation()}:{_digest(':'.join(str(part) for part in parts))}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, seconds)
    return value


def public_page(view=None, *, by_accept: bool = False):
    """Serve `view`'s page from the cache to visitors without a session (see the module's text).

    `by_accept`: for an API view, whose answer depends on the Accept header (JSON or the browsable API).
    """
    if view is None:
        return functools.partial(public_page, by_accept=by_accept)

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        key = _key(request, by_accept=by_accept)
        stored = cache.get(key)
        if stored is not None:
            content, content_type = stored
            return HttpResponse(
                content.replace(CSRF_PLACEHOLDER, get_token(request)), content_type=content_type
            )
        request._public_page_render = True
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        request._public_page_render = False
        if response.status_code != 200 or response.streaming or response.cookies:
            return response
        text = response.content.decode(response.charset)
        cache.set(key, (text, response["Content-Type"]), _seconds())
        response.content = text.replace(CSRF_PLACEHOLDER, get_token(request)).encode(response.charset)
        return response

    return wrapper


def _changed(sender, using=None, **kwargs) -> None:
    if sender._meta.app_label not in PUBLIC_APPS:
        return
    connection = transaction.get_connection(using)
    # Once per transaction, however many rows it saves (Django keeps (savepoints, callback, robust)).
    if any(entry[1] is bump for entry in connection.run_on_commit):
        return
    transaction.on_commit(bump, using=using)


def connect_invalidation() -> None:
    post_save.connect(_changed, dispatch_uid="core.pagecache.saved")
    post_delete.connect(_changed, dispatch_uid="core.pagecache.deleted")
