"""Response packs through the API (request, follow, download) and the reminder history (read, filter),
and who may comment on a draft through the API."""

import datetime
import hashlib
import uuid

import pytest

from config.celery import app
from exports.models import ExportJob, ExportStatus
from reminders.models import ReminderLog, ReminderStatus, user_key
from responses.models import ResponseStatus
from tests.api_helpers import token_client
from tests.factories import (
    CommentFactory,
    ConsultationFactory,
    DraftFactory,
    ResponseFactory,
    ReviewRequestFactory,
    TopicFactory,
    UserFactory,
)


@pytest.fixture
def eager_tasks(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    previous = app.conf.task_always_eager
    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def test_an_admin_requests_a_pack_follows_it_and_downloads_it(
    admin_user, eager_tasks, django_capture_on_commit_callbacks
):
    consultation = ConsultationFactory(slug="cop")
    ResponseFactory(consultation=consultation, organisation__name="Facebook")
    api = token_client(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/api/v1/export-jobs/", {"consultation": consultation.pk, "format": "csv"}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "queued"
    assert created.json()["filters"] == {"status": ["received", "submitted"]}

    status = api.get(f"/api/v1/export-jobs/{created.json()['id']}/").json()
    assert (status["status"], status["percent_done"]) == ("done", 100)
    download = api.get(status["download_url"])
    content = b"".join(download.streaming_content)
    assert download.status_code == 200
    assert hashlib.sha256(content).hexdigest() == status["checksum"]
    assert "Facebook" in content.decode("utf-8-sig")
    assert 'filename="cop-pack-' in download["Content-Disposition"]


def test_pack_filters_are_checked_as_on_the_request_page(admin_user):
    consultation = ConsultationFactory()
    topic = TopicFactory()  # of another consultation
    answer = token_client(admin_user).post(
        "/api/v1/export-jobs/",
        {
            "consultation": consultation.pk,
            "filters": {
                "kind": ["spaceship"],
                "topic": [topic.pk],
                "received_from": "2016-02-01",
                "received_to": "2016-01-01",
            },
        },
        format="json",
    )
    assert answer.status_code == 400
    assert set(answer.json()["error"]["fields"]["filters"]) == {"kind", "topic", "received_to"}
    assert not ExportJob.objects.exists()


def test_a_pack_not_built_yet_has_nothing_to_download(admin_user):
    job = ExportJob.objects.create(consultation=ConsultationFactory(), requested_by=admin_user)
    api = token_client(admin_user)
    assert api.get(f"/api/v1/export-jobs/{job.pk}/").json()["download_url"] is None
    missing = api.get(f"/api/v1/export-jobs/{job.pk}/download/")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    assert ExportJob.objects.get().status == ExportStatus.QUEUED


def test_the_reminder_history_is_filtered_and_searched_as_on_its_page(admin_user):
    consultation = ConsultationFactory(title="COP Results Framework")
    other = ConsultationFactory(title="Spectrum review")
    rene = UserFactory(username="rene", email="rene@example.org")
    for target, status in ((consultation, ReminderStatus.SENT), (other, ReminderStatus.FAILED)):
        ReminderLog.objects.create(
            consultation=target,
            recipient_key=user_key(rene.pk),
            user=rene,
            email=rene.email,
            offset=7,
            deadline=target.deadline,
            due_at=target.deadline - datetime.timedelta(days=7),
            status=status,
            scan_id=uuid.uuid4(),
        )
    api = token_client(admin_user)
    failed = api.get("/api/v1/reminders/", {"status": "failed"}).json()["results"]
    assert [row["consultation"] for row in failed] == [other.pk]
    found = api.get("/api/v1/reminders/", {"search": "COP results"}).json()["results"]
    assert [(row["consultation"], row["recipient"], row["recipient_kind"]) for row in found] == [
        (consultation.pk, "rene", "team")
    ]


def test_a_reviewer_not_asked_to_review_a_draft_may_not_comment_on_it(reviewer_user):
    draft = DraftFactory()
    answer = token_client(reviewer_user).post(
        "/api/v1/comments/", {"response": draft.pk, "body": "Drive-by."}, format="json"
    )
    assert (answer.status_code, answer.json()["error"]["code"]) == (403, "permission_denied")
    assert "reviewers asked to review it" in answer.json()["error"]["message"]


def test_a_submitted_response_takes_no_more_comments(policy_user):
    draft = DraftFactory(owner=policy_user, status=ResponseStatus.SUBMITTED)
    answer = token_client(policy_user).post(
        "/api/v1/comments/", {"response": draft.pk, "body": "Too late."}, format="json"
    )
    assert (answer.status_code, answer.json()["error"]["code"]) == (409, "not_allowed_now")


def test_a_reply_joins_the_thread_and_the_thread_is_resolved(policy_user, reviewer_user):
    draft = DraftFactory(owner=policy_user, status=ResponseStatus.IN_REVIEW)
    ReviewRequestFactory(response=draft, reviewer=reviewer_user, requested_by=policy_user)
    thread = CommentFactory(response=draft, author=reviewer_user)
    api = token_client(policy_user)
    reply = api.post("/api/v1/comments/", {"response": draft.pk, "body": "Done.", "parent": thread.pk}, format="json")
    assert (reply.status_code, reply.json()["parent"]) == (201, thread.pk)
    resolved = token_client(reviewer_user).post(f"/api/v1/comments/{thread.pk}/resolve/")
    assert resolved.json()["resolved"] is True
    not_a_thread = api.post(f"/api/v1/comments/{reply.json()['id']}/resolve/")
    assert not_a_thread.status_code == 409
    listed = api.get("/api/v1/comments/", {"response": draft.pk, "threads": "true"}).json()["results"]
    assert [row["id"] for row in listed] == [thread.pk]
