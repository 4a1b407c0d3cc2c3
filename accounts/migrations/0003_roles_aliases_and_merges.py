from django.db import migrations

from accounts.roles import sync_roles


def update_roles(apps, schema_editor):
    sync_roles(apps)


class Migration(migrations.Migration):
    """Give the roles the permissions on organisation aliases and the merge log."""

    dependencies = [
        ("accounts", "0002_roles"),
        ("stakeholders", "0002_aliases_and_merges"),
    ]

    operations = [migrations.RunPython(update_roles, migrations.RunPython.noop)]
