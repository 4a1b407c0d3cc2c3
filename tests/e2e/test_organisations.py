"""In Chromium: policy staff find an organisation by alias, add a contact, and merge a duplicate into it."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.roles import Role
from tests.factories import PASSWORD, OrganisationAliasFactory, OrganisationFactory, ResponseFactory, UserFactory


@pytest.fixture
def organisations(transactional_db):
    meta = OrganisationFactory(name="Meta Platforms", slug="meta-platforms")
    OrganisationAliasFactory(organisation=meta, name="Facebook")
    duplicate = OrganisationFactory(name="Meta Platforms Inc.", slug="meta-platforms-inc")
    ResponseFactory(organisation=duplicate, consultation__title="COP Results Framework", consultation__issuer=meta)
    OrganisationFactory(name="Google", slug="google")
    return meta, duplicate


def log_in(page: Page, base_url: str) -> None:
    UserFactory(username="pat", role=Role.POLICY_STAFF)
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill("pat")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Welcome, pat")).to_be_visible()


def test_policy_staff_find_by_alias_add_a_contact_and_merge_a_duplicate(page: Page, live_server, organisations):
    log_in(page, live_server.url)

    # Live search by an alias narrows the table without a page load, and the URL follows.
    page.goto(f"{live_server.url}/organisations/")
    expect(page.get_by_test_id("organisation-count")).to_have_text("3 organisations")
    page.get_by_label("Name or alias").fill("faceb")
    expect(page.get_by_test_id("organisation-count")).to_have_text("1 organisation")
    expect(page).to_have_url(re.compile(r"q=faceb"))
    page.get_by_role("link", name="Meta Platforms").click()
    expect(page.get_by_role("heading", name="Meta Platforms", level=1)).to_be_visible()

    # Add a contact.
    page.get_by_role("link", name="Add contact").click()
    page.get_by_role("textbox", name=re.compile(r"^Name")).fill("Public Policy Desk")
    page.get_by_label("E-mail", exact=True).fill("policy@meta.example")
    page.get_by_label("Role", exact=True).fill("Public policy")
    page.get_by_role("button", name="Add contact").click()
    expect(page.get_by_text("Contact “Public Policy Desk” added.")).to_be_visible()
    expect(page.get_by_role("cell", name="policy@meta.example")).to_be_visible()

    # Merge the duplicate into it: start from the duplicate, find the one to keep, confirm.
    page.goto(f"{live_server.url}/organisations/meta-platforms-inc/")
    expect(page.get_by_text("COP Results Framework")).to_be_visible()
    page.get_by_role("link", name="Merge into another…").click()
    page.get_by_label("Find the organisation to keep").fill("facebook")
    page.locator("#merge-candidates").get_by_role("link", name=re.compile(r"^Meta Platforms")).click()
    expect(page.get_by_role("heading", name="Merge Meta Platforms Inc. into Meta Platforms?")).to_be_visible()
    expect(page.get_by_test_id("merge-plan")).to_contain_text("Responses")
    page.get_by_role("button", name="Merge and delete Meta Platforms Inc.").click()

    expect(page).to_have_url(f"{live_server.url}/organisations/meta-platforms/")
    expect(page.get_by_text("Meta Platforms Inc. was merged into Meta Platforms")).to_be_visible()
    expect(page.get_by_test_id("aliases")).to_contain_text("Meta Platforms Inc.")
    expect(page.get_by_test_id("aliases")).to_contain_text("Facebook")
    expect(page.get_by_text("COP Results Framework")).to_be_visible()
    expect(page.get_by_role("heading", name="Merged from")).to_be_visible()

    # The duplicate's old address now leads to the organisation kept.
    page.goto(f"{live_server.url}/organisations/meta-platforms-inc/")
    expect(page).to_have_url(f"{live_server.url}/organisations/meta-platforms/")
