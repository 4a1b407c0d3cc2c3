"""Each user makes, replaces and revokes their own API token on a page; programs authenticate with it."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.authtoken.models import Token

from tests.api_helpers import token_client

PAGE = "accounts:api-token"


def test_a_team_member_makes_a_token_and_sees_it_once(as_user, policy_user):
    client = as_user(policy_user)
    page = client.get(reverse(PAGE))
    assert b"You have no API token." in page.content
    made = client.post(reverse("accounts:api-token-create"), follow=True)
    token = Token.objects.get(user=policy_user)
    assert token.key.encode() in made.content
    assert b"Copy it now" in made.content
    # Shown once: the next visit says a token exists but not what it is.
    again = client.get(reverse(PAGE))
    assert token.key.encode() not in again.content
    assert b"You have a token, made on" in again.content


def test_the_token_authenticates_api_calls_as_its_user(as_user, policy_user):
    as_user(policy_user).post(reverse("accounts:api-token-create"))
    key = Token.objects.get(user=policy_user).key
    api = token_client()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/organisations/").status_code == 200
    created = api.post("/api/v1/responses/", {"status": "draft"}, format="json")
    assert created.status_code == 400  # authenticated and allowed; only the fields are missing


def test_a_new_token_replaces_the_old_one(as_user, policy_user):
    client = as_user(policy_user)
    client.post(reverse("accounts:api-token-create"))
    old = Token.objects.get(user=policy_user).key
    client.post(reverse("accounts:api-token-create"))
    new = Token.objects.get(user=policy_user).key
    assert new != old
    api = token_client()
    api.credentials(HTTP_AUTHORIZATION=f"Token {old}")
    assert api.get("/api/v1/organisations/").status_code == 401


def test_a_revoked_token_is_refused(as_user, policy_user):
    client = as_user(policy_user)
    client.post(reverse("accounts:api-token-create"))
    key = Token.objects.get(user=policy_user).key
    revoked = client.post(reverse("accounts:api-token-revoke"), follow=True)
    assert b"Your API token is revoked" in revoked.content
    assert not Token.objects.filter(user=policy_user).exists()
    api = token_client()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/organisations/").status_code == 401


def test_the_page_is_linked_from_the_user_menu(as_user, reviewer_user):
    assert reverse(PAGE).encode() in as_user(reviewer_user).get(reverse("home")).content


@pytest.mark.parametrize("name", ["accounts:api-token", "accounts:api-token-create", "accounts:api-token-revoke"])
def test_an_outsider_may_not_make_a_token(as_user, outsider, name):
    client = as_user(outsider)
    answer = client.get(reverse(name)) if name == PAGE else client.post(reverse(name))
    assert answer.status_code == 403
    assert not Token.objects.exists()


@pytest.mark.parametrize("name", ["accounts:api-token", "accounts:api-token-create", "accounts:api-token-revoke"])
def test_anonymous_visitors_are_sent_to_the_login_page(client, name):
    answer = client.get(reverse(name)) if name == PAGE else client.post(reverse(name))
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("accounts:login"))


def test_creating_and_revoking_need_a_post(as_user, policy_user):
    client = as_user(policy_user)
    assert client.get(reverse("accounts:api-token-create")).status_code == 405
    assert client.get(reverse("accounts:api-token-revoke")).status_code == 405


def test_drf_create_token_makes_a_token_from_the_shell(policy_user, capsys):
    call_command("drf_create_token", policy_user.username)
    key = Token.objects.get(user=policy_user).key
    assert key in capsys.readouterr().out
    api = token_client()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/consultations/").status_code == 200
