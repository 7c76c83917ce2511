"""The beat schedule of the nightly ledger check: every day at 02:30, Asia/Shanghai.

A data migration, as in notices/0002: it runs once per database, so an administrator's later
change to the schedule in the admin is never undone by the next deploy's `migrate`.
"""

from django.db import migrations
from django.utils import timezone

TASK = "points.verify_ledger_nightly"
CRONTAB = {
    "minute": "30",
    "hour": "2",
    "day_of_week": "*",
    "day_of_month": "*",
    "month_of_year": "*",
    "timezone": "Asia/Shanghai",
}


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    crontab = CrontabSchedule.objects.filter(**CRONTAB).first()
    if crontab is None:
        crontab = CrontabSchedule.objects.create(**CRONTAB)
    PeriodicTask.objects.get_or_create(
        name=TASK,
        defaults={
            "task": TASK,
            "crontab": crontab,
            "description": "Recomputes every points balance from the transfers and checks every "
            "ledger invariant; notifies the district administrators of any breach.",
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
        ("points", "0003_transfer_append_only"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, drop_schedule)]
