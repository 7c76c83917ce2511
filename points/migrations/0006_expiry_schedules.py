"""The beat schedules of the points' expiry: the notice on 1 December, the move on 1 January.

A data migration, as in notices/0002: it runs once per database, so an administrator's later
change to these schedules in the admin is never undone by the next deploy's `migrate`. Both
tasks also check that they are due and record (job, year), so an extra run does nothing.
"""

from django.db import migrations
from django.utils import timezone

SCHEDULES = [
    {
        "name": "points.expiry_notice",
        "task": "points.expiry_notice",
        "crontab": {"minute": "0", "hour": "9", "day_of_month": "1", "month_of_year": "12"},
        "description": "Tells every holder how many of their points expire at the end of the year (once a year).",
    },
    {
        "name": "points.expire_points",
        "task": "points.expire_points",
        "crontab": {"minute": "30", "hour": "0", "day_of_month": "1", "month_of_year": "1"},
        "description": "Moves the points that expired at the end of last year to the district's expiry sink "
        "(once a year, FIFO).",
    },
]


def create_schedules(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    for spec in SCHEDULES:
        fields = {**spec["crontab"], "day_of_week": "*", "timezone": "Asia/Shanghai"}
        crontab = CrontabSchedule.objects.filter(**fields).first()
        if crontab is None:
            crontab = CrontabSchedule.objects.create(**fields)
        PeriodicTask.objects.get_or_create(
            name=spec["name"],
            defaults={"task": spec["task"], "crontab": crontab, "description": spec["description"]},
        )
    # Historical models skip the model's save(), which is what tells a running beat to reload.
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def drop_schedules(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    PeriodicTask.objects.filter(name__in=[spec["name"] for spec in SCHEDULES]).delete()
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


class Migration(migrations.Migration):
    dependencies = [
        ("points", "0005_earning_rules_and_manual_awards"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, drop_schedules)]
