from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.defaultfilters import filesizeformat

from consultations.models import Consultation
from exports.filters import DEFAULT_STATUSES
from exports.models import ExportFormat
from exports.pack import PackError
from exports.services import export_pack_write
from responses.models import ResponseStatus


class Command(BaseCommand):
    help = (
        "Write a consultation's response pack to a file, as the web's export does: a ZIP with everything, "
        "or one format alone. The file appears only once it is complete."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("consultation", metavar="CONSULTATION_SLUG", help="The consultation's slug.")
        parser.add_argument("--output", "-o", required=True, type=Path, metavar="FILE", help="Where to write the pack.")
        parser.add_argument(
            "--format",
            choices=ExportFormat.values,
            default=ExportFormat.ZIP,
            help="zip (default), pdf, docx, xlsx or csv.",
        )
        parser.add_argument(
            "--no-attachments", action="store_true", help="Leave the original attachments out of a ZIP pack."
        )
        parser.add_argument(
            "--status",
            action="append",
            choices=ResponseStatus.values,
            help="Only responses with this status (repeat for several). Default: received and submitted.",
        )
        parser.add_argument("--all-statuses", action="store_true", help="Responses of every status, drafts included.")

    def handle(self, *args, **options) -> None:
        slug = options["consultation"]
        consultation = Consultation.objects.select_related("issuer").filter(slug=slug).first()
        if consultation is None:
            known = ", ".join(Consultation.objects.order_by("slug").values_list("slug", flat=True)[:10])
            raise CommandError(f"No consultation has the slug {slug!r}. Known slugs: {known or 'none yet'}.")
        output: Path = options["output"]
        if output.is_dir():
            raise CommandError(f"{output} is a folder; give the path of the file to write.")
        statuses = [] if options["all_statuses"] else (options["status"] or DEFAULT_STATUSES)
        try:
            built = export_pack_write(
                consultation=consultation,
                output=output,
                format=options["format"],
                include_attachments=not options["no_attachments"],
                filters={"status": statuses} if statuses else {},
            )
        except PackError as exc:
            raise CommandError(str(exc)) from None
        counts = built.counts
        self.stdout.write(
            self.style.SUCCESS(f"Wrote {built.path} ({filesizeformat(built.size)}, sha256 {built.sha256}).")
        )
        self.stdout.write(
            f"{counts.responses} responses from {counts.organisations} organisations, {counts.positions} positions, "
            f"{counts.answers} answers, {counts.attachments} attachments."
        )
