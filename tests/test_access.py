"""Every page needs a login, and a role: checked for each role and an outsider."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("user_fixture", ["policy_user", "reviewer_user", "admin_user"])
def test_each_role_sees_the_home_page(request, as_user, user_fixture):
    """Policy staff, reviewers and admins all reach the start page."""
    client = as_user(request.getfixturevalue(user_fixture))
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert b"Open consultations" in response.content


def test_anonymous_visitor_is_sent_to_login(client):
    """Without a login the home page redirects to the login page, remembering where to go."""
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next=/"


def test_admin_site_needs_a_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_signed_in_user_without_a_role_is_refused(as_user, outsider):
    """An account with no role sees a clear 403 page, not the team's data."""
    response = as_user(outsider).get(reverse("home"))
    assert response.status_code == 403
    assert b"not allowed" in response.content


def test_login_page_is_public(client):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content


def test_login_with_wrong_password_keeps_username_and_says_why(client, policy_user):
    """A failed login explains itself and keeps what was typed."""
    response = client.post(reverse("accounts:login"), {"username": "policy", "password": "wrong"})
    assert response.status_code == 200
    assert b"correct username and password" in response.content
    assert b'value="policy"' in response.content


def test_login_then_logout(client, policy_user, password):
    response = client.post(reverse("accounts:login"), {"username": "policy", "password": password})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_password_change(as_user, policy_user, password):
    """A user changes their own password and the new one works."""
    client = as_user(policy_user)
    assert client.get(reverse("accounts:password-change")).status_code == 200
    response = client.post(
        reverse("accounts:password-change"),
        {"old_password": password, "new_password1": "a-much-better-one-42", "new_password2": "a-much-better-one-42"},
    )
    assert response.status_code == 302
    policy_user.refresh_from_db()
    assert policy_user.check_password("a-much-better-one-42")


def test_password_change_needs_login(client):
    response = client.get(reverse("accounts:password-change"))
    assert response.status_code == 302


def test_home_page_escapes_user_strings(as_user, policy_user):
    """Names typed by users are shown as text, never as markup."""
    from tests.factories import ConsultationFactory

    ConsultationFactory(title="<script>alert(1)</script>")
    response = as_user(policy_user).get(reverse("home"))
    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.content


def test_pages_carry_no_inline_script(as_user, policy_user, client):
    """Scripts come from files only, so a strict Content-Security-Policy can forbid inline ones."""
    import re

    for response in [client.get(reverse("accounts:login")), as_user(policy_user).get(reverse("home"))]:
        scripts = re.findall(rb"<script\b[^>]*>", response.content)
        assert scripts, "the page loads its scripts"
        assert all(b"src=" in tag for tag in scripts)
        assert not re.search(rb"\son[a-z]+=", response.content)


def test_dates_are_shown_in_the_viewers_time_zone(as_user, policy_user):
    """A deadline stored in UTC is shown in the zone the user chose."""
    import datetime

    from tests.factories import ConsultationFactory

    policy_user.time_zone = "Asia/Tokyo"
    policy_user.save()
    ConsultationFactory(
        opens_at=datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC),
        deadline=datetime.datetime(2030, 1, 31, 22, 0, tzinfo=datetime.UTC),
    )
    import time_machine

    with time_machine.travel(datetime.datetime(2030, 1, 15, tzinfo=datetime.UTC)):
        response = as_user(policy_user).get(reverse("home"))
    assert b"1 Feb 2030, 07:00" in response.content
