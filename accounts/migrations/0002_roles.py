from django.db import migrations

from accounts.roles import sync_roles


def create_roles(apps, schema_editor):
    sync_roles(apps)


class Migration(migrations.Migration):
    """Create the groups Policy staff, Reviewer and Admin with their permissions."""

    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("stakeholders", "0001_initial"),
        ("consultations", "0001_initial"),
        ("responses", "0001_initial"),
        ("exports", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
