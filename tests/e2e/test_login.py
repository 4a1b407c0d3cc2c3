"""In Chromium: each demo role logs in and sees the home page; an outsider meets the login page."""

import pytest
from playwright.sync_api import Page, expect

from config.demo import seed_demo

DEMO_PASSWORD = "demo-browser-pass"


@pytest.fixture
def demo_data(transactional_db, settings):
    settings.DEMO_PASSWORD = DEMO_PASSWORD
    seed_demo()


def test_outsider_is_sent_to_the_login_page(page: Page, live_server):
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
    expect(page.get_by_role("heading", name="Log in to Consultrack")).to_be_visible()


@pytest.mark.parametrize(
    ("username", "first_name", "role"),
    [
        ("admin", "Ada", "Admin"),
        ("policy", "Pat", "Policy staff"),
        ("reviewer", "Rene", "Reviewer"),
    ],
)
def test_demo_user_logs_in_and_sees_home(page: Page, live_server, demo_data, username, first_name, role):
    page.goto(f"{live_server.url}/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name=f"Welcome, {first_name}")).to_be_visible()
    # The dashboard lists the demo consultation among its deadlines (and again in its charts).
    expect(page.get_by_role("link", name="Guidelines on the protection of minors online").first).to_be_visible()
    page.get_by_test_id("user-menu").click()
    expect(page.get_by_text(role, exact=True)).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in to Consultrack")).to_be_visible()


def test_wrong_password_shows_an_error(page: Page, live_server, demo_data):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("policy")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Please enter a correct username and password")).to_be_visible()
    expect(page.get_by_label("Username")).to_have_value("policy")
