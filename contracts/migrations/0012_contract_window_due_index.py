# The daily job finds the evaluation windows to open and close by the term's end, among the contracts
# being published or evaluated only (a partial index): the due ones, not every contract of the years.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('contracts', '0011_record_done_index'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='contract',
            index=models.Index(condition=models.Q(('state__in', ['published', 'evaluating'])), fields=['state', 'term_end'], name='contracts_window_due_idx'),
        ),
    ]
