"""Sign-in security: lockout after repeated wrong passwords, password rules, and two-factor sign-in."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def code_for(device: TOTPDevice) -> str:
    """The code an authenticator app shows now for this device."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift):06d}"


def sign_in(client, username: str, password: str, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


# --- Lockout (django-axes) ------------------------------------------------------------------------------


def test_five_wrong_passwords_pause_sign_in_with_a_clear_page(client, policy_user, password, settings):
    """The fifth wrong password shows the lockout page (429); then even the right password is refused."""
    assert settings.LOGIN_FAILURE_LIMIT == 5
    for _ in range(4):
        response = sign_in(client, "policy", "wrong")
        assert response.status_code == 200
        assert b"correct username and password" in response.content
    response = sign_in(client, "policy", "wrong")
    assert response.status_code == 429
    text = response.content.decode()
    assert "Sign-in paused" in text
    assert "5 wrong passwords in a row for “policy”" in text
    assert "paused for 15 minutes" in text

    response = sign_in(client, "policy", password)
    assert response.status_code == 429
    assert client.get(reverse("home")).status_code == 302  # still not signed in


def test_a_successful_sign_in_clears_the_count(client, policy_user, password):
    for _ in range(4):
        sign_in(client, "policy", "wrong")
    assert sign_in(client, "policy", password).status_code == 302
    client.post(reverse("accounts:logout"))
    for _ in range(4):
        assert sign_in(client, "policy", "wrong").status_code == 200
    assert sign_in(client, "policy", password).status_code == 302


def test_the_pause_ends_after_the_lockout_time(client, policy_user, password):
    for _ in range(5):
        sign_in(client, "policy", "wrong")
    with time_machine.travel(datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(minutes=16)):
        assert sign_in(client, "policy", password).status_code == 302


def test_a_locked_username_does_not_lock_out_colleagues_at_the_same_address(
    client, policy_user, reviewer_user, password
):
    """Lockout is per username and address, so one person's typos do not stop the office."""
    for _ in range(5):
        sign_in(client, "policy", "wrong")
    assert sign_in(client, "reviewer", password).status_code == 302


def test_the_admin_login_page_is_throttled_too(client, admin_user):
    for _ in range(5):
        response = client.post(reverse("admin:login"), {"username": "admin", "password": "wrong"})
    assert response.status_code == 429


def test_an_admin_lifts_a_lockout_in_the_administration(client, as_user, policy_user, admin_user, password):
    from axes.models import AccessAttempt

    for _ in range(5):
        sign_in(client, "policy", "wrong")
    attempt = AccessAttempt.objects.get(username="policy")
    admin_client = as_user(admin_user)
    assert admin_client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 200
    response = admin_client.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
    assert response.status_code == 302
    client.logout()
    assert sign_in(client, "policy", password).status_code == 302


# --- Password rules ------------------------------------------------------------------------------------------


def test_django_password_validators_are_on(settings):
    names = {validator["NAME"].rsplit(".", 1)[1] for validator in settings.AUTH_PASSWORD_VALIDATORS}
    assert names == {
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    }


@pytest.mark.parametrize(
    ("new_password", "reason"),
    [
        ("short1", "too short"),
        ("password123", "too common"),
        ("83749201736452", "entirely numeric"),
        ("policy1", "too similar"),
    ],
)
def test_weak_new_passwords_are_refused_with_the_reason(as_user, policy_user, password, new_password, reason):
    response = as_user(policy_user).post(
        reverse("accounts:password-change"),
        {"old_password": password, "new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 200
    assert reason in response.content.decode()
    policy_user.refresh_from_db()
    assert policy_user.check_password(password)


# --- Two-factor sign-in (django-otp, TOTP) ----------------------------------------------------------------


def test_setting_up_shows_a_qr_code_drawn_here_and_the_key(as_user, policy_user):
    response = as_user(policy_user).get(reverse("accounts:two-factor"))
    assert response.status_code == 200
    text = response.content.decode()
    source = re.search(r'<img class="qr-code[^"]*" src="([^"]+)"', text).group(1)
    assert source.startswith("data:image/svg+xml")
    device = TOTPDevice.objects.get(user=policy_user, confirmed=False)
    assert re.search(r'data-testid="totp-secret">[A-Z2-7 ]{32,}<', text)
    # Reloading keeps the same key, so a half-finished scan still works.
    as_user(policy_user).get(reverse("accounts:two-factor"))
    assert TOTPDevice.objects.filter(user=policy_user).count() == 1
    assert TOTPDevice.objects.get(user=policy_user).key == device.key


def test_a_wrong_code_does_not_turn_it_on(as_user, policy_user):
    client = as_user(policy_user)
    client.get(reverse("accounts:two-factor"))
    response = client.post(reverse("accounts:two-factor"), {"token": "000000"})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=policy_user, confirmed=True).exists()
    response = client.post(reverse("accounts:two-factor"), {"token": "12ab"})
    assert "Enter the 6 digits your app shows." in response.content.decode()


def test_the_right_code_turns_it_on(as_user, policy_user):
    client = as_user(policy_user)
    client.get(reverse("accounts:two-factor"))
    device = TOTPDevice.objects.get(user=policy_user)
    response = client.post(reverse("accounts:two-factor"), {"token": code_for(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("home")).status_code == 200  # this session counts as verified
    assert "Two-factor sign-in is on" in client.get(reverse("accounts:two-factor")).content.decode()


@pytest.fixture
def policy_device(policy_user):
    return TOTPDevice.objects.create(user=policy_user, name="Phone", confirmed=True)


def test_with_a_device_sign_in_asks_for_a_code_before_anything(client, policy_user, password, policy_device):
    response = sign_in(client, "policy", password, next="/consultations/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/two-factor/verify/?next=%2Fconsultations%2F"
    # Every page waits for the code.
    response = client.get(reverse("responses:response-list"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/verify/")
    assert client.post(reverse("reminders:calendar-regenerate")).status_code == 302

    response = client.post("/accounts/two-factor/verify/", {"token": "000000", "next": "/consultations/"})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    policy_device.refresh_from_db()
    policy_device.throttling_failure_timestamp = None  # the wrong try above throttles the next; skip the wait
    policy_device.throttling_failure_count = 0
    policy_device.save()

    response = client.post(
        "/accounts/two-factor/verify/", {"token": code_for(policy_device), "next": "/consultations/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/consultations/"
    assert client.get(reverse("responses:response-list")).status_code == 200


def test_a_used_code_cannot_be_replayed(client, policy_user, password, policy_device):
    token = code_for(policy_device)
    sign_in(client, "policy", password)
    assert client.post("/accounts/two-factor/verify/", {"token": token}).status_code == 302
    client.post(reverse("accounts:logout"))
    sign_in(client, "policy", password)
    response = client.post("/accounts/two-factor/verify/", {"token": token})
    assert response.status_code == 200


def test_wrong_codes_are_throttled(client, policy_user, password, policy_device):
    sign_in(client, "policy", password)
    client.post("/accounts/two-factor/verify/", {"token": "000000"})
    response = client.post("/accounts/two-factor/verify/", {"token": code_for(policy_device)})
    assert "Too many wrong codes" in response.content.decode()


def test_the_admin_login_page_asks_for_the_code_too(client, admin_user, password):
    TOTPDevice.objects.create(user=admin_user, name="Phone", confirmed=True)
    client.post(reverse("admin:login"), {"username": "admin", "password": password, "next": "/admin/"})
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/verify/")


def test_turning_it_off(as_user, policy_user):
    """A user who turned it on can turn it off again (from a session that gave the code)."""
    client = as_user(policy_user)
    client.get(reverse("accounts:two-factor"))
    client.post(reverse("accounts:two-factor"), {"token": code_for(TOTPDevice.objects.get(user=policy_user))})
    response = client.post(reverse("accounts:two-factor-disable"))
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=policy_user).exists()
    assert "Two-factor sign-in is off" in client.get(reverse("accounts:two-factor")).content.decode()


def test_admins_must_set_it_up_when_required(client, settings, admin_user, policy_user, password):
    """With OTP_REQUIRED_FOR_ADMINS an admin without an authenticator sets one up before anything else."""
    settings.OTP_REQUIRED_FOR_ADMINS = True
    response = sign_in(client, "admin", password)
    assert response["Location"] == "/accounts/two-factor/?next=%2F"
    response = client.get(reverse("exports:job-list"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/")
    page = client.get(reverse("accounts:two-factor")).content.decode()
    assert "Admins must use two-factor sign-in here. Set it up to continue." in page
    device = TOTPDevice.objects.get(user=admin_user)
    assert client.post(reverse("accounts:two-factor"), {"token": code_for(device), "next": "/"}).status_code == 302
    assert client.get(reverse("exports:job-list")).status_code == 200
    # ... and cannot turn it off.
    client.post(reverse("accounts:two-factor-disable"))
    assert TOTPDevice.objects.filter(user=admin_user, confirmed=True).exists()

    other = client.__class__()
    assert sign_in(other, "policy", password)["Location"] == "/"
    assert other.get(reverse("home")).status_code == 200
