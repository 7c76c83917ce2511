"""The beat schedule of the councils' periodic job (every 15 minutes), created once per database."""

from django.db import migrations


def create_schedule(apps, schema_editor):
    from councils.jobs import register_schedule

    register_schedule(apps)


def drop_schedule(apps, schema_editor):
    from councils.jobs import unregister_schedule

    unregister_schedule(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("councils", "0002_meetings_results_crowdfunding_tasks"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, drop_schedule)]
