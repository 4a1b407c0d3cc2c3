import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations

from stakeholders.search import AddIndexOnPostgres


class Migration(migrations.Migration):
    dependencies = [
        # The vector is built in the consultation's language and includes the organisation's name.
        ("consultations", "0004_consultation_language"),
        ("responses", "0004_campaigns"),
        ("stakeholders", "0003_organisation_search_vector"),
    ]

    operations = [
        migrations.AddField(
            model_name="response",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(
                editable=False, null=True, verbose_name="search vector"
            ),
        ),
        AddIndexOnPostgres(
            model_name="response",
            index=django.contrib.postgres.indexes.GinIndex(fields=["search_vector"], name="response_search_gin"),
        ),
        # The existing responses are indexed by 0008_soft_delete_and_immutable_audit: the app's UPDATE that
        # builds vectors reads columns added after this migration.
    ]
