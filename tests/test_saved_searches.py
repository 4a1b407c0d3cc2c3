"""Saved searches: saving, listing, renaming, the e-mail toggle, deleting, owner-only access, the daily e-mail."""

import datetime
from smtplib import SMTPException

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from responses import saved_searches
from responses.models import Response, ResponseStatus, SavedSearch
from responses.search import refresh_response_vectors, search_responses
from stakeholders.models import OrganisationKind
from tests.factories import ConsultationFactory, OrganisationFactory, ResponseFactory, UserFactory

pytestmark = pytest.mark.django_db

# 09:00 UTC: after the default e-mail hour (SAVED_SEARCH_EMAIL_HOUR, 7).
MORNING = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def logged(summary: str, *, at: datetime.datetime, kind: str = OrganisationKind.NGO, **kwargs) -> Response:
    """A response logged at a given moment, indexed."""
    response = ResponseFactory(summary=summary, organisation=OrganisationFactory(kind=kind), **kwargs)
    Response.objects.filter(pk=response.pk).update(created_at=at)
    refresh_response_vectors([response.pk])
    return response


def saved_search(owner, *, name="Encryption", query="encryption", filters=None, email_daily=True, created=None):
    saved = SavedSearch.objects.create(
        owner=owner, name=name, query=query, filters=filters or {}, email_daily=email_daily
    )
    SavedSearch.objects.filter(pk=saved.pk).update(created_at=created or MORNING - datetime.timedelta(days=3))
    saved.refresh_from_db()
    return saved


# --- Saving and managing ----------------------------------------------------------------------------


def test_the_search_on_the_page_is_saved_with_its_filters(as_user, policy_user):
    consultation = ConsultationFactory()
    page = as_user(policy_user).post(
        reverse("responses:saved-search-create"),
        {
            "q": "encryption",
            "consultation": consultation.pk,
            "status": ResponseStatus.RECEIVED,
            "kind": "",
            "name": "  Encryption   letters ",
            "email_daily": "on",
        },
    )
    saved = SavedSearch.objects.get()
    assert (saved.owner, saved.name, saved.query, saved.email_daily) == (
        policy_user,
        "Encryption letters",
        "encryption",
        True,
    )
    assert saved.filters == {"consultation": [str(consultation.pk)], "status": ["received"]}
    assert page.status_code == 302
    assert page["Location"] == saved.get_absolute_url()
    assert "q=encryption" in saved.get_absolute_url()


def test_running_a_saved_search_applies_its_filters(policy_user):
    ngo = logged("Encryption first.", at=MORNING, kind=OrganisationKind.NGO)
    logged("Encryption too.", at=MORNING, kind=OrganisationKind.COMPANY)
    saved = saved_search(policy_user, filters={"kind": [OrganisationKind.NGO]})
    assert list(saved_searches.saved_search_results(saved)) == [ngo]


def test_nothing_to_save_without_a_search(as_user, policy_user):
    page = as_user(policy_user).post(
        reverse("responses:saved-search-create"), {"q": "", "name": "Nothing"}, follow=True
    )
    assert not SavedSearch.objects.exists()
    assert "Search for something first" in page.content.decode()


def test_two_saved_searches_of_one_user_cannot_share_a_name(as_user, policy_user, reviewer_user):
    saved_search(policy_user, name="Encryption")
    saved_search(reviewer_user, name="Encryption")  # another user's: no clash
    page = as_user(policy_user).post(
        reverse("responses:saved-search-create"), {"q": "other", "name": "ENCRYPTION"}, follow=True
    )
    assert SavedSearch.objects.owned_by(policy_user).count() == 1
    assert "already have a saved search with that name" in page.content.decode()


def test_the_list_shows_only_my_saved_searches(as_user, policy_user, reviewer_user):
    saved_search(policy_user, name="Mine", filters={"kind": ["ngo"]})
    saved_search(reviewer_user, name="Theirs")
    page = as_user(policy_user).get(reverse("responses:saved-search-list"))
    assert [saved.name for saved in page.context["saved_searches"]] == ["Mine"]
    html = page.content.decode()
    assert "Theirs" not in html
    assert "NGO" in html  # the filters are described in words


def test_rename_and_turn_the_email_off(as_user, policy_user):
    saved = saved_search(policy_user)
    client = as_user(policy_user)
    url = reverse("responses:saved-search-edit", args=[saved.pk])
    assert client.get(url).status_code == 200
    page = client.post(url, {"name": "Crypto"})
    assert page.status_code == 302
    saved.refresh_from_db()
    assert (saved.name, saved.email_daily, saved.query) == ("Crypto", False, "encryption")


def test_toggling_the_email_on_counts_new_matches_from_then(as_user, policy_user):
    saved = saved_search(policy_user, email_daily=False)
    client = as_user(policy_user)
    page = client.post(reverse("responses:saved-search-email", args=[saved.pk]), headers={"HX-Request": "true"})
    saved.refresh_from_db()
    assert saved.email_daily
    assert saved.new_matches_since > timezone.now() - datetime.timedelta(minutes=1)
    assert f'id="saved-search-{saved.pk}"' in page.content.decode()
    client.post(reverse("responses:saved-search-email", args=[saved.pk]))
    saved.refresh_from_db()
    assert not saved.email_daily


def test_delete_asks_then_deletes(as_user, policy_user):
    saved = saved_search(policy_user)
    client = as_user(policy_user)
    url = reverse("responses:saved-search-delete", args=[saved.pk])
    assert client.get(url).status_code == 200
    assert SavedSearch.objects.exists()
    assert client.post(url).status_code == 302
    assert not SavedSearch.objects.exists()


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("responses:saved-search-edit", "get"),
        ("responses:saved-search-edit", "post"),
        ("responses:saved-search-email", "post"),
        ("responses:saved-search-delete", "get"),
        ("responses:saved-search-delete", "post"),
    ],
)
def test_another_users_saved_search_is_not_found(as_user, policy_user, admin_user, name, method):
    """Even an admin cannot see, change or delete someone else's saved search."""
    saved = saved_search(policy_user)
    page = getattr(as_user(admin_user), method)(reverse(name, args=[saved.pk]), {"name": "Mine now"})
    assert page.status_code == 404
    saved.refresh_from_db()
    assert (saved.name, saved.email_daily) == ("Encryption", True)


@pytest.mark.parametrize(
    ("name", "method", "args"),
    [
        ("responses:saved-search-list", "get", []),
        ("responses:saved-search-create", "post", []),
        ("responses:saved-search-edit", "get", [1]),
        ("responses:saved-search-email", "post", [1]),
        ("responses:saved-search-delete", "post", [1]),
    ],
)
def test_outsiders_are_refused_and_anonymous_visitors_sent_to_log_in(client, as_user, outsider, name, method, args):
    url = reverse(name, args=args)
    anonymous = getattr(client, method)(url)
    assert anonymous.status_code == 302 and reverse("accounts:login") in anonymous["Location"]
    assert getattr(as_user(outsider), method)(url).status_code == 403


@pytest.mark.parametrize("role", ["policy_user", "reviewer_user", "admin_user"])
def test_every_role_has_saved_searches(request, as_user, role):
    assert as_user(request.getfixturevalue(role)).get(reverse("responses:saved-search-list")).status_code == 200


# --- The daily e-mail -------------------------------------------------------------------------------


def test_the_daily_email_lists_only_new_matches_and_goes_out_once(policy_user, mailoutbox):
    saved = saved_search(policy_user, created=MORNING - datetime.timedelta(days=2))
    logged("Encryption, an old letter.", at=MORNING - datetime.timedelta(days=3))  # before the search was saved
    new = logged("Encryption, a new letter.", at=MORNING - datetime.timedelta(hours=5))
    logged("Something else entirely.", at=MORNING - datetime.timedelta(hours=4))

    run = saved_searches.saved_searches_email_due(now=MORNING)
    assert run.sent == 1
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [policy_user.email]
    assert "Encryption" in mail.subject and "1 new response" in mail.subject
    assert new.organisation.name in mail.body
    assert "an old letter" not in mail.body and "an old letter" not in mail.alternatives[0][0]
    assert settings.SITE_URL + new.get_absolute_url() in mail.body

    # A second run the same day sends nothing, even with another new match.
    logged("Encryption again.", at=MORNING + datetime.timedelta(hours=1))
    again = saved_searches.saved_searches_email_due(now=MORNING + datetime.timedelta(hours=2))
    assert again.sent == 0 and len(mailoutbox) == 1

    # The next day, only what is new since the last e-mail.
    saved_searches.saved_searches_email_due(now=MORNING + datetime.timedelta(days=1))
    assert len(mailoutbox) == 2
    assert "Encryption again" not in mailoutbox[1].body  # the body lists names, the subject counts
    assert "1 new response" in mailoutbox[1].subject
    saved.refresh_from_db()
    assert saved.last_emailed_on == (MORNING + datetime.timedelta(days=1)).date()


def test_no_email_without_new_matches(policy_user, mailoutbox):
    saved = saved_search(policy_user)
    logged("Nothing relevant.", at=MORNING - datetime.timedelta(hours=1))
    run = saved_searches.saved_searches_email_due(now=MORNING)
    assert (run.sent, run.without_news) == (0, 1)
    assert mailoutbox == []
    saved.refresh_from_db()
    assert saved.last_emailed_on == MORNING.date()


def test_two_overlapping_runs_send_one_email(policy_user, mailoutbox):
    """The day is claimed before sending: a run that read the search before the other claimed it sends nothing."""
    saved = saved_search(policy_user)
    logged("Encryption news.", at=MORNING - datetime.timedelta(hours=1))
    stale_copy = SavedSearch.objects.get(pk=saved.pk)
    assert saved_searches.saved_search_email(saved=saved, now=MORNING) == saved_searches.SENT
    assert saved_searches.saved_search_email(saved=stale_copy, now=MORNING) == saved_searches.TAKEN
    assert len(mailoutbox) == 1


def test_only_opted_in_team_members_with_an_address_get_it(policy_user, mailoutbox):
    logged("Encryption news.", at=MORNING - datetime.timedelta(hours=1))
    saved_search(policy_user, name="Off", email_daily=False)
    saved_search(UserFactory(username="former"), name="No role")
    saved_search(UserFactory(username="blank", email="", role=Role.REVIEWER), name="No address")
    saved_search(UserFactory(username="gone", is_active=False, role=Role.REVIEWER), name="Inactive")
    saved_searches.saved_searches_email_due(now=MORNING)
    assert mailoutbox == []


def test_nothing_goes_out_before_the_email_hour(policy_user, mailoutbox):
    saved_search(policy_user)
    logged("Encryption news.", at=MORNING - datetime.timedelta(hours=8))
    with override_settings(SAVED_SEARCH_EMAIL_HOUR=10):
        saved_searches.saved_searches_email_due(now=MORNING)
        assert mailoutbox == []
        saved_searches.saved_searches_email_due(now=MORNING + datetime.timedelta(hours=1))
        assert len(mailoutbox) == 1


def test_a_failed_send_gives_the_day_back_for_the_next_run(policy_user, mailoutbox, monkeypatch):
    saved = saved_search(policy_user)
    logged("Encryption news.", at=MORNING - datetime.timedelta(hours=1))

    def refuse(*args, **kwargs):
        raise SMTPException("mail server down")

    monkeypatch.setattr(saved_searches, "send_email", refuse)
    run = saved_searches.saved_searches_email_due(now=MORNING)
    assert run.failed == 1
    saved.refresh_from_db()
    assert saved.last_emailed_on is None
    monkeypatch.undo()
    assert saved_searches.saved_searches_email_due(now=MORNING + datetime.timedelta(hours=1)).sent == 1
    assert len(mailoutbox) == 1


def test_the_task_and_its_schedule(policy_user, mailoutbox):
    from responses.tasks import email_saved_searches

    entry = settings.CELERY_BEAT_SCHEDULE["responses-email-saved-searches"]
    assert entry["task"] == email_saved_searches.name == "responses.email_saved_searches"
    assert "e-mails sent" in email_saved_searches()


def test_the_search_falls_back_to_containment_without_postgresql(monkeypatch, policy_user):
    """`make run` uses SQLite: the same fields are searched by containment, summary and name matches first."""
    monkeypatch.setattr("responses.search.uses_postgres", lambda: False)
    in_body = logged("A letter.", at=MORNING, body="About encryption.")
    in_summary = logged("Encryption.", at=MORNING - datetime.timedelta(days=1))
    logged("Other.", at=MORNING)
    results = list(search_responses(Response.objects.all(), "encrypt*"))
    assert results == [in_summary, in_body]
    assert list(search_responses(Response.objects.all(), "encryption -letter")) == [in_summary]


def test_organisations_fall_back_to_containment_without_postgresql(monkeypatch):
    from stakeholders.models import Organisation
    from stakeholders.search import search_organisations
    from tests.factories import OrganisationAliasFactory

    monkeypatch.setattr("stakeholders.search.uses_postgres", lambda: False)
    by_name = OrganisationFactory(name="Child Exploitation and Online Protection Centre", notes="")
    by_alias = OrganisationFactory(name="Somebody", notes="")
    OrganisationAliasFactory(organisation=by_alias, name="Exploitation watch")
    OrganisationFactory(name="Nobody", notes="")
    assert list(search_organisations(Organisation.objects.all(), "exploit*")) == [by_name, by_alias]
