# A contract's fulfilment records in the order the API's cursor pages read them (latest done first).
# The new index leads with the contract, so the foreign key's own index is dropped after it is built.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('contracts', '0010_rating_scores_by_criterion'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='fulfilmentrecord',
            index=models.Index(fields=['contract', '-done_on', '-id'], name='contracts_record_done_idx'),
        ),
        migrations.AlterField(
            model_name='fulfilmentrecord',
            name='contract',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='records', to='contracts.contract', verbose_name='contract'),
        ),
    ]
