"""Response-pack pages: who may request, watch, download, cancel and retry a pack."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from exports.models import ExportFormat, ExportJob, ExportStatus
from exports.tasks import build_pack_task
from tests.factories import ConsultationFactory, ResponseFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db


ROLES = ["policy_user", "reviewer_user", "outsider"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def queued(monkeypatch):
    sent: list[int] = []
    monkeypatch.setattr(build_pack_task, "apply_async", lambda args, **options: sent.append(*args))
    return sent


@pytest.fixture
def consultation():
    consultation = ConsultationFactory(title="COP Results Framework", slug="itu-cop")
    TopicFactory(consultation=consultation, name="Coordination")
    ResponseFactory(consultation=consultation)
    return consultation


def done_job(consultation, user, **fields) -> ExportJob:
    now = timezone.now()
    job = ExportJob.objects.create(
        consultation=consultation,
        requested_by=user,
        format=ExportFormat.ZIP,
        status=ExportStatus.DONE,
        progress_total=10,
        progress_done=10,
        finished_at=now,
        expires_at=now + datetime.timedelta(days=7),
        checksum="0" * 64,
        file_size=7,
        **fields,
    )
    job.file.save("pack.zip", ContentFile(b"PK\x03\x04zip"), save=True)
    return job


@pytest.fixture
def job(consultation, admin_user):
    return done_job(consultation, admin_user)


def page_urls(job) -> dict[str, str]:
    return {
        "job-list": reverse("exports:job-list"),
        "consultation-job-list": reverse("exports:consultation-job-list", args=[job.consultation.slug]),
        "job-create": reverse("exports:job-create", args=[job.consultation.slug]),
        "job-detail": reverse("exports:job-detail", args=[job.pk]),
        "job-download": reverse("exports:job-download", args=[job.pk]),
    }


@pytest.mark.parametrize("name", ["job-list", "consultation-job-list", "job-create", "job-detail", "job-download"])
def test_admin_reaches_every_export_page(as_user, admin_user, job, name):
    response = as_user(admin_user).get(page_urls(job)[name])
    assert response.status_code == 200


@pytest.mark.parametrize("user_fixture", ROLES)
@pytest.mark.parametrize("name", ["job-list", "consultation-job-list", "job-create", "job-detail", "job-download"])
def test_roles_without_the_export_permission_are_refused(request, as_user, job, user_fixture, name):
    """Policy staff and reviewers hold no export permission by default; an outsider holds no role."""
    response = as_user(request.getfixturevalue(user_fixture)).get(page_urls(job)[name])
    assert response.status_code == 403


@pytest.mark.parametrize("name", ["job-list", "consultation-job-list", "job-create", "job-detail", "job-download"])
def test_anonymous_visitors_are_sent_to_login(client, job, name):
    url = page_urls(job)[name]
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("action", ["job-cancel", "job-retry"])
@pytest.mark.parametrize("user_fixture", ROLES)
def test_roles_without_the_export_permission_cannot_cancel_or_retry(request, as_user, job, user_fixture, action):
    job.status = ExportStatus.FAILED
    job.save(update_fields=["status"])
    response = as_user(request.getfixturevalue(user_fixture)).post(reverse(f"exports:{action}", args=[job.pk]))
    assert response.status_code == 403
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED


@pytest.mark.parametrize("action", ["job-cancel", "job-retry"])
def test_anonymous_visitors_cannot_cancel_or_retry(client, job, action):
    response = client.post(reverse(f"exports:{action}", args=[job.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("action", ["job-cancel", "job-retry"])
def test_cancel_and_retry_need_a_post(as_user, admin_user, job, action):
    response = as_user(admin_user).get(reverse(f"exports:{action}", args=[job.pk]))
    assert response.status_code == 405


def test_admin_requests_a_pack_and_lands_on_its_page(
    as_user, admin_user, consultation, queued, django_capture_on_commit_callbacks
):
    """Given the form, when an admin asks for a PDF of NGOs' responses, then the job is queued with those filters."""
    client = as_user(admin_user)
    form = client.get(reverse("exports:job-create", args=[consultation.slug]))
    assert b'name="format"' in form.content and b'name="received_from"' in form.content
    topic = consultation.topics.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("exports:job-create", args=[consultation.slug]),
            {"format": "pdf", "kind": ["ngo"], "status": ["received"], "topic": [topic.pk], "country": []},
        )

    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("exports:job-detail", args=[job.pk])
    assert job.format == ExportFormat.PDF
    assert job.include_attachments is False
    assert job.filters == {"status": ["received"], "kind": ["ngo"], "topic": [str(topic.pk)]}
    assert job.requested_by == admin_user
    assert queued == [job.pk]
    page = client.get(response["Location"])
    assert b"Organisation kind: NGO" in page.content
    assert b"Took a position on: Coordination" in page.content


def test_bad_dates_are_refused_with_the_typed_values_kept(as_user, admin_user, consultation, queued):
    response = as_user(admin_user).post(
        reverse("exports:job-create", args=[consultation.slug]),
        {"format": "zip", "received_from": "2026-03-01", "received_to": "2026-02-01"},
    )
    assert response.status_code == 200
    assert b"The end date comes before the start date." in response.content
    assert b'value="2026-03-01"' in response.content
    assert not ExportJob.objects.exists()
    assert queued == []


def test_an_unknown_format_is_refused(as_user, admin_user, consultation, queued):
    response = as_user(admin_user).post(reverse("exports:job-create", args=[consultation.slug]), {"format": "exe"})
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    assert not ExportJob.objects.exists()


def test_request_page_of_an_unknown_consultation_is_404(as_user, admin_user):
    assert as_user(admin_user).get(reverse("exports:job-create", args=["nope"])).status_code == 404


def test_a_user_given_the_export_permission_handles_only_their_own_packs(
    as_user, admin_user, consultation, queued, django_capture_on_commit_callbacks
):
    """Permission, not role, decides: a policy officer granted add_exportjob requests and downloads their packs."""
    officer = UserFactory(username="exporter", role=Role.POLICY_STAFF)
    officer.user_permissions.add(Permission.objects.get(codename="add_exportjob", content_type__app_label="exports"))
    client = as_user(officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("exports:job-create", args=[consultation.slug]), {"format": "zip"})
    own = ExportJob.objects.get(requested_by=officer)
    assert response.status_code == 302
    others = done_job(consultation, admin_user)

    listing = client.get(reverse("exports:job-list"))
    assert list(listing.context["jobs"]) == [own]
    assert client.get(reverse("exports:job-detail", args=[own.pk])).status_code == 200
    assert client.get(reverse("exports:job-detail", args=[others.pk])).status_code == 404
    assert client.get(reverse("exports:job-download", args=[others.pk])).status_code == 404
    assert client.post(reverse("exports:job-cancel", args=[own.pk])).status_code == 302
    own.refresh_from_db()
    assert own.status == ExportStatus.CANCELLED


def test_download_is_an_attachment_named_after_the_consultation_and_the_day(as_user, admin_user, job):
    response = as_user(admin_user).get(reverse("exports:job-download", args=[job.pk]))
    day = timezone.localdate(job.finished_at).isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="itu-cop-pack-{day}.zip"'
    assert response["Content-Type"] == "application/zip"
    assert b"".join(response.streaming_content) == b"PK\x03\x04zip"


@pytest.mark.parametrize("status", [ExportStatus.QUEUED, ExportStatus.RUNNING, ExportStatus.FAILED])
def test_only_a_finished_pack_can_be_downloaded(as_user, admin_user, job, status):
    job.status = status
    job.save(update_fields=["status"])
    assert as_user(admin_user).get(reverse("exports:job-download", args=[job.pk])).status_code == 404


def test_an_expired_pack_cannot_be_downloaded(as_user, admin_user, job):
    job.expires_at = timezone.now() - datetime.timedelta(minutes=1)
    job.save(update_fields=["expires_at"])
    client = as_user(admin_user)
    assert client.get(reverse("exports:job-download", args=[job.pk])).status_code == 404
    assert b"expired" in client.get(reverse("exports:job-detail", args=[job.pk])).content


def test_htmx_polls_a_running_job_for_its_status_fragment(as_user, admin_user, job):
    """While running, the fragment shows items done of total and asks to be fetched again each second."""
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING, progress_done=3, progress_total=12)
    response = as_user(admin_user).get(reverse("exports:job-detail", args=[job.pk]), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body
    assert 'data-hx-trigger="every 1s"' in body
    assert 'role="progressbar"' in body
    assert 'aria-valuenow="25"' in body and 'aria-valuemax="100"' in body
    assert "3 of 12 items" in body
    assert reverse("exports:job-cancel", args=[job.pk]) in body


def test_a_finished_job_stops_polling_and_offers_the_download(as_user, admin_user, job):
    response = as_user(admin_user).get(reverse("exports:job-detail", args=[job.pk]), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "data-hx-trigger" not in body
    assert reverse("exports:job-download", args=[job.pk]) in body
    assert "itu-cop-pack-" in body


def test_a_failed_job_shows_its_reason_and_a_retry_button(as_user, admin_user, job):
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.FAILED, error="The file of “x.pdf” is missing.")
    body = as_user(admin_user).get(reverse("exports:job-detail", args=[job.pk])).content.decode()
    assert "The file of “x.pdf” is missing." in body
    assert reverse("exports:job-retry", args=[job.pk]) in body
    assert "data-hx-trigger" not in body


def test_retry_through_htmx_swaps_in_the_queued_status(
    as_user, admin_user, job, queued, django_capture_on_commit_callbacks
):
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.FAILED, error="Boom.")
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(admin_user).post(reverse("exports:job-retry", args=[job.pk]), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body
    assert "Queued" in body and 'data-hx-trigger="every 1s"' in body
    assert queued == [job.pk]


def test_cancel_without_htmx_redirects_with_a_message(as_user, admin_user, job):
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING)
    response = as_user(admin_user).post(reverse("exports:job-cancel", args=[job.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("exports:job-detail", args=[job.pk])
    assert b"The pack was cancelled." in response.content


def test_user_text_is_escaped_on_export_pages(as_user, admin_user):
    consultation = ConsultationFactory(title="<script>alert(1)</script>")
    job = done_job(consultation, admin_user)
    client = as_user(admin_user)
    for url in [reverse("exports:job-list"), reverse("exports:job-detail", args=[job.pk])]:
        content = client.get(url).content
        assert b"<script>alert(1)</script>" not in content
        assert b"&lt;script&gt;" in content


@pytest.mark.parametrize("url_name", ["exports:job-list", "exports:consultation-job-list"])
def test_job_lists_take_as_many_queries_for_one_job_as_for_six(as_user, admin_user, consultation, url_name):
    client = as_user(admin_user)
    url = reverse(url_name, args=[consultation.slug] if url_name.endswith("consultation-job-list") else [])
    done_job(consultation, admin_user)
    client.get(url)  # warm the session and permission caches
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for _ in range(5):
        done_job(consultation, UserFactory(password=None))
    with CaptureQueriesContext(connection) as six:
        response = client.get(url)
    assert len(response.context["jobs"]) == 6
    assert len(six) == len(one)
