"""Settings for the test run: the platform's own, plus django-zeal, which fails a test on an N+1 query."""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS, MIDDLEWARE

# zeal patches the ORM's related-object descriptors in its AppConfig.ready(); tests/nplusone.py
# switches detection on for each request and fails the test on a query per row. `make demo` and
# production keep config.settings, without zeal.
INSTALLED_APPS = [*INSTALLED_APPS, "zeal"]
# First, so that what the other middleware loads counts in the request too.
MIDDLEWARE = ["tests.nplusone.zeal_middleware", *MIDDLEWARE]
# zeal warns and sends its signal; tests/nplusone.py decides which reports fail the test.
ZEAL_RAISE = False
# A relation loaded lazily on two rows of one queryset, at the same line, is an N+1.
ZEAL_NPLUSONE_THRESHOLD = 2
PUBLIC_PAGE_CACHE_SECONDS = 0  # pages are rendered afresh in tests; tests/core/test_pagecache.py turns it on
FIGURES_CACHE_SECONDS = (
    0  # figures computed afresh in tests; tests/dashboards/test_figures_cache.py turns it on
)
