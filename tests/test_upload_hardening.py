"""Uploads that try to hurt: too large to keep, zip bombs, XML entity tricks, PDFs that eat memory or time."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from responses.extraction import extract_text
from responses.models import Attachment, ExtractionStatus
from responses.upload_handlers import OversizedUpload, SizeLimitUploadHandler
from responses.uploads import DOCX, ODT, PDF, check_upload
from tests.factories import ConsultationFactory, OrganisationFactory, ResponseFactory, make_docx, make_odt, make_pdf

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>&secret;</w:t></w:r></w:p></w:body></w:document>"""


def repack(document: bytes, *, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    """A copy of a DOCX/ODT package with some parts replaced or added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(document)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, (replace or {}).get(item.filename, source.read(item.filename)))
        for name, data in (add or {}).items():
            target.writestr(name, data)
    return out.getvalue()


def zip_bomb_docx() -> bytes:
    """A real DOCX plus a part of 300 MB of zeros that deflates to about 300 KB."""
    out = io.BytesIO(repack(make_docx("A letter.")))
    with (
        zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as package,
        package.open("word/media/image1.bin", "w", force_zip64=True) as part,
    ):
        block = b"\0" * (1024 * 1024)
        for _ in range(300):
            part.write(block)
    return out.getvalue()


def refusal(name: str, data: bytes) -> str:
    with pytest.raises(ValidationError) as caught:
        check_upload(SimpleUploadedFile(name, data))
    return caught.value.message % caught.value.params


def test_a_zip_bomb_docx_is_refused_before_it_is_unpacked():
    bomb = zip_bomb_docx()
    assert len(bomb) < 2 * 1024 * 1024
    message = refusal("bomb.docx", bomb)
    assert "“bomb.docx” looks like a DOCX but cannot be opened" in message
    assert "would unpack to more than 200.0\xa0MB" in message


def test_a_part_compressed_suspiciously_far_is_refused():
    """Under the total limit, one part of 5 MB of zeros (a ratio near 1000) is still refused."""
    data = repack(make_docx("A letter."), add={"word/media/image1.bin": b"\0" * (5 * 1024 * 1024)})
    assert "the part word/media/image1.bin is compressed suspiciously far" in refusal("ratio.docx", data)


def test_a_package_that_unpacks_too_far_is_refused(settings):
    settings.PACKAGE_MAX_UNPACKED_MB = 1
    settings.PACKAGE_MAX_RATIO = 10_000
    data = repack(make_docx("A letter."), add={"word/media/big.bin": b"\0" * (2 * 1024 * 1024)})
    assert "would unpack to more than 1.0\xa0MB" in refusal("big.docx", data)


def test_a_package_of_too_many_parts_is_refused(settings):
    settings.PACKAGE_MAX_MEMBERS = 50
    data = repack(make_odt("Title", "Text"), add={f"Pictures/{n}.png": b"x" for n in range(60)})
    assert "holds 6" in refusal("many.odt", data) and "parts" in refusal("many.odt", data)


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"])
def test_a_docx_with_xml_entities_is_refused(payload):
    data = repack(make_docx("A letter."), replace={"word/document.xml": payload})
    message = refusal("laughs.docx", data)
    assert "the part word/document.xml declares XML entities" in message


def test_an_odt_with_xml_entities_is_refused():
    data = repack(make_odt("Title", "Text"), replace={"content.xml": BILLION_LAUGHS})
    assert "the part content.xml declares XML entities" in refusal("laughs.odt", data)


def test_extraction_refuses_the_same_tricks_even_past_the_upload_check():
    """Defence in depth: a bad package that reached storage some other way is still not parsed."""
    result = extract_text(repack(make_docx("x"), replace={"word/document.xml": BILLION_LAUGHS}), DOCX)
    assert result.status == ExtractionStatus.FAILED
    assert "declares XML entities" in result.error
    result = extract_text(zip_bomb_docx(), DOCX)
    assert result.status == ExtractionStatus.FAILED
    assert "would unpack to more than" in result.error


def test_real_documents_still_pass_and_read():
    assert check_upload(SimpleUploadedFile("a.docx", make_docx("Bonjour", table=[["a", "b"]]))).content_type == DOCX
    assert check_upload(SimpleUploadedFile("a.odt", make_odt("Titre", "Texte"))).content_type == ODT
    assert "Texte" in extract_text(make_odt("Titre", "Texte"), ODT).text


# --- PDF parsing in a child process with a memory and time cap -----------------------------------------------


def test_pdf_text_is_read_in_a_capped_child_process():
    result = extract_text(make_pdf("Supports a multi-stakeholder model."), PDF)
    assert result.status == ExtractionStatus.DONE
    assert "multi-stakeholder" in result.text


def test_a_pdf_needing_more_memory_than_allowed_is_stopped(settings):
    settings.PDF_PARSE_MAX_MEMORY_MB = 16  # too little even to start the parser
    result = extract_text(make_pdf("Text"), PDF)
    assert result.status == ExtractionStatus.FAILED
    assert "needed more than 16 MB of memory and was stopped" in result.error


def test_a_pdf_taking_too_long_is_stopped(settings):
    settings.PDF_PARSE_TIMEOUT_SECONDS = 0
    result = extract_text(make_pdf("Text"), PDF)
    assert result.status == ExtractionStatus.FAILED
    assert "took longer than 0 seconds and was stopped" in result.error


def test_the_extraction_task_has_time_limits(settings):
    from responses.tasks import extract_attachment_text

    assert extract_attachment_text.soft_time_limit > settings.PDF_PARSE_TIMEOUT_SECONDS
    assert extract_attachment_text.time_limit > extract_attachment_text.soft_time_limit


# --- Size limit while the upload streams in ------------------------------------------------------------------


def test_the_handler_keeps_nothing_past_the_limit(settings):
    settings.UPLOAD_MAX_BYTES = 10
    handler = SizeLimitUploadHandler()
    handler.new_file("file", "big.pdf", "application/pdf", 0)
    assert handler.receive_data_chunk(b"x" * 8, 0) == b"x" * 8
    assert handler.receive_data_chunk(b"x" * 8, 8) is None
    assert handler.receive_data_chunk(b"x" * 8, 16) is None
    stand_in = handler.file_complete(24)
    assert isinstance(stand_in, OversizedUpload)
    assert (stand_in.name, stand_in.size, stand_in.read()) == ("big.pdf", 24, b"")


@pytest.mark.django_db
def test_an_oversized_upload_gets_a_form_error_and_the_form_keeps_its_values(as_user, policy_user, settings, tmp_path):
    """Through the real multipart parser: the file is dropped past the limit, the form says why."""
    settings.MEDIA_ROOT = tmp_path
    settings.ATTACHMENT_MAX_BYTES = settings.UPLOAD_MAX_BYTES = 64 * 1024
    consultation, organisation = ConsultationFactory(), OrganisationFactory(name="Interpol")
    big = SimpleUploadedFile("huge.txt", b"y" * (200 * 1024), content_type="text/plain")
    response = as_user(policy_user).post(
        reverse("responses:response-create"),
        {
            "consultation": consultation.pk,
            "organisation_mode": "existing",
            "organisation_query": organisation.name,
            "organisation": organisation.pk,
            "channel": "email",
            "received_on": "2016-01-29",
            "summary": "Kept while the file is refused.",
            "files": [big],
        },
    )
    assert response.status_code == 200
    assert "“huge.txt” is 200.0\xa0KB; files may be at most 64.0\xa0KB." in response.context["form"].errors["files"]
    assert "Kept while the file is refused." in response.content.decode()
    assert not Attachment.objects.exists()


@pytest.mark.django_db
def test_stored_files_get_a_random_name_and_download_under_the_original_as_an_attachment(
    as_user, policy_user, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    logged = ResponseFactory()
    client = as_user(policy_user)
    name = "../../etc/<script>lettre finale?.pdf"
    client.post(
        reverse("responses:attachment-add", args=[logged.pk]),
        {"files": [SimpleUploadedFile(name, make_pdf("Letter"), content_type="application/pdf")]},
    )
    attachment = Attachment.objects.get()
    stored = attachment.file.name
    assert stored.startswith("attachments/") and stored.endswith(".pdf")
    assert "script" not in stored and ".." not in stored and " " not in stored
    response = client.get(reverse("responses:attachment-download", args=[attachment.pk]))
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_media_is_not_served_by_the_app_in_production(settings):
    """Only the permission-checking download view serves uploads; /media/ is not routed without DEBUG."""
    from django.urls import Resolver404, resolve

    assert not settings.DEBUG
    with pytest.raises(Resolver404):
        resolve(f"/{settings.MEDIA_URL}attachments/2026/01/letter.pdf")
