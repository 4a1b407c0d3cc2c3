"""Each user's secret iCal feed of the deadlines they own or watch, and the calendar settings page."""

import datetime
import re
import zoneinfo

import pytest
import time_machine
from django.urls import reverse
from icalendar import Calendar

from accounts.roles import Role
from reminders.models import ReminderPreference, hash_token
from reminders.views import FRESH_TOKEN_SESSION_KEY
from tests.factories import ConsultationFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

SETTINGS_PAGE = reverse("reminders:calendar-settings")
REGENERATE = reverse("reminders:calendar-regenerate")
UTC = datetime.UTC
ZURICH = zoneinfo.ZoneInfo("Europe/Zurich")
NOW = datetime.datetime(2016, 1, 10, 12, 0, tzinfo=UTC)


def feed_url(token: str) -> str:
    return reverse("reminders:calendar-feed", args=[token])


def make_feed(user) -> str:
    """A feed secret for `user`, as the regenerate button makes it."""
    preference, _ = ReminderPreference.objects.get_or_create(user=user)
    return preference.regenerate_calendar_token()


@pytest.fixture
def deadlines(policy_user):
    """Policy staff own COP (Geneva), watch the age-verification one (UTC); a third is someone else's."""
    cop = ConsultationFactory(
        title="COP Results Framework",
        slug="cop",
        reference="CWG-COP/1",
        issuer=OrganisationFactory(name="ITU"),
        time_zone="Europe/Zurich",
        opens_at=datetime.datetime(2015, 12, 1, tzinfo=UTC),
        deadline=datetime.datetime(2016, 1, 31, 23, 59, tzinfo=ZURICH),
        reminder_offsets="7, 1, 0",
    )
    cop.owners.add(policy_user)
    watched = ConsultationFactory(
        title="Age verification",
        time_zone="UTC",
        opens_at=datetime.datetime(2015, 12, 1, tzinfo=UTC),
        deadline=datetime.datetime(2016, 2, 15, 12, 0, tzinfo=UTC),
    )
    watched.watchers.add(policy_user)
    ConsultationFactory(title="Someone else's", opens_at=None, deadline=datetime.datetime(2016, 2, 1, tzinfo=UTC))
    return {"cop": cop, "watched": watched}


def fetch(client, token: str) -> Calendar:
    with time_machine.travel(NOW, tick=False):
        response = client.get(feed_url(token))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def test_the_feed_lists_owned_and_watched_deadlines_in_the_issuer_zone_with_alarms(client, policy_user, deadlines):
    """No login needed with the secret: VEVENTs at the deadline (TZID Europe/Zurich), a VALARM per reminder day."""
    calendar = fetch(client, make_feed(policy_user))
    assert str(calendar["version"]) == "2.0"
    events = {str(event["summary"]): event for event in calendar.walk("VEVENT")}
    assert set(events) == {"Deadline: COP Results Framework", "Deadline: Age verification"}
    cop = events["Deadline: COP Results Framework"]
    assert cop["dtstart"].params["TZID"] == "Europe/Zurich"
    assert cop.decoded("dtstart") == datetime.datetime(2016, 1, 31, 23, 59, tzinfo=ZURICH)
    assert str(cop["url"]).endswith("/consultations/cop/")
    assert "ITU" in str(cop["description"])
    assert [timezone.get("TZID") for timezone in calendar.walk("VTIMEZONE")] == ["Europe/Zurich"]
    alarms = cop.walk("VALARM")
    assert [str(alarm["action"]) for alarm in alarms] == ["DISPLAY"] * 3
    assert all(alarm["trigger"].params["VALUE"] == "DATE-TIME" for alarm in alarms)
    # Midnight in Geneva, 7 days, 1 day and the day itself before 31 January.
    assert [alarm.decoded("trigger") for alarm in alarms] == [
        datetime.datetime(2016, 1, 23, 23, 0, tzinfo=UTC),
        datetime.datetime(2016, 1, 29, 23, 0, tzinfo=UTC),
        datetime.datetime(2016, 1, 30, 23, 0, tzinfo=UTC),
    ]
    assert "the deadline is in 7 days" in str(alarms[0]["description"])
    watched = events["Deadline: Age verification"]
    assert watched.decoded("dtstart") == datetime.datetime(2016, 2, 15, 12, 0, tzinfo=UTC)
    assert len(watched.walk("VALARM")) == 5  # the default 14, 7, 3, 1, 0


def test_the_feed_uses_the_users_own_reminder_days(client, policy_user, deadlines):
    """With "2" as their days, every deadline has one alarm, two days before at local midnight."""
    token = make_feed(policy_user)
    ReminderPreference.objects.filter(user=policy_user).update(offsets="2")
    events = {str(event["summary"]): event for event in fetch(client, token).walk("VEVENT")}
    (alarm,) = events["Deadline: COP Results Framework"].walk("VALARM")
    assert alarm.decoded("trigger") == datetime.datetime(2016, 1, 28, 23, 0, tzinfo=UTC)


def test_a_wrong_or_replaced_secret_is_a_404(client, policy_user, deadlines):
    """Guessing fails; after a new address is made the old one stops working at once."""
    old = make_feed(policy_user)
    assert client.get(feed_url("not-the-secret")).status_code == 404
    new = make_feed(policy_user)
    assert client.get(feed_url(old)).status_code == 404
    assert client.get(feed_url(new)).status_code == 200


def test_the_feed_of_someone_who_left_the_team_is_a_404(client, policy_user, deadlines):
    """A deactivated account, or one without a role, has no feed."""
    token = make_feed(policy_user)
    policy_user.groups.clear()
    assert client.get(feed_url(token)).status_code == 404
    former = UserFactory(username="former", role=Role.REVIEWER, is_active=False)
    assert client.get(feed_url(make_feed(former))).status_code == 404


def test_only_a_hash_of_the_secret_is_stored(policy_user):
    token = make_feed(policy_user)
    preference = ReminderPreference.objects.get(user=policy_user)
    assert preference.calendar_token_hash == hash_token(token) and token not in preference.calendar_token_hash
    assert len(token) >= 40


@pytest.mark.parametrize("user_fixture", ["policy_user", "reviewer_user", "admin_user", "outsider"])
def test_the_secret_is_the_credential_whoever_is_signed_in(request, as_user, policy_user, deadlines, user_fixture):
    """Calendar programs have no session: the feed answers to its secret, not to a login."""
    token = make_feed(policy_user)
    client = as_user(request.getfixturevalue(user_fixture))
    assert len(fetch(client, token).walk("VEVENT")) == 2


def test_the_feed_answers_only_get(client, policy_user):
    assert client.post(feed_url(make_feed(policy_user))).status_code == 405


# --- The settings page ----------------------------------------------------------------------------


@pytest.mark.parametrize("user_fixture", ["policy_user", "reviewer_user", "admin_user"])
def test_every_role_reaches_the_calendar_page_and_makes_a_feed(request, as_user, user_fixture):
    """The page offers a feed; the POST makes one, shown once on the next page, then no more."""
    client = as_user(request.getfixturevalue(user_fixture))
    page = client.get(SETTINGS_PAGE)
    assert page.status_code == 200 and "Make my feed address" in page.content.decode()
    response = client.post(REGENERATE)
    assert response.status_code == 302 and response["Location"] == SETTINGS_PAGE
    shown = client.get(SETTINGS_PAGE).content.decode()
    assert 'data-testid="feed-url"' in shown
    token = re.search(r'data-testid="feed-url-box">.*?/reminders/calendar/([\w-]+)\.ics"', shown, re.S).group(1)
    assert client.get(feed_url(token)).status_code == 200
    again = client.get(SETTINGS_PAGE).content.decode()
    assert token not in again and "Make a new address" in again


def test_the_session_holds_the_fresh_secret_only_until_it_is_shown(as_user, policy_user):
    client = as_user(policy_user)
    client.post(REGENERATE)
    assert FRESH_TOKEN_SESSION_KEY in client.session
    client.get(SETTINGS_PAGE)
    assert FRESH_TOKEN_SESSION_KEY not in client.session


def test_outsiders_may_not_use_the_calendar_pages(as_user, outsider):
    client = as_user(outsider)
    assert client.get(SETTINGS_PAGE).status_code == 403
    assert client.post(REGENERATE).status_code == 403
    assert not ReminderPreference.objects.exists()


@pytest.mark.parametrize("url", [SETTINGS_PAGE, REGENERATE])
def test_anonymous_visitors_are_sent_to_login_from_the_calendar_pages(client, url):
    response = client.post(url) if url == REGENERATE else client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_regenerating_needs_a_post(as_user, policy_user):
    assert as_user(policy_user).get(REGENERATE).status_code == 405


def test_a_user_saves_their_own_reminder_days_tidied(as_user, policy_user):
    """ "0,7, 1" is kept as "7, 1, 0"; blank brings back each consultation's days."""
    client = as_user(policy_user)
    response = client.post(SETTINGS_PAGE, {"offsets": "0,7, 1"})
    assert response.status_code == 302
    assert ReminderPreference.objects.get(user=policy_user).offsets == "7, 1, 0"
    client.post(SETTINGS_PAGE, {"offsets": ""})
    assert ReminderPreference.objects.get(user=policy_user).offset_days() is None


def test_bad_reminder_days_are_refused_with_the_typed_value_kept(as_user, policy_user):
    response = as_user(policy_user).post(SETTINGS_PAGE, {"offsets": "7, soon"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "“soon” is not a number of days between 0 and 365." in content
    assert 'value="7, soon"' in content


def test_the_page_lists_the_watched_consultations_with_an_unwatch_button(as_user, policy_user, deadlines):
    content = as_user(policy_user).get(SETTINGS_PAGE).content.decode()
    watched = content.split('data-testid="watched"')[1]
    assert "Age verification" in watched and "COP Results Framework" not in watched
    assert "> Unwatch</button>" in watched


def test_the_user_menu_links_to_the_calendar_page(as_user, reviewer_user):
    assert f'href="{SETTINGS_PAGE}"' in as_user(reviewer_user).get(reverse("home")).content.decode()


def test_another_users_feed_is_not_reachable_with_ones_own_login(as_user, policy_user, deadlines):
    """The feed is found by its secret only: a logged-in colleague without it gets a 404."""
    make_feed(policy_user)
    colleague = UserFactory(username="colleague")
    assert as_user(colleague).get(feed_url("x" * 43)).status_code == 404
