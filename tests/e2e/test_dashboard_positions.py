"""In Chromium: an admin opens the dashboard, reads a chart's data table, then compares two organisations' positions."""

import datetime

from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.roles import Role
from responses.models import Stance
from tests.e2e.login import log_in
from tests.factories import (
    ConsultationFactory,
    DraftFactory,
    OrganisationFactory,
    PositionFactory,
    ResponseFactory,
    ReviewRequestFactory,
    TagFactory,
    TopicFactory,
    UserFactory,
)


def test_dashboard_then_comparison_of_two_organisations(page: Page, live_server):
    admin = UserFactory(username="ada", role=Role.ADMIN)
    now = timezone.now()
    tag = TagFactory(name="Access to user data", slug="access-to-user-data")
    meta = OrganisationFactory(name="Meta", slug="meta")
    acme = OrganisationFactory(name="Acme", slug="acme")
    for title, days, meta_stance, acme_stance in [
        ("Older consultation", -400, Stance.OPPOSES, Stance.SUPPORTS),
        ("Current consultation", 5, Stance.STRONGLY_OPPOSES, Stance.OPPOSES),
    ]:
        consultation = ConsultationFactory(
            title=title,
            opens_at=now + datetime.timedelta(days=days - 60),
            deadline=now + datetime.timedelta(days=days),
        )
        topic = TopicFactory(consultation=consultation, name="Metadata")
        topic.tags.add(tag)
        for organisation, stance in [(meta, meta_stance), (acme, acme_stance)]:
            response = ResponseFactory(consultation=consultation, organisation=organisation)
            PositionFactory(response=response, topic=topic, stance=stance, quote=f"{organisation.name} on {title}")
    current = consultation
    DraftFactory(owner=admin, consultation=current)
    ReviewRequestFactory(reviewer=admin, response__consultation=current)

    log_in(page, live_server, "ada")
    expect(page.get_by_test_id("deadlines").get_by_role("link", name="Current consultation")).to_be_visible()
    expect(page.get_by_test_id("deadlines")).to_contain_text("5 days left")
    expect(page.get_by_test_id("my-drafts").get_by_role("link", name="Current consultation")).to_be_visible()
    expect(page.get_by_test_id("my-reviews").get_by_role("link", name="Current consultation")).to_be_visible()

    chart = page.get_by_test_id("responses-chart")
    expect(chart.get_by_role("img", name="Current consultation: 2 responses")).to_be_visible()
    data = page.get_by_test_id("responses-chart-data")
    expect(data.get_by_role("table")).to_be_hidden()
    data.get_by_text("Show the data as a table").click()
    expect(data.get_by_role("row", name="Current consultation")).to_contain_text("2")
    expect(
        page.get_by_test_id("stances-chart").get_by_role(
            "img", name="Current consultation: 1 opposes, 1 strongly opposes"
        )
    ).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Positions").click()
    page.locator("select[name=organisation]").select_option(label="Meta")
    page.get_by_label("Compare with (optional)").select_option(label="Acme")
    page.get_by_label("Tag").select_option(label="Access to user data")
    page.get_by_role("button", name="Show positions").click()

    rows = page.get_by_test_id("positions-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Older consultation")
    expect(rows.nth(0)).to_contain_text("opposite sides")
    expect(rows.nth(1)).to_contain_text("Current consultation")
    expect(rows.nth(1)).to_contain_text("same side")
    expect(rows.nth(1)).to_contain_text("Acme on Current consultation")
    rows.nth(0).get_by_role("link", name="Opposes").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Meta")
