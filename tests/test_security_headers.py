"""Security headers on every page, cookies and sessions that expire, and templates a strict CSP can serve."""

import re
import secrets
from pathlib import Path

import pytest
from django.urls import reverse

from tests.helpers import ROOT, child_env, manage

pytestmark = pytest.mark.django_db

PRODUCTION = {"DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "consultrack.example.org"}


def _directives(header: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


@pytest.mark.parametrize("signed_in", [False, True])
def test_pages_carry_a_strict_content_security_policy(client, policy_user, signed_in):
    """Scripts and styles only from our own origin, never inline; no plugins; no framing; no foreign forms."""
    if signed_in:
        client.force_login(policy_user)
    response = client.get(reverse("home" if signed_in else "accounts:login"))
    policy = _directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["base-uri"] == ["'self'"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]


def test_pages_deny_framing_sniffing_and_foreign_referrers(client):
    response = client.get(reverse("accounts:login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_htmx_is_configured_for_the_policy(as_user, policy_user):
    """htmx injects no indicator <style>, evaluates no hx-on or js: code and runs no swapped-in scripts."""
    import json

    content = as_user(policy_user).get(reverse("home")).content.decode()
    config = json.loads(re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", content).group(1))
    assert config == {"includeIndicatorStyles": False, "allowEval": False, "allowScriptTags": False}


WEB_TEMPLATES = [
    path
    for path in (ROOT / "templates").rglob("*.html")
    # E-mails need inline styles (mail clients ignore stylesheets); the pack is printed by WeasyPrint, not served.
    if "emails" not in path.parts and path.name not in {"pack.html"}
]


@pytest.mark.parametrize("path", WEB_TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "templates")))
def test_web_templates_have_nothing_the_policy_forbids(path: Path):
    """No inline script or style, no style attribute, no inline event handler, no hx-on."""
    text = path.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>"
    assert "<style" not in text, "inline <style>"
    assert not re.search(r"\sstyle=", text), "style attribute"
    assert not re.search(r"\son[a-z]+=", text), "inline event handler"
    assert not re.search(r"\s(?:data-)?hx-on[:-]", text), "hx-on handler"
    assert "javascript:" not in text


def test_our_scripts_set_no_style_attribute():
    """Scripts may set CSSOM properties (allowed under the policy), never a style attribute or inline <style>."""
    for path in (ROOT / "static" / "js").glob("*.js"):
        text = path.read_text()
        assert not re.search(r"setAttribute\(\s*[\"']style", text), path.name
        assert "<style" not in text, path.name
        assert "style=" not in text, path.name
        assert "eval(" not in text and "new Function" not in text, path.name


def test_sessions_expire_after_the_configured_age(client, policy_user, password, settings):
    """The session cookie carries SESSION_COOKIE_AGE and is HttpOnly."""
    settings.SESSION_COOKIE_AGE = 3600
    client.post(reverse("accounts:login"), {"username": "policy", "password": password})
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == 3600
    assert cookie["httponly"]
    assert client.session.get_expiry_age() == 3600


def _settings_of(env: dict[str, str], *names: str) -> dict[str, str]:
    script = "from django.conf import settings; " + "; ".join(
        f"print({name!r}, repr(settings.{name}))" for name in names
    )
    result = manage("shell", "-c", script, env=env)
    assert result.returncode == 0, result.stderr
    return dict(line.split(" ", 1) for line in result.stdout.splitlines() if line.split(" ", 1)[0] in names)


def test_production_defaults_are_secure(tmp_path):
    """With DEBUG off: HTTPS redirect, HSTS for a year with subdomains, secure and HttpOnly cookies, 12-hour sessions."""
    values = _settings_of(
        child_env(**PRODUCTION, DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3"),
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "CSRF_COOKIE_HTTPONLY",
        "SESSION_COOKIE_AGE",
        "SESSION_EXPIRE_AT_BROWSER_CLOSE",
    )
    assert values == {
        "SECURE_SSL_REDIRECT": "True",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "True",
        "SESSION_COOKIE_SECURE": "True",
        "CSRF_COOKIE_SECURE": "True",
        "CSRF_COOKIE_HTTPONLY": "True",
        "SESSION_COOKIE_AGE": "43200",
        "SESSION_EXPIRE_AT_BROWSER_CLOSE": "False",
    }


def test_session_age_and_browser_close_come_from_the_environment(tmp_path):
    env = child_env(
        **PRODUCTION,
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        SESSION_COOKIE_AGE="1800",
        SESSION_EXPIRE_AT_BROWSER_CLOSE="true",
    )
    values = _settings_of(env, "SESSION_COOKIE_AGE", "SESSION_EXPIRE_AT_BROWSER_CLOSE")
    assert values == {"SESSION_COOKIE_AGE": "1800", "SESSION_EXPIRE_AT_BROWSER_CLOSE": "True"}


def test_a_session_age_below_a_minute_is_refused(tmp_path):
    result = manage(
        "check", env=child_env(**PRODUCTION, DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3", SESSION_COOKIE_AGE="5")
    )
    assert result.returncode != 0
    assert "SESSION_COOKIE_AGE must be 60 seconds or more" in result.stderr
    assert "Traceback" not in result.stderr
