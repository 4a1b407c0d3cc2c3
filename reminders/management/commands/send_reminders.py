import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from reminders.services import reminders_scan


def parse_moment(text: str) -> datetime.datetime:
    """An ISO 8601 moment; without an offset it is read in the server's zone (TIME_ZONE)."""
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"--now must be an ISO 8601 date and time, e.g. 2016-01-24T09:00+01:00, not {text!r}."
        ) from None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, timezone.get_default_timezone())


class Command(BaseCommand):
    help = (
        "Send the deadline reminders that are due, each exactly once, one e-mail per recipient. "
        "Ends with a line 'sent N, skipped M, failed K', counted in reminders "
        "(one per consultation, recipient and day; several may share an e-mail)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--now",
            help="Scan as if it were this moment (ISO 8601; without an offset, in the server's zone).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be sent and skipped; send and record nothing."
        )

    def handle(self, *args, now: str | None, dry_run: bool, verbosity: int, **options) -> None:
        result = reminders_scan(now=parse_moment(now) if now else None, dry_run=dry_run)
        if dry_run or verbosity >= 2:
            for line in result.lines:
                self.stdout.write(line)
        if dry_run:
            self.stdout.write("Dry run: nothing was sent or recorded.")
        self.stdout.write(result.summary())
