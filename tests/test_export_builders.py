"""The files of a response pack, opened with the libraries a reader's software would use."""

import csv
import hashlib
import io
import json
import re
import zipfile
from pathlib import Path

import docx
import openpyxl
import pypdf
import pytest
from django.core.management import CommandError, call_command
from django.template.loader import render_to_string

from exports.builders import pack_pdf
from exports.builders.attachments import AttachmentNamer, safe_filename
from exports.builders.bundle import build_pack
from exports.models import ExportFormat
from exports.pack import PackError, PackSource
from exports.templatetags.pack_tags import paragraphs
from responses.models import ResponseStatus, Stance
from tests.factories import MULTILINGUAL_ORGANISATIONS, ResponseFactory, make_pack_data

pytestmark = pytest.mark.django_db

NAMES = [name for name, *_ in MULTILINGUAL_ORGANISATIONS]
ANSWERS = [answer for *_, answer in MULTILINGUAL_ORGANISATIONS]
USED_STANCES = [Stance.STRONGLY_SUPPORTS, Stance.SUPPORTS, Stance.NEUTRAL, Stance.OPPOSES, Stance.STRONGLY_OPPOSES]


@pytest.fixture
def data(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_pack_data()


def build(data, fmt, tmp_path, *, include_attachments=True, filters=None) -> Path:
    workdir = tmp_path / f"build-{fmt}"
    workdir.mkdir()
    source = PackSource(consultation=data["consultation"], filters=filters or {})
    return build_pack(source, fmt=fmt, include_attachments=include_attachments, workdir=workdir).path


def flat(text: str) -> str:
    """PDF text with its line breaks and hyphenation undone, for searching."""
    return re.sub(r"\s+", " ", text)


def test_zip_pack_holds_every_file_and_the_manifest_checksums_match(data, tmp_path):
    """Each file listed in manifest.json is in the ZIP with exactly the bytes and SHA-256 stated."""
    with zipfile.ZipFile(build(data, ExportFormat.ZIP, tmp_path)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        names = set(archive.namelist())
        for entry in manifest["files"]:
            content = archive.read(entry["path"])
            assert len(content) == entry["bytes"]
            assert hashlib.sha256(content).hexdigest() == entry["sha256"]

    listed = {entry["path"] for entry in manifest["files"]}
    assert {"pack.pdf", "pack.docx", "responses.xlsx", "responses.csv"} <= listed
    assert len([p for p in listed if p.startswith("attachments/")]) == 4
    assert names == listed | {"manifest.json"}
    assert manifest["counts"] == {
        "responses": 4,
        "organisations": 4,
        "positions": 9,
        "answers": 6,
        "attachments": 4,
        "attachment_bytes": sum(a.size for a in data["attachments"]),
    }
    assert manifest["consultation"]["slug"] == "protection-des-mineurs"
    assert manifest["version"] == "0.1.0"
    assert manifest["generated_at"]
    assert manifest["filters"] == {}


def test_pdf_holds_every_organisation_stance_and_answer_in_every_script(data, tmp_path):
    """French, Arabic and Chinese names and answers come out of the PDF as text, with every stance."""
    reader = pypdf.PdfReader(build(data, ExportFormat.PDF, tmp_path))
    text = flat("\n".join(page.extract_text() for page in reader.pages))

    for name in NAMES:
        assert name in text, name
    for answer in ANSWERS:
        assert answer in text, answer
    for stance in USED_STANCES:
        assert str(stance.label) in text
    assert "Consultation publique : protection des mineurs en ligne" in text
    assert "Which reporting duties?" in text
    # Checksums wrap over lines in their narrow column.
    for attachment in data["attachments"]:
        assert attachment.sha256 in text.replace(" ", "")


def test_pdf_has_a_cover_contents_with_page_numbers_and_page_x_of_y(data, tmp_path):
    """The contents list each chapter and response with a page number; each page says "Page X of Y"."""
    reader = pypdf.PdfReader(build(data, ExportFormat.PDF, tmp_path))
    pages = [flat(page.extract_text()) for page in reader.pages]
    total = len(pages)
    assert total >= 5

    cover = pages[0]
    assert "RESPONSE PACK" in cover.upper()
    assert "CP-2026/7" in cover
    assert "Generated" in cover
    assert "4 responses" in cover or "4responses" in cover.replace(" ", "")

    contents = pages[1]
    assert "Contents" in contents
    for heading in ["Stance matrix", "Responses", "Answers by question", "Appendix: attachments", *NAMES]:
        match = re.search(re.escape(heading) + r"[ .]*(\d+)", contents)
        assert match, heading
        assert 1 < int(match.group(1)) <= total

    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {total}" in page
    # Each page's footer names its chapter (the cover's does not).
    assert f"Page 1 of {total}" in pages[0] and "· Page 1 of" not in pages[0]
    assert f"Contents · Page 2 of {total}" in pages[1]
    for heading in ["Stance matrix", "Responses", "Answers by question", "Appendix: attachments"]:
        assert any(f"{heading} · Page" in page for page in pages), heading


def test_pdf_laid_out_in_parts_numbers_pages_and_bookmarks_across_them(data, tmp_path, monkeypatch):
    """With one response per part, pages still count through, and contents and bookmarks find each response."""
    monkeypatch.setattr(pack_pdf, "PART_TEXT_BUDGET", 1)
    monkeypatch.setattr(pack_pdf, "ROWS_PER_PART", 3)
    reader = pypdf.PdfReader(build(data, ExportFormat.PDF, tmp_path))
    pages = [flat(page.extract_text()) for page in reader.pages]
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page

    bookmarks = {}
    for item in reader.outline:
        items = item if isinstance(item, list) else [item]
        for entry in items:
            bookmarks[entry.title] = reader.get_destination_page_number(entry) + 1
    for name in NAMES:
        listed = int(re.search(re.escape(name) + r"[ .]*(\d+)", pages[1]).group(1))
        assert bookmarks[name] == listed, name
        assert name in pages[listed - 1]
    assert {"Stance matrix", "Responses", "Answers by question", "Question 1", "Appendix: attachments"} <= set(
        bookmarks
    )


def test_docx_has_word_headings_and_the_same_chapters(data, tmp_path):
    """Chapters are Heading 1, responses Heading 2, their parts Heading 3; every name and answer is there."""
    document = docx.Document(build(data, ExportFormat.DOCX, tmp_path))
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]
    level_1 = [text for style, text in headings if style == "Heading 1"]
    level_2 = [text for style, text in headings if style == "Heading 2"]
    assert level_1 == [
        "Contents",
        "Stance matrix",
        "Responses",
        "Answers by question",
        "Appendix: attachments",
    ]
    assert sorted(NAMES) == sorted(level_2[: len(NAMES)])
    assert ("Heading 3", "Positions") in headings

    body = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    for answer in ANSWERS:
        assert answer in body
    for stance in USED_STANCES:
        assert str(stance.label) in body + cells
    for name in NAMES:
        assert name in cells  # the stance matrix

    contents = [p.text for p in document.paragraphs if p.style.name.startswith("TOC")]
    assert contents[:2] == ["Stance matrix", "Responses"]
    assert contents[-1] == "Appendix: attachments"
    assert set(NAMES) <= set(contents)
    xml = document.element.xml
    assert 'TOC \\o "1-2"' in xml
    footer = document.sections[0].footer.paragraphs[0]._p.xml
    assert "NUMPAGES" in footer and "PAGE" in footer


def test_arabic_text_is_marked_right_to_left_in_the_docx(data, tmp_path):
    """A paragraph in Arabic carries Word's bidi mark, so it reads right to left."""
    document = docx.Document(build(data, ExportFormat.DOCX, tmp_path))
    arabic = next(p for p in document.paragraphs if p.text == ANSWERS[1])
    assert arabic._p.pPr is not None and arabic._p.pPr.find(docx.oxml.ns.qn("w:bidi")) is not None


def test_xlsx_has_three_sheets_with_frozen_headers_and_filters(data, tmp_path):
    """Responses (a column per topic and question), Positions and Answers, each filterable."""
    data["responses"][3].summary = '=HYPERLINK("http://evil.example")'
    data["responses"][3].save(update_fields=["summary"])
    workbook = openpyxl.load_workbook(build(data, ExportFormat.XLSX, tmp_path))
    assert workbook.sheetnames == ["Responses", "Positions", "Answers"]

    sheet = workbook["Responses"]
    rows = list(sheet.values)
    header = rows[0]
    assert header[:3] == ("Organisation", "Organisation slug", "Kind")
    assert "Stance: Coordination" in header and "Stance: Data access" in header
    assert any(str(title).startswith("Q1: Which coordination") for title in header)
    assert sorted(row[0] for row in rows[1:]) == sorted(NAMES)
    by_name = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert by_name[NAMES[1]]["Stance: Reporting"] == "Strongly opposes"
    assert by_name[NAMES[3]]["Stance: Coordination"] == "Not addressed"
    assert by_name[NAMES[2]]["Q1: Which coordination model?"] == ANSWERS[2]
    # Text that looks like a formula stays text.
    assert by_name[NAMES[3]]["Summary"].startswith("=HYPERLINK")
    iwf_row = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == NAMES[3])
    assert iwf_row[header.index("Summary")].data_type == "s"

    for name in workbook.sheetnames:
        assert workbook[name].freeze_panes == "A2"
        assert workbook[name].auto_filter.ref.startswith("A1:")
    assert workbook["Responses"].auto_filter.ref.endswith("5")
    positions = list(workbook["Positions"].values)
    assert len(positions) == 1 + 9
    assert {row[2] for row in positions[1:]} == {str(s.label) for s in USED_STANCES} | {"Not addressed"}
    answers = list(workbook["Answers"].values)
    assert len(answers) == 1 + 6
    assert {row[3] for row in answers[1:]} >= set(ANSWERS)


def test_csv_is_utf8_with_a_bom_and_one_row_per_response(data, tmp_path):
    """Excel reads the BOM as UTF-8; every name survives; a formula-like cell is defused."""
    data["responses"][0].summary = "=1+1"
    data["responses"][0].save(update_fields=["summary"])
    raw = build(data, ExportFormat.CSV, tmp_path).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert sorted(row["Organisation"] for row in rows) == sorted(NAMES)
    by_name = {row["Organisation"]: row for row in rows}
    assert by_name[NAMES[0]]["Summary"] == "'=1+1"
    assert by_name[NAMES[0]]["Stance: Coordination"] == "Strongly supports"
    assert by_name[NAMES[1]]["Q1: Which coordination model?"] == ANSWERS[1]
    assert by_name[NAMES[0]]["Received on"] == "2026-01-10"
    assert by_name[NAMES[0]]["Attachments"] == "2"


def test_attachments_are_stored_by_organisation_under_safe_unique_names(data, tmp_path):
    """Clashing names are numbered, unsafe characters replaced, and the bytes are the originals."""
    with zipfile.ZipFile(build(data, ExportFormat.ZIP, tmp_path)) as archive:
        names = sorted(n for n in archive.namelist() if n.startswith("attachments/"))
        assert names == sorted(
            [
                "attachments/federation-francaise-des-telecoms/lettre.pdf",
                "attachments/federation-francaise-des-telecoms/Lettre (2).pdf",
                "attachments/hayat-tanzim-al-ittisalat/رسالة_ النهائية_.txt",
                "attachments/iwf/iwf-response.docx",
            ]
        )
        assert archive.read("attachments/federation-francaise-des-telecoms/Lettre (2).pdf") == (
            b"%PDF-1.4 second letter, same name but for case"
        )


def test_safe_filename_keeps_letters_of_every_script_and_drops_paths():
    """Only the last path part is kept; reserved and unsafe names are made harmless."""
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\x\\rapport: final?.pdf") == "rapport_ final_.pdf"
    assert safe_filename("报告.pdf") == "报告.pdf"
    assert safe_filename("CON.txt") == "_CON.txt"
    assert safe_filename("...") == ""
    assert len(safe_filename("a" * 400 + ".pdf")) <= 150


def test_namer_numbers_clashes_within_a_folder_only(data):
    """The same name in two organisations' folders is no clash."""
    namer = AttachmentNamer()
    first, second = data["attachments"][0], data["attachments"][1]
    second.original_name = first.original_name
    assert namer.path_for(first).endswith("/lettre.pdf")
    assert namer.path_for(second).endswith("/lettre (2).pdf")
    other = data["attachments"][3]
    other.original_name = "lettre.pdf"
    assert namer.path_for(other) == "attachments/iwf/lettre.pdf"


def test_pack_without_attachments_lists_them_in_the_appendix_only(data, tmp_path):
    """Left out of the ZIP, the files still appear in the appendix by name and checksum."""
    with zipfile.ZipFile(build(data, ExportFormat.ZIP, tmp_path, include_attachments=False)) as archive:
        assert not [n for n in archive.namelist() if n.startswith("attachments/")]
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["include_attachments"] is False
        reader = pypdf.PdfReader(io.BytesIO(archive.read("pack.pdf")))
    text = flat("\n".join(page.extract_text() for page in reader.pages))
    assert "iwf-response.docx" in text
    assert data["attachments"][3].sha256 in text.replace(" ", "")


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"kind": ["industry_association"]}, [0, 2]),
        ({"country": ["AE", "GB"]}, [1, 3]),
        ({"topic": "data-access"}, [0, 2]),
        ({"received_from": "2026-01-11", "received_to": "2026-01-12"}, [1, 2]),
        ({"status": [ResponseStatus.SUBMITTED]}, []),
    ],
)
def test_filters_choose_the_responses_in_the_pack(data, tmp_path, filters, expected):
    """Kind, country, topic (a stance other than not addressed), dates and status narrow the pack."""
    if filters.get("topic") == "data-access":
        filters = {"topic": [str(data["topics"][2].pk)]}
    path = build(data, ExportFormat.CSV, tmp_path, filters=filters)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert sorted(row["Organisation"] for row in rows) == sorted(NAMES[i] for i in expected)


def test_responses_of_other_consultations_stay_out(data, tmp_path):
    """A pack never includes another consultation's responses."""
    ResponseFactory(organisation__name="Elsewhere Ltd")
    rows = build(data, ExportFormat.CSV, tmp_path).read_text(encoding="utf-8-sig")
    assert "Elsewhere Ltd" not in rows


def test_filters_that_no_longer_apply_stop_the_pack_with_a_reason(data):
    """A stored topic that was deleted since makes the pack fail, rather than silently include all."""
    with pytest.raises(PackError, match="no longer apply"):
        PackSource(consultation=data["consultation"], filters={"topic": ["999999"]})


def test_missing_attachment_file_stops_the_pack_with_a_reason(data, tmp_path):
    """An attachment whose file has vanished from storage is named in the error."""
    attachment = data["attachments"][3]
    attachment.file.storage.delete(attachment.file.name)
    with pytest.raises(PackError, match=r"iwf-response\.docx"):
        build(data, ExportFormat.ZIP, tmp_path)


def test_export_pack_command_writes_the_pack_when_whole(data, tmp_path):
    """The command writes the chosen format to the output path and nothing else beside it."""
    output = tmp_path / "out" / "pack.zip"
    stdout = io.StringIO()
    call_command("export_pack", "protection-des-mineurs", "--output", str(output), stdout=stdout)
    with zipfile.ZipFile(output) as archive:
        assert "manifest.json" in archive.namelist()
        assert any(n.startswith("attachments/") for n in archive.namelist())
    assert "4 responses from 4 organisations" in stdout.getvalue()
    assert [p.name for p in output.parent.iterdir()] == ["pack.zip"]

    output_csv = tmp_path / "out" / "responses.csv"
    call_command(
        "export_pack", "protection-des-mineurs", "--output", str(output_csv), "--format", "csv", stdout=io.StringIO()
    )
    assert output_csv.read_bytes().startswith(b"\xef\xbb\xbf")


def test_export_pack_command_can_leave_attachments_out(data, tmp_path):
    output = tmp_path / "pack.zip"
    call_command("export_pack", "protection-des-mineurs", "-o", str(output), "--no-attachments", stdout=io.StringIO())
    with zipfile.ZipFile(output) as archive:
        assert not [n for n in archive.namelist() if n.startswith("attachments/")]


def test_export_pack_command_names_an_unknown_slug(data, tmp_path):
    """A mistyped slug is refused with the slugs that exist."""
    with pytest.raises(
        CommandError, match=r"No consultation has the slug .nope.\. Known slugs: .*protection-des-mineurs"
    ):
        call_command("export_pack", "nope", "--output", str(tmp_path / "x.zip"))
    assert not (tmp_path / "x.zip").exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One line.", ["One line."]),
        ("First line\nsame paragraph\n\n\nSecond paragraph.", ["First line\nsame paragraph", "Second paragraph."]),
        ("Windows\r\n\r\nline ends\r\n", ["Windows", "line ends"]),
        ("\n\n  \n\n", []),
        ("", []),
    ],
)
def test_pack_paragraphs_split_at_blank_lines(text, expected):
    assert paragraphs(text) == expected


def test_pack_response_sections_give_each_paragraph_its_own_escaped_p():
    response = ResponseFactory(summary="<b>Bold</b> claim\n\nSecond & last")
    html = render_to_string(
        "exports/_pack_responses.html", {"responses": [response], "topics": [], "include_attachments": False}
    )
    assert '<p dir="ltr">&lt;b&gt;Bold&lt;/b&gt; claim</p><p dir="ltr">Second &amp; last</p>' in html
    assert "<b>Bold</b>" not in html
