"""The reminder history (admins only) and the watch button (any team role)."""

import datetime
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reminders.models import ReminderLog, ReminderStatus, SkipReason, contact_key, user_key
from tests.factories import ConsultationFactory, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db

HISTORY = reverse("reminders:log-list")
ROLES = ["policy_user", "reviewer_user", "admin_user"]


@pytest.fixture
def consultation():
    return ConsultationFactory(title="COP Results Framework", slug="cop", time_zone="Europe/Zurich")


def make_log(consultation, *, status=ReminderStatus.SENT, user=None, contact=None, **fields) -> ReminderLog:
    recipient = user or contact or UserFactory()
    is_contact = contact is not None
    return ReminderLog.objects.create(
        consultation=consultation,
        recipient_key=contact_key(recipient.pk) if is_contact else user_key(recipient.pk),
        user=None if is_contact else recipient,
        contact=contact,
        email=recipient.email,
        offset=fields.pop("offset", 7),
        deadline=consultation.deadline,
        due_at=consultation.deadline - datetime.timedelta(days=7),
        status=status,
        scan_id=uuid.uuid4(),
        **fields,
    )


# --- History --------------------------------------------------------------------------------------


def test_admins_see_every_reminder_with_its_status_and_reason(as_user, admin_user, consultation):
    """Sent, failed (with the error) and skipped (with the reason), newest first."""
    make_log(consultation, user=UserFactory(username="ada"))
    make_log(consultation, status=ReminderStatus.FAILED, error="SMTPDataError: (451, 'busy')", offset=3)
    make_log(
        consultation,
        status=ReminderStatus.SKIPPED,
        reason=SkipReason.OPTED_OUT,
        contact=ContactFactory(name="Otto", email="otto@example.org"),
        offset=1,
    )
    response = as_user(admin_user).get(HISTORY)
    assert response.status_code == 200
    content = response.content.decode()
    assert content.count('data-testid="reminder-row"') == 3
    assert "ada@example.org" in content and "Sent" in content
    assert "SMTPDataError: (451, &#x27;busy&#x27;)" in content
    assert "The contact opted out of e-mail" in content and "Otto" in content


@pytest.mark.parametrize("user_fixture", ["policy_user", "reviewer_user", "outsider"])
def test_other_roles_and_outsiders_may_not_see_the_history(request, as_user, user_fixture):
    assert as_user(request.getfixturevalue(user_fixture)).get(HISTORY).status_code == 403


def test_anonymous_visitors_are_sent_to_login_from_the_history(client):
    response = client.get(HISTORY)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_history_filters_by_status_recipient_kind_and_search(as_user, admin_user, consultation):
    """status=failed, kind=invited and a search each narrow the rows."""
    make_log(consultation, user=UserFactory(username="ada"))
    make_log(consultation, status=ReminderStatus.FAILED, user=UserFactory(username="bo"), error="refused")
    make_log(consultation, contact=ContactFactory(name="Ian", email="ian@iwf.example"))
    client = as_user(admin_user)

    def rows(**params) -> str:
        content = client.get(HISTORY, params).content.decode()
        return content.count('data-testid="reminder-row"'), content

    count, content = rows(status="failed")
    assert count == 1 and "bo@example.org" in content
    count, content = rows(kind="invited")
    assert count == 1 and "ian@iwf.example" in content
    count, _ = rows(kind="team")
    assert count == 2
    count, content = rows(q="ada")
    assert count == 1 and "ada@example.org" in content
    count, _ = rows(q="COP Results")
    assert count == 3


def test_the_history_is_paginated(as_user, admin_user, consultation):
    """Fifty rows a page; the second page holds the rest."""
    user = UserFactory()
    for offset in range(53):
        make_log(consultation, user=user, offset=offset)
    client = as_user(admin_user)
    assert client.get(HISTORY).content.decode().count('data-testid="reminder-row"') == 50
    second = client.get(HISTORY, {"page": 2}).content.decode()
    assert second.count('data-testid="reminder-row"') == 3
    assert "Page 2 of 2" in second


def test_history_query_count_does_not_grow_with_rows(as_user, admin_user, consultation):
    """One row or six, users and contacts: the same number of queries."""
    client = as_user(admin_user)
    make_log(consultation)
    client.get(HISTORY)
    with CaptureQueriesContext(connection) as one:
        client.get(HISTORY)
    user = UserFactory()
    for offset in range(5):
        if offset % 2:
            make_log(consultation, contact=ContactFactory(), offset=offset)
        else:
            make_log(consultation, user=user, offset=offset)
    with CaptureQueriesContext(connection) as six:
        response = client.get(HISTORY)
    assert response.content.decode().count('data-testid="reminder-row"') == 6
    assert len(six) == len(one)


def test_user_strings_on_the_history_are_escaped(as_user, admin_user):
    consultation = ConsultationFactory(title="<script>alert(1)</script>")
    make_log(consultation, contact=ContactFactory(name="<b>Eve</b>"))
    content = as_user(admin_user).get(HISTORY).content.decode()
    assert "<script>alert(1)</script>" not in content and "&lt;script&gt;" in content
    assert "<b>Eve</b>" not in content


# --- Watching -------------------------------------------------------------------------------------


def watch_url(consultation) -> str:
    return reverse("reminders:watch", args=[consultation.slug])


@pytest.mark.parametrize("user_fixture", ROLES)
def test_every_role_watches_and_unwatches_a_consultation(request, as_user, consultation, user_fixture):
    """Watch adds the user to the watchers, Unwatch removes them; the page comes back with a message."""
    user = request.getfixturevalue(user_fixture)
    client = as_user(user)
    response = client.post(watch_url(consultation), {"watch": "1"})
    assert response.status_code == 302 and response["Location"] == consultation.get_absolute_url()
    assert list(consultation.watchers.all()) == [user]
    client.post(watch_url(consultation), {"watch": "1"})  # twice: still one watcher
    assert consultation.watchers.count() == 1
    client.post(watch_url(consultation), {"watch": "0"})
    assert not consultation.watchers.exists()


def test_outsiders_may_not_watch(as_user, outsider, consultation):
    assert as_user(outsider).post(watch_url(consultation), {"watch": "1"}).status_code == 403
    assert not consultation.watchers.exists()


def test_anonymous_visitors_are_sent_to_login_from_watch(client, consultation):
    response = client.post(watch_url(consultation), {"watch": "1"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    assert not consultation.watchers.exists()


def test_watching_needs_a_post(as_user, policy_user, consultation):
    assert as_user(policy_user).get(watch_url(consultation)).status_code == 405


def test_watching_an_unknown_consultation_is_a_404(as_user, policy_user):
    assert as_user(policy_user).post(reverse("reminders:watch", args=["nope"]), {"watch": "1"}).status_code == 404


def test_the_consultation_page_shows_watch_then_unwatch(as_user, reviewer_user, consultation):
    """The button on the consultation's page says what a click will do."""
    client = as_user(reviewer_user)
    page = client.get(consultation.get_absolute_url()).content.decode()
    assert 'data-testid="watch-form"' in page and "> Watch</button>" in page
    consultation.watchers.add(reviewer_user)
    page = client.get(consultation.get_absolute_url()).content.decode()
    assert "> Unwatch</button>" in page and 'name="watch" value="0"' in page


def test_watching_through_htmx_returns_the_swapped_button(as_user, policy_user, consultation):
    """htmx gets only the button's form back, now offering Unwatch."""
    response = as_user(policy_user).post(watch_url(consultation), {"watch": "1"}, HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith("<form") and "> Unwatch</button>" in content
    assert "<html" not in content
