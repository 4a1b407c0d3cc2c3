"""The user's API token: make one, see when it was made, revoke it."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from rest_framework.authtoken.models import Token

from accounts.access import role_required

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
