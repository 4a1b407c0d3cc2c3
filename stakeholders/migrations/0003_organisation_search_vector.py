import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations

from stakeholders.search import AddIndexOnPostgres


def backfill(apps, schema_editor) -> None:
    """Index the organisations that exist (the same UPDATE the app runs after each change)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    from stakeholders.search import refresh_organisation_vectors

    refresh_organisation_vectors()


class Migration(migrations.Migration):
    dependencies = [
        ("stakeholders", "0002_aliases_and_merges"),
    ]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(
                editable=False, null=True, verbose_name="search vector"
            ),
        ),
        AddIndexOnPostgres(
            model_name="organisation",
            index=django.contrib.postgres.indexes.GinIndex(fields=["search_vector"], name="organisation_search_gin"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
