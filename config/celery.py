"""The Celery app: Redis from REDIS_URL in production, a filesystem broker otherwise."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("yuecheng")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
