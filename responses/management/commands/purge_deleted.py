from django.conf import settings
from django.core.management.base import BaseCommand

from responses.purge import deleted_items_purge


class Command(BaseCommand):
    help = (
        "Permanently remove responses and files deleted more than DELETED_RETENTION_DAYS ago, with their stored "
        "files, leaving a purge event in the audit trail for each. Celery beat runs the same purge hourly; "
        "running it again, or at the same time, purges nothing twice."
    )

    def handle(self, *args, **options) -> None:
        result = deleted_items_purge()
        self.stdout.write(
            f"Purged {result.responses} responses and {result.attachments} files deleted more than "
            f"{settings.DELETED_RETENTION_DAYS} days ago ({len(result.files)} stored files removed)."
        )
