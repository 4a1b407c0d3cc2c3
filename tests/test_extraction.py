"""Text out of real PDF, DOCX, ODT and TXT files, recorded by the Celery task, retried after failure."""

import datetime
import io
import time
from unittest import mock

import pytest
from celery.contrib.testing.tasks import ping  # noqa: F401  (start_worker's ping check needs this task)
from celery.contrib.testing.worker import start_worker
from celery.exceptions import Retry
from django.apps import apps as django_apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role, sync_roles
from config.celery import app
from responses import services
from responses.extraction import extract_text
from responses.models import Attachment, ExtractionStatus
from responses.tasks import extract_attachment_text
from responses.uploads import DOCX, ODT, PDF, TXT, check_upload
from tests.factories import (
    AttachmentFactory,
    ConsultationFactory,
    OrganisationFactory,
    ResponseFactory,
    UserFactory,
    make_docx,
    make_odt,
    make_pdf,
    make_scanned_pdf,
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def eager_tasks(settings):
    """Run queued tasks in the test process, as `make run` does without a broker."""
    previous = app.conf.task_always_eager
    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


# --- The extractors, on real files --------------------------------------------------------------


def test_pdf_with_a_text_layer_yields_its_text_page_by_page():
    """Every page's text comes out, in order."""
    data = make_pdf("We support a multi-stakeholder model.", "We oppose prescriptive reporting mandates.")
    result = extract_text(data, PDF)
    assert result.status == ExtractionStatus.DONE
    assert "We support a multi-stakeholder model." in result.text
    assert result.text.index("multi-stakeholder") < result.text.index("prescriptive")
    assert result.error == ""


def test_scanned_pdf_without_a_text_layer_is_reported_as_such():
    """An image-only PDF is NO_TEXT_LAYER, with a message that says it is scanned."""
    result = extract_text(make_scanned_pdf(), PDF)
    assert result.status == ExtractionStatus.NO_TEXT_LAYER
    assert result.text == ""
    assert "Scanned PDF without a text layer" in result.error


def test_blank_pdf_has_no_text_layer():
    """A PDF whose page is empty yields no text either."""
    assert extract_text(make_pdf(""), PDF).status == ExtractionStatus.NO_TEXT_LAYER


def test_password_protected_pdf_fails_with_a_clear_reason():
    """A PDF that needs a password to open is a failure that says so."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf("Secret"))))
    writer.encrypt(user_password="open-sesame", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    result = extract_text(out.getvalue(), PDF)
    assert result.status == ExtractionStatus.FAILED
    assert "password" in result.error


def test_docx_paragraphs_and_tables_come_out_in_document_order():
    """Paragraphs, then the table's rows with cells separated by tabs, then what follows the table."""
    data = make_docx(
        "Response of Interpol",
        "We support national capacity building.",
        table=[["Topic", "Stance"], ["Reporting", "Supports"]],
    )
    result = extract_text(data, DOCX)
    assert result.status == ExtractionStatus.DONE
    lines = result.text.splitlines()
    assert lines[:2] == ["Response of Interpol", "We support national capacity building."]
    assert "Topic\tStance" in lines
    assert "Reporting\tSupports" in lines
    assert lines[-1] == "End of the table."


def test_odt_headings_paragraphs_and_tables_are_extracted():
    """An OpenDocument text gives its heading, paragraphs and table cells."""
    data = make_odt("Réponse de Telefónica", "Nous soutenons la coordination.", table=[["Sujet", "Position"]])
    result = extract_text(data, ODT)
    assert result.status == ExtractionStatus.DONE
    assert result.text.splitlines() == ["Réponse de Telefónica", "Nous soutenons la coordination.", "Sujet\tPosition"]


def test_utf8_text_is_read_as_utf8():
    """A UTF-8 file, with or without a byte-order mark, keeps its accents and symbols."""
    text = "Réponse — €5 million for hotlines.\r\nSecond line.\n"
    assert extract_text(text.encode("utf-8"), TXT).text == "Réponse — €5 million for hotlines.\nSecond line."
    assert extract_text(b"\xef\xbb\xbf" + text.encode("utf-8"), TXT).text.startswith("Réponse")


def test_latin1_text_falls_back_to_a_legacy_encoding():
    """A Latin-1 file is not valid UTF-8; its accents still come out right."""
    data = "Réponse de la société à la consultation.\nÇa suffit.".encode("latin-1")
    result = extract_text(data, TXT)
    assert result.status == ExtractionStatus.DONE
    assert result.text == "Réponse de la société à la consultation.\nÇa suffit."


def test_utf16_text_with_a_byte_order_mark_is_read():
    assert extract_text("Hello from UTF-16".encode("utf-16"), TXT).text == "Hello from UTF-16"


def test_text_in_no_known_encoding_fails_clearly():
    """Bytes that decode to control characters in every encoding are a failure naming the encodings tried."""
    data = "No mark, UTF-16 little-endian".encode("utf-16-le")
    result = extract_text(data, TXT)
    assert result.status == ExtractionStatus.FAILED
    assert "encoding" in result.error
    assert "UTF-8" in result.error


def test_corrupt_docx_fails_with_the_reason():
    """A file that is not what its type says records a failure instead of raising."""
    result = extract_text(b"PK\x03\x04 not really a zip", DOCX)
    assert result.status == ExtractionStatus.FAILED
    assert result.error.startswith("The file could not be read")


# --- The task and the service ------------------------------------------------------------------


def _attachment(data: bytes, name: str, **kwargs) -> Attachment:
    checked = check_upload(SimpleUploadedFile(name, data))
    return AttachmentFactory(data=data, original_name=name, content_type=checked.content_type, **kwargs)


@pytest.mark.django_db
def test_task_records_text_and_status():
    """The task reads the stored file and records its text, status and time."""
    attachment = _attachment(make_pdf("Interpol supports coordination."), "interpol.pdf")
    assert extract_attachment_text.apply(args=[attachment.pk]).get() == "done"
    attachment.refresh_from_db()
    assert attachment.extraction_status == ExtractionStatus.DONE
    assert "Interpol supports coordination." in attachment.extracted_text
    assert attachment.extracted_at is not None


@pytest.mark.django_db
def test_task_is_idempotent():
    """Running the task again for a done attachment changes nothing."""
    attachment = _attachment(b"First text.\n", "letter.txt")
    extract_attachment_text.apply(args=[attachment.pk]).get()
    Attachment.objects.filter(pk=attachment.pk).update(extracted_text="Edited by hand")
    assert extract_attachment_text.apply(args=[attachment.pk]).get() is None
    attachment.refresh_from_db()
    assert attachment.extracted_text == "Edited by hand"


@pytest.mark.django_db
def test_task_for_a_deleted_attachment_does_nothing():
    assert extract_attachment_text.apply(args=[987654]).get() is None


@pytest.mark.django_db
def test_scanned_pdf_is_recorded_as_without_text_layer():
    attachment = _attachment(make_scanned_pdf(), "scan.pdf")
    extract_attachment_text.apply(args=[attachment.pk]).get()
    attachment.refresh_from_db()
    assert attachment.extraction_status == ExtractionStatus.NO_TEXT_LAYER
    assert "Scanned PDF" in attachment.extraction_error


@pytest.mark.django_db
def test_transient_storage_error_is_retried_then_recorded_as_failure():
    """An unreadable store is retried; after the last retry the attachment says why it failed."""
    attachment = _attachment(b"Text\n", "letter.txt")
    with (
        mock.patch("django.db.models.fields.files.FieldFile.open", side_effect=OSError("storage unreachable")),
        mock.patch.object(extract_attachment_text, "retry", wraps=extract_attachment_text.retry) as retry,
    ):
        extract_attachment_text.apply(args=[attachment.pk], retries=extract_attachment_text.max_retries)
        assert not retry.called
        attachment.refresh_from_db()
        assert attachment.extraction_status == ExtractionStatus.FAILED
        assert "storage unreachable" in attachment.extraction_error

        # Before the last try, the same error asks Celery for another try instead.
        Attachment.objects.filter(pk=attachment.pk).update(extraction_status=ExtractionStatus.PENDING)
        with pytest.raises(Retry):
            extract_attachment_text.apply(args=[attachment.pk], retries=0)
        assert retry.called
        assert retry.call_args.kwargs["countdown"] == 10


@pytest.mark.django_db
def test_retry_queues_extraction_again_and_succeeds(
    as_user, policy_user, eager_tasks, django_capture_on_commit_callbacks
):
    """A failed extraction is retried from the response page with a POST, and this time works."""
    attachment = _attachment(b"Now readable.\n", "letter.txt")
    services.attachment_fail_extraction(attachment_id=attachment.pk, reason="storage was down")
    attachment.refresh_from_db()
    assert attachment.extraction_failed

    client = as_user(policy_user)
    page = client.get(reverse("responses:response-detail", args=[attachment.response_id]))
    assert b"storage was down" in page.content
    assert reverse("responses:attachment-retry", args=[attachment.pk]).encode() in page.content

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("responses:attachment-retry", args=[attachment.pk]))
    assert response.status_code == 302
    attachment.refresh_from_db()
    assert attachment.extraction_status == ExtractionStatus.DONE
    assert attachment.extracted_text == "Now readable."
    assert attachment.extraction_error == ""


@pytest.mark.django_db
def test_retry_of_a_done_extraction_changes_nothing(as_user, policy_user):
    """Only failed (or lost) extractions are queued again."""
    attachment = _attachment(b"Text\n", "letter.txt")
    extract_attachment_text.apply(args=[attachment.pk]).get()
    with mock.patch("responses.tasks.extract_attachment_text.delay") as delay:
        response = as_user(policy_user).post(reverse("responses:attachment-retry", args=[attachment.pk]), follow=True)
    assert not delay.called
    assert b"nothing to retry" in response.content


@pytest.mark.django_db
def test_lost_extraction_may_be_queued_again_after_a_while():
    """An extraction pending far longer than it takes (the task was lost) is offered for retry."""
    attachment = _attachment(b"Text\n", "letter.txt")
    assert not attachment.may_retry_extraction
    Attachment.objects.filter(pk=attachment.pk).update(
        extraction_queued_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    attachment.refresh_from_db()
    assert attachment.may_retry_extraction
    assert services.attachment_retry_extraction(attachment=attachment)


@pytest.mark.django_db
def test_htmx_retry_returns_the_polling_text_panel(as_user, policy_user):
    """Retried with htmx, the answer is the text panel, which polls while extraction is pending."""
    attachment = _attachment(b"Text\n", "letter.txt")
    services.attachment_fail_extraction(attachment_id=attachment.pk, reason="boom")
    with mock.patch("responses.tasks.extract_attachment_text.delay"):
        response = as_user(policy_user).post(
            reverse("responses:attachment-retry", args=[attachment.pk]), HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 200
    assert b'data-hx-trigger="every 2s"' in response.content
    assert "Extracting…".encode() in response.content


@pytest.mark.django_db
def test_text_panel_polls_while_pending_and_stops_when_done(as_user, reviewer_user):
    """The panel carries the every-2s trigger while a file is pending, and drops it once extracted."""
    attachment = _attachment(b"Quote me.\n", "letter.txt")
    url = reverse("responses:response-text", args=[attachment.response_id])
    client = as_user(reviewer_user)
    pending = client.get(url, HTTP_HX_REQUEST="true")
    assert b'data-hx-trigger="every 2s"' in pending.content
    assert "Extracting…".encode() in pending.content
    extract_attachment_text.apply(args=[attachment.pk]).get()
    done = client.get(url, HTTP_HX_REQUEST="true")
    assert b"data-hx-trigger" not in done.content
    assert b"Quote me." in done.content


@pytest.mark.django_db
def test_failure_and_missing_text_layer_are_stated_on_the_response_page(as_user, reviewer_user):
    """Reviewers read why a file has no text, but are not offered to retry."""
    response = ResponseFactory()
    scanned = _attachment(make_scanned_pdf(), "scan.pdf", response=response)
    broken = _attachment(b"Text\n", "broken.txt", response=response)
    extract_attachment_text.apply(args=[scanned.pk]).get()
    services.attachment_fail_extraction(attachment_id=broken.pk, reason="the disk said no")
    page = as_user(reviewer_user).get(reverse("responses:response-detail", args=[response.pk]))
    assert b"Scanned PDF without a text layer." in page.content
    assert b"the disk said no" in page.content
    assert reverse("responses:attachment-retry", args=[broken.pk]).encode() not in page.content


# --- A real worker ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_logged_pdf_is_extracted_by_a_real_worker_through_redis():
    """Logging a submission queues extraction after commit; a worker on the Redis broker does it."""
    assert not app.conf.task_always_eager, "the test run sets CELERY_BROKER_URL"
    # Transactional tests run on a flushed database: the role groups of the data migration are gone.
    sync_roles(django_apps)
    policy_user = UserFactory(role=Role.POLICY_STAFF)
    upload = check_upload(SimpleUploadedFile("letter.pdf", make_pdf("Extracted by the worker.")))
    with start_worker(app, pool="solo", perform_ping_check=True, shutdown_timeout=10):
        response = services.response_log_received(
            consultation=ConsultationFactory(),
            organisation=OrganisationFactory(),
            channel="email",
            received_on=timezone.localdate(),
            files=[upload],
            logged_by=policy_user,
        )
        attachment = response.attachments.get()
        deadline = time.monotonic() + 30
        while attachment.extraction_pending and time.monotonic() < deadline:
            time.sleep(0.2)
            attachment.refresh_from_db()
    assert attachment.extraction_status == ExtractionStatus.DONE
    assert "Extracted by the worker." in attachment.extracted_text
