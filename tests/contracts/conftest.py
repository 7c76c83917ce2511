"""Fixtures of the contracts tests: the real Celery worker."""

from tests.worker import celery_worker  # noqa: F401
