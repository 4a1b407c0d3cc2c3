"""Response packs over the REST API: request one, follow its status, download it (routed in config.api)."""

import django_filters
from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response as ApiResponse

from consultations.models import Consultation
from exports.filters import DEFAULT_STATUSES, PackFilterSet
from exports.models import ExportFormat, ExportJob, ExportStatus
from exports.services import export_job_request

JOB_EXAMPLE = {
    "id": 8,
    "consultation": 3,
    "format": "zip",
    "include_attachments": True,
    "filters": {"status": ["received", "submitted"], "kind": ["company", "ngo"]},
    "status": "done",
    "stage": "",
    "percent_done": 100,
    "progress_done": 12,
    "progress_total": 12,
    "file_size": 1843221,
    "checksum": "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592",
    "error": "",
    "requested_by": "admin",
    "created_at": "2016-02-01T09:00:00Z",
    "started_at": "2016-02-01T09:00:01Z",
    "finished_at": "2016-02-01T09:00:40Z",
    "expires_at": "2016-02-08T09:00:40Z",
    "download_url": "/api/v1/export-jobs/8/download/",
}


class ExportJobSerializer(serializers.ModelSerializer):
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    percent_done = serializers.IntegerField(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "consultation",
            "format",
            "include_attachments",
            "filters",
            "status",
            "stage",
            "percent_done",
            "progress_done",
            "progress_total",
            "file_size",
            "checksum",
            "error",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
            "expires_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, job: ExportJob) -> str | None:
        return f"/api/v1/export-jobs/{job.pk}/download/" if job.is_downloadable else None


class PackFiltersSerializer(serializers.Serializer):
    status = serializers.ListField(child=serializers.CharField(), required=False, help_text="Response statuses.")
    kind = serializers.ListField(child=serializers.CharField(), required=False, help_text="Organisation kinds.")
    country = serializers.ListField(child=serializers.CharField(), required=False, help_text="ISO 3166 codes.")
    topic = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="Topics on which a position was taken."
    )
    received_from = serializers.DateField(required=False)
    received_to = serializers.DateField(required=False)


class ExportJobCreateSerializer(serializers.Serializer):
    consultation = serializers.PrimaryKeyRelatedField(queryset=Consultation.objects.all())
    format = serializers.ChoiceField(choices=ExportFormat.choices, default=ExportFormat.ZIP)
    include_attachments = serializers.BooleanField(default=True, help_text="Only a ZIP holds the original files.")
    filters = PackFiltersSerializer(
        required=False, help_text="Which responses go in; left out: received and submitted ones."
    )

    def validate(self, attrs: dict) -> dict:
        raw = dict(self.initial_data.get("filters") or {}) if isinstance(self.initial_data, dict) else {}
        data = {key: [str(item) for item in value] if isinstance(value, list) else value for key, value in raw.items()}
        data.setdefault("status", list(DEFAULT_STATUSES))
        # The same FilterSet as the request page and the worker, so the API cannot mean something else.
        filterset = PackFilterSet(data, consultation=attrs["consultation"])
        if not filterset.is_valid():
            raise serializers.ValidationError(
                {"filters": {name: list(errors) for name, errors in filterset.form.errors.items()}}
            )
        attrs["filters_json"] = filterset.to_json()
        return attrs


class ExportJobApiFilter(django_filters.FilterSet):
    consultation = django_filters.NumberFilter(field_name="consultation_id")
    status = django_filters.MultipleChoiceFilter(choices=ExportStatus.choices)

    class Meta:
        model = ExportJob
        fields = ["consultation", "status", "format"]


@extend_schema_view(
    list=extend_schema(
        summary="List response packs",
        description="Admins: every pack requested, newest first, with its status and progress.",
        examples=[OpenApiExample("A finished pack", value=JOB_EXAMPLE, response_only=True)],
    ),
    retrieve=extend_schema(
        summary="Follow a pack",
        description="The status (queued, running, done, failed, cancelled) and progress of one pack; poll it.",
        examples=[OpenApiExample("A finished pack", value=JOB_EXAMPLE, response_only=True)],
    ),
)
class ExportJobViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    filterset_class = ExportJobApiFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-pk"]
    queryset = ExportJob.objects.select_related("requested_by")

    def get_serializer_class(self):
        return ExportJobCreateSerializer if self.action == "create" else ExportJobSerializer

    @extend_schema(
        summary="Request a response pack",
        description=(
            "Admins. The pack is built in the background: follow it at its URL until `status` is `done` (then "
            "download it) or `failed` (with the reason in `error`). Webhooks subscribed to `pack.ready` are told "
            "when it is done."
        ),
        responses={201: ExportJobSerializer},
        examples=[
            OpenApiExample(
                "Companies' and NGOs' answers as a ZIP",
                value={"consultation": 3, "format": "zip", "filters": {"kind": ["company", "ngo"]}},
                request_only=True,
            )
        ],
    )
    def create(self, request, *args, **kwargs) -> ApiResponse:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        job = export_job_request(
            consultation=data["consultation"],
            filters=data["filters_json"],
            format=data["format"],
            include_attachments=data["include_attachments"],
            requested_by=request.user,
        )
        job = self.get_queryset().get(pk=job.pk)
        return ApiResponse(ExportJobSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Download a pack",
        description="The built pack, named after the consultation and the day it was built.",
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="Not built yet, failed, or expired."),
        },
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None, format=None) -> FileResponse:
        job = self.get_object()
        if not job.is_downloadable:
            raise NotFound(_("This pack has no file to download (not built yet, failed, or expired)."))
        try:
            handle = job.file.open("rb")
        except FileNotFoundError:
            raise NotFound(_("This pack's file is no longer in storage.")) from None
        return FileResponse(handle, as_attachment=True, filename=job.download_name())
