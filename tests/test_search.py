"""Full-text search of responses and organisations: ranking, snippets, query language, languages, freshness."""

import pytest
from django.db import connection
from django.urls import reverse

from consultations.models import Language
from responses import services
from responses.extraction import ExtractionResult
from responses.models import ExtractionStatus, Response, Stance
from responses.search import headlines, refresh_response_vectors, search_responses
from stakeholders.models import Organisation
from stakeholders.search import parse_query, refresh_organisation_vectors, search_organisations
from tests.factories import (
    AnswerFactory,
    AttachmentFactory,
    ConsultationFactory,
    OrganisationAliasFactory,
    OrganisationFactory,
    PositionFactory,
    QuestionFactory,
    ResponseFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db


def reindex() -> None:
    """Tests run inside a transaction that never commits: build the vectors as a commit would."""
    refresh_organisation_vectors()
    refresh_response_vectors()


def found(text: str, queryset=None) -> list[Response]:
    return list(search_responses(queryset if queryset is not None else Response.objects.all(), text))


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """A block whose on-commit work (the vector refreshes) runs at its end, as a real commit would run it."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def consultation(committed):
    with committed():
        return ConsultationFactory(title="Results framework", language=Language.ENGLISH)


def test_the_database_is_postgresql():
    """These tests are about PostgreSQL's full-text search; the SQLite fallback has its own test below."""
    assert connection.vendor == "postgresql"


def test_a_match_in_the_summary_ranks_above_a_match_only_in_the_body(consultation):
    """Summaries weigh more than bodies, even when the body says the word more often."""
    in_body = ResponseFactory(
        consultation=consultation, summary="A short letter.", body="Encryption matters. Encryption is key. " * 3
    )
    in_summary = ResponseFactory(consultation=consultation, summary="On encryption", body="Nothing else.")
    reindex()
    results = found("encryption")
    assert results == [in_summary, in_body]
    assert results[0].rank > results[1].rank


def test_a_match_in_the_organisation_name_ranks_above_a_match_only_in_the_body(consultation):
    """The organisation's name weighs as much as a summary."""
    in_body = ResponseFactory(consultation=consultation, summary="A letter.", body="We met Telefonica last year.")
    by_name = ResponseFactory(
        consultation=consultation, organisation=OrganisationFactory(name="Telefonica"), summary="A letter."
    )
    reindex()
    assert found("telefonica") == [by_name, in_body]


def test_matches_are_found_in_answers_positions_quotes_and_attachment_text(consultation):
    """Every part of a response is searched, and nothing else matches."""
    answered = AnswerFactory(response__consultation=consultation, text="We favour coordination.").response
    quoted = PositionFactory(response__consultation=consultation, summary="", quote="Interoperability first.").response
    attached = AttachmentFactory(
        response__consultation=consultation,
        extracted_text="Annex on multilateralism.",
        extraction_status=ExtractionStatus.DONE,
    ).response
    ResponseFactory(consultation=consultation, summary="Unrelated.", body="")
    reindex()
    assert found("coordination") == [answered]
    assert found("interoperability") == [quoted]
    assert found("multilateralism") == [attached]


def test_the_consultation_title_is_searched(consultation):
    response = ResponseFactory(consultation=consultation, summary="A letter.")
    ResponseFactory(summary="A letter.")
    reindex()
    assert found("framework") == [response]


def test_snippets_mark_the_match_and_escape_html(consultation):
    """The snippet is safe HTML: the text's own markup is escaped, matches are in <mark>."""
    response = ResponseFactory(
        consultation=consultation,
        summary="",
        body='Costs < benefits & "we" oppose <b>censorship</b> <script>alert("x")</script> in every form.',
    )
    reindex()
    snippet = headlines([response.pk], "censorship")[response.pk]
    assert "<mark>censorship</mark>" in snippet
    assert "&lt; benefits &amp; &quot;we&quot;" in snippet
    without_marks = snippet.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in without_marks and ">" not in without_marks


def test_the_sentinels_of_a_snippet_never_reach_the_page(consultation):
    """Whatever the text holds, only <mark> and </mark> are markup in a snippet."""
    from stakeholders.search import HEADLINE_START, safe_headline

    assert str(safe_headline(f"<i>{HEADLINE_START}x")) == "&lt;i&gt;<mark>x"


def test_a_phrase_matches_the_words_in_that_order_only(consultation):
    together = ResponseFactory(consultation=consultation, summary="A multi-stakeholder model of coordination.")
    apart = ResponseFactory(consultation=consultation, summary="A model for many a stakeholder, multi-faceted.")
    reindex()
    assert found('"stakeholder model"') == [together]
    assert set(found("stakeholder model")) == {together, apart}


def test_a_trailing_star_finds_words_that_start_so(consultation):
    regulation = ResponseFactory(consultation=consultation, summary="On regulation.")
    regulators = ResponseFactory(consultation=consultation, summary="Regulators disagree.")
    ResponseFactory(consultation=consultation, summary="Regular updates.")
    reindex()
    assert set(found("regulat*")) == {regulation, regulators}
    assert "<mark>Regulators</mark>" in headlines([regulators.pk], "regulat*")[regulators.pk]
    # Without the star, a word matches its own forms (its stem) and not others that start alike.
    assert set(found("regulations")) == {regulation, regulators}


def test_or_and_minus(consultation):
    interpol = ResponseFactory(consultation=consultation, summary="Interpol agrees.")
    ceop = ResponseFactory(consultation=consultation, summary="CEOP agrees, Interpol too.")
    ResponseFactory(consultation=consultation, summary="Nobody agrees.")
    reindex()
    assert set(found("interpol or ceop")) == {interpol, ceop}
    assert found("interpol -ceop") == [interpol]


def test_french_consultations_are_stemmed_in_french():
    """A French consultation's responses are indexed and searched with French stemming."""
    french = ConsultationFactory(title="Protection des enfants", language=Language.FRENCH)
    response = ResponseFactory(consultation=french, summary="Nous soutenons les réglementations nationales.")
    english = ResponseFactory(consultation=ConsultationFactory(language=Language.ENGLISH), summary="Regulations.")
    reindex()
    # "réglementation" (singular) reaches "réglementations" through the French stemmer.
    assert found("réglementation") == [response]
    assert found("nationale") == [response]
    # A search across both languages matches either, each in its own language.
    assert set(found("réglementations or regulation")) == {response, english}


@pytest.mark.parametrize(
    "text",
    [
        '"unbalanced quote',
        'quote" in the middle "',
        "a & b | !c <-> d:*",
        "&&& ||| !!! <-> :*",
        "back\\slash \\\\ \\'",
        "'; DROP TABLE responses_response; --",
        "1 OR 1=1",
        "%_%",
        "-",
        "*",
        "word*:*",
        "(unclosed",
        "x" * 2000,
        "\x00 null byte",
        "émoji 🎉 ünïcode",
        '-""',
    ],
)
def test_any_input_searches_without_error(consultation, text):
    """Operators, quotes, backslashes and SQL are read as text: the search returns, it never fails."""
    ResponseFactory(consultation=consultation, summary="Something about encryption and tables.")
    reindex()
    results = found(text)
    assert isinstance(results, list)
    assert isinstance(headlines([response.pk for response in Response.objects.all()], text), dict)
    assert Response.objects.count() == 1  # and nothing was dropped


def test_sql_is_searched_as_words(consultation):
    """A query that looks like SQL finds the responses with those words, and no others."""
    tables = ResponseFactory(consultation=consultation, summary="Drop the table of contents.")
    ResponseFactory(consultation=consultation, summary="Something else.")
    reindex()
    assert found("'; DROP TABLE") == [tables]


def test_empty_or_wordless_text_leaves_the_queryset_unfiltered(consultation):
    ResponseFactory.create_batch(2, consultation=consultation)
    reindex()
    assert len(found("")) == 2
    assert len(found("&& |")) == 2
    assert parse_query("&& |").is_empty


def test_search_narrows_the_queryset_it_is_given(consultation):
    mine = ResponseFactory(consultation=consultation, summary="Encryption.")
    ResponseFactory(summary="Encryption.")
    reindex()
    assert found("encryption", Response.objects.filter(consultation=consultation)) == [mine]


def test_editing_an_answer_refreshes_the_vector(consultation, committed):
    with committed():
        question = QuestionFactory(consultation=consultation)
        response = ResponseFactory(consultation=consultation, summary="A letter.")
    with committed():
        services.response_code(
            response=response, expected_version=1, answers={question.pk: "We support sandboxes."}, positions={}
        )
    assert found("sandboxes") == [response]
    with committed():
        services.response_code(
            response=response, expected_version=2, answers={question.pk: "We support audits."}, positions={}
        )
    assert found("sandboxes") == []
    assert found("audits") == [response]


def test_editing_a_position_refreshes_the_vector(consultation, committed):
    with committed():
        topic = TopicFactory(consultation=consultation)
        response = ResponseFactory(consultation=consultation, summary="A letter.")
    with committed():
        services.response_code(
            response=response,
            expected_version=1,
            answers={},
            positions={topic.pk: services.PositionInput(Stance.OPPOSES, "Against mandates", "No mandates please")},
        )
    assert found("mandates") == [response]
    with committed():
        services.response_code(
            response=response,
            expected_version=2,
            answers={},
            positions={topic.pk: services.PositionInput(Stance.SUPPORTS, "For flexibility", "")},
        )
    assert found("mandates") == []
    assert found("flexibility") == [response]


def test_extracting_an_attachment_refreshes_the_vector(consultation, committed):
    with committed():
        attachment = AttachmentFactory(response__consultation=consultation, response__summary="A letter.")
    assert found("metadata") == []
    with committed():
        services.attachment_record_extraction(
            attachment_id=attachment.pk,
            result=ExtractionResult(ExtractionStatus.DONE, text="Access to user metadata must be limited."),
        )
    assert found("metadata") == [attachment.response]


def test_saving_a_draft_refreshes_the_vector(policy_user, consultation, committed):
    with committed():
        draft = services.draft_create(
            consultation=consultation, organisation=OrganisationFactory(), by=policy_user, body="First thoughts."
        )
    assert found("thoughts") == [draft]
    with committed():
        services.draft_save(response=draft, by=policy_user, expected_version=1, body="Capacity building.", summary="")
    assert found("thoughts") == []
    assert found("capacity") == [draft]


def test_renaming_an_organisation_or_a_consultation_refreshes_the_vectors(consultation, committed):
    with committed():
        response = ResponseFactory(consultation=consultation, summary="A letter.")
    organisation = response.organisation
    with committed():
        organisation.name = "Internet Watch Foundation"
        organisation.save()
        consultation.title = "Child online protection"
        consultation.save()
    assert found("watch") == [response]
    assert found("child") == [response]
    assert list(search_organisations(Organisation.objects.all(), "watch")) == [organisation]


def test_changing_the_language_reindexes_in_that_language(consultation, committed):
    with committed():
        response = ResponseFactory(consultation=consultation, summary="Les réglementations nationales.")
    with committed():
        consultation.language = Language.FRENCH
        consultation.save()
    assert found("réglementation") == [response]


def test_merging_organisations_reindexes_the_moved_responses(admin_user, committed):
    from stakeholders.services import organisation_merge

    with committed():
        keep = OrganisationFactory(name="Meta Platforms")
        remove = OrganisationFactory(name="Facebook")
        response = ResponseFactory(organisation=remove, summary="A letter.")
    assert found("platforms") == []
    with committed():
        organisation_merge(keep=keep, remove=remove, merged_by=admin_user)
    assert found("platforms") == [response]
    # The old name is an alias of the survivor now: the organisation is found by it.
    assert list(search_organisations(Organisation.objects.all(), "facebook")) == [keep]


def test_a_bulk_import_indexes_the_imported_responses(consultation, committed):
    from responses.importers import SubmissionImporter
    from stakeholders.importing import RowResult

    importer = SubmissionImporter(consultation)
    importer.prepare()

    row = RowResult(number=2, values={"organisation": "Ofcom", "_organisation_id": None, "summary": "On age checks."})
    row.values.update({"kind": "regulator", "channel": "", "received_on": None})
    with committed():
        importer.save([row])
    assert [response.organisation.name for response in found("age checks")] == ["Ofcom"]


def test_organisations_are_found_by_name_alias_and_notes():
    named = OrganisationFactory(name="National Center for Missing and Exploited Children", notes="")
    aliased = OrganisationFactory(name="Child Exploitation and Online Protection Centre", notes="")
    OrganisationAliasFactory(organisation=aliased, name="CEOP")
    noted = OrganisationFactory(name="Somebody", notes="Works closely with NCMEC on reporting.")
    OrganisationFactory(name="Nobody", notes="")
    reindex()
    assert list(search_organisations(Organisation.objects.all(), "ceop")) == [aliased]
    assert list(search_organisations(Organisation.objects.all(), "ncmec")) == [noted]
    # The name ranks first, then the notes.
    results = list(search_organisations(Organisation.objects.all(), "exploit*"))
    assert results[:2] == [aliased, named] or results[:2] == [named, aliased]
    assert [organisation.rank for organisation in results] == sorted(
        (organisation.rank for organisation in results), reverse=True
    )


def test_the_rebuild_command_reindexes_everything(consultation):
    from io import StringIO

    from django.core.management import call_command

    response = ResponseFactory(consultation=consultation, summary="Encryption.")
    assert found("encryption") == []
    out = StringIO()
    call_command("rebuild_search_index", stdout=out)
    assert found("encryption") == [response]
    assert "1 responses" in out.getvalue()


def test_the_language_is_chosen_on_the_consultation_form(as_user, policy_user, consultation):
    """English and French are offered; a form posted without a language keeps the one the consultation has."""
    from consultations.forms import ConsultationForm

    page = as_user(policy_user).get(reverse("consultations:consultation-create"))
    assert 'name="language"' in page.content.decode()
    choices = dict(ConsultationForm().fields["language"].choices)
    assert {Language.ENGLISH, Language.FRENCH} <= set(choices)
    consultation.language = Language.FRENCH
    form = ConsultationForm(instance=consultation)
    form.cleaned_data = {"language": ""}
    assert form.clean_language() == Language.FRENCH
