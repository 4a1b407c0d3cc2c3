"""In Chromium: policy staff import organisations from a CSV with one bad row, import the good rows."""

import pytest
from playwright.sync_api import Page, expect

from accounts.roles import Role
from stakeholders.models import Organisation
from tests.factories import PASSWORD, UserFactory

CSV = (
    "Name,Kind,Country,Contact name,Contact e-mail\n"
    "Internet Watch Foundation,NGO,GB,Policy Team,policy@iwf.example\n"
    "Broken Mail Ltd,Company,GB,Ann,ann@\n"
    "Ofcom,Regulator,United Kingdom,,\n"
)


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_policy_staff_import_only_the_good_rows_of_a_csv(page: Page, live_server, tmp_path):
    UserFactory(username="policy", first_name="Pat", role=Role.POLICY_STAFF)
    csv_file = tmp_path / "organisations.csv"
    csv_file.write_text(CSV, encoding="utf-8")

    page.goto(f"{live_server.url}/organisations/import/")
    page.get_by_label("Username").fill("policy")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Import organisations")).to_be_visible()
    page.get_by_label("CSV or XLSX file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Upload and check").click()

    expect(page.get_by_test_id("summary")).to_contain_text("2 rows are ready to import; 1 row has problems")
    bad_rows = page.get_by_test_id("bad-rows")
    expect(bad_rows.locator("tbody tr")).to_have_count(1)
    expect(bad_rows).to_contain_text("3")
    expect(bad_rows).to_contain_text("Broken Mail Ltd")
    expect(bad_rows).to_contain_text("Contact e-mail: “ann@” is not a valid e-mail address.")
    expect(page.get_by_test_id("good-rows")).to_contain_text("Internet Watch Foundation")
    assert not Organisation.objects.exists()

    page.get_by_role("button", name="Import only the 2 good rows").click()

    expect(page.get_by_role("alert").filter(has_text="Imported 2 rows: 2 new organisations")).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="Skipped 1 row with problems.")).to_be_visible()
    assert sorted(Organisation.objects.values_list("name", flat=True)) == ["Internet Watch Foundation", "Ofcom"]
