"""Responses (with answers and positions), attachments and comments over the REST API (routed in config.api).

Changes go through responses.services, as on the pages: a received submission's details and
coding through response_update_details and response_code, our drafts through draft_save, each
refusing an edit started from a version that is no longer current. A client names the version it
read either with If-Match (the ETag of the response; a mismatch is answered 412) or with a
`version` field (a mismatch is answered 409); both answers carry the response as it is now.
"""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response as ApiResponse

from accounts.api import Conflict, PreconditionFailed, etag_for, expected_version
from consultations.models import Consultation
from responses import rules, services
from responses.models import (
    Answer,
    Attachment,
    Channel,
    Comment,
    ExtractionStatus,
    Position,
    Response,
    ResponseStatus,
    Stance,
)
from responses.uploads import check_upload
from stakeholders.models import Organisation

ANSWER_EXAMPLE = {"id": 31, "question": 7, "question_number": "1", "text": "Broadly yes, with two gaps."}
POSITION_EXAMPLE = {
    "id": 55,
    "topic": 9,
    "topic_name": "Multi-stakeholder model",
    "stance": "supports",
    "summary": "Supports a multi-stakeholder model of coordination.",
    "quote": "We believe a multi-stakeholder approach is essential.",
}
ATTACHMENT_EXAMPLE = {
    "id": 18,
    "response": 21,
    "original_name": "facebook-letter.pdf",
    "content_type": "application/pdf",
    "size": 48213,
    "sha256": "9f2c4e0a8b1d3f5e7a9c0b2d4f6e8a1c3e5b7d9f1a3c5e7b9d1f3a5c7e9b1d3f",
    "extraction_status": "done",
    "extraction_error": "",
    "extracted_text": "Dear colleagues, ...",
    "uploaded_by": "policy",
    "uploaded_at": "2016-01-29T11:04:00Z",
    "download_url": "/api/v1/attachments/18/download/",
}
RESPONSE_EXAMPLE = {
    "id": 21,
    "consultation": 3,
    "organisation": 12,
    "organisation_name": "Facebook",
    "status": "received",
    "channel": "letter",
    "received_on": "2016-01-29",
    "submitted_at": None,
    "summary": "Supports coordination; opposes prescriptive reporting mandates.",
    "body": "",
    "owner": "policy",
    "version": 3,
    "answers": [ANSWER_EXAMPLE],
    "positions": [POSITION_EXAMPLE],
    "attachments": [ATTACHMENT_EXAMPLE],
    "created_at": "2016-01-29T11:04:00Z",
    "updated_at": "2016-02-02T15:20:00Z",
}
COMMENT_EXAMPLE = {
    "id": 4,
    "response": 30,
    "author": "reviewer",
    "body": "Can we cite the 2015 report here?",
    "parent": None,
    "anchor_version": 2,
    "anchor_paragraph": 1,
    "anchor_text": "Our second paragraph.",
    "resolved": False,
    "created_at": "2016-01-20T10:00:00Z",
}


def error_example(code: str, message: str, **extra) -> OpenApiExample:
    return OpenApiExample(
        code, value={"error": {"code": code, "message": message, "fields": {}, **extra}}, response_only=True
    )


# --- Reading ---------------------------------------------------------------------------------


class AnswerSerializer(serializers.ModelSerializer):
    question_number = serializers.CharField(source="question.number", read_only=True)

    class Meta:
        model = Answer
        fields = ["id", "question", "question_number", "text"]


class PositionSerializer(serializers.ModelSerializer):
    topic_name = serializers.CharField(source="topic.name", read_only=True)

    class Meta:
        model = Position
        fields = ["id", "topic", "topic_name", "stance", "summary", "quote"]


class AttachmentSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "response",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "extraction_status",
            "extraction_error",
            "extracted_text",
            "uploaded_by",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, attachment: Attachment) -> str:
        return f"/api/v1/attachments/{attachment.pk}/download/"


class ResponseSerializer(serializers.ModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    answers = AnswerSerializer(many=True, read_only=True)
    positions = PositionSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Response
        fields = [
            "id",
            "consultation",
            "organisation",
            "organisation_name",
            "status",
            "channel",
            "received_on",
            "submitted_at",
            "summary",
            "body",
            "owner",
            "version",
            "answers",
            "positions",
            "attachments",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


# --- Writing ---------------------------------------------------------------------------------


class AnswerInputSerializer(serializers.Serializer):
    question = serializers.IntegerField(help_text="A question of the response's consultation.")
    text = serializers.CharField(allow_blank=True, help_text="Empty removes the answer.")


class PositionInputSerializer(serializers.Serializer):
    topic = serializers.IntegerField(help_text="A topic of the response's consultation.")
    stance = serializers.ChoiceField(
        choices=Stance.choices, allow_blank=True, allow_null=True, help_text="Empty or null removes the position."
    )
    summary = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")
    quote = serializers.CharField(allow_blank=True, required=False, default="")


def _coding(consultation: Consultation, answers: list[dict] | None, positions: list[dict] | None) -> tuple:
    """Answers and positions as the services take them (keyed by question and topic), checked against the
    consultation; raises a ValidationError naming the field."""
    errors = {}
    answer_map = position_map = None
    if answers is not None:
        known = set(consultation.questions.values_list("pk", flat=True))
        if unknown := sorted({answer["question"] for answer in answers} - known):
            errors["answers"] = [_("Question %(id)s is not a question of this consultation.") % {"id": unknown[0]}]
        answer_map = {answer["question"]: answer["text"] for answer in answers}
    if positions is not None:
        known = set(consultation.topics.values_list("pk", flat=True))
        if unknown := sorted({position["topic"] for position in positions} - known):
            errors["positions"] = [_("Topic %(id)s is not a topic of this consultation.") % {"id": unknown[0]}]
        position_map = {
            position["topic"]: services.PositionInput(
                position["stance"], position.get("summary", ""), position.get("quote", "")
            )
            if position.get("stance")
            else None
            for position in positions
        }
    if errors:
        raise serializers.ValidationError(errors)
    return answer_map, position_map


class ResponseCreateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[(ResponseStatus.RECEIVED, "Received"), (ResponseStatus.DRAFT, "Draft")],
        default=ResponseStatus.RECEIVED,
        help_text="`received` logs a submission from outside; `draft` starts our own response, owned by you.",
    )
    consultation = serializers.PrimaryKeyRelatedField(queryset=Consultation.objects.all())
    organisation = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all())
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, allow_blank=True, default="")
    received_on = serializers.DateField(required=False, allow_null=True, default=None)
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    body = serializers.CharField(required=False, allow_blank=True, default="", help_text="Markdown; drafts only.")
    answers = AnswerInputSerializer(many=True, required=False)
    positions = PositionInputSerializer(many=True, required=False)
    allow_duplicate = serializers.BooleanField(
        default=False, help_text="Log a second received response from the same organisation to the same consultation."
    )

    def validate(self, attrs: dict) -> dict:
        if attrs["status"] == ResponseStatus.DRAFT and (attrs.get("answers") or attrs.get("positions")):
            raise serializers.ValidationError(
                {"answers": [_("Start the draft first, then code it with a change naming its version.")]}
            )
        if attrs["status"] == ResponseStatus.RECEIVED and attrs.get("body"):
            raise serializers.ValidationError({"body": [_("A received submission has no body; attach its file.")]})
        attrs["answer_map"], attrs["position_map"] = _coding(
            attrs["consultation"], attrs.get("answers"), attrs.get("positions")
        )
        return attrs


class ResponseUpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False, help_text="The version you read; or send If-Match with the ETag instead."
    )
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, allow_blank=True)
    received_on = serializers.DateField(required=False, allow_null=True)
    summary = serializers.CharField(required=False, allow_blank=True)
    body = serializers.CharField(required=False, allow_blank=True, help_text="Markdown; our drafts only.")
    answers = AnswerInputSerializer(many=True, required=False, help_text="Questions left out keep their answers.")
    positions = PositionInputSerializer(many=True, required=False, help_text="Topics left out keep their positions.")


class SubmitSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    submitted_at = serializers.DateTimeField(required=False, help_text="Now when left out.")


class AttachmentUploadSerializer(serializers.Serializer):
    files = serializers.ListField(
        child=serializers.FileField(),
        help_text="PDF, DOCX, ODT or text files, checked by their content; send the field once per file.",
    )


# --- Filters ---------------------------------------------------------------------------------


class ResponseApiFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(
        method="filter_search",
        help_text="Words in the summary, the body, the organisation's name or an attachment's extracted text.",
    )
    consultation = django_filters.NumberFilter(field_name="consultation_id")
    organisation = django_filters.NumberFilter(field_name="organisation_id")
    status = django_filters.MultipleChoiceFilter(choices=ResponseStatus.choices)
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    owner = django_filters.CharFilter(field_name="owner__username", help_text="The owner's username.")
    received_after = django_filters.DateFilter(field_name="received_on", lookup_expr="gte")
    received_before = django_filters.DateFilter(field_name="received_on", lookup_expr="lte")

    class Meta:
        model = Response
        fields = [
            "search",
            "consultation",
            "organisation",
            "status",
            "channel",
            "owner",
            "received_after",
            "received_before",
        ]

    def filter_search(self, queryset, name: str, value: str):
        # The same full-text search as the search page; the list keeps its own (cursor) order.
        return queryset.search(value)


class AttachmentApiFilter(django_filters.FilterSet):
    response = django_filters.NumberFilter(field_name="response_id")
    extraction_status = django_filters.ChoiceFilter(choices=ExtractionStatus.choices)

    class Meta:
        model = Attachment
        fields = ["response", "extraction_status"]


class CommentApiFilter(django_filters.FilterSet):
    response = django_filters.NumberFilter(field_name="response_id")
    author = django_filters.CharFilter(field_name="author__username")
    threads = django_filters.BooleanFilter(
        field_name="parent", lookup_expr="isnull", help_text="true: first comments of threads only."
    )

    class Meta:
        model = Comment
        fields = ["response", "author", "resolved", "threads"]


# --- Views -----------------------------------------------------------------------------------

CONFLICT_RESPONSES = {
    409: OpenApiResponse(
        description="Stale `version` (with the response as it is now), or a step the workflow refuses.",
        examples=[
            error_example(
                "edit_conflict",
                "Someone else saved this response while you were editing it.",
                current=RESPONSE_EXAMPLE,
            )
        ],
    ),
    412: OpenApiResponse(
        description="If-Match names a version that is no longer current; `current` is the response now.",
        examples=[
            error_example("precondition_failed", "The response changed since you read it.", current=RESPONSE_EXAMPLE)
        ],
    ),
    428: OpenApiResponse(description="Neither If-Match nor `version` was sent."),
}
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description='The ETag of the response you read, e.g. "3". Or send `version` in the body.',
)


@extend_schema_view(
    list=extend_schema(
        summary="List responses",
        description=(
            "Every response (received submissions and our own drafts) with its answers, positions and "
            "attachments. `search` finds words in the summary, body, organisation name or extracted text."
        ),
        examples=[OpenApiExample("A received letter", value=RESPONSE_EXAMPLE, response_only=True)],
    ),
    retrieve=extend_schema(
        summary="Read a response",
        description="One response; the ETag header names its version, for If-Match on a later change.",
        examples=[OpenApiExample("A received letter", value=RESPONSE_EXAMPLE, response_only=True)],
    ),
)
class ResponseViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    filterset_class = ResponseApiFilter
    # Cursor pages need a column without NULLs to order by: filter on received_on, order by these.
    ordering_fields = ["created_at", "updated_at"]
    ordering = ["-created_at", "-pk"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return Response.objects.select_related("organisation", "owner").prefetch_related(
            "answers__question", "positions__topic", "attachments__uploaded_by"
        )

    def get_serializer_class(self):
        return {
            "create": ResponseCreateSerializer,
            "partial_update": ResponseUpdateSerializer,
            "submit": SubmitSerializer,
        }.get(self.action, ResponseSerializer)

    @property
    def permission_model(self):
        return Attachment if self.action == "attachments" else None

    def _read(self, pk: int) -> dict:
        return ResponseSerializer(self.get_queryset().get(pk=pk), context=self.get_serializer_context()).data

    def _answer(self, pk: int, code: int = status.HTTP_200_OK) -> ApiResponse:
        data = self._read(pk)
        return ApiResponse(data, status=code, headers={"ETag": etag_for(data["version"])})

    def retrieve(self, request, *args, **kwargs) -> ApiResponse:
        return self._answer(self.get_object().pk)

    @extend_schema(
        summary="Log a submission or start a draft",
        description=(
            "Policy staff and admins. `status: received` logs a submission received from the organisation, "
            "optionally coded at once; a second one from the same organisation to the same consultation is "
            "refused (409) unless `allow_duplicate`. `status: draft` starts our own response. Attach files with "
            "a multipart POST to /api/v1/responses/{id}/attachments/."
        ),
        responses={201: ResponseSerializer, 409: OpenApiResponse(description="A duplicate submission.")},
        examples=[
            OpenApiExample(
                "A letter, coded",
                value={
                    "consultation": 3,
                    "organisation": 12,
                    "channel": "letter",
                    "received_on": "2016-01-29",
                    "summary": "Supports coordination.",
                    "positions": [{"topic": 9, "stance": "supports", "quote": "A multi-stakeholder approach."}],
                },
                request_only=True,
            ),
            OpenApiExample(
                "Our draft",
                value={"status": "draft", "consultation": 3, "organisation": 1, "body": "Our first paragraph."},
                request_only=True,
            ),
        ],
    )
    def create(self, request, *args, **kwargs) -> ApiResponse:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            if data["status"] == ResponseStatus.DRAFT:
                response = services.draft_create(
                    consultation=data["consultation"],
                    organisation=data["organisation"],
                    by=request.user,
                    summary=data["summary"],
                    body=data["body"],
                )
            else:
                response = services.response_log_received(
                    consultation=data["consultation"],
                    organisation=data["organisation"],
                    channel=data["channel"],
                    received_on=data["received_on"],
                    summary=data["summary"],
                    logged_by=request.user,
                    answers=data["answer_map"],
                    positions=data["position_map"],
                    allow_duplicate=data["allow_duplicate"],
                )
        except services.DuplicateResponse as exc:
            raise Conflict(
                _(
                    "This organisation already sent a response to this consultation; send allow_duplicate to log another."
                ),
                code="duplicate",
                current=self._read(exc.existing.pk),
            ) from None
        except services.TransitionError as exc:
            raise PermissionDenied(str(exc)) from None
        return self._answer(response.pk, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a response",
        description=(
            "Policy staff and admins. Name the version you read (If-Match or `version`); a change started "
            "from an older version is refused with the response as it is now, never merged. A received "
            "submission takes `channel`, `received_on`, `summary`, `answers` and `positions`; our drafts "
            "take `body`, `summary`, `answers` and `positions`, and each change is a new version (an approved "
            "draft goes back to review). Answers and positions name their question and topic; an empty text "
            "or stance removes one."
        ),
        parameters=[IF_MATCH],
        responses={200: ResponseSerializer, **CONFLICT_RESPONSES},
        examples=[
            OpenApiExample(
                "Code a position",
                value={"version": 3, "positions": [{"topic": 9, "stance": "opposes", "summary": "Wants flexibility."}]},
                request_only=True,
            ),
            OpenApiExample("Edit a draft", value={"body": "Our revised text."}, request_only=True),
        ],
    )
    def partial_update(self, request, *args, **kwargs) -> ApiResponse:
        response = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        version, from_header = expected_version(request, data.get("version"))
        answers, positions = _coding(response.consultation, data.get("answers"), data.get("positions"))
        try:
            if response.is_received:
                self._update_received(response, data, version, answers, positions)
            else:
                self._update_draft(response, data, version, answers, positions)
        except services.ConcurrentEdit as exc:
            stale = PreconditionFailed if from_header else Conflict
            raise stale(str(exc), code="edit_conflict", current=self._read(response.pk)) from None
        except services.TransitionError as exc:
            raise Conflict(str(exc), code="not_allowed_now", current=self._read(response.pk)) from None
        return self._answer(response.pk)

    def _update_received(self, response: Response, data: dict, version: int, answers, positions) -> None:
        if "body" in data:
            raise serializers.ValidationError({"body": [_("A received submission has no body; attach its file.")]})
        with transaction.atomic():
            if {"channel", "received_on", "summary"} & set(data):
                response = services.response_update_details(
                    response=response,
                    expected_version=version,
                    channel=data.get("channel", response.channel),
                    received_on=data.get("received_on", response.received_on),
                    summary=data.get("summary", response.summary),
                )
                version = response.version
            if answers is not None or positions is not None:
                services.response_code(
                    response=response, expected_version=version, answers=answers or {}, positions=positions or {}
                )
            elif version != Response.objects.get(pk=response.pk).version:
                raise services.ConcurrentEdit(
                    _("Someone else saved this response while you were editing it. Read it again to see their changes.")
                )

    def _update_draft(self, response: Response, data: dict, version: int, answers, positions) -> None:
        if {"channel", "received_on"} & set(data):
            raise serializers.ValidationError(
                {"channel": [_("Our drafts get their channel and date when they are submitted.")]}
            )
        if refusal := rules.refusal_to_edit(self.request.user, response):
            raise services.TransitionError(refusal)
        if response.version != version:
            raise services.EditConflict(response)
        services.draft_save(
            response=response,
            by=self.request.user,
            expected_version=version,
            body=data.get("body", response.body),
            summary=data.get("summary", response.summary),
            answers=answers,
            positions=positions,
        )

    @extend_schema(
        summary="Submit an approved draft",
        description=(
            "Policy staff and admins: record that our approved response went to the issuer, how and when. "
            "It is locked from then on, and webhooks subscribed to `response.submitted` are told."
        ),
        responses={200: ResponseSerializer, 409: OpenApiResponse(description="The draft is not approved.")},
        examples=[
            OpenApiExample(
                "By portal", value={"channel": "portal", "submitted_at": "2016-01-30T17:00:00Z"}, request_only=True
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None, format=None) -> ApiResponse:
        response = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.response_submit(
                response=response,
                by=request.user,
                channel=serializer.validated_data["channel"],
                submitted_at=serializer.validated_data.get("submitted_at") or timezone.now(),
            )
        except services.TransitionError as exc:
            raise Conflict(str(exc), code="not_allowed_now", current=self._read(response.pk)) from None
        return self._answer(response.pk)

    @extend_schema(
        methods=["GET"],
        summary="List a response's attachments",
        description="The original files of a response, with their extracted text.",
        responses={200: AttachmentSerializer(many=True)},
        examples=[OpenApiExample("A letter", value=[ATTACHMENT_EXAMPLE], response_only=True)],
    )
    @extend_schema(
        methods=["POST"],
        summary="Upload attachments",
        description=(
            "Policy staff and admins. A multipart/form-data POST with one or more `files` fields. Each file is "
            "checked by its content (PDF, DOCX, ODT or plain text, at most ATTACHMENT_MAX_MB), kept byte for "
            "byte with its SHA-256, and its text is extracted in the background (`extraction_status` goes from "
            "`pending` to `done`, `no_text_layer` or `failed`). A refused file refuses the whole upload."
        ),
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={
            201: AttachmentSerializer(many=True),
            400: OpenApiResponse(
                description="A file is not a PDF, DOCX, ODT or text file, is empty or too large.",
                examples=[
                    OpenApiExample(
                        "Not a document",
                        value={
                            "error": {
                                "code": "invalid",
                                "message": "The request has invalid fields; see fields.",
                                "fields": {"files": ["“photo.png” is not a PDF, DOCX, ODT or text file."]},
                            }
                        },
                        response_only=True,
                    )
                ],
            ),
        },
    )
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser], filterset_class=None)
    def attachments(self, request, pk=None, format=None) -> ApiResponse:
        response = self.get_object()
        if request.method == "GET":
            attachments = response.attachments.select_related("uploaded_by")
            return ApiResponse(AttachmentSerializer(attachments, many=True).data)
        uploads = request.FILES.getlist("files") or request.FILES.getlist("file")
        if not uploads:
            raise serializers.ValidationError({"files": [_("Send at least one file in a `files` field.")]})
        checked, problems = [], []
        for upload in uploads:
            try:
                checked.append(check_upload(upload))
            except DjangoValidationError as exc:
                problems.extend(exc.messages)
        if problems:
            raise serializers.ValidationError({"files": problems})
        try:
            added = services.response_attach_files(response=response, files=checked, uploaded_by=request.user)
        except services.TransitionError as exc:
            raise Conflict(str(exc), code="not_allowed_now") from None
        return ApiResponse(AttachmentSerializer(added, many=True).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="List attachments",
        description="Original files of responses, with their extracted text; filter by response.",
        examples=[OpenApiExample("A letter", value=ATTACHMENT_EXAMPLE, response_only=True)],
    ),
    retrieve=extend_schema(
        summary="Read an attachment",
        description="One attachment's details and extracted text (the file itself: its download URL).",
        examples=[OpenApiExample("A letter", value=ATTACHMENT_EXAMPLE, response_only=True)],
    ),
)
class AttachmentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AttachmentSerializer
    filterset_class = AttachmentApiFilter
    ordering_fields = ["uploaded_at", "size", "original_name"]
    ordering = ["-uploaded_at", "-pk"]
    queryset = Attachment.objects.select_related("uploaded_by")

    @extend_schema(
        summary="Download an attachment",
        description="The original file, byte for byte, under the name it was sent with.",
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="Missing."),
        },
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None, format=None) -> FileResponse:
        attachment = self.get_object()
        try:
            stored = attachment.file.open("rb")
        except FileNotFoundError:
            raise NotFound(_("The stored file is missing.")) from None
        return FileResponse(
            stored, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
        )


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)
    response = serializers.PrimaryKeyRelatedField(queryset=Response.objects.all())
    parent = serializers.PrimaryKeyRelatedField(
        queryset=Comment.objects.all(), required=False, allow_null=True, help_text="The thread replied to."
    )

    class Meta:
        model = Comment
        fields = [
            "id",
            "response",
            "author",
            "body",
            "parent",
            "anchor_version",
            "anchor_paragraph",
            "anchor_text",
            "resolved",
            "created_at",
        ]
        read_only_fields = ["author", "anchor_text", "resolved", "created_at"]
        extra_kwargs = {
            "anchor_paragraph": {"help_text": "The paragraph (from 0) of the version commented on; none: the whole."},
            "anchor_version": {"help_text": "The version whose paragraph is meant; the current one when left out."},
        }


@extend_schema_view(
    list=extend_schema(
        summary="List comments",
        description="Review comments on our drafts, threads and replies; filter by response.",
        examples=[OpenApiExample("A comment", value=COMMENT_EXAMPLE, response_only=True)],
    ),
    retrieve=extend_schema(summary="Read a comment", description="One comment."),
)
class CommentViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = CommentSerializer
    filterset_class = CommentApiFilter
    ordering_fields = ["created_at"]
    ordering = ["created_at", "pk"]
    queryset = Comment.objects.select_related("author")

    @extend_schema(
        summary="Comment on a draft",
        description=(
            "The team drafting it and the reviewers asked to review it: a comment on the whole draft, on one "
            "paragraph (`anchor_paragraph`), or a reply (`parent`). @username mentions notify that user. "
            "A reviewer not asked to review the draft is refused (403); comments on a submitted response or "
            "a received submission are refused (409)."
        ),
        examples=[
            OpenApiExample("On a paragraph", value={"response": 30, "body": "Cite the report?", "anchor_paragraph": 1}),
            OpenApiExample("A reply", value={"response": 30, "body": "Done.", "parent": 4}, request_only=True),
        ],
    )
    def create(self, request, *args, **kwargs) -> ApiResponse:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        response = data["response"]
        if refusal := rules.refusal_to_comment(request.user, response):
            if response.is_received or response.is_locked:
                raise Conflict(refusal, code="not_allowed_now")
            # Not one of the people drafting or asked to review it: a matter of who, not of when.
            raise PermissionDenied(refusal)
        try:
            comment = services.comment_add(
                response=data["response"],
                by=request.user,
                body=data["body"],
                parent=data.get("parent"),
                anchor_version=data.get("anchor_version"),
                anchor_paragraph=data.get("anchor_paragraph"),
            )
        except services.TransitionError as exc:
            raise Conflict(str(exc), code="not_allowed_now") from None
        return ApiResponse(self.get_serializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Resolve a thread",
        description="Mark a thread (its first comment) resolved; those who may comment may resolve.",
        request=None,
        responses={200: CommentSerializer, 409: OpenApiResponse(description="Not a thread, or comments closed.")},
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None, format=None) -> ApiResponse:
        return self._set_resolved(resolved=True)

    @extend_schema(
        summary="Reopen a thread",
        description="Mark a resolved thread open again.",
        request=None,
        responses={200: CommentSerializer, 409: OpenApiResponse(description="Not a thread, or comments closed.")},
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None, format=None) -> ApiResponse:
        return self._set_resolved(resolved=False)

    @property
    def permission_model(self):
        # Resolving is taking part in the review, which needs the right to comment, not to edit comments.
        return Comment if self.action in {"resolve", "reopen"} else None

    def _set_resolved(self, *, resolved: bool) -> ApiResponse:
        comment = self.get_object()
        if refusal := rules.refusal_to_resolve(self.request.user, comment):
            response = comment.response
            if comment.parent_id is not None or response.is_received or response.is_locked:
                raise Conflict(refusal, code="not_allowed_now")
            # As for adding a comment: not one of the people drafting or reviewing it is a matter of who.
            raise PermissionDenied(refusal)
        change = services.comment_resolve if resolved else services.comment_reopen
        change(comment=comment, by=self.request.user)
        comment.refresh_from_db()
        return ApiResponse(self.get_serializer(comment).data)
