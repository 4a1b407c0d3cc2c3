"""Uploaded submissions are checked by their bytes; bad files are refused on the file field by name."""

import hashlib
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from responses.models import Attachment, Response
from responses.uploads import DOCX, ODT, PDF, TXT, check_upload
from tests.factories import (
    ConsultationFactory,
    OrganisationFactory,
    ResponseFactory,
    make_docx,
    make_odt,
    make_pdf,
    make_png,
)

# An ELF header and padding: what a renamed Linux program starts with.
EXECUTABLE = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 200


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def upload(name: str, data: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    # The browser's content type is deliberately a lie in several tests: it must not matter.
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("letter.pdf", make_pdf("Hello"), PDF),
        ("letter.docx", make_docx("Hello"), DOCX),
        ("letter.odt", make_odt("Hello"), ODT),
        ("letter.txt", "Grüße aus Genf\n".encode(), TXT),
        ("letter.txt", "Réponse\n".encode("latin-1"), TXT),
        # The name does not decide: a PDF called .txt is still a PDF.
        ("misnamed.txt", make_pdf("Hello"), PDF),
    ],
)
def test_accepted_types_are_recognised_by_content(name, data, expected):
    """PDF, DOCX, ODT and text are told apart from their bytes, whatever the name or browser says."""
    checked = check_upload(upload(name, data, content_type="application/octet-stream"))
    assert checked.content_type == expected
    assert checked.size == len(data)
    assert checked.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        (make_png(), "wrong_type", "PNG image"),
        (EXECUTABLE, "wrong_type", "is not a PDF, DOCX, ODT or text file"),
        (b"", "empty", "is empty"),
        (b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ngarbage without xref or trailer", "corrupt", "cannot be opened"),
        (make_pdf("Cut short")[:400], "corrupt", "cannot be opened"),
        (b"PK\x03\x04" + b"\x00" * 60, "wrong_type", "is not a PDF"),
    ],
    ids=["png", "executable", "empty", "garbage-pdf", "truncated-pdf", "broken-zip"],
)
def test_bad_files_are_refused_with_their_name(data, code, words):
    """A renamed image or program, an empty file and a damaged PDF are each refused, naming the file."""
    with pytest.raises(ValidationError) as caught:
        check_upload(upload("submission.pdf", data))
    error = caught.value.error_list[0]
    assert error.code == code
    message = error.message % error.params
    assert "“submission.pdf”" in message
    assert words in message


def test_docx_without_its_document_part_is_corrupt():
    """A zip that names itself a Word document but lacks word/document.xml is refused."""
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("word/styles.xml", "<styles/>")
    with pytest.raises(ValidationError) as caught:
        check_upload(upload("letter.docx", out.getvalue()))
    assert caught.value.error_list[0].code == "wrong_type"


def test_oversized_file_is_refused_before_reading(settings):
    """A file over ATTACHMENT_MAX_BYTES is refused with both sizes in the message."""
    settings.ATTACHMENT_MAX_BYTES = 1024
    with pytest.raises(ValidationError) as caught:
        check_upload(upload("big.txt", b"a" * 2048))
    error = caught.value.error_list[0]
    assert error.code == "too_large"
    assert error.message % error.params == "“big.txt” is 2.0\xa0KB; files may be at most 1.0\xa0KB."


# --- Through the log form --------------------------------------------------------------------


def _form_data(consultation, organisation, **extra) -> dict:
    return {
        "consultation": consultation.pk,
        "organisation_mode": "existing",
        "organisation_query": organisation.name,
        "organisation": organisation.pk,
        "channel": "email",
        "received_on": "2016-01-29",
        "summary": "Supports coordination; wants flexibility on reporting.",
        **extra,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("photo.pdf", make_png(), "is not a PDF, DOCX, ODT or text file"),
        ("setup.pdf", EXECUTABLE, "is not a PDF, DOCX, ODT or text file"),
        ("empty.pdf", b"", "is empty"),
        ("broken.pdf", b"%PDF-1.7\nthis is not really a PDF", "cannot be opened"),
    ],
)
def test_log_form_shows_file_errors_on_the_file_field_and_keeps_typed_values(as_user, policy_user, name, data, words):
    """A bad file re-renders the form with the error under the file input; nothing is created."""
    consultation, organisation = ConsultationFactory(), OrganisationFactory(name="Interpol")
    response = as_user(policy_user).post(
        reverse("responses:response-create"),
        {**_form_data(consultation, organisation), "files": [upload("good.txt", b"Fine\n"), upload(name, data)]},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["files"]
    assert any(name in error and words in error for error in form.errors["files"])
    content = response.content.decode()
    # The message sits in the file input's own error block, which the input names in aria-describedby.
    file_errors = re.search(r'<div id="id_files_error" class="invalid-feedback">(.*?)</div>', content, re.S).group(1)
    assert name in file_errors
    assert 'aria-describedby="id_files_helptext id_files_error"' in content
    assert "Supports coordination; wants flexibility on reporting." in content
    assert 'value="2016-01-29"' in content
    assert 'value="Interpol"' in content
    assert "choose the files again" in content
    assert not Response.objects.exists()
    assert not Attachment.objects.exists()


@pytest.mark.django_db
def test_log_form_refuses_an_oversized_file(as_user, policy_user, settings):
    settings.ATTACHMENT_MAX_BYTES = 100
    consultation, organisation = ConsultationFactory(), OrganisationFactory()
    response = as_user(policy_user).post(
        reverse("responses:response-create"),
        {**_form_data(consultation, organisation), "files": [upload("long.txt", b"x" * 101)]},
    )
    assert response.status_code == 200
    assert "“long.txt” is 101\xa0bytes; files may be at most 100\xa0bytes." in response.context["form"].errors["files"]
    assert not Response.objects.exists()


@pytest.mark.django_db
def test_original_bytes_and_checksum_are_stored_exactly(as_user, policy_user, django_capture_on_commit_callbacks):
    """The stored file is the upload byte for byte, with its sha256, size, type and original name."""
    consultation, organisation = ConsultationFactory(), OrganisationFactory()
    pdf = make_pdf("Byte for byte.")
    docx = make_docx("Second file.")
    with django_capture_on_commit_callbacks() as callbacks:
        response = as_user(policy_user).post(
            reverse("responses:response-create"),
            {
                **_form_data(consultation, organisation),
                "files": [upload("Lettre à l'UIT.pdf", pdf, "text/plain"), upload("annex.docx", docx)],
            },
        )
    assert response.status_code == 302
    logged = Response.objects.get()
    stored = {attachment.original_name: attachment for attachment in logged.attachments.all()}
    assert set(stored) == {"Lettre à l'UIT.pdf", "annex.docx"}
    for name, data, content_type in [("Lettre à l'UIT.pdf", pdf, PDF), ("annex.docx", docx, DOCX)]:
        attachment = stored[name]
        with attachment.file.open("rb") as f:
            assert f.read() == data
        assert attachment.sha256 == hashlib.sha256(data).hexdigest()
        assert attachment.size == len(data)
        assert attachment.content_type == content_type
        assert attachment.uploaded_by == policy_user
    # One extraction queued per file and one recomputation of the consultation's campaigns, after the commit
    # (besides the batched refresh of search vectors).
    assert len([callback for callback in callbacks if not hasattr(callback, "batch_key")]) == 3


@pytest.mark.django_db
def test_download_serves_the_original_as_an_attachment(as_user, reviewer_user):
    """The download is the original bytes, under its original name, as an attachment."""
    from tests.factories import AttachmentFactory

    data = make_pdf("Download me")
    attachment = AttachmentFactory(data=data, original_name="Réponse Interpol.pdf", content_type=PDF)
    response = as_user(reviewer_user).get(reverse("responses:attachment-download", args=[attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert response["Content-Type"] == PDF
    assert response["Content-Disposition"].startswith("attachment;")
    assert "R%C3%A9ponse%20Interpol.pdf" in response["Content-Disposition"]


@pytest.mark.django_db
def test_files_are_added_to_an_existing_response(as_user, policy_user, django_capture_on_commit_callbacks):
    """More files can be uploaded to a logged response; bad ones are refused on the field."""
    logged = ResponseFactory()
    client = as_user(policy_user)
    url = reverse("responses:attachment-add", args=[logged.pk])
    with django_capture_on_commit_callbacks() as callbacks:
        ok = client.post(url, {"files": [upload("annex.odt", make_odt("Annex"))]})
    assert ok.status_code == 302
    assert ok["Location"].endswith(f"/responses/{logged.pk}/#attachments")
    assert logged.attachments.get().content_type == ODT
    assert len(callbacks) == 1

    bad = client.post(url, {"files": [upload("virus.pdf", EXECUTABLE)]})
    assert bad.status_code == 200
    assert "“virus.pdf” is not a PDF" in bad.content.decode()
    assert logged.attachments.count() == 1

    missing = client.post(url, {})
    assert missing.status_code == 200
    assert missing.context["attach_form"].errors["files"]
