from django.core.management.base import BaseCommand, CommandError

from responses.search import refresh_response_vectors
from stakeholders.search import refresh_organisation_vectors, uses_postgres


class Command(BaseCommand):
    help = (
        "Recompute the full-text search vectors of every organisation and response. Vectors are kept current "
        "after each change; this is for after a bulk change made outside the app (SQL, a restored dump)."
    )

    def handle(self, *args, **options) -> None:
        if not uses_postgres():
            raise CommandError(
                "Full-text search vectors exist on PostgreSQL only; this database searches without them."
            )
        organisations = refresh_organisation_vectors()
        responses = refresh_response_vectors()
        self.stdout.write(f"Reindexed {organisations} organisations and {responses} responses.")
