"""Fixtures of the API tests: a client signed in as any user of the district, and a fresh throttle."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _fresh_throttle():
    # Throttle counters live in the local-memory cache, which outlives a single test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api():
    """`api(user)` is a client with that user's session; `api()` an anonymous one."""

    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_login(user)
        return client

    return make
