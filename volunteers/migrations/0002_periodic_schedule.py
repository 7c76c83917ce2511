"""The beat schedule of the volunteers' periodic job (every 15 minutes), created once per database."""

from django.db import migrations


def create_schedule(apps, schema_editor):
    from volunteers.jobs import register_schedule

    register_schedule(apps)


def drop_schedule(apps, schema_editor):
    from volunteers.jobs import unregister_schedule

    unregister_schedule(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("volunteers", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, drop_schedule)]
