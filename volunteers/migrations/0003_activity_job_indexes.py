# The periodic job reminds people of activities starting within the day and closes ended activities
# not closed yet: partial indexes, so neither reads the years of activities behind them.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('volunteers', '0002_periodic_schedule'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='activity',
            index=models.Index(condition=models.Q(('cancelled_at__isnull', True)), fields=['starts_at'], name='volunteers_activity_start_idx'),
        ),
        migrations.AddIndex(
            model_name='activity',
            index=models.Index(condition=models.Q(('cancelled_at__isnull', True), ('closed_at__isnull', True)), fields=['ends_at'], name='volunteers_activity_open_idx'),
        ),
    ]
