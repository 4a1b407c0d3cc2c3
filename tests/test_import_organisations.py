"""Importing organisations and their contacts from CSV or XLSX: upload, check every row, confirm."""

import csv
import io

import openpyxl
import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from stakeholders.models import Contact, Organisation, OrganisationKind
from tests.factories import ContactFactory, OrganisationFactory
from tests.test_importing import csv_bytes, page_text, upload, uploaded_files, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Uploads go to a folder of this test, never to var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


UPLOAD_URL = reverse("stakeholders:organisation-import")
HEADERS = [
    "Name",
    "Kind",
    "Country",
    "Website",
    "Parent",
    "Contact name",
    "Contact e-mail",
    "Contact role",
    "Opted out",
]

GOOD_ROWS = [
    HEADERS,
    [
        "Internet Watch Foundation",
        "NGO",
        "GB",
        "www.iwf.org.uk",
        "",
        "Policy Team",
        "policy@iwf.example",
        "Policy",
        "no",
    ],
    ["Internet Watch Foundation", "", "", "", "", "Press Office", "press@iwf.example", "Press", "yes"],
    ["Acme Group", "company", "United States", "", "", "", "", "", ""],
    ["Acme Europe", "Company", "fr", "", "Acme Group", "Jean Dupont", "jean@acme.example", "", "0"],
]

MIXED_ROWS = [
    HEADERS,
    ["Good One", "NGO", "GB", "", "", "", "", "", ""],
    ["Bad Mail", "NGO", "GB", "", "", "Ann", "ann@", "", ""],
    ["Bad Kind", "Cartel", "GB", "", "", "", "", "", ""],
    ["Good Two", "Regulator", "France", "", "", "", "", "", ""],
    ["Bad Country", "NGO", "Atlantis", "", "", "", "", "", ""],
    ["", "NGO", "GB", "", "", "", "", "", ""],
    ["Bad Parent", "NGO", "GB", "", "Nowhere Ltd", "", "", "", ""],
]


def preview_of(client, content: bytes, name: str = "organisations.csv") -> str:
    response = upload(client, UPLOAD_URL, content, name)
    assert response.status_code == 302, page_text(response)
    return response["Location"]


def token_of(preview_url: str) -> str:
    return preview_url.rstrip("/").split("/")[-1]


def confirm(client, preview_url: str, **data: str):
    return client.post(reverse("stakeholders:organisation-import-confirm", args=[token_of(preview_url)]), data)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --------------------------------------------------------------------------------------------
# Who may import
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("user_fixture", ["policy_user", "admin_user"])
def test_policy_staff_and_admins_use_every_step(request, as_user, user_fixture):
    """Upload page, both templates, preview, confirm: policy staff and admins may use them all."""
    client = as_user(request.getfixturevalue(user_fixture))
    assert client.get(UPLOAD_URL).status_code == 200
    for fmt in ("csv", "xlsx"):
        assert client.get(reverse("stakeholders:organisation-import-template", args=[fmt])).status_code == 200
    preview_url = preview_of(client, csv_bytes([["Name"], ["Acme"]]))
    assert client.get(preview_url).status_code == 200
    assert confirm(client, preview_url, mode="all").status_code == 302
    assert Organisation.objects.filter(name="Acme").exists()
    second = preview_of(client, csv_bytes([["Name"], ["Beta"]]))
    cancel = client.post(reverse("stakeholders:organisation-import-cancel", args=[token_of(second)]))
    assert cancel.status_code == 302


@pytest.mark.parametrize("user_fixture", ["reviewer_user", "outsider"])
def test_reviewers_and_outsiders_are_refused_every_step(request, as_user, user_fixture):
    client = as_user(request.getfixturevalue(user_fixture))
    token = "a-token-of-nobody"
    assert client.get(UPLOAD_URL).status_code == 403
    assert upload(client, UPLOAD_URL, csv_bytes([["Name"], ["Acme"]])).status_code == 403
    assert client.get(reverse("stakeholders:organisation-import-template", args=["csv"])).status_code == 403
    assert client.get(reverse("stakeholders:organisation-import-preview", args=[token])).status_code == 403
    assert client.post(reverse("stakeholders:organisation-import-preview", args=[token])).status_code == 403
    assert client.post(reverse("stakeholders:organisation-import-confirm", args=[token])).status_code == 403
    assert client.post(reverse("stakeholders:organisation-import-cancel", args=[token])).status_code == 403
    assert uploaded_files() == []
    assert not Organisation.objects.filter(name="Acme").exists()


def test_anonymous_visitors_are_sent_to_login(client):
    token = "a-token-of-nobody"
    urls = [
        UPLOAD_URL,
        reverse("stakeholders:organisation-import-template", args=["csv"]),
        reverse("stakeholders:organisation-import-preview", args=[token]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    for url in [
        UPLOAD_URL,
        reverse("stakeholders:organisation-import-confirm", args=[token]),
        reverse("stakeholders:organisation-import-cancel", args=[token]),
    ]:
        assert client.post(url).status_code == 302
    assert uploaded_files() == []


# --------------------------------------------------------------------------------------------
# Good files
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("builder", "name"), [(csv_bytes, "organisations.csv"), (xlsx_bytes, "organisations.xlsx")])
def test_a_good_file_imports_organisations_with_their_contacts(as_user, policy_user, builder, name):
    """CSV or XLSX: organisations with kind, country, website and parent; several contacts for one."""
    client = as_user(policy_user)
    preview_url = preview_of(client, builder(GOOD_ROWS), name)
    preview = client.get(preview_url)
    assert "All 4 rows are ready to import." in page_text(preview)

    response = confirm(client, preview_url, mode="all", good_count="4")
    assert response.status_code == 302
    assert messages_of(response) == ["Imported 4 rows: 3 new organisations, 3 contacts added."]
    iwf = Organisation.objects.get(name="Internet Watch Foundation")
    assert (iwf.kind, iwf.country.code, iwf.website) == (OrganisationKind.NGO, "GB", "https://www.iwf.org.uk")
    assert iwf.slug == "internet-watch-foundation"
    assert sorted(iwf.contacts.values_list("email", "role", "opted_out")) == [
        ("policy@iwf.example", "Policy", False),
        ("press@iwf.example", "Press", True),
    ]
    europe = Organisation.objects.get(name="Acme Europe")
    assert europe.parent == Organisation.objects.get(name="Acme Group")
    assert europe.country.code == "FR"
    assert Organisation.objects.get(name="Acme Group").country.code == "US"
    # The audit trail says who imported them.
    assert {record.history_user for record in Organisation.history.all()} == {policy_user}
    assert uploaded_files() == []


def test_the_preview_shows_the_first_good_rows_as_they_will_be_read(as_user, policy_user):
    client = as_user(policy_user)
    text = page_text(client.get(preview_of(client, csv_bytes(GOOD_ROWS))))
    assert "Internet Watch Foundation NGO United Kingdom https://www.iwf.org.uk" in text
    assert "same organisation as row 2" in text
    assert "Acme Europe Company France" in text


def test_an_existing_organisation_is_updated_not_duplicated(as_user, policy_user):
    """Same slug from the name, or the same name in another case: the organisation is reused."""
    iwf = OrganisationFactory(
        name="Internet Watch Foundation", slug="internet-watch-foundation", kind="other", country=""
    )
    OrganisationFactory(name="ACME group", slug="acme-holding", kind="company", country="US")
    ContactFactory(organisation=iwf, name="Old name", email="policy@iwf.example", role="")
    client = as_user(policy_user)
    preview_url = preview_of(client, csv_bytes(GOOD_ROWS))
    text = page_text(client.get(preview_url))
    assert "existing: Internet Watch Foundation (updates kind, country, website)" in text
    assert "existing: ACME group" in text
    assert "Acme Europe Company France" in text and " new " in text

    response = confirm(client, preview_url, mode="all")
    assert messages_of(response) == [
        "Imported 4 rows: 1 new organisation, 1 organisation updated, 1 organisation unchanged, 2 contacts added, "
        "1 contact updated."
    ]
    assert Organisation.objects.filter(name__iexact="internet watch foundation").count() == 1
    assert Organisation.objects.filter(name__iexact="acme group").count() == 1
    iwf.refresh_from_db()
    assert (iwf.kind, iwf.country.code) == (OrganisationKind.NGO, "GB")
    contact = iwf.contacts.get(email="policy@iwf.example")
    assert (contact.name, contact.role) == ("Policy Team", "Policy")
    change = iwf.history.latest()
    assert (change.history_type, change.history_user) == ("~", policy_user)
    assert Organisation.objects.get(name="Acme Europe").parent.slug == "acme-holding"


def test_an_alias_or_a_slug_merged_away_finds_the_organisation(as_user, policy_user):
    """ "IWF" (an alias) and "old-iwf" (merged into it) are the same organisation, not new ones."""
    from stakeholders.models import OrganisationAlias, OrganisationMerge

    iwf = OrganisationFactory(name="Internet Watch Foundation", slug="internet-watch-foundation")
    OrganisationAlias.objects.create(organisation=iwf, name="IWF")
    OrganisationMerge.objects.create(survivor=iwf, merged_name="IWF (old)", merged_slug="old-iwf")
    client = as_user(policy_user)
    rows = [["Name", "Contact e-mail"], ["iwf", "a@iwf.example"], ["old-iwf", "b@iwf.example"]]
    preview_url = preview_of(client, csv_bytes(rows))
    assert "same organisation as row 2" in page_text(client.get(preview_url))
    confirm(client, preview_url, mode="all")
    assert Organisation.objects.count() == 1
    assert sorted(iwf.contacts.values_list("email", flat=True)) == ["a@iwf.example", "b@iwf.example"]


def test_a_new_organisation_never_takes_a_page_name_as_its_slug(as_user, policy_user):
    """An organisation called "Import" must not hide the import page at /organisations/import/."""
    client = as_user(policy_user)
    confirm(client, preview_of(client, csv_bytes([["Name"], ["Import"], ["New"]])), mode="all")
    assert sorted(Organisation.objects.values_list("slug", flat=True)) == ["import-2", "new-2"]


def test_blank_cells_leave_an_existing_organisation_as_it_is(as_user, policy_user):
    OrganisationFactory(name="Ofcom", slug="ofcom", kind="regulator", country="GB", website="https://ofcom.org.uk")
    client = as_user(policy_user)
    preview_url = preview_of(client, csv_bytes([["Name", "Kind", "Country", "Website"], ["ofcom", "", "", ""]]))
    assert "existing: Ofcom" in page_text(client.get(preview_url))
    confirm(client, preview_url, mode="all")
    ofcom = Organisation.objects.get(slug="ofcom")
    assert (ofcom.kind, ofcom.country.code, ofcom.website) == ("regulator", "GB", "https://ofcom.org.uk")


def test_a_parent_may_be_an_existing_organisation_named_by_slug(as_user, policy_user):
    meta = OrganisationFactory(name="Meta Platforms", slug="meta")
    client = as_user(policy_user)
    confirm(client, preview_of(client, csv_bytes([["Name", "Parent"], ["Facebook", "meta"]])), mode="all")
    assert Organisation.objects.get(name="Facebook").parent == meta


# --------------------------------------------------------------------------------------------
# Bad rows
# --------------------------------------------------------------------------------------------


def test_every_bad_row_is_listed_with_its_reason_and_nothing_is_written(as_user, policy_user):
    client = as_user(policy_user)
    preview_url = preview_of(client, csv_bytes(MIXED_ROWS))
    text = page_text(client.get(preview_url))
    assert "2 rows are ready to import; 5 rows have problems, listed below." in text
    assert "3 Bad Mail Contact e-mail : “ann@” is not a valid e-mail address." in text
    assert "4 Bad Kind Kind : “Cartel” is not one of: Company" in text
    assert "6 Bad Country Country : “Atlantis” is not a country" in text
    assert "7 Name : This is required but the cell is empty." in text
    assert (
        "8 Bad Parent Parent : Unknown parent organisation “Nowhere Ltd”: it is neither in Consultrack nor "
        "on an earlier row of this file."
    ) in text
    assert "Import only the 2 good rows" in text

    response = confirm(client, preview_url, mode="all", good_count="2")
    assert response["Location"] == preview_url
    assert messages_of(response) == [
        "Nothing was imported: 5 rows have problems. Fix the file, or import only the good rows."
    ]
    assert not Organisation.objects.exists()
    assert len(uploaded_files()) == 1


def test_importing_only_the_good_rows_writes_exactly_those_and_says_how_many(as_user, policy_user):
    client = as_user(policy_user)
    preview_url = preview_of(client, csv_bytes(MIXED_ROWS))
    response = confirm(client, preview_url, mode="good", good_count="2")
    assert response.status_code == 302
    assert messages_of(response) == [
        "Imported 2 rows: 2 new organisations.",
        "Skipped 5 rows with problems.",
    ]
    assert sorted(Organisation.objects.values_list("name", flat=True)) == ["Good One", "Good Two"]
    assert not Contact.objects.exists()
    assert uploaded_files() == []


def test_good_rows_are_not_imported_when_the_rows_changed_since_the_preview(as_user, policy_user):
    """The user agreed to N rows; if a re-check finds another number, nothing is written."""
    client = as_user(policy_user)
    preview_url = preview_of(client, csv_bytes(MIXED_ROWS))
    response = confirm(client, preview_url, mode="good", good_count="3")
    assert response["Location"] == preview_url
    assert messages_of(response) == ["Nothing was imported: the rows changed since the preview. Check them again."]
    assert not Organisation.objects.exists()


def test_rows_of_one_organisation_must_agree(as_user, policy_user):
    client = as_user(policy_user)
    rows = [
        ["Name", "Kind", "Contact e-mail"],
        ["Acme", "Company", "a@acme.example"],
        ["ACME", "NGO", "a@acme.example"],
    ]
    text = page_text(client.get(preview_of(client, csv_bytes(rows))))
    assert "3 ACME Kind : Row 2 gives “Acme” a different value here; the rows must agree." in text
    assert "Contact e-mail : Row 2 already has this e-mail for “Acme”." in text


def test_a_parent_later_in_the_file_or_the_organisation_itself_is_refused(as_user, policy_user):
    client = as_user(policy_user)
    rows = [["Name", "Parent"], ["Child", "Mother"], ["Mother", ""], ["Loop", "loop"]]
    text = page_text(client.get(preview_of(client, csv_bytes(rows))))
    assert "2 Child Parent : Unknown parent organisation “Mother”" in text
    assert "4 Loop Parent : An organisation cannot be its own parent." in text


def test_a_parent_that_would_make_a_loop_is_refused(as_user, policy_user):
    mother = OrganisationFactory(name="Mother", slug="mother")
    OrganisationFactory(name="Daughter", slug="daughter", parent=mother)
    client = as_user(policy_user)
    text = page_text(client.get(preview_of(client, csv_bytes([["Name", "Parent"], ["Mother", "Daughter"]]))))
    assert "“Daughter” is already below this organisation: that would make a loop." in text


def test_a_contact_detail_without_a_contact_is_refused(as_user, policy_user):
    client = as_user(policy_user)
    text = page_text(client.get(preview_of(client, csv_bytes([["Name", "Contact role"], ["Acme", "CEO"]]))))
    assert "Contact role : This needs a contact name or e-mail on the same row." in text


def test_a_bad_row_lists_all_its_problems_and_no_consequential_ones(as_user, policy_user):
    """A wrong e-mail is one problem: the role beside it is not also said to lack a contact."""
    client = as_user(policy_user)
    rows = [["Name", "Kind", "Parent", "Contact e-mail", "Contact role"], ["Acme", "Cartel", "Nowhere", "x@", "CEO"]]
    response = client.get(preview_of(client, csv_bytes(rows)))
    text = page_text(response)
    assert "Kind : “Cartel” is not one of" in text
    assert "Parent : Unknown parent organisation “Nowhere”" in text
    assert "Contact e-mail : “x@” is not a valid e-mail address." in text
    assert "needs a contact name" not in text


def test_user_text_is_escaped_in_the_preview(as_user, policy_user):
    client = as_user(policy_user)
    response = client.get(preview_of(client, csv_bytes([["Name", "Kind"], ["<script>alert(1)</script>", "evil"]])))
    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.content


# --------------------------------------------------------------------------------------------
# Files that cannot be read, and columns
# --------------------------------------------------------------------------------------------


def test_a_file_in_another_encoding_is_refused_on_the_upload_page(as_user, policy_user):
    client = as_user(policy_user)
    response = upload(client, UPLOAD_URL, "Name\nSociété Générale\n".encode("cp1252"))
    assert response.status_code == 200
    assert "The file is not UTF-8 text: save it as CSV UTF-8 or as XLSX." in page_text(response)
    assert uploaded_files() == []


def test_a_missing_required_column_is_named_and_the_user_can_choose_it(as_user, policy_user):
    """Without a "Name" heading, the preview says so; choosing the column fixes it."""
    client = as_user(policy_user)
    preview_url = preview_of(client, csv_bytes([["Organisation title", "Kind"], ["Acme", "Company"]]))
    response = client.get(preview_url)
    text = page_text(response)
    assert "The required column “Name” is missing: choose the column that holds it." in text
    assert (
        reverse("stakeholders:organisation-import-confirm", args=[token_of(preview_url)])
        not in response.content.decode()
    )
    assert "Organisation title" in text  # offered in the selects
    assert confirm(client, preview_url, mode="all")["Location"] == preview_url
    assert not Organisation.objects.exists()

    remap = client.post(preview_url, {"map_name": "0", "map_kind": "1"})
    assert remap.status_code == 302
    text = page_text(client.get(preview_url))
    assert "The 1 row is ready to import." in text
    assert "Ignored columns" not in text
    confirm(client, preview_url, mode="all")
    assert Organisation.objects.get(name="Acme").kind == OrganisationKind.COMPANY


def test_remapping_a_column_changes_what_is_read(as_user, policy_user):
    """The guess took "Contact" for the contact's name; the user says it is the role."""
    client = as_user(policy_user)
    rows = [["Name", "Contact", "Person"], ["Acme", "CEO", "Jo Bloggs"]]
    preview_url = preview_of(client, csv_bytes(rows))
    assert "Contact role : This needs a contact name" not in page_text(client.get(preview_url))
    client.post(preview_url, {"map_name": "0", "map_contact_role": "1", "map_contact_name": "2"})
    confirm(client, preview_url, mode="all")
    contact = Contact.objects.get()
    assert (contact.name, contact.role) == ("Jo Bloggs", "CEO")


def test_choosing_one_column_for_two_fields_is_refused(as_user, policy_user):
    client = as_user(policy_user)
    preview_url = preview_of(client, csv_bytes([["Name", "Kind"], ["Acme", "NGO"]]))
    response = client.post(preview_url, {"map_name": "0", "map_notes": "0"})
    assert response.status_code == 200
    assert "Column “Name” is already chosen for “Name”." in page_text(response)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_template_has_the_headings_and_an_example_row_that_imports(as_user, policy_user, fmt):
    client = as_user(policy_user)
    response = client.get(reverse("stakeholders:organisation-import-template", args=[fmt]))
    assert response["Content-Disposition"] == f'attachment; filename="organisations-import-template.{fmt}"'
    if fmt == "csv":
        assert response.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    else:
        workbook = openpyxl.load_workbook(io.BytesIO(response.content))
        rows = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
        assert workbook.sheetnames[1] == "Help"
    assert rows[0] == [
        "Name",
        "Kind",
        "Country",
        "Website",
        "Transparency register ID",
        "Parent",
        "Notes",
        "Contact name",
        "Contact e-mail",
        "Contact role",
        "Opted out",
    ]
    assert rows[1][0] == "Internet Watch Foundation"
    preview_url = preview_of(client, response.content, f"template.{fmt}")
    assert "The 1 row is ready to import." in page_text(client.get(preview_url))


def test_checking_a_file_does_not_query_once_per_row(as_user, policy_user):
    """The preview of 30 rows costs as many queries as the preview of 1."""
    OrganisationFactory.create_batch(3)
    client = as_user(policy_user)
    one = preview_of(client, csv_bytes([HEADERS, ["Solo", "NGO", "GB", "", "", "A", "a@x.example", "", ""]]))
    many_rows = [HEADERS] + [
        [f"Org {n}", "NGO", "GB", "", "Org 0" if n else "", "A", f"a{n}@x.example", "", ""] for n in range(30)
    ]
    many = preview_of(client, csv_bytes(many_rows))
    with CaptureQueriesContext(connection) as one_queries:
        assert client.get(one).status_code == 200
    with CaptureQueriesContext(connection) as many_queries:
        assert client.get(many).status_code == 200
    assert "All 30 rows are ready to import." in page_text(client.get(many))
    assert len(many_queries) == len(one_queries)
