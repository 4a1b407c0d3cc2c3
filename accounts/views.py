"""Sign-in with throttling (django-axes, in settings) and the second factor: set up, give, turn off;
the user's API token: make one, see when it was made, revoke it; the language of pages and e-mails."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from rest_framework.authtoken.models import Token

from accounts import two_factor
from accounts.access import role_required
from accounts.forms import TokenForm


def _next_url(request: HttpRequest) -> str:
    """Where to go once done: the `next` the user came with, if it is one of ours; else home."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(candidate, {request.get_host()}, require_https=request.is_secure()):
        return candidate
    return reverse("home")


def with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


class SignInView(auth_views.LoginView):
    """Django's login page; then, for a user with a second factor (or an admin who must have one), that step."""

    redirect_authenticated_user = True

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        step = two_factor.pending_step(self.request)
        if step is two_factor.Step.VERIFY:
            return HttpResponseRedirect(with_next("accounts:two-factor-verify", self.get_success_url()))
        if step is two_factor.Step.SETUP:
            return HttpResponseRedirect(with_next("accounts:two-factor", self.get_success_url()))
        return response


@require_http_methods(["GET", "POST"])
def two_factor_settings(request: HttpRequest) -> HttpResponse:
    """Turn two-factor sign-in on (scan, then type a code), or see that it is on."""
    device = two_factor.confirmed_device(request.user)
    if device:
        if request.method == "POST":
            return redirect("accounts:two-factor")
        return render(
            request,
            "accounts/two_factor.html",
            {"device": device, "required": two_factor.is_required(request.user)},
        )
    setup = two_factor.device_to_confirm(request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor.confirm(setup, form.cleaned_data["token"]):
            two_factor.step_done(request, setup)
            messages.success(request, _("Two-factor sign-in is on. Each sign-in now asks for a code from your app."))
            return redirect(_next_url(request))
        form.add_error("token", _("That code is not right. Check the clock of your phone and type the newest code."))
    context = {
        "setup": setup,
        "form": form,
        "qr_code": two_factor.qr_code_data_uri(setup),
        "secret": two_factor.secret_for_typing(setup),
        "required": two_factor.is_required(request.user),
        "next": _next_url(request),
    }
    return render(request, "accounts/two_factor.html", context)


@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """After the password: the code from the app, for this sign-in."""
    device = two_factor.confirmed_device(request.user)
    if device is None:
        return redirect("accounts:two-factor")
    if two_factor.pending_step(request) is None:
        return redirect(_next_url(request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, details = device.verify_is_allowed()
        if not allowed:
            form.add_error(
                "token",
                _("Too many wrong codes: wait a little (until %(time)s) and try again.")
                % {"time": details["locked_until"].strftime("%H:%M:%S UTC")}
                if details and details.get("locked_until")
                else _("Too many wrong codes: wait a little and try again."),
            )
        elif device.verify_token(form.cleaned_data["token"]):
            two_factor.step_done(request, device)
            return redirect(_next_url(request))
        else:
            form.add_error("token", _("That code is not right, or was already used. Type the newest code."))
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": _next_url(request)})


@require_POST
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    if two_factor.is_required(request.user):
        messages.error(request, _("Admins must use two-factor sign-in here; it cannot be turned off."))
    elif two_factor.confirmed_device(request.user):
        two_factor.turn_off(request.user)
        messages.success(request, _("Two-factor sign-in is off. Sign-ins ask only for your password."))
    return redirect("accounts:two-factor")


# django-axes keeps the user name of each failed sign-in in a column of this many characters.
AXES_USERNAME_LENGTH = 255


def axes_username(request: HttpRequest, credentials: dict | None = None) -> str:
    """The user name django-axes records and locks out by: as typed, but cut to fit its column and without
    NUL. Django's sign-in form does not limit the name's length before checking the password, so a
    10,000-character name would otherwise end the sign-in with a database error."""
    source = credentials if credentials else getattr(request, "data", request.POST)
    name = str((source or {}).get("username") or "")
    return name.replace("\x00", "")[:AXES_USERNAME_LENGTH]


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """The page django-axes shows (429) when a username and address have had too many wrong passwords."""
    from axes.helpers import get_client_username
    from django.conf import settings

    context = {
        "username": get_client_username(request, credentials) or "",
        "failure_limit": settings.LOGIN_FAILURE_LIMIT,
        "lockout_minutes": settings.LOGIN_LOCKOUT_MINUTES,
    }
    return render(request, "accounts/locked_out.html", context, status=429)


# The key of a token just made, shown on the next page once and then forgotten by the session.
FRESH_TOKEN_SESSION_KEY = "accounts:fresh-api-token"  # noqa: S105 - a session key, not a secret


@require_GET
@role_required()
def api_token(request: HttpRequest) -> HttpResponse:
    """Whether the user has a token, and its key once, just after it was made."""
    token = Token.objects.filter(user=request.user).first()
    fresh = request.session.pop(FRESH_TOKEN_SESSION_KEY, None)
    context = {"token": token, "fresh_key": fresh if token and fresh == token.key else ""}
    return render(request, "accounts/api_token.html", context)


@require_POST
@role_required()
def api_token_create(request: HttpRequest) -> HttpResponse:
    """Make a new token; one the user had stops working at once."""
    had_token = Token.objects.filter(user=request.user).delete()[0] > 0
    token = Token.objects.create(user=request.user)
    request.session[FRESH_TOKEN_SESSION_KEY] = token.key
    if had_token:
        messages.success(request, _("You have a new API token; the old one no longer works. Copy it now."))
    else:
        messages.success(request, _("Your API token is ready. Copy it now: it is shown only once."))
    return redirect("accounts:api-token")


@require_POST
@role_required()
def api_token_revoke(request: HttpRequest) -> HttpResponse:
    if Token.objects.filter(user=request.user).delete()[0]:
        messages.success(request, _("Your API token is revoked: programs using it are refused from now on."))
    else:
        messages.info(request, _("You had no API token."))
    return redirect("accounts:api-token")


@login_not_required
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (the language cookie, then back to `next`), open to visitors for the sign-in
    page; a signed-in user's choice is also kept on their account, so that it follows them to every device
    and into their e-mails."""
    response = i18n.set_language(request)
    language = request.POST.get(i18n.LANGUAGE_QUERY_PARAMETER) if request.method == "POST" else None
    if language not in dict(settings.LANGUAGES):
        # Django's view takes any language it has a catalogue of; only those the app offers are kept.
        response.cookies.pop(settings.LANGUAGE_COOKIE_NAME, None)
        return response
    user = request.user
    if user.is_authenticated and user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return response
