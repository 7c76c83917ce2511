"""The beat schedule of the market: every 10 minutes, refund the codes nobody collected in time.

A data migration, as in notices/0002: it runs once per database, so an administrator's later
change to the schedule in the admin is never undone by the next deploy's `migrate`.
"""

from django.db import migrations
from django.utils import timezone

TASK = "points.expire_redemptions"
EVERY_MINUTES = 10


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    interval = IntervalSchedule.objects.filter(every=EVERY_MINUTES, period="minutes").first()
    if interval is None:
        interval = IntervalSchedule.objects.create(every=EVERY_MINUTES, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=TASK,
        defaults={
            "task": TASK,
            "interval": interval,
            "description": "Expires market redemption codes past their time and refunds their points, once each.",
            # A backlog of these is worthless: the next run does the same work.
            "expire_seconds": EVERY_MINUTES * 60,
        },
    )
    # Historical models skip the model's save(), which is what tells a running beat to reload.
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def drop_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    PeriodicTask.objects.filter(name=TASK).delete()
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


class Migration(migrations.Migration):
    dependencies = [
        ("points", "0006_expiry_schedules"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, drop_schedule)]
