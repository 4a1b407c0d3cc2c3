from django.db import migrations

from accounts.roles import sync_roles


def update_roles(apps, schema_editor):
    sync_roles(apps)


class Migration(migrations.Migration):
    """Let admins see and lift sign-in lockouts and remove a lost authenticator app."""

    dependencies = [
        ("accounts", "0003_roles_aliases_and_merges"),
        ("axes", "0010_accessattemptexpiration"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(update_roles, migrations.RunPython.noop)]
