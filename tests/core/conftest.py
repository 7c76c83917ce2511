"""Fixtures of the job-plumbing tests: a fake broker spy and the real-worker fixtures."""

from tests.worker import celery_worker, celery_worker_and_beat, sent_to_broker  # noqa: F401
