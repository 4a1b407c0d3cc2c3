import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consultations.models import Consultation


class ExportFormat(models.TextChoices):
    ZIP = "zip", _("ZIP with everything")
    PDF = "pdf", _("PDF")
    DOCX = "docx", _("Word (DOCX)")
    XLSX = "xlsx", _("Excel (XLSX)")
    CSV = "csv", _("CSV")


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class ExportStage(models.TextChoices):
    """What a running build is writing now, shown next to the progress bar."""

    PDF = "pdf", _("Writing pack.pdf")
    DOCX = "docx", _("Writing pack.docx")
    XLSX = "xlsx", _("Writing responses.xlsx")
    CSV = "csv", _("Writing responses.csv")
    ATTACHMENTS = "attachments", _("Copying attachments")
    BUNDLE = "bundle", _("Packing the ZIP file")
    STORING = "storing", _("Saving the pack")


def pack_upload_to(job: "ExportJob", filename: str) -> str:
    # One folder per job, so a retry can find and delete whatever an interrupted save left behind.
    return f"exports/{job.pk}/{filename}"


class ExportJobQuerySet(models.QuerySet):
    def active(self) -> "ExportJobQuerySet":
        return self.filter(status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING])

    def expired(self, now: datetime.datetime | None = None) -> "ExportJobQuerySet":
        """Packs whose file is past its expiry and still in storage."""
        return self.filter(status=ExportStatus.DONE, expires_at__lte=now or timezone.now()).exclude(file="")

    def silent_since(self, moment: datetime.datetime) -> "ExportJobQuerySet":
        """Running jobs whose worker has not been heard from since `moment`."""
        return self.filter(status=ExportStatus.RUNNING).filter(
            models.Q(heartbeat_at__lt=moment) | models.Q(heartbeat_at__isnull=True)
        )


class ExportJob(models.Model):
    """A request for a response pack and the state of building it."""

    consultation = models.ForeignKey(
        Consultation, verbose_name=_("consultation"), on_delete=models.CASCADE, related_name="export_jobs"
    )
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    format = models.CharField(_("format"), max_length=8, choices=ExportFormat.choices, default=ExportFormat.ZIP)
    include_attachments = models.BooleanField(_("include attachments"), default=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="export_jobs",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ExportStatus.choices, default=ExportStatus.QUEUED, db_index=True
    )
    stage = models.CharField(_("stage"), max_length=16, choices=ExportStage.choices, blank=True)
    progress_done = models.PositiveIntegerField(_("items done"), default=0)
    progress_total = models.PositiveIntegerField(_("items in all"), default=0)
    file = models.FileField(_("file"), upload_to=pack_upload_to, max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField(_("size in bytes"), null=True, blank=True)
    checksum = models.CharField(_("SHA-256"), max_length=64, blank=True)
    error = models.TextField(_("error"), blank=True)
    # Each claim by a worker increments `attempts`; a worker only writes while its attempt is current,
    # so a build that lost its claim (cancelled, or taken over after going silent) stops by itself.
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    heartbeat_at = models.DateTimeField(_("last heard from the worker"), null=True, blank=True)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    objects = ExportJobQuerySet.as_manager()

    # Not stored: set by the request that asked for the build when the task queue could not be reached
    # (exports.services); the job stays queued and is sent again later.
    queue_unavailable = False

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress_done__lte=models.F("progress_total")),
                name="exportjob_progress_within_total",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_format_display()} pack of {self.consultation} ({self.get_status_display()})"

    @property
    def percent_done(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        if not self.progress_total:
            return 0
        return round(100 * self.progress_done / self.progress_total)

    @property
    def is_active(self) -> bool:
        return self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)

    @property
    def can_cancel(self) -> bool:
        return self.is_active

    @property
    def can_retry(self) -> bool:
        return self.status in (ExportStatus.FAILED, ExportStatus.CANCELLED)

    @property
    def is_expired(self) -> bool:
        """Done, but its file has been deleted (or is due to be) because it passed its expiry."""
        if self.status != ExportStatus.DONE:
            return False
        return not self.file or bool(self.expires_at and self.expires_at <= timezone.now())

    @property
    def is_downloadable(self) -> bool:
        return self.status == ExportStatus.DONE and bool(self.file) and not self.is_expired

    @property
    def extension(self) -> str:
        return str(self.format)

    def download_name(self) -> str:
        """The name a downloaded pack gets: the consultation's slug and the day it was built."""
        day = timezone.localdate(self.finished_at or self.created_at or timezone.now())
        return f"{self.consultation.slug}-pack-{day.isoformat()}.{self.extension}"
