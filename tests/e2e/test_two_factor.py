"""In Chromium: an admin who must use two-factor sign-in sets it up, then signs in with a code."""

import base64

import pytest
from django_otp.oath import totp
from playwright.sync_api import Page, expect

from accounts.roles import Role
from tests.factories import PASSWORD, UserFactory


@pytest.fixture
def admin(transactional_db, settings):
    settings.OTP_REQUIRED_FOR_ADMINS = True
    return UserFactory(username="ada", first_name="Ada", role=Role.ADMIN, is_staff=True)


def _code(secret: str) -> str:
    """What an authenticator app shows now for the key typed from the page."""
    compact = secret.replace(" ", "")
    return f"{totp(base64.b32decode(compact + '=' * (-len(compact) % 8))):06d}"


def _sign_in(page: Page, url: str) -> None:
    page.goto(f"{url}/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_admin_sets_up_two_factor_then_signs_in_with_a_code(page: Page, live_server, admin):
    csp_errors: list[str] = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)

    _sign_in(page, live_server.url)
    expect(page.get_by_text("Admins must use two-factor sign-in here. Set it up to continue.")).to_be_visible()
    expect(page.get_by_test_id("qr-code")).to_be_visible()
    assert page.get_by_test_id("qr-code").evaluate("img => img.naturalWidth") > 100  # the SVG really drew
    # Other pages wait until it is set up.
    page.goto(f"{live_server.url}/consultations/")
    expect(page).to_have_url(f"{live_server.url}/accounts/two-factor/?next=%2Fconsultations%2F")

    secret = page.get_by_test_id("totp-secret").inner_text()
    page.get_by_label("Code from your authenticator app").fill("123")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_text("Enter the 6 digits your app shows.", exact=True)).to_be_visible()
    page.get_by_label("Code from your authenticator app").fill(_code(secret))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page).to_have_url(f"{live_server.url}/consultations/")
    expect(page.get_by_text("Two-factor sign-in is on.")).to_be_visible()

    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="Log out").click()
    _sign_in(page, live_server.url)
    expect(page.get_by_role("heading", name="One more step")).to_be_visible()
    page.get_by_label("Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".invalid-feedback").get_by_text("That code is not right")).to_be_visible()
    assert not csp_errors, csp_errors


def test_repeated_wrong_passwords_show_the_lockout_page(page: Page, live_server, admin):
    for _ in range(5):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill("ada")
        page.get_by_label("Password").fill("not-the-password")
        page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Sign-in paused")).to_be_visible()
    expect(page.get_by_test_id("locked-out")).to_contain_text("paused for 15 minutes")
