"""The search page: who may use it, what it shows, its filters, its bad-input messages and its query count."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from responses.models import ResponseStatus, Stance
from responses.search import refresh_response_vectors
from stakeholders.models import OrganisationKind
from stakeholders.search import refresh_organisation_vectors
from tests.factories import (
    ConsultationFactory,
    OrganisationFactory,
    PositionFactory,
    ResponseFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db
URL = reverse("responses:search")


def reindex() -> None:
    refresh_organisation_vectors()
    refresh_response_vectors()


def search(client, **params):
    return client.get(URL, params)


def result_names(page) -> list[str]:
    return [response.organisation.name for response in page.context["page_obj"]]


@pytest.fixture
def letters():
    consultation = ConsultationFactory(title="Results framework")
    facebook = ResponseFactory(
        consultation=consultation,
        organisation=OrganisationFactory(name="Facebook", kind=OrganisationKind.COMPANY, country="US"),
        summary="We support a multi-stakeholder model.",
        body="Reporting mandates should stay flexible.",
    )
    ncmec = ResponseFactory(
        consultation=consultation,
        organisation=OrganisationFactory(name="NCMEC", kind=OrganisationKind.NGO, country="US"),
        summary="Reporting matters most.",
    )
    reindex()
    return {"consultation": consultation, "facebook": facebook, "ncmec": ncmec}


def test_anonymous_visitors_are_sent_to_log_in(client):
    page = search(client, q="anything")
    assert page.status_code == 302
    assert reverse("accounts:login") in page["Location"]


def test_someone_without_a_role_is_refused(as_user, outsider):
    assert search(as_user(outsider), q="anything").status_code == 403


@pytest.mark.parametrize("role", ["policy_user", "reviewer_user", "admin_user"])
def test_every_role_may_search(request, as_user, letters, role):
    page = search(as_user(request.getfixturevalue(role)), q="stakeholder")
    assert page.status_code == 200
    assert result_names(page) == ["Facebook"]


def test_results_show_organisation_consultation_status_and_a_marked_snippet(as_user, policy_user, letters):
    page = search(as_user(policy_user), q="mandates")
    html = page.content.decode()
    assert "Facebook" in html and "Results framework" in html
    assert str(ResponseStatus.RECEIVED.label) in html
    assert "<mark>mandates</mark>" in html


def test_organisations_are_found_beside_responses(as_user, policy_user, letters):
    page = search(as_user(policy_user), q="ncmec")
    assert [organisation.name for organisation in page.context["organisations"]] == ["NCMEC"]
    assert 'data-testid="organisation-result"' in page.content.decode()


def test_without_a_search_the_page_explains_what_to_type(as_user, policy_user):
    page = search(as_user(policy_user))
    assert page.status_code == 200
    assert 'data-testid="search-empty"' in page.content.decode()
    assert page.context["page_obj"] is None


@pytest.mark.parametrize("text", ["&&&", "!", "<->", ":*", '""', "-"])
def test_a_query_without_words_gets_a_message_not_an_error(as_user, policy_user, letters, text):
    page = search(as_user(policy_user), q=text)
    assert page.status_code == 200
    assert 'data-testid="search-problem"' in page.content.decode()


@pytest.mark.parametrize("text", ['"unbalanced', "'; DROP TABLE responses_response; --", "1 OR 1=1", "a\\b", "x:*&y"])
def test_odd_queries_search_normally(as_user, policy_user, letters, text):
    assert search(as_user(policy_user), q=text).status_code == 200


def test_no_result_says_so(as_user, policy_user, letters):
    page = search(as_user(policy_user), q="zebra")
    assert page.status_code == 200
    assert 'data-testid="search-no-results"' in page.content.decode()


def test_a_bad_filter_value_is_a_message_not_an_error(as_user, policy_user, letters):
    page = search(as_user(policy_user), q="reporting", consultation="not-a-number", received_after="31/31/2020")
    assert page.status_code == 200
    assert 'data-testid="search-problem"' in page.content.decode()


def test_filters_narrow_the_results(as_user, policy_user, letters):
    client = as_user(policy_user)
    other = ResponseFactory(
        consultation=ConsultationFactory(),
        organisation=OrganisationFactory(name="Ofcom", kind=OrganisationKind.REGULATOR, country="GB"),
        summary="Reporting by regulators.",
        status=ResponseStatus.SUBMITTED,
        received_on=None,
        submitted_at=timezone.now() - datetime.timedelta(days=40),
    )
    letters["facebook"].received_on = timezone.localdate() - datetime.timedelta(days=10)
    letters["facebook"].save()
    reindex()
    assert set(result_names(search(client, q="reporting"))) == {"Facebook", "NCMEC", "Ofcom"}
    assert result_names(search(client, q="reporting", consultation=other.consultation_id)) == ["Ofcom"]
    assert result_names(search(client, q="reporting", kind=OrganisationKind.NGO)) == ["NCMEC"]
    assert result_names(search(client, q="reporting", country="GB")) == ["Ofcom"]
    assert result_names(search(client, q="reporting", status=ResponseStatus.SUBMITTED)) == ["Ofcom"]
    day = timezone.localdate()
    assert result_names(search(client, q="reporting", received_before=str(day - datetime.timedelta(days=5)))) == [
        "Facebook"
    ]
    assert set(result_names(search(client, q="reporting", received_after=str(day - datetime.timedelta(days=5))))) == {
        "NCMEC"
    }
    assert result_names(search(client, q="reporting", submitted_before=str(day - datetime.timedelta(days=30)))) == [
        "Ofcom"
    ]
    assert result_names(search(client, q="reporting", submitted_after=str(day - datetime.timedelta(days=30)))) == []


def test_topic_and_stance_filter_on_the_same_position(as_user, policy_user, letters):
    client = as_user(policy_user)
    coordination = TopicFactory(consultation=letters["consultation"], name="Coordination")
    capacity = TopicFactory(consultation=letters["consultation"], name="Capacity")
    PositionFactory(response=letters["facebook"], topic=coordination, stance=Stance.SUPPORTS)
    PositionFactory(response=letters["facebook"], topic=capacity, stance=Stance.OPPOSES)
    PositionFactory(response=letters["ncmec"], topic=capacity, stance=Stance.SUPPORTS)
    reindex()
    assert result_names(search(client, q="reporting", topic=coordination.pk)) == ["Facebook"]
    assert set(result_names(search(client, q="reporting", stance=Stance.SUPPORTS))) == {"Facebook", "NCMEC"}
    # Facebook supports coordination but opposes capacity: not a supporter of capacity.
    assert result_names(search(client, q="reporting", topic=capacity.pk, stance=Stance.SUPPORTS)) == ["NCMEC"]


def test_filters_alone_browse_the_responses(as_user, policy_user, letters):
    page = search(as_user(policy_user), kind=OrganisationKind.COMPANY)
    assert result_names(page) == ["Facebook"]


def test_organisation_results_follow_the_kind_and_country_filters(as_user, policy_user, letters):
    client = as_user(policy_user)
    assert search(client, q="ncmec", kind=OrganisationKind.COMPANY).context["organisations"] == []


def test_an_htmx_request_gets_only_the_results(as_user, policy_user, letters):
    page = as_user(policy_user).get(URL, {"q": "reporting"}, headers={"HX-Request": "true"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "<html" not in html and 'data-testid="response-result"' in html


def test_results_are_paginated(as_user, policy_user):
    consultation = ConsultationFactory()
    ResponseFactory.create_batch(25, consultation=consultation, summary="Encryption matters.")
    reindex()
    client = as_user(policy_user)
    first = search(client, q="encryption")
    assert len(first.context["page_obj"]) == 20
    assert first.context["page_obj"].paginator.count == 25
    assert len(search(client, q="encryption", page=2).context["page_obj"]) == 5


def _many(count: int) -> None:
    consultation = ConsultationFactory()
    for number in range(count):
        ResponseFactory(
            consultation=consultation,
            organisation=OrganisationFactory(name=f"Encryption Alliance {number}"),
            summary="Encryption matters.",
        )
    reindex()


@pytest.mark.parametrize("count", [2, 20])
def test_the_number_of_queries_does_not_grow_with_the_results(
    as_user, policy_user, django_assert_max_num_queries, count
):
    """Session, user, roles, notifications, saved searches, filter choices, count, page, snippets, organisations."""
    _many(count)
    client = as_user(policy_user)
    search(client, q="encryption")  # warm caches (content types, countries)
    with django_assert_max_num_queries(15):
        page = search(client, q="encryption", kind=OrganisationKind.COMPANY)
    assert len(page.context["page_obj"]) == count


def test_the_navbar_has_a_search_box(as_user, policy_user):
    html = as_user(policy_user).get(reverse("home")).content.decode()
    assert 'data-testid="navbar-search"' in html
    assert f'action="{URL}"' in html


def test_a_word_in_more_responses_than_are_ranked_ranks_the_most_recent_and_says_so(as_user, policy_user, monkeypatch):
    """Ranking is bounded: past the limit the most recently received matches are ranked, best first."""
    monkeypatch.setattr("responses.search.RANKED_LIMIT", 3)
    monkeypatch.setattr("responses.search_views.RANKED_LIMIT", 3)
    consultation = ConsultationFactory()
    day = datetime.date(2026, 3, 1)
    for number, summary in enumerate(["Encryption.", "Encryption.", "Nothing here.", "Encryption, encryption."]):
        ResponseFactory(
            consultation=consultation,
            organisation=OrganisationFactory(name=f"Sender {number}"),
            summary=summary,
            received_on=day + datetime.timedelta(days=number),
        )
    ResponseFactory(
        consultation=consultation,
        organisation=OrganisationFactory(name="Oldest"),
        summary="Encryption.",
        received_on=day - datetime.timedelta(days=30),
    )
    reindex()
    client = as_user(policy_user)
    page = search(client, q="encryption")
    assert result_names(page) == ["Sender 3", "Sender 1", "Sender 0"]
    html = page.content.decode()
    assert "More than 3 responses" in html
    assert 'data-testid="search-capped"' in html

    narrowed = search(client, q="encryption", received_after=str(day))
    assert result_names(narrowed) == ["Sender 3", "Sender 1", "Sender 0"]
    assert 'data-testid="search-capped"' not in narrowed.content.decode()


def test_the_topic_filter_lists_the_topics_of_the_chosen_consultation(as_user, policy_user, letters):
    """All topics of all consultations would be tens of thousands of options; a chosen topic stays listed."""
    ours = TopicFactory(consultation=letters["consultation"], name="Coordination")
    other = TopicFactory(consultation=ConsultationFactory(title="Elsewhere"), name="Capacity")
    client = as_user(policy_user)

    def offered(**params) -> list[str]:
        field = search(client, q="reporting", **params).context["filter"].form.fields["topic"]
        return [str(label) for value, label in field.widget.choices if value]

    assert offered() == []
    assert offered(consultation=letters["consultation"].pk) == ["Results framework — Coordination"]
    assert offered(topic=other.pk) == ["Elsewhere — Capacity"]
    page = client.get(
        URL, {"q": "reporting", "consultation": letters["consultation"].pk}, headers={"HX-Request": "true"}
    )
    assert 'id="search-topic" data-hx-swap-oob="true"' in page.content.decode()
    assert f'value="{ours.pk}"' in page.content.decode()
