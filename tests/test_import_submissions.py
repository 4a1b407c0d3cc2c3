"""Importing received submissions to one consultation: organisation, channel, date, summary,
and a column per question (answers) and per topic (stances)."""

import csv
import datetime
import io

import openpyxl
import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse

from responses.models import Answer, Channel, Response, ResponseStatus, Stance
from stakeholders.models import Organisation, OrganisationKind
from tests.factories import ConsultationFactory, OrganisationFactory, QuestionFactory, ResponseFactory, TopicFactory
from tests.test_importing import csv_bytes, page_text, upload, uploaded_files, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Uploads go to a folder of this test, never to var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def consultation():
    consultation = ConsultationFactory(title="COP Results Framework", slug="cop-framework")
    QuestionFactory(consultation=consultation, number="1", order=1, text="Which coordination model?")
    QuestionFactory(consultation=consultation, number="2", order=2, text="How to relate to other initiatives?")
    TopicFactory(consultation=consultation, name="Multi-stakeholder coordination", slug="coordination", order=1)
    TopicFactory(consultation=consultation, name="Reporting mechanisms", slug="reporting", order=2)
    return consultation


@pytest.fixture
def facebook():
    return OrganisationFactory(name="Facebook", slug="facebook", kind=OrganisationKind.COMPANY)


@pytest.fixture
def iwf():
    return OrganisationFactory(name="Internet Watch Foundation", slug="iwf", kind=OrganisationKind.NGO)


def urls(consultation) -> dict[str, str]:
    return {
        "upload": reverse("responses:response-import", args=[consultation.slug]),
        "template_csv": reverse("responses:response-import-template", args=[consultation.slug, "csv"]),
        "template_xlsx": reverse("responses:response-import-template", args=[consultation.slug, "xlsx"]),
    }


def preview_of(client, consultation, content: bytes, name: str = "submissions.csv") -> str:
    response = upload(client, urls(consultation)["upload"], content, name)
    assert response.status_code == 302, page_text(response)
    return response["Location"]


def confirm(client, consultation, preview_url: str, **data: str):
    token = preview_url.rstrip("/").split("/")[-1]
    return client.post(reverse("responses:response-import-confirm", args=[consultation.slug, token]), data)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


GOOD_ROWS = [
    [
        "Organisation",
        "Channel",
        "Received on",
        "Summary",
        "Q1",
        "Question 2",
        "Multi-stakeholder coordination",
        "reporting",
    ],
    [
        "Facebook",
        "Letter",
        "2016-01-29",
        "Supports a multi-stakeholder model.",
        "Multi-stakeholder.",
        "",
        "supports",
        "Opposes",
    ],
    ["iwf", "e-mail", "30/01/2016", "", "", "Align them.", "Strongly supports", ""],
]


# --------------------------------------------------------------------------------------------
# Who may import
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("user_fixture", ["policy_user", "admin_user"])
def test_policy_staff_and_admins_use_every_step(request, as_user, user_fixture, consultation, facebook):
    client = as_user(request.getfixturevalue(user_fixture))
    for url in urls(consultation).values():
        assert client.get(url).status_code == 200
    preview_url = preview_of(client, consultation, csv_bytes([["Organisation"], ["Facebook"]]))
    assert client.get(preview_url).status_code == 200
    assert client.post(preview_url, {"map_organisation": "0"}).status_code == 302
    assert confirm(client, consultation, preview_url, mode="all").status_code == 302
    assert Response.objects.filter(organisation=facebook, consultation=consultation).exists()
    second = preview_of(client, consultation, csv_bytes([["Organisation"], ["Facebook"]]))
    token = second.rstrip("/").split("/")[-1]
    cancel_url = reverse("responses:response-import-cancel", args=[consultation.slug, token])
    assert client.post(cancel_url).status_code == 302


@pytest.mark.parametrize("user_fixture", ["reviewer_user", "outsider"])
def test_reviewers_and_outsiders_are_refused_every_step(request, as_user, user_fixture, consultation, facebook):
    client = as_user(request.getfixturevalue(user_fixture))
    slug, token = consultation.slug, "a-token-of-nobody"
    for url in urls(consultation).values():
        assert client.get(url).status_code == 403
    assert upload(client, urls(consultation)["upload"], csv_bytes([["Organisation"], ["Facebook"]])).status_code == 403
    assert client.get(reverse("responses:response-import-preview", args=[slug, token])).status_code == 403
    for name in (
        "responses:response-import-preview",
        "responses:response-import-confirm",
        "responses:response-import-cancel",
    ):
        assert client.post(reverse(name, args=[slug, token]), {"mode": "all"}).status_code == 403
    assert uploaded_files() == []
    assert not Response.objects.exists()


def test_anonymous_visitors_are_sent_to_login(client, consultation):
    slug, token = consultation.slug, "a-token-of-nobody"
    for url in [*urls(consultation).values(), reverse("responses:response-import-preview", args=[slug, token])]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    for name in ("responses:response-import-confirm", "responses:response-import-cancel"):
        assert client.post(reverse(name, args=[slug, token])).status_code == 302


def test_an_unknown_consultation_is_not_found(as_user, policy_user):
    assert as_user(policy_user).get(reverse("responses:response-import", args=["no-such-thing"])).status_code == 404


# --------------------------------------------------------------------------------------------
# Good files
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("builder", "name"), [(csv_bytes, "submissions.csv"), (xlsx_bytes, "submissions.xlsx")])
def test_a_good_file_imports_received_submissions_with_answers_and_positions(
    as_user, policy_user, consultation, facebook, iwf, builder, name
):
    """Each row becomes a received response of its organisation, with an answer per Q column and
    a position per topic column."""
    client = as_user(policy_user)
    preview_url = preview_of(client, consultation, builder(GOOD_ROWS), name)
    assert "All 2 rows are ready to import." in page_text(client.get(preview_url))
    response = confirm(client, consultation, preview_url, mode="all", good_count="2")
    assert response.status_code == 302
    assert messages_of(response) == ["Imported 2 submissions: 0 new organisations, 2 answers, 3 positions."]

    from_facebook = Response.objects.get(organisation=facebook)
    assert from_facebook.consultation == consultation
    assert from_facebook.status == ResponseStatus.RECEIVED
    assert from_facebook.channel == Channel.LETTER
    assert from_facebook.received_on == datetime.date(2016, 1, 29)
    assert from_facebook.summary == "Supports a multi-stakeholder model."
    assert [(a.question.number, a.text) for a in from_facebook.answers.all()] == [("1", "Multi-stakeholder.")]
    assert [(p.topic.slug, p.stance) for p in from_facebook.positions.all()] == [
        ("coordination", Stance.SUPPORTS),
        ("reporting", Stance.OPPOSES),
    ]
    from_iwf = Response.objects.get(organisation=iwf)
    assert (from_iwf.channel, from_iwf.received_on) == (Channel.EMAIL, datetime.date(2016, 1, 30))
    assert [(a.question.number, a.text) for a in from_iwf.answers.all()] == [("2", "Align them.")]
    assert [(p.topic.slug, p.stance) for p in from_iwf.positions.all()] == [("coordination", Stance.STRONGLY_SUPPORTS)]
    assert uploaded_files() == []


def test_imported_submissions_belong_to_their_organisation_not_the_importer(
    as_user, policy_user, consultation, facebook
):
    client = as_user(policy_user)
    confirm(
        client, consultation, preview_of(client, consultation, csv_bytes([["Organisation"], ["facebook"]])), mode="all"
    )
    imported = Response.objects.get()
    assert imported.organisation == facebook
    assert imported.owner is None
    assert not policy_user.owned_responses.exists()
    # The audit trail still says who logged it.
    assert imported.history.get().history_user == policy_user


def test_excel_date_cells_and_question_headings_with_text_are_read(as_user, policy_user, consultation, facebook):
    """A date-formatted cell, "Q1 - Which coordination model?" and "Q 2" headings, a topic by slug."""
    rows = [
        ["Organisation", "Received", "Q1 - Which coordination model?", "Q 2", "coordination"],
        ["Facebook", datetime.datetime(2016, 1, 29), "One.", "Two.", "Neutral / mixed"],
    ]
    client = as_user(policy_user)
    confirm(client, consultation, preview_of(client, consultation, xlsx_bytes(rows), "s.xlsx"), mode="all")
    imported = Response.objects.get()
    assert imported.received_on == datetime.date(2016, 1, 29)
    assert sorted(imported.answers.values_list("question__number", "text")) == [("1", "One."), ("2", "Two.")]
    assert list(imported.positions.values_list("topic__slug", "stance")) == [("coordination", Stance.NEUTRAL)]


def test_an_unknown_organisation_is_created_when_the_kind_is_given(as_user, policy_user, consultation):
    client = as_user(policy_user)
    rows = [["Organisation", "Kind"], ["WePROTECT Global Alliance", "Intergovernmental body"]]
    preview_url = preview_of(client, consultation, csv_bytes(rows))
    assert "new organisation" in page_text(client.get(preview_url))
    response = confirm(client, consultation, preview_url, mode="all")
    assert messages_of(response) == ["Imported 1 submission: 1 new organisation, 0 answers, 0 positions."]
    created = Organisation.objects.get(name="WePROTECT Global Alliance")
    assert (created.kind, created.slug) == (OrganisationKind.INTERGOVERNMENTAL, "weprotect-global-alliance")
    assert Response.objects.get().organisation == created


# --------------------------------------------------------------------------------------------
# Bad rows
# --------------------------------------------------------------------------------------------


def test_every_bad_row_is_listed_and_nothing_is_written(as_user, policy_user, consultation, facebook, iwf):
    ResponseFactory(
        consultation=consultation,
        organisation=iwf,
        status=ResponseStatus.RECEIVED,
        received_on=datetime.date(2016, 1, 20),
    )
    rows = [
        ["Organisation", "Channel", "Received on", "Multi-stakeholder coordination"],
        ["Facebook", "Letter", "2016-01-29", "supports"],
        ["Nobody Inc", "Letter", "2016-01-29", ""],
        ["Internet Watch Foundation", "", "", ""],
        ["facebook", "", "", ""],
        ["", "Pigeon", "01/29/2016", "loves it"],
        ["Unknown Org", "", "2016-13-01", ""],
    ]
    client = as_user(policy_user)
    preview_url = preview_of(client, consultation, csv_bytes(rows))
    text = page_text(client.get(preview_url))
    assert "1 rows are ready to import; 5 rows have problems, listed below." in text
    assert (
        "3 Nobody Inc Organisation : Unknown organisation “Nobody Inc”: add it first, or give its kind in a Kind "
        "column so the import creates it."
    ) in text
    assert (
        "4 Internet Watch Foundation Organisation : “Internet Watch Foundation” already has a response to this "
        "consultation (Received, 20 Jan 2016"
    ) in text
    assert (
        "5 facebook Organisation : Row 2 already has a submission from “facebook”: one submission per organisation."
        in text
    )
    assert "6 Organisation : This is required but the cell is empty." in text
    assert "Channel : “Pigeon” is not one of: Portal, E-mail, Letter, Web form." in text
    assert "Received on : “01/29/2016” is not a real date." in text
    assert "Multi-stakeholder coordination : “loves it” is not one of: Strongly supports" in text
    # A row lists all its problems at once, those of single cells and those of the whole row.
    assert "7 Unknown Org Organisation : Unknown organisation “Unknown Org”" in text
    assert "Received on : “2016-13-01” is not a real date." in text

    response = confirm(client, consultation, preview_url, mode="all")
    assert messages_of(response) == [
        "Nothing was imported: 5 rows have problems. Fix the file, or import only the good rows."
    ]
    assert Response.objects.count() == 1


def test_importing_only_the_good_rows(as_user, policy_user, consultation, facebook):
    rows = [["Organisation", "Received on"], ["Facebook", "2016-01-29"], ["Nobody Inc", ""], ["Ghost", "yesterday"]]
    client = as_user(policy_user)
    preview_url = preview_of(client, consultation, csv_bytes(rows))
    assert "Import only the 1 good row" in page_text(client.get(preview_url))
    response = confirm(client, consultation, preview_url, mode="good", good_count="1")
    assert messages_of(response) == [
        "Imported 1 submission: 0 new organisations, 0 answers, 0 positions.",
        "Skipped 2 rows with problems.",
    ]
    assert list(Response.objects.values_list("organisation__name", flat=True)) == ["Facebook"]


@time_machine.travel(datetime.datetime(2016, 2, 1, 12, tzinfo=datetime.UTC))
def test_a_date_in_the_future_is_refused(as_user, policy_user, consultation, facebook):
    client = as_user(policy_user)
    rows = [["Organisation", "Received on"], ["Facebook", "2016-02-02"]]
    text = page_text(client.get(preview_of(client, consultation, csv_bytes(rows))))
    assert "Received on : The date 2016-02-02 is in the future." in text


def test_an_ambiguous_organisation_name_asks_for_the_slug(as_user, policy_user, consultation):
    OrganisationFactory(name="Acme", slug="acme-uk")
    OrganisationFactory(name="ACME", slug="acme-us")
    client = as_user(policy_user)
    text = page_text(client.get(preview_of(client, consultation, csv_bytes([["Organisation"], ["acme"]]))))
    assert "“acme” names several organisations (acme-uk, acme-us): write the slug of the one you mean." in text


# --------------------------------------------------------------------------------------------
# Columns and templates
# --------------------------------------------------------------------------------------------


def test_a_missing_organisation_column_is_named(as_user, policy_user, consultation):
    client = as_user(policy_user)
    text = page_text(
        client.get(preview_of(client, consultation, csv_bytes([["Who", "Channel"], ["Facebook", "Letter"]])))
    )
    assert "The required column “Organisation” is missing: choose the column that holds it." in text


def test_a_question_column_can_be_remapped(as_user, policy_user, consultation, facebook):
    """A heading the guess cannot place ("Coordination answer") is chosen for question 1 by hand."""
    client = as_user(policy_user)
    preview_url = preview_of(
        client, consultation, csv_bytes([["Organisation", "Coordination answer"], ["Facebook", "Yes."]])
    )
    assert "Ignored columns: Coordination answer" in page_text(client.get(preview_url))
    question = consultation.questions.get(number="1")
    client.post(preview_url, {"map_organisation": "0", f"map_question_{question.pk}": "1"})
    confirm(client, consultation, preview_url, mode="all")
    assert list(Answer.objects.values_list("question__number", "text")) == [("1", "Yes.")]


def test_an_upload_for_one_consultation_cannot_be_imported_into_another(as_user, policy_user, consultation, facebook):
    other = ConsultationFactory()
    client = as_user(policy_user)
    preview_url = preview_of(client, consultation, csv_bytes([["Organisation"], ["Facebook"]]))
    token = preview_url.rstrip("/").split("/")[-1]
    response = client.post(reverse("responses:response-import-confirm", args=[other.slug, token]), {"mode": "all"})
    assert response.status_code == 404
    assert not Response.objects.exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_template_has_a_column_per_question_and_topic(as_user, policy_user, consultation, fmt):
    response = as_user(policy_user).get(urls(consultation)[f"template_{fmt}"])
    assert response["Content-Disposition"] == f'attachment; filename="cop-framework-submissions-import-template.{fmt}"'
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    else:
        workbook = openpyxl.load_workbook(io.BytesIO(response.content))
        rows = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    assert rows[0] == [
        "Organisation",
        "Kind",
        "Channel",
        "Received on",
        "Summary",
        "Q1",
        "Q2",
        "Multi-stakeholder coordination",
        "Reporting mechanisms",
    ]
    assert rows[1][:3] == ["Internet Watch Foundation", "NGO", "E-mail"]
    assert rows[1][7] == "Supports"


def test_the_upload_page_lists_the_consultations_questions_and_topics(as_user, policy_user, consultation):
    text = page_text(as_user(policy_user).get(urls(consultation)["upload"]))
    assert "Import submissions to “COP Results Framework”" in text
    assert "Q1 optional Answer to question 1: Which coordination model?" in text
    assert "Reporting mechanisms optional Stance on the topic “Reporting mechanisms”" in text
