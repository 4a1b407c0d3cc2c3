"""English and French: every string translated, the switcher, the user's own language, localised dates and numbers."""

import datetime
import gettext
import re
import shutil
from contextlib import chdir
from pathlib import Path

import polib
import pytest
import time_machine
from django import forms
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.text import capfirst

from accounts.roles import Role
from config.management.commands.makemessages import IGNORED
from notifications.models import Notification
from notifications.services import notification_deliver_email, notify
from responses.models import Channel, Response, ResponseStatus
from responses.services import response_request_review
from tests.factories import ConsultationFactory, DraftFactory, OrganisationFactory, UserFactory

HOME = reverse("home")
SET_LANGUAGE = reverse("set_language")
PO = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"
NOW = datetime.datetime(2030, 1, 1, 12, 0, tzinfo=datetime.UTC)
# %(name)s, %s, %d and {name}: what Python fills in, which a translation must keep as it is.
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]+\}")
TAG = re.compile(r"</?[a-z]+[^>]*>")


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def _needs_work(po: polib.POFile) -> list[str]:
    """The msgids of live entries that are untranslated (wholly or in one plural form) or fuzzy."""
    return [
        entry.msgid
        for entry in po
        if not entry.obsolete
        and (
            "fuzzy" in entry.flags
            or (not entry.msgid_plural and not entry.msgstr)
            or (entry.msgid_plural and not all(entry.msgstr_plural.values()))
        )
    ]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> polib.POFile:
    """makemessages run now over a copy of the project's source, with the committed French catalogue in it:
    strings added to the code since the catalogue was last updated come out untranslated."""
    root = tmp_path_factory.mktemp("project") / "consultrack"
    shutil.copytree(
        settings.BASE_DIR,
        root,
        ignore=shutil.ignore_patterns(*IGNORED, "__pycache__", "*.mo", ".*cache", "test-results"),
    )
    with override_settings(LOCALE_PATHS=[root / "locale"]), chdir(root):
        call_command("makemessages", locale=["fr"], verbosity=0)
    return polib.pofile(str(root / "locale" / "fr" / "LC_MESSAGES" / "django.po"))


# The catalogue ----------------------------------------------------------------------------------------------


def test_every_string_of_the_code_is_translated_into_french(extracted):
    """Extracting the strings afresh finds none without a French translation, and none marked fuzzy
    (run `make messages`, translate what it lists, and commit locale/fr/LC_MESSAGES/django.po)."""
    live = [entry for entry in extracted if not entry.obsolete]
    assert len(live) > 1500  # the whole UI was found, not an empty run
    assert _needs_work(extracted) == []
    assert extracted.metadata["Plural-Forms"] == "nplurals=2; plural=(n > 1);"
    assert extracted.metadata["Language"] == "fr"


def test_the_committed_catalogue_has_no_string_left_over_from_the_code():
    """The committed catalogue itself is whole: no empty, fuzzy or obsolete entry (`make messages` drops those)."""
    po = polib.pofile(str(PO))
    assert _needs_work(po) == []
    assert [entry.msgid for entry in po.obsolete_entries()] == []
    assert not po.metadata_is_fuzzy


def test_translations_keep_the_placeholders_and_markup_of_the_english():
    """Every %(name)s, %s and {name} of a msgid is in its translation, and nothing else; so is every HTML tag."""
    wrong = []
    for entry in polib.pofile(str(PO)):
        if entry.msgid_plural:
            singular, plural = _placeholders(entry.msgid), _placeholders(entry.msgid_plural)
            # French uses the singular for 0 and 1: it must say the number even where the English "one" does not.
            forms_ok = singular <= _placeholders(entry.msgstr_plural[0]) <= singular | plural and _placeholders(
                entry.msgstr_plural[1]
            ) == (plural | singular)
            tags_ok = all(
                sorted(TAG.findall(text)) == sorted(TAG.findall(entry.msgid)) for text in entry.msgstr_plural.values()
            )
        else:
            forms_ok = _placeholders(entry.msgstr) == _placeholders(entry.msgid)
            tags_ok = sorted(TAG.findall(entry.msgstr)) == sorted(TAG.findall(entry.msgid))
        if not (forms_ok and tags_ok):
            wrong.append(entry.msgid)
    assert wrong == []


def test_compilemessages_compiles_the_catalogue_cleanly(tmp_path, capfd):
    """compilemessages (msgfmt --check-format) turns the catalogue into a .mo without a warning,
    with the French plural rule and translations in it."""
    locale = tmp_path / "locale"
    shutil.copytree(PO.parent.parent.parent, locale, ignore=shutil.ignore_patterns("*.mo"))
    with override_settings(LOCALE_PATHS=[locale]), chdir(tmp_path):
        call_command("compilemessages", verbosity=0)
    assert capfd.readouterr().err == ""
    with open(locale / "fr" / "LC_MESSAGES" / "django.mo", "rb") as mo:
        catalogue = gettext.GNUTranslations(mo)
    assert catalogue.gettext("Dashboard") == "Tableau de bord"
    assert catalogue.ngettext("%(count)s response", "%(count)s responses", 1) == "%(count)s réponse"
    assert catalogue.ngettext("%(count)s response", "%(count)s responses", 0) == "%(count)s réponse"
    assert catalogue.ngettext("%(count)s response", "%(count)s responses", 2) == "%(count)s réponses"


# The switcher and the user's language ----------------------------------------------------------------------


@pytest.fixture
def dashboard_data(policy_user):
    """An open consultation closing on 28 January 2030 at 14:05 UTC, with 1,234 submissions on record."""
    consultation = ConsultationFactory(
        title="Platform audits",
        opens_at=NOW - datetime.timedelta(days=10),
        deadline=datetime.datetime(2030, 1, 28, 14, 5, tzinfo=datetime.UTC),
    )
    organisation = OrganisationFactory()
    Response.objects.bulk_create(
        Response(
            consultation=consultation,
            organisation=organisation,
            status=ResponseStatus.RECEIVED,
            channel=Channel.EMAIL,
            received_on=datetime.date(2029, 12, 20),
            summary="A letter.",
        )
        for _ in range(1234)
    )
    return consultation


@pytest.mark.django_db
def test_switching_to_french_shows_the_dashboard_in_french(client, policy_user, dashboard_data):
    """The navbar switcher posts to set_language: the dashboard comes back in French, its dates and
    numbers written the French way, and the choice is kept on the account and in the cookie."""
    with time_machine.travel(NOW, tick=False):
        client.force_login(policy_user)
        english = client.get(HOME).content.decode()
        assert '<html lang="en">' in english
        assert "Dashboard" in english
        assert "28 Jan 2030, 14:05" in english
        assert ">1,234<" in english
        assert 'data-testid="language-switcher"' in english
        assert re.search(r'<button[^>]*name="language" value="fr" lang="fr"[^>]*>.*Français</span></button>', english)

        switched = client.post(SET_LANGUAGE, {"language": "fr", "next": HOME})
        assert switched.status_code == 302
        assert switched["Location"] == HOME
        assert switched.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"

        french = client.get(HOME).content.decode()
    assert '<html lang="fr">' in french
    assert "<title>Tableau de bord · Consultrack</title>" in french
    assert "Bienvenue" in french
    assert "28/01/2030 14:05" in french  # SHORT_DATETIME_FORMAT, the deadlines list
    assert "28 janvier 2030" in french  # DATE_FORMAT, the data table of the responses chart
    assert ">1\xa0234<" in french  # a no-break space between thousands
    assert "Dashboard" not in french
    policy_user.refresh_from_db()
    assert policy_user.language == "fr"


@pytest.mark.django_db
def test_the_users_language_follows_them_to_another_device(client, policy_user):
    """A browser that never chose a language (and asks for English) shows a French-speaking user's pages in
    French, and learns the choice in its cookie so that the sign-in page is French after signing out."""
    policy_user.language = "fr"
    policy_user.save(update_fields=["language"])
    client.force_login(policy_user)
    response = client.get(HOME, HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="fr">' in response.content.decode()
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    client.post(reverse("accounts:logout"))
    login = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Se connecter à Consultrack" in login


@pytest.mark.django_db
def test_a_user_without_a_language_gets_the_browsers(client, policy_user):
    """No language on the account: the browser's Accept-Language decides, and nothing is stored."""
    client.force_login(policy_user)
    assert '<html lang="fr">' in client.get(HOME, HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9").content.decode()
    assert '<html lang="en">' in client.get(HOME, HTTP_ACCEPT_LANGUAGE="en-GB").content.decode()
    policy_user.refresh_from_db()
    assert policy_user.language == ""


@pytest.mark.django_db
def test_a_visitor_switches_the_sign_in_page_to_french(client):
    """The switcher is on the sign-in page too; a visitor's choice lives in the cookie."""
    login_url = reverse("accounts:login")
    page = client.get(login_url).content.decode()
    assert 'data-testid="language-switcher"' in page
    response = client.post(SET_LANGUAGE, {"language": "fr", "next": login_url})
    assert response.status_code == 302
    assert response["Location"] == login_url
    french = client.get(login_url).content.decode()
    assert '<html lang="fr">' in french
    assert "Se connecter à Consultrack" in french
    assert re.search(
        r'<button[^>]*value="en" lang="en"[^>]*aria-pressed="false"[^>]*>.*English</span></button>', french
    )


@pytest.mark.django_db
def test_an_unknown_language_changes_nothing(client, policy_user):
    """A language the app does not offer is ignored: no cookie, nothing stored; a GET only goes back."""
    client.force_login(policy_user)
    response = client.post(SET_LANGUAGE, {"language": "de", "next": HOME})
    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert client.get(SET_LANGUAGE, {"language": "fr", "next": HOME}).status_code == 302
    policy_user.refresh_from_db()
    assert policy_user.language == ""
    assert '<html lang="en">' in client.get(HOME).content.decode()


# E-mails, forms ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_emails_are_written_in_the_recipients_language(policy_user, django_capture_on_commit_callbacks):
    """Each recipient's e-mail is rendered in their own language, whatever language the sender uses."""
    french = UserFactory(username="francoise", email="francoise@example.org", language="fr", time_zone="UTC")
    english = UserFactory(username="edward", email="edward@example.org", time_zone="UTC")
    consultation = ConsultationFactory(title="Platform audits")
    with translation.override("en"), django_capture_on_commit_callbacks(execute=False):
        created = notify(
            recipients=[french, english],
            kind="review_requested",
            title="Review requested",
            email_template="review_requested",
            email_context={
                "actor": "Pat",
                "response": "our response",
                "organisation": "Our ministry",
                "consultation": consultation.title,
                "deadline": datetime.datetime(2030, 1, 28, 14, 5, tzinfo=datetime.UTC),
                "due_at": datetime.datetime(2030, 1, 26, 9, 0, tzinfo=datetime.UTC),
                "note": "",
            },
            actor=policy_user,
        )
    for notification in created:
        assert notification_deliver_email(notification_id=notification.pk) == "sent"
    by_address = {message.to[0]: message for message in mail.outbox}
    # A subject is folded onto one line, its no-break spaces with the rest.
    assert by_address["francoise@example.org"].subject == "Relecture demandée : Platform audits"
    assert "samedi 26 janvier 2030 à 09:00" in by_address["francoise@example.org"].body
    assert by_address["edward@example.org"].subject == "Review requested: Platform audits"
    assert "Saturday 26 January 2030, 09:00" in by_address["edward@example.org"].body
    assert '<html lang="fr">' in by_address["francoise@example.org"].alternatives[0][0]
    assert '<html lang="en">' in by_address["edward@example.org"].alternatives[0][0]


def test_date_pickers_keep_iso_dates_in_french():
    """The browser's date picker reads only ISO dates: a French page fills it in as 2030-01-28, not 28/01/2030."""

    class Dates(forms.Form):
        day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    with translation.override("fr"):
        html = str(Dates(initial={"day": datetime.date(2030, 1, 28)})["day"])
        assert 'value="2030-01-28"' in html
        assert Dates(data={"day": "2030-01-28"}).is_valid()
        assert Dates(data={"day": "28/01/2030"}).is_valid()


def test_french_formats_are_the_french_ones():
    """The format names the templates use give the French forms in French and the team's English ones in English."""
    moment = datetime.datetime(2026, 11, 28, 14, 5, tzinfo=datetime.UTC)
    with translation.override("fr"), timezone.override(datetime.UTC):
        assert date_format(moment.date(), "DATE_FORMAT") == "28 novembre 2026"
        assert date_format(moment, "SHORT_DATETIME_FORMAT") == "28/11/2026 14:05"
        assert date_format(moment, "DATETIME_FORMAT") == "samedi 28 novembre 2026 à 14:05"
        assert number_format(12345, force_grouping=True) == "12\xa0345"
    with translation.override("en"):
        assert date_format(moment.date(), "DATE_FORMAT") == "28 Nov 2026"
        assert date_format(moment, "SHORT_DATETIME_FORMAT") == "28 Nov 2026, 14:05"
        assert number_format(12345, force_grouping=True) == "12,345"


@pytest.mark.django_db
def test_notifications_are_worded_in_each_recipients_language(policy_user):
    """A French-speaking actor asks an English and a French reviewer for a review: each reads the notification
    in their own language (a reviewer without a preference reads the default, English)."""
    policy_user.language = "fr"
    policy_user.save(update_fields=["language"])
    french = UserFactory(username="francoise", language="fr", role=Role.REVIEWER)
    english = UserFactory(username="edward", role=Role.REVIEWER)
    draft = DraftFactory(owner=policy_user, consultation=ConsultationFactory(title="Platform audits"))
    with translation.override("fr"):
        due = draft.consultation.deadline - datetime.timedelta(days=1)
        response_request_review(response=draft, by=policy_user, reviewers=[french, english], due_at=due)
    titles = {n.recipient.username: (n.title, n.body) for n in Notification.objects.select_related("recipient")}
    actor = capfirst(str(policy_user))
    assert titles["francoise"][0] == f"{actor} vous demande de relire notre réponse à «\xa0Platform audits\xa0»"
    assert titles["edward"][0] == f"{actor} asks you to review our response to “Platform audits”"
    assert titles["francoise"][1].startswith("Échéance\xa0: ")
    assert titles["edward"][1].startswith("Due ")
