"""The beat schedules the sending pipeline needs: relay the outbox every 10 s, reminders every minute.

A data migration rather than a post_migrate hook: it runs once per database, so whatever an
administrator later does to these rows in the admin (a new interval, disabling, even deleting)
is never undone by the next deploy's `migrate`. It lives here, not in core, because notices is
the app that sends, and core's migrations are shared by every app.
"""

from django.db import migrations
from django.utils import timezone

SCHEDULES = [
    {
        "name": "core.relay_outbox",
        "task": "core.relay_outbox",
        "every": 10,
        "period": "seconds",
        "description": "Hands outbox messages to the broker that the on-commit relay could not send.",
    },
    {
        "name": "notices.send_due_reminders",
        "task": "notices.send_due_reminders",
        "every": 1,
        "period": "minutes",
        "description": "Turns due reminders (scheduled and from every app's provider) into notices, once each.",
    },
]


def create_schedules(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    for spec in SCHEDULES:
        interval = IntervalSchedule.objects.filter(every=spec["every"], period=spec["period"]).first()
        if interval is None:
            interval = IntervalSchedule.objects.create(every=spec["every"], period=spec["period"])
        PeriodicTask.objects.get_or_create(
            name=spec["name"],
            defaults={
                "task": spec["task"],
                "interval": interval,
                "description": spec["description"],
                # A backlog of these is worthless: the next run does the same work.
                "expire_seconds": spec["every"] * (60 if spec["period"] == "minutes" else 1),
            },
        )
    # Historical models skip the model's save(), which is what tells a running beat to reload.
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


class Migration(migrations.Migration):
    dependencies = [
        ("notices", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, migrations.RunPython.noop)]
