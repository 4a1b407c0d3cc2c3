"""In Chromium: policy staff find a form-letter campaign from the consultation page, confirm it under a
name, and split out a member that is not really part of it."""

import pytest
from playwright.sync_api import Page, expect

from accounts.roles import Role
from responses.campaigns import campaigns_recompute
from responses.models import Campaign, Response
from tests.factories import PASSWORD, ConsultationFactory, ResponseFactory, UserFactory
from tests.test_campaigns import FORM_LETTER, OTHER_LETTER


@pytest.fixture
def campaign_data(transactional_db):
    UserFactory(username="policy", first_name="Pat", role=Role.POLICY_STAFF)
    consultation = ConsultationFactory(title="COP Results Framework", slug="cop-results")
    for name in ["Alpha Trust", "Beta League", "Gamma Forum", "Zeta Network"]:
        ResponseFactory(consultation=consultation, organisation__name=name, summary=f"{FORM_LETTER} {name}.")
    ResponseFactory(consultation=consultation, organisation__name="Delta Union", summary=OTHER_LETTER)
    campaigns_recompute(consultation_id=consultation.pk)
    return consultation


def test_policy_staff_confirm_a_campaign_and_split_a_member_out(page: Page, live_server, campaign_data):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("policy")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.goto(f"{live_server.url}/consultations/{campaign_data.slug}/")
    summary = page.get_by_test_id("campaign-summary")
    expect(summary).to_contain_text("4 responses in 1 campaign")
    summary.get_by_role("link").click()

    expect(page.get_by_role("heading", name="Campaigns", exact=True)).to_be_visible()
    expect(page.get_by_test_id("campaign-counts")).to_contain_text("4 of 5 received responses in 1 campaign.")
    campaign = page.get_by_test_id("campaign")
    expect(campaign.get_by_test_id("campaign-size")).to_have_text("4 responses")
    expect(campaign.get_by_test_id("diff")).to_be_visible()

    campaign.get_by_placeholder("Name (optional)").fill("Safety coalition letter")
    campaign.get_by_role("button", name="Confirm campaign").click()
    expect(page.get_by_text("Safety coalition letter is confirmed.")).to_be_visible()
    expect(campaign.get_by_test_id("campaign-confirmed")).to_be_visible()

    campaign.get_by_role("button", name="Split out Zeta Network from the campaign").click()
    expect(page.get_by_text("The response of Zeta Network is split out of Safety coalition letter")).to_be_visible()
    expect(campaign.get_by_test_id("campaign-size")).to_have_text("3 responses")
    expect(campaign.get_by_test_id("campaign-member")).to_have_count(3)
    expect(campaign.get_by_test_id("campaign-member").filter(has_text="Zeta Network")).to_have_count(0)

    # Recomputation keeps the decision: Zeta Network stays out, the campaign stays confirmed.
    campaigns_recompute(consultation_id=campaign_data.pk)
    saved = Campaign.objects.get()
    assert saved.confirmed and saved.name == "Safety coalition letter"
    assert not Response.objects.get(organisation__name="Zeta Network").campaign_id
    assert saved.members.count() == 3
