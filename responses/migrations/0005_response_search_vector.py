import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations

from stakeholders.search import AddIndexOnPostgres


def backfill(apps, schema_editor) -> None:
    """Index the responses that exist (the same UPDATE the app runs after each change)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    from responses.search import refresh_response_vectors

    refresh_response_vectors()


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
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
