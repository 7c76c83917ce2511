"""Points flows per community and day (points.flows, ADR 0010): the tables, the trigger that fills
FlowPending on every transfer that issues or spends a wallet's points, the view points_flow, and the
totals of the transfers already there."""

import django.db.models.deletion
from django.db import migrations, models


def install(apps, schema_editor):
    from points import flows

    flows.install(schema_editor)
    with schema_editor.connection.cursor() as cursor:
        expected = flows._expected_sql(schema_editor.connection.vendor)
        cursor.execute(f"INSERT INTO points_flowday (flow, area_id, day, amount) {expected}")


def uninstall(apps, schema_editor):
    from points import flows

    flows.uninstall(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('community', '0003_person_user_full_name'),
        ('points', '0012_transfer_move_without_select_lock'),
    ]

    operations = [
        migrations.CreateModel(
            name='Flow',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('flow', models.CharField(choices=[('issued', 'Points issued'), ('spent', 'Points spent')], max_length=8, verbose_name='flow')),
                ('day', models.DateField(verbose_name='day')),
                ('amount', models.BigIntegerField(verbose_name='points')),
            ],
            options={
                'verbose_name': 'points flow',
                'verbose_name_plural': 'points flows',
                'db_table': 'points_flow',
                'managed': False,
            },
        ),
        migrations.CreateModel(
            name='FlowPending',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('flow', models.CharField(choices=[('issued', 'Points issued'), ('spent', 'Points spent')], max_length=8, verbose_name='flow')),
                ('day', models.DateField(verbose_name='day')),
                ('amount', models.BigIntegerField(verbose_name='points')),
                ('area', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='community.area', verbose_name='area')),
            ],
            options={
                'verbose_name': 'points flow not yet folded',
                'verbose_name_plural': 'points flows not yet folded',
            },
        ),
        migrations.CreateModel(
            name='FlowDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('flow', models.CharField(choices=[('issued', 'Points issued'), ('spent', 'Points spent')], max_length=8, verbose_name='flow')),
                ('day', models.DateField(verbose_name='day')),
                ('amount', models.BigIntegerField(default=0, verbose_name='points')),
                ('area', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='community.area', verbose_name='area')),
            ],
            options={
                'verbose_name': 'points flow of a day',
                'verbose_name_plural': 'points flows by day',
                'indexes': [models.Index(fields=['flow', 'day'], name='points_flowday_day_idx')],
                'constraints': [models.UniqueConstraint(fields=('flow', 'area', 'day'), name='points_flowday_unique')],
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
