"""The import machinery every importer shares: reading files, guessing columns, validating rows,
and keeping an upload between the steps only for the session that made it."""

import csv
import datetime
import io
import re
import zipfile

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from stakeholders.importing import (
    Field,
    Importer,
    ImportFileError,
    RowResult,
    parse_boolean,
    parse_choice,
    parse_date,
    parse_email,
    parse_url,
    read_table,
)
from stakeholders.models import Organisation, OrganisationKind

# --------------------------------------------------------------------------------------------
# Helpers shared by the import tests (imported by test_import_organisations and _submissions)
# --------------------------------------------------------------------------------------------


def csv_bytes(rows: list[list[object]], *, delimiter: str = ",", bom: bool = False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode("utf-8-sig" if bom else "utf-8")


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, url: str, content: bytes, name: str = "rows.csv"):
    """Post a file to an upload page; return the response (a redirect to the preview when readable)."""
    return client.post(url, {"file": SimpleUploadedFile(name, content)})


def uploaded_files() -> list[str]:
    """Every file waiting under imports/ in the default storage."""
    if not default_storage.exists("imports"):
        return []
    folders, _files = default_storage.listdir("imports")
    return [
        f"imports/{folder}/{name}" for folder in folders for name in default_storage.listdir(f"imports/{folder}")[1]
    ]


def page_text(response) -> str:
    """The page's text without tags or repeated spaces, to compare with what a person reads."""
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", text)


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Uploads go to a folder of this test, never to var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


# --------------------------------------------------------------------------------------------
# Reading files
# --------------------------------------------------------------------------------------------


def test_reads_a_utf8_csv_with_or_without_byte_order_mark():
    """Excel's "CSV UTF-8" starts with a byte-order mark; the first heading must not carry it."""
    rows = [["Name", "Country"], ["Télécom Café", "FR"]]
    for bom in (False, True):
        table = read_table(csv_bytes(rows, bom=bom), "x.csv")
        assert table.headers == ["Name", "Country"]
        assert table.rows == [(2, ["Télécom Café", "FR"])]


@pytest.mark.parametrize("delimiter", [";", "\t", ","])
def test_sniffs_the_delimiter(delimiter):
    """Semicolons (Excel in much of Europe), tabs and commas are all read into columns."""
    table = read_table(csv_bytes([["Name", "Notes"], ["Acme", "a, b; c"]], delimiter=delimiter), "x.csv")
    assert table.headers == ["Name", "Notes"]
    assert table.rows[0][1] == ["Acme", "a, b; c"]


def test_reads_an_xlsx_workbook_with_numbers_and_dates():
    """Cells keep their types: a date cell is a date, a whole number has no .0."""
    content = xlsx_bytes([["Name", "Received", "Register"], ["Acme", datetime.date(2016, 1, 29), 12345]])
    table = read_table(content, "rows.xlsx")
    assert table.headers == ["Name", "Received", "Register"]
    number, cells = table.rows[0]
    assert number == 2
    assert cells[0] == "Acme"
    assert parse_date(cells[1]) == datetime.date(2016, 1, 29)
    assert cells[2] == 12345


def test_a_latin1_file_is_refused_with_a_message_naming_the_encoding():
    """A file saved in a legacy code page is not guessed at: the user is told how to save it."""
    content = "Name\nSociété Générale\n".encode("latin-1")
    with pytest.raises(ImportFileError) as caught:
        read_table(content, "x.csv")
    assert caught.value.message == "The file is not UTF-8 text: save it as CSV UTF-8 or as XLSX."


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
def test_a_utf16_file_is_refused_even_without_byte_order_mark(encoding):
    """UTF-16 ("Unicode text" in Excel) is refused, also when it has no byte-order mark."""
    with pytest.raises(ImportFileError, match="not UTF-8"):
        read_table("Name\nAcme\n".encode(encoding), "x.csv")


def test_a_damaged_xlsx_is_refused():
    content = xlsx_bytes([["Name"], ["Acme"]])
    with pytest.raises(ImportFileError, match="not an XLSX workbook that can be read"):
        read_table(content[: len(content) // 2], "rows.xlsx")


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/workbook.xml", "xl/styles.xml"])
def test_a_workbook_with_a_damaged_part_is_refused(part):
    """A workbook whose zip is fine but one of whose XML parts is cut short: a message, not an error page."""
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["Name"], ["Acme"]])))
    damaged = io.BytesIO()
    with zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, data[: len(data) // 2] if item.filename == part else data)
    with pytest.raises(ImportFileError, match="damaged"):
        read_table(damaged.getvalue(), "rows.xlsx")


def test_a_csv_renamed_to_xlsx_is_refused():
    with pytest.raises(ImportFileError, match="XLSX"):
        read_table(b"Name\nAcme\n", "rows.xlsx")


def test_an_old_xls_file_is_refused_with_advice():
    with pytest.raises(ImportFileError, match=r"\.xls"):
        read_table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "rows.xls")


@pytest.mark.parametrize("content", [b"", b"  \n\n", b"\xef\xbb\xbf", b",,,\n,,\n"])
def test_an_empty_file_is_refused(content):
    with pytest.raises(ImportFileError, match=r"The file is empty\."):
        read_table(content, "x.csv")


def test_an_empty_workbook_is_refused():
    with pytest.raises(ImportFileError, match=r"The file is empty\."):
        read_table(xlsx_bytes([]), "x.xlsx")


def test_headings_without_rows_are_refused():
    with pytest.raises(ImportFileError, match="column headings but no rows of data"):
        read_table(b"Name,Country\n\n", "x.csv")


def test_a_file_over_the_row_limit_is_refused_and_one_at_the_limit_is_read():
    """10,000 rows are read; 10,001 are refused with a message naming the limit."""
    rows = [["Name"]] + [[f"Org {n}"] for n in range(10_000)]
    assert len(read_table(csv_bytes(rows), "x.csv").rows) == 10_000
    with pytest.raises(ImportFileError, match="more than 10,000 rows"):
        read_table(csv_bytes([*rows, ["One too many"]]), "x.csv")


def test_row_numbers_are_those_a_spreadsheet_shows():
    """The heading is row 1; blank lines count; a quoted line break stays inside one row."""
    content = b'Name,Notes\nAcme,"two\nlines"\n\nBeta,x\n'
    table = read_table(content, "x.csv")
    assert [number for number, _cells in table.rows] == [2, 4]
    assert table.rows[0][1] == ["Acme", "two\nlines"]


def test_blank_columns_at_the_right_are_dropped_and_unnamed_ones_get_a_letter():
    table = read_table(b"Name,,Country,,\nAcme,x,GB,,\n", "x.csv")
    assert table.headers == ["Name", "", "Country"]
    assert table.column_labels == ["Name", "Column B", "Country"]


# --------------------------------------------------------------------------------------------
# Parsing cells
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2016-01-29", datetime.date(2016, 1, 29)),
        ("2016-01-29 10:30:00", datetime.date(2016, 1, 29)),
        ("29/01/2016", datetime.date(2016, 1, 29)),
        ("9/1/2016", datetime.date(2016, 1, 9)),
        (datetime.datetime(2016, 1, 29, 0, 0), datetime.date(2016, 1, 29)),
        (42398, datetime.date(2016, 1, 29)),
    ],
)
def test_dates_are_read_in_iso_european_and_excel_forms(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["01/29/2016", "29 Jan 2016", "2016-02-30", "soon"])
def test_other_dates_are_refused_with_the_accepted_forms(value):
    with pytest.raises(ValidationError):
        parse_date(value)


def test_yes_no_cells():
    assert [parse_boolean(v) for v in ["yes", "No", "TRUE", "false", "1", "0", True, 1]] == [
        True,
        False,
        True,
        False,
        True,
        False,
        True,
        True,
    ]
    with pytest.raises(ValidationError, match="not yes or no"):
        parse_boolean("maybe")


def test_a_choice_accepts_its_value_or_label_in_any_case():
    parse = parse_choice(OrganisationKind)
    assert parse("industry_association") == parse("Industry Association") == parse("INDUSTRY ASSOCIATION")
    assert parse("Intergovernmental body") == OrganisationKind.INTERGOVERNMENTAL
    with pytest.raises(ValidationError, match="“Cartel” is not one of: Company, Industry association"):
        parse("Cartel")


def test_e_mail_and_web_address_cells():
    assert parse_email("a@example.org") == "a@example.org"
    with pytest.raises(ValidationError, match="not a valid e-mail"):
        parse_email("a@")
    assert parse_url("www.example.org") == "https://www.example.org"
    assert parse_url("http://example.org/x") == "http://example.org/x"
    with pytest.raises(ValidationError, match="not a web address"):
        parse_url("not a site")


# --------------------------------------------------------------------------------------------
# Mapping and validating, with a small importer of its own
# --------------------------------------------------------------------------------------------


class PeopleImporter(Importer):
    fields = [
        Field("full_name", "Full name", required=True, synonyms=("person",)),
        Field("email", "E-mail", parse=parse_email, synonyms=("mail",)),
        Field("kind", "Kind", parse=parse_choice(OrganisationKind)),
    ]

    def prepare(self) -> None:
        self.seen: dict[str, int] = {}

    def clean_row(self, row: RowResult) -> None:
        name = row.values["full_name"]
        if name in self.seen:
            row.add_error("full_name", f"Same as row {self.seen[name]}.")
            return
        self.seen[name] = row.number


@pytest.mark.parametrize(
    "headers",
    [
        ["full_name", "email", "kind"],
        ["FULL NAME", "E-Mail", " Kind "],
        ["Full-Name", "e_mail", "KIND"],
        ["Person", "Mail", "kind"],
    ],
)
def test_columns_are_guessed_ignoring_case_spaces_and_underscores_and_from_synonyms(headers):
    mapping = PeopleImporter().guess_mapping(headers)
    assert mapping == {"full_name": 0, "email": 1, "kind": 2}


def test_a_column_is_guessed_for_one_field_only():
    mapping = PeopleImporter().guess_mapping(["Full name", "Full name"])
    assert mapping == {"full_name": 0, "email": None, "kind": None}


def test_a_missing_required_column_is_named():
    importer = PeopleImporter()
    table = read_table(b"Mail,Kind\na@example.org,NGO\n", "x.csv")
    errors = importer.mapping_errors(importer.guess_mapping(table.headers), table)
    assert errors == {"full_name": "The required column “Full name” is missing: choose the column that holds it."}


def test_one_column_cannot_serve_two_fields():
    importer = PeopleImporter()
    table = read_table(b"Name,Mail\nA,a@example.org\n", "x.csv")
    errors = importer.mapping_errors({"full_name": 0, "email": 0, "kind": None}, table)
    assert errors == {"email": "Column “Name” is already chosen for “Full name”."}


def test_every_row_is_validated_with_its_row_number_and_column():
    """Each bad row is reported with the number a spreadsheet shows and the column's heading."""
    content = csv_bytes(
        [
            ["Person", "Mail", "Kind"],
            ["Ann", "ann@example.org", "NGO"],
            ["", "nobody@example.org", ""],
            ["Bob", "bob@", "Cartel"],
            ["Ann", "", ""],
            ["Cy", "", "company"],
        ]
    )
    importer = PeopleImporter()
    table = read_table(content, "x.csv")
    validation = importer.validate(table, importer.guess_mapping(table.headers))
    assert [row.number for row in validation.good_rows] == [2, 6]
    assert validation.good_rows[0].values == {"full_name": "Ann", "email": "ann@example.org", "kind": "ngo"}
    reasons = {row.number: [str(error) for error in row.errors] for row in validation.bad_rows}
    assert reasons == {
        3: ["Person: This is required but the cell is empty."],
        4: [
            "Mail: “bob@” is not a valid e-mail address.",
            "Kind: “Cartel” is not one of: Company, Industry association, NGO, Government, Regulator, "
            "Intergovernmental body, Academia, Individual, Other.",
        ],
        5: ["Person: Same as row 2."],
    }


# --------------------------------------------------------------------------------------------
# The upload between steps: this session's, and deleted once used
# --------------------------------------------------------------------------------------------


ORGANISATIONS_CSV = csv_bytes([["Name", "Kind"], ["Acme", "Company"]])


def test_an_upload_is_stored_under_imports_and_deleted_after_the_import(as_user, policy_user):
    client = as_user(policy_user)
    response = upload(client, reverse("stakeholders:organisation-import"), ORGANISATIONS_CSV)
    assert response.status_code == 302
    [stored] = uploaded_files()
    assert re.fullmatch(r"imports/[\w-]{16,}/rows\.csv", stored)
    token = stored.split("/")[1]
    assert response["Location"] == reverse("stakeholders:organisation-import-preview", args=[token])
    confirm = client.post(reverse("stakeholders:organisation-import-confirm", args=[token]), {"mode": "all"})
    assert confirm.status_code == 302
    assert Organisation.objects.filter(name="Acme").exists()
    assert uploaded_files() == []
    # The token is spent: its pages are gone.
    assert client.get(response["Location"]).status_code == 404


def test_the_stored_name_is_made_safe(as_user, policy_user):
    """A browser may send a Windows path with spaces; only a safe last part is kept."""
    upload(
        as_user(policy_user),
        reverse("stakeholders:organisation-import"),
        ORGANISATIONS_CSV,
        "C:\\Users\\me\\My list (1).csv",
    )
    [stored] = uploaded_files()
    assert stored.endswith("/My_list_1.csv")


def test_another_users_session_cannot_reach_an_upload(client, policy_user, admin_user):
    """The token alone is not enough: it must belong to the session that uploaded the file."""
    client.force_login(policy_user)
    preview_url = upload(client, reverse("stakeholders:organisation-import"), ORGANISATIONS_CSV)["Location"]
    token = preview_url.rstrip("/").split("/")[-1]
    client.logout()
    client.force_login(admin_user)
    assert client.get(preview_url).status_code == 404
    assert (
        client.post(reverse("stakeholders:organisation-import-confirm", args=[token]), {"mode": "all"}).status_code
        == 404
    )
    assert client.post(reverse("stakeholders:organisation-import-cancel", args=[token])).status_code == 404
    assert not Organisation.objects.filter(name="Acme").exists()
    assert len(uploaded_files()) == 1


def test_an_upload_cannot_be_replayed_on_another_importer(as_user, policy_user):
    """An organisations upload is not a submissions upload for some consultation."""
    from tests.factories import ConsultationFactory

    consultation = ConsultationFactory()
    client = as_user(policy_user)
    preview_url = upload(client, reverse("stakeholders:organisation-import"), ORGANISATIONS_CSV)["Location"]
    token = preview_url.rstrip("/").split("/")[-1]
    other = reverse("responses:response-import-preview", args=[consultation.slug, token])
    assert client.get(other).status_code == 404


def test_discarding_an_upload_deletes_its_file(as_user, policy_user):
    client = as_user(policy_user)
    preview_url = upload(client, reverse("stakeholders:organisation-import"), ORGANISATIONS_CSV)["Location"]
    token = preview_url.rstrip("/").split("/")[-1]
    response = client.post(reverse("stakeholders:organisation-import-cancel", args=[token]), follow=True)
    assert "The upload was discarded; nothing was imported." in page_text(response)
    assert uploaded_files() == []
    assert not Organisation.objects.filter(name="Acme").exists()


def test_a_session_keeps_at_most_five_uploads(as_user, policy_user):
    """Abandoned uploads do not pile up: the oldest is deleted when a sixth arrives."""
    client = as_user(policy_user)
    urls = [
        upload(client, reverse("stakeholders:organisation-import"), ORGANISATIONS_CSV)["Location"] for _ in range(6)
    ]
    assert len(uploaded_files()) == 5
    assert client.get(urls[0]).status_code == 404
    assert client.get(urls[-1]).status_code == 200


def test_a_vanished_file_sends_the_user_back_to_upload(as_user, policy_user):
    client = as_user(policy_user)
    preview_url = upload(client, reverse("stakeholders:organisation-import"), ORGANISATIONS_CSV)["Location"]
    for name in uploaded_files():
        default_storage.delete(name)
    response = client.get(preview_url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("stakeholders:organisation-import")
    assert "The uploaded file is no longer available: upload it again." in page_text(response)


def test_state_changing_steps_refuse_get(as_user, policy_user):
    client = as_user(policy_user)
    preview_url = upload(client, reverse("stakeholders:organisation-import"), ORGANISATIONS_CSV)["Location"]
    token = preview_url.rstrip("/").split("/")[-1]
    assert client.get(reverse("stakeholders:organisation-import-confirm", args=[token])).status_code == 405
    assert client.get(reverse("stakeholders:organisation-import-cancel", args=[token])).status_code == 405
    assert not Organisation.objects.filter(name="Acme").exists()


def test_a_file_too_large_is_refused_before_it_is_read(as_user, policy_user, monkeypatch):
    monkeypatch.setattr("stakeholders.importing.MAX_UPLOAD_BYTES", 10)
    response = upload(as_user(policy_user), reverse("stakeholders:organisation-import"), ORGANISATIONS_CSV)
    assert response.status_code == 200
    assert "The file is too large" in page_text(response)
    assert uploaded_files() == []
