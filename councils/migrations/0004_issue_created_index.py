# Issues newest first, the order of the API's cursor pages and of the admin's list.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('councils', '0003_periodic_schedule'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='issue',
            index=models.Index(fields=['-created_at', '-id'], name='councils_issue_created_idx'),
        ),
    ]
