"""Invited contacts unsubscribe with a signed link: no login, a confirm page, RFC 8058 one-click."""

import datetime
from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from reminders.models import ReminderLog, ReminderStatus, SkipReason
from reminders.services import UNSUBSCRIBE_SALT, reminders_scan, unsubscribe_token
from tests.factories import ConsultationFactory, ContactFactory, InvitationFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2016, 1, 30, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def contact():
    return ContactFactory(name="Pia Policy", email="pia@facebook.example", organisation__name="Facebook")


def unsubscribe_url(contact) -> str:
    return reverse("reminders:unsubscribe", args=[unsubscribe_token(contact)])


def test_the_link_shows_a_confirm_page_without_login_and_changes_nothing(client, contact):
    """Opening the link (as a mail scanner might) only asks; the contact still receives e-mail."""
    response = client.get(unsubscribe_url(contact))
    assert response.status_code == 200
    content = response.content.decode()
    assert "pia@facebook.example" in content and "Facebook" in content
    assert 'method="post"' in content
    contact.refresh_from_db()
    assert not contact.opted_out


def test_confirming_opts_the_contact_out_at_once(client, contact):
    response = Client(enforce_csrf_checks=True).post(unsubscribe_url(contact))
    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    contact.refresh_from_db()
    assert contact.opted_out


def test_the_one_click_post_of_rfc_8058_opts_out_without_a_csrf_token(contact):
    """A mail provider POSTs List-Unsubscribe=One-Click to the header's address, with no cookie or token."""
    response = Client(enforce_csrf_checks=True).post(
        unsubscribe_url(contact),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.opted_out


@pytest.mark.parametrize("user_fixture", ["policy_user", "reviewer_user", "admin_user", "outsider"])
def test_signed_in_users_of_any_role_or_none_use_the_same_link(request, as_user, contact, user_fixture):
    """The signature is the credential, whoever follows the link."""
    client = as_user(request.getfixturevalue(user_fixture))
    assert client.get(unsubscribe_url(contact)).status_code == 200
    assert client.post(unsubscribe_url(contact)).status_code == 200
    contact.refresh_from_db()
    assert contact.opted_out


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        signing.dumps({"contact": 1}, salt="another.purpose"),
        signing.dumps({"contact": "1"}, salt=UNSUBSCRIBE_SALT),
        signing.dumps({"contact": 999999}, salt=UNSUBSCRIBE_SALT),
    ],
)
def test_a_forged_or_unknown_token_is_a_404(client, contact, token):
    """Only a token we signed for this purpose, naming an existing contact, works."""
    assert client.get(reverse("reminders:unsubscribe", args=[token])).status_code == 404
    assert client.post(reverse("reminders:unsubscribe", args=[token])).status_code == 404
    contact.refresh_from_db()
    assert not contact.opted_out


def test_a_tampered_token_cannot_unsubscribe_someone_else(client, contact):
    """Changing the contact id inside a real token breaks its signature."""
    other = ContactFactory()
    token = unsubscribe_token(contact)
    payload, rest = token.split(":", 1)
    forged = signing.b64_encode(f'{{"contact":{other.pk}}}'.encode()).decode() + ":" + rest
    assert payload != forged.split(":", 1)[0]
    assert client.post(reverse("reminders:unsubscribe", args=[forged])).status_code == 404
    other.refresh_from_db()
    assert not other.opted_out


def test_an_unsubscribed_contact_gets_no_more_reminders(client, contact, mailoutbox):
    """After the one-click opt-out the next scan sends nothing to Pia and records why."""
    consultation = ConsultationFactory(
        remind_invited_contacts=True,
        time_zone="UTC",
        opens_at=datetime.datetime(2016, 1, 1, tzinfo=datetime.UTC),
        deadline=datetime.datetime(2016, 2, 10, 12, 0, tzinfo=datetime.UTC),
    )
    InvitationFactory(consultation=consultation, organisation=contact.organisation)
    reminders_scan(now=NOW - datetime.timedelta(days=6))  # 17 days before: nothing due yet
    assert mailoutbox == []
    reminders_scan(now=NOW - datetime.timedelta(days=3))  # 14 days before
    (message,) = mailoutbox
    link = message.extra_headers["List-Unsubscribe"].strip("<>")
    one_click = Client().post(
        urlsplit(link).path, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert one_click.status_code == 200
    reminders_scan(now=NOW)  # 11 days before: the 7-day reminder is not due; 3 days later it is
    reminders_scan(now=NOW + datetime.timedelta(days=4))
    assert len(mailoutbox) == 1
    log = ReminderLog.objects.get(offset=7)
    assert (log.status, log.reason) == (ReminderStatus.SKIPPED, SkipReason.OPTED_OUT)


def test_anonymous_visitors_need_no_login_for_the_link(client, contact):
    """The page is public: no redirect to the login page."""
    response = client.get(unsubscribe_url(contact))
    assert response.status_code == 200
    assert "/accounts/login/" not in response.get("Location", "")
