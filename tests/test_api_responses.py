"""Responses over the API: logging and coding, uploads checked by content and found by ?search= once
extracted, drafts, submission, and edits refused when someone saved in between."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from config.celery import app
from responses.models import Attachment, ExtractionStatus, Response, ResponseStatus
from tests.api_helpers import token_client
from tests.factories import (
    ConsultationFactory,
    DraftFactory,
    OrganisationFactory,
    QuestionFactory,
    ResponseFactory,
    TopicFactory,
    make_pdf,
    make_png,
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def eager_tasks(settings):
    """Run queued tasks in the test process, as `make run` does without a broker."""
    previous = app.conf.task_always_eager
    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def consultation():
    consultation = ConsultationFactory(title="COP Results Framework", slug="cop")
    QuestionFactory(consultation=consultation, number="1", text="Is the framework complete?")
    TopicFactory(consultation=consultation, name="Multi-stakeholder model", slug="multi-stakeholder")
    return consultation


@pytest.fixture
def policy(policy_user):
    return token_client(policy_user)


def test_a_letter_is_logged_and_coded_in_one_request(policy, policy_user, consultation):
    """Given a consultation, when staff log a letter with a position, the response comes back coded."""
    facebook = OrganisationFactory(name="Facebook")
    topic = consultation.topics.get()
    question = consultation.questions.get()
    answer = policy.post(
        "/api/v1/responses/",
        {
            "consultation": consultation.pk,
            "organisation": facebook.pk,
            "channel": "letter",
            "received_on": "2016-01-29",
            "summary": "Supports coordination.",
            "answers": [{"question": question.pk, "text": "Broadly yes."}],
            "positions": [{"topic": topic.pk, "stance": "supports", "quote": "A multi-stakeholder approach."}],
        },
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["status"] == "received"
    assert body["owner"] == policy_user.username
    assert body["answers"][0]["text"] == "Broadly yes."
    assert body["positions"][0] | {"id": None} == {
        "id": None,
        "topic": topic.pk,
        "topic_name": "Multi-stakeholder model",
        "stance": "supports",
        "summary": "",
        "quote": "A multi-stakeholder approach.",
    }
    assert answer["ETag"] == f'"{body["version"]}"'


def test_a_second_letter_from_the_same_organisation_is_refused_with_the_first(policy, consultation):
    """A duplicate is a 409 naming the response already logged, unless allow_duplicate."""
    first = ResponseFactory(consultation=consultation)
    data = {"consultation": consultation.pk, "organisation": first.organisation_id, "channel": "email"}
    answer = policy.post("/api/v1/responses/", data, format="json")
    assert answer.status_code == 409
    error = answer.json()["error"]
    assert error["code"] == "duplicate"
    assert error["current"]["id"] == first.pk
    assert policy.post("/api/v1/responses/", data | {"allow_duplicate": True}, format="json").status_code == 201


def test_coding_a_question_of_another_consultation_is_refused_by_field(policy, consultation):
    other_question = QuestionFactory()
    response = ResponseFactory(consultation=consultation)
    answer = policy.patch(
        f"/api/v1/responses/{response.pk}/",
        {"version": response.version, "answers": [{"question": other_question.pk, "text": "Yes"}]},
        format="json",
    )
    assert answer.status_code == 400
    assert "answers" in answer.json()["error"]["fields"]


# --- Safe updates ---------------------------------------------------------------------------------


def test_a_stale_if_match_is_refused_with_412_and_the_current_state(policy, consultation):
    """Two clients read version 1; the first saves; the second's save is refused, never merged."""
    response = ResponseFactory(consultation=consultation, summary="Original")
    read = policy.get(f"/api/v1/responses/{response.pk}/")
    etag = read["ETag"]
    first = policy.patch(
        f"/api/v1/responses/{response.pk}/", {"summary": "First client"}, format="json", HTTP_IF_MATCH=etag
    )
    assert first.status_code == 200
    assert first["ETag"] != etag
    second = policy.patch(
        f"/api/v1/responses/{response.pk}/", {"summary": "Second client"}, format="json", HTTP_IF_MATCH=etag
    )
    assert second.status_code == 412
    error = second.json()["error"]
    assert error["code"] == "edit_conflict"
    assert error["current"]["summary"] == "First client"
    assert error["current"]["version"] == first.json()["version"]
    assert Response.objects.get(pk=response.pk).summary == "First client"


def test_a_stale_version_field_is_refused_with_409_and_the_current_state(policy, consultation):
    response = ResponseFactory(consultation=consultation, summary="Original")
    topic = consultation.topics.get()
    coded = {"topic": topic.pk, "stance": "opposes"}
    assert (
        policy.patch(
            f"/api/v1/responses/{response.pk}/", {"version": 1, "positions": [coded]}, format="json"
        ).status_code
        == 200
    )
    stale = policy.patch(f"/api/v1/responses/{response.pk}/", {"version": 1, "summary": "Late"}, format="json")
    assert stale.status_code == 409
    assert stale.json()["error"]["current"]["positions"][0]["stance"] == "opposes"
    assert Response.objects.get(pk=response.pk).summary == "Original"


def test_a_change_naming_no_version_is_refused_with_428(policy, consultation):
    response = ResponseFactory(consultation=consultation)
    answer = policy.patch(f"/api/v1/responses/{response.pk}/", {"summary": "Blind"}, format="json")
    assert answer.status_code == 428
    assert answer.json()["error"]["code"] == "precondition_required"


def test_a_draft_edit_makes_a_version_and_a_stale_one_is_refused(policy, policy_user, consultation):
    """Drafts change through the same service as their edit page: a new version each save."""
    draft = DraftFactory(consultation=consultation, owner=policy_user, body="First paragraph.")
    saved = policy.patch(
        f"/api/v1/responses/{draft.pk}/", {"body": "Revised paragraph."}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert saved.status_code == 200, saved.json()
    assert (saved.json()["version"], saved.json()["body"]) == (2, "Revised paragraph.")
    assert draft.events.filter(kind="saved").exists()
    stale = policy.patch(f"/api/v1/responses/{draft.pk}/", {"body": "Mine!"}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert stale.json()["error"]["current"]["body"] == "Revised paragraph."


def test_a_submitted_response_cannot_be_edited(policy, policy_user, consultation):
    draft = DraftFactory(consultation=consultation, owner=policy_user, status=ResponseStatus.SUBMITTED)
    answer = policy.patch(f"/api/v1/responses/{draft.pk}/", {"version": 1, "body": "Late"}, format="json")
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "not_allowed_now"


def test_submitting_needs_an_approved_draft(policy, policy_user, consultation):
    draft = DraftFactory(consultation=consultation, owner=policy_user)
    refused = policy.post(f"/api/v1/responses/{draft.pk}/submit/", {"channel": "portal"}, format="json")
    assert refused.status_code == 409
    draft.status = ResponseStatus.APPROVED
    draft.save()
    done = policy.post(f"/api/v1/responses/{draft.pk}/submit/", {"channel": "portal"}, format="json")
    assert done.status_code == 200
    assert done.json()["status"] == "submitted"


def test_a_draft_is_started_through_the_api(policy, policy_user, consultation):
    answer = policy.post(
        "/api/v1/responses/",
        {"status": "draft", "consultation": consultation.pk, "organisation": OrganisationFactory().pk, "body": "Ours."},
        format="json",
    )
    assert answer.status_code == 201
    assert (answer.json()["status"], answer.json()["owner"], answer.json()["body"]) == ("draft", "policy", "Ours.")


# --- Uploads, extraction and search ---------------------------------------------------------------


def test_an_uploaded_pdf_is_extracted_and_then_found_by_search(
    policy, consultation, eager_tasks, django_capture_on_commit_callbacks
):
    """Given a letter, when its PDF is uploaded through the API, the extraction task runs and
    ?search= finds the response by a phrase that only the PDF holds."""
    data = make_pdf("We oppose prescriptive reporting mandates.")
    # Inside the capture, so that the search vectors' refresh after commit runs for these rows too.
    with django_capture_on_commit_callbacks(execute=True):
        response = ResponseFactory(consultation=consultation, summary="A letter")
        ResponseFactory(consultation=consultation, summary="Another letter")
        answer = policy.post(
            f"/api/v1/responses/{response.pk}/attachments/",
            {"files": [SimpleUploadedFile("letter.bin", data)]},
            format="multipart",
        )
    assert answer.status_code == 201, answer.json()
    (uploaded,) = answer.json()
    assert (uploaded["content_type"], uploaded["size"]) == ("application/pdf", len(data))
    attachment = Attachment.objects.get(pk=uploaded["id"])
    assert attachment.extraction_status == ExtractionStatus.DONE
    assert attachment.file.read() == data

    found = policy.get("/api/v1/responses/", {"search": "prescriptive reporting"}).json()["results"]
    assert [row["id"] for row in found] == [response.pk]
    assert "prescriptive reporting" in found[0]["attachments"][0]["extracted_text"]
    assert policy.get("/api/v1/responses/", {"search": "no such words"}).json()["results"] == []


def test_an_upload_is_checked_by_content_not_by_name(policy, consultation):
    """A PNG named .pdf is refused with the reason, and nothing is stored."""
    response = ResponseFactory(consultation=consultation)
    answer = policy.post(
        f"/api/v1/responses/{response.pk}/attachments/",
        {"files": [SimpleUploadedFile("letter.pdf", make_png(), content_type="application/pdf")]},
        format="multipart",
    )
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "invalid"
    assert "letter.pdf" in error["fields"]["files"][0]
    assert "is not a PDF, DOCX, ODT or text file" in error["fields"]["files"][0]
    assert not Attachment.objects.exists()


def test_an_upload_without_files_is_refused(policy, consultation):
    response = ResponseFactory(consultation=consultation)
    answer = policy.post(f"/api/v1/responses/{response.pk}/attachments/", {}, format="multipart")
    assert answer.status_code == 400
    assert "files" in answer.json()["error"]["fields"]


def test_an_attachment_downloads_byte_for_byte(policy, consultation):
    response = ResponseFactory(consultation=consultation)
    data = b"Plain text, kept as sent.\r\n"
    uploaded = policy.post(
        f"/api/v1/responses/{response.pk}/attachments/",
        {"files": [SimpleUploadedFile("note.txt", data)]},
        format="multipart",
    ).json()[0]
    download = policy.get(uploaded["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == data
    assert 'filename="note.txt"' in download["Content-Disposition"]


# --- Lists ----------------------------------------------------------------------------------------


def test_responses_are_filtered_ordered_and_paged_by_cursor(policy, consultation):
    made = [ResponseFactory(consultation=consultation, received_on=f"2016-01-0{day}") for day in (3, 1, 2)]
    ResponseFactory(received_on="2016-01-02")  # another consultation
    DraftFactory(consultation=consultation)  # no date received: left out by the date filter
    query = {"consultation": consultation.pk, "received_after": "2016-01-01", "ordering": "created_at", "page_size": 2}
    first = policy.get("/api/v1/responses/", query).json()
    assert [row["id"] for row in first["results"]] == [made[0].pk, made[1].pk]
    second = policy.get(first["next"]).json()
    assert [row["id"] for row in second["results"]] == [made[2].pk]
    assert second["next"] is None
    newest_first = policy.get("/api/v1/responses/", query | {"ordering": "-created_at"}).json()
    assert [row["id"] for row in newest_first["results"]] == [made[2].pk, made[1].pk]


def test_the_response_list_costs_a_fixed_number_of_queries(policy, consultation, django_assert_max_num_queries):
    for _ in range(5):
        response = ResponseFactory(consultation=consultation)
        response.positions.create(topic=consultation.topics.get(), stance="supports")
    with django_assert_max_num_queries(12):
        assert len(policy.get("/api/v1/responses/").json()["results"]) == 5
