"""In Chromium: a reviewer watches a consultation from its page, finds it on the calendar page, and unwatches it."""

from playwright.sync_api import Page, expect

from accounts.roles import Role
from consultations.models import Consultation
from tests.e2e.login import log_in
from tests.factories import ConsultationFactory, UserFactory


def test_a_reviewer_watches_and_unwatches_a_consultation(page: Page, live_server):
    """The button swaps in place (htmx), survives a reload, and the calendar page lists the watched consultation."""
    rene = UserFactory(username="rene", role=Role.REVIEWER)
    consultation = ConsultationFactory(title="COP Results Framework", slug="cop")
    log_in(page, live_server, "rene")

    page.goto(f"{live_server.url}/consultations/cop/")
    page.get_by_role("button", name="Watch", exact=True).click()
    expect(page.get_by_role("button", name="Unwatch")).to_be_visible()
    assert list(Consultation.objects.get(pk=consultation.pk).watchers.all()) == [rene]

    page.reload()
    expect(page.get_by_role("button", name="Unwatch")).to_be_visible()

    page.get_by_test_id("user-menu").click()
    page.get_by_role("link", name="Calendar and reminders").click()
    watched = page.get_by_test_id("watched")
    expect(watched.get_by_role("link", name="COP Results Framework")).to_be_visible()
    watched.get_by_role("button", name="Unwatch").click()
    expect(watched.get_by_role("button", name="Watch", exact=True)).to_be_visible()
    assert not Consultation.objects.get(pk=consultation.pk).watchers.exists()


def test_a_user_makes_a_calendar_feed_and_sees_its_address_once(page: Page, live_server):
    """The feed address appears after the button is pressed, and opens as a calendar."""
    UserFactory(username="pat", role=Role.POLICY_STAFF)
    log_in(page, live_server, "pat")
    page.goto(f"{live_server.url}/reminders/calendar/")
    page.get_by_role("button", name="Make my feed address").click()
    expect(page.get_by_text("Your calendar feed is ready.")).to_be_visible()
    address = page.get_by_test_id("feed-url").input_value()
    assert address.startswith(f"{live_server.url}/reminders/calendar/") and address.endswith(".ics")
    response = page.request.get(address)
    assert response.status == 200 and response.text().startswith("BEGIN:VCALENDAR")
    page.reload()
    expect(page.get_by_test_id("feed-url")).to_have_count(0)
    expect(page.get_by_role("button", name="Make a new address")).to_be_visible()
