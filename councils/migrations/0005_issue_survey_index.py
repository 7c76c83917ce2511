# The periodic job reads resolved issues whose satisfaction survey is still open (a partial index),
# not every issue ever resolved.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('councils', '0004_issue_created_index'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='issue',
            index=models.Index(condition=models.Q(('state', 'resolved'), ('survey_closed_at__isnull', True)), fields=['resolved_at'], name='councils_issue_survey_idx'),
        ),
    ]
