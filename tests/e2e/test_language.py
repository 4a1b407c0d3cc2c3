"""In Chromium: a user switches the app to French with the navbar's language control, and the choice follows them."""

from playwright.sync_api import Page, expect

from accounts.models import User
from accounts.roles import Role
from tests.factories import PASSWORD, UserFactory


def sign_in(page: Page, live_server, *, username: str, button: str) -> None:
    """Sign in from the sign-in page in whichever language it is in (the button's name says which)."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name=button, exact=True).click()


def test_a_user_switches_to_french_in_the_navbar_and_it_follows_them(page: Page, live_server):
    """The navbar control turns the dashboard French and marks French as chosen; signing in again from
    a browser that never chose (cookies cleared) is French at once; English comes back the same way."""
    UserFactory(username="pat", first_name="Pat", role=Role.POLICY_STAFF)
    sign_in(page, live_server, username="pat", button="Log in")
    expect(page.get_by_role("heading", name="Welcome, Pat")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    languages = page.get_by_role("group", name="Language")
    expect(languages.get_by_role("button", name="English")).to_have_attribute("aria-pressed", "true")
    languages.get_by_role("button", name="Français").click()

    expect(page.get_by_role("heading", name="Bienvenue, Pat")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("link", name="Accueil", exact=True)).to_be_visible()
    french = page.get_by_role("group", name="Langue").get_by_role("button", name="Français")
    expect(french).to_have_attribute("aria-pressed", "true")
    expect(french).to_have_attribute("lang", "fr")
    assert User.objects.get(username="pat").language == "fr"

    # Another device: no cookie, a browser asking for English. The sign-in page is English, the app French.
    page.context.clear_cookies()
    sign_in(page, live_server, username="pat", button="Log in")
    expect(page.get_by_role("heading", name="Bienvenue, Pat")).to_be_visible()

    page.get_by_role("group", name="Langue").get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Welcome, Pat")).to_be_visible()
    assert User.objects.get(username="pat").language == "en"


def test_a_visitor_reads_the_sign_in_page_in_french(page: Page, live_server):
    """Before signing in, the same control turns the sign-in page French (kept in a cookie)."""
    UserFactory(username="rene", first_name="René", role=Role.REVIEWER)
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("heading", name="Log in to Consultrack")).to_be_visible()
    page.get_by_role("group", name="Language").get_by_role("button", name="Français").click()
    expect(page.get_by_role("heading", name="Se connecter à Consultrack")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    sign_in(page, live_server, username="rene", button="Se connecter")
    expect(page.get_by_role("heading", name="Bienvenue, René")).to_be_visible()
