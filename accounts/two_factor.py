"""Two-factor sign-in with a time-based one-time code (TOTP, django-otp): who needs it, and its device.

A user turns it on by scanning a QR code into an authenticator app and typing one code back; from
then on, every sign-in asks for a fresh code after the password. With OTP_REQUIRED_FOR_ADMINS,
admins cannot use the app until they have set it up.
"""

import enum

import segno
from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.roles import Role

DEVICE_NAME = "Authenticator app"


class Step(enum.StrEnum):
    VERIFY = "verify"  # has a confirmed device: give this sign-in's code
    SETUP = "setup"  # must have a device and has none: set one up


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def is_required(user: User) -> bool:
    """Whether this user may not work without a second factor (admins, when the setting says so)."""
    return settings.OTP_REQUIRED_FOR_ADMINS and user.has_role(Role.ADMIN)


SESSION_KEY = "accounts.second_factor_step"


def step_for(user: User) -> Step | None:
    """What this user must do after the password, before using the app, or None."""
    if confirmed_device(user):
        return Step.VERIFY
    if is_required(user):
        return Step.SETUP
    return None


def note_pending_step(sender, request, user, **kwargs) -> None:
    """On sign-in, note in the session the step still owed (read by SecondFactorMiddleware, no query per page)."""
    if request is None or not hasattr(request, "session"):
        return
    step = step_for(user)
    if step is None:
        request.session.pop(SESSION_KEY, None)
    else:
        request.session[SESSION_KEY] = step.value


def pending_step(request) -> Step | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not hasattr(request, "session"):
        return None
    value = request.session.get(SESSION_KEY)
    return Step(value) if value else None


def step_done(request, device: TOTPDevice) -> None:
    """The second factor is given: this session may use the app."""
    from django_otp import login as otp_login

    otp_login(request, device)
    request.session.pop(SESSION_KEY, None)


def device_to_confirm(user: User) -> TOTPDevice:
    """The unconfirmed device being set up (made on first visit, kept across reloads of the page)."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def confirm(device: TOTPDevice, token: str) -> bool:
    """Check the first code from the app; on success the device is the user's second factor (the only one)."""
    if not device.verify_token(token):
        return False
    TOTPDevice.objects.devices_for_user(device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return True


def turn_off(user: User) -> None:
    TOTPDevice.objects.devices_for_user(user).delete()


def qr_code_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// address of the device as an SVG QR code, drawn here (no outside service sees the secret)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2, dark="#000", light="#fff")


def secret_for_typing(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for apps that cannot scan."""
    import base64

    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
