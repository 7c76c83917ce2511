"""The Celery app: Redis from REDIS_URL in production, a filesystem broker otherwise."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("yuecheng")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def all_queues() -> str:
    """Every queue of CELERY_TASK_QUEUES, comma-separated for `celery worker -Q` (a worker that does every kind of job)."""
    return ",".join(queue.name for queue in app.conf.task_queues)
