import django.db.models.deletion
import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("responses", "0005_response_search_vector"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SavedSearch",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=200, verbose_name="name")),
                ("query", models.CharField(blank=True, max_length=500, verbose_name="search")),
                ("filters", models.JSONField(blank=True, default=dict, verbose_name="filters")),
                (
                    "email_daily",
                    models.BooleanField(
                        default=False,
                        help_text="Once a day, an e-mail listing responses logged since the last one that match this search.",
                        verbose_name="daily e-mail of new matches",
                    ),
                ),
                ("last_emailed_on", models.DateField(blank=True, null=True, verbose_name="last e-mailed on")),
                (
                    "last_emailed_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="new matches counted from"),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated")),
                (
                    "owner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="saved_searches",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="owner",
                    ),
                ),
            ],
            options={
                "verbose_name": "saved search",
                "verbose_name_plural": "saved searches",
                "ordering": ["name", "pk"],
                "constraints": [
                    models.UniqueConstraint(
                        django.db.models.functions.text.Lower("name"),
                        models.F("owner"),
                        name="saved_search_unique_name_per_owner",
                        violation_error_message="You already have a saved search with that name.",
                    )
                ],
            },
        ),
    ]
