"""The beat schedules the data migration creates, and that a second run leaves administrators' edits alone."""

import importlib

import pytest
from django.apps import apps as django_apps
from django_celery_beat.models import IntervalSchedule, PeriodicTask

pytestmark = pytest.mark.django_db

migration = importlib.import_module("notices.migrations.0002_periodic_tasks")


def test_relay_every_10_seconds_and_reminders_every_minute():
    relay = PeriodicTask.objects.get(name="core.relay_outbox")
    due = PeriodicTask.objects.get(name="notices.send_due_reminders")

    assert (relay.task, relay.interval.every, relay.interval.period, relay.enabled) == (
        "core.relay_outbox",
        10,
        IntervalSchedule.SECONDS,
        True,
    )
    assert (due.task, due.interval.every, due.interval.period) == (
        "notices.send_due_reminders",
        1,
        IntervalSchedule.MINUTES,
    )


def test_running_again_keeps_admin_edits_and_adds_nothing():
    every_5_minutes, _ = IntervalSchedule.objects.get_or_create(every=5, period=IntervalSchedule.MINUTES)
    due = PeriodicTask.objects.get(name="notices.send_due_reminders")
    due.interval = every_5_minutes
    due.enabled = False
    due.save()
    count = PeriodicTask.objects.count()

    migration.create_schedules(django_apps, None)

    due.refresh_from_db()
    assert due.interval == every_5_minutes and not due.enabled
    assert PeriodicTask.objects.count() == count


def test_the_scheduled_tasks_exist():
    from config.celery import app

    app.loader.import_default_modules()
    for task in PeriodicTask.objects.filter(name__in=[s["name"] for s in migration.SCHEDULES]):
        assert task.task in app.tasks
