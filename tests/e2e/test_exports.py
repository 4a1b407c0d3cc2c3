"""In Chromium: an admin exports the ITU consultation's response pack and downloads it."""

import datetime
import json
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from config.celery import app
from config.demo import seed_demo
from consultations.models import Consultation
from exports.models import ExportFormat, ExportJob, ExportStatus

DEMO_PASSWORD = "demo-browser-pass"
ITU = "itu-cwg-cop-results-framework-2016"


@pytest.fixture
def demo_data(transactional_db, settings, tmp_path):
    settings.DEMO_PASSWORD = DEMO_PASSWORD
    settings.MEDIA_ROOT = tmp_path / "media"
    seed_demo()


@pytest.fixture
def eager_tasks():
    """Build packs inside the web request, as `make run` does without a broker.

    There is no worker in a browser test, and the test run's broker is real; without this the
    pack would wait in Redis forever. Restored afterwards so later tests use the broker again.
    """
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def log_in_as_admin(page: Page, live_server) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Welcome, Ada")).to_be_visible()


def test_admin_requests_a_zip_pack_watches_it_finish_and_downloads_it(
    page: Page, live_server, demo_data, eager_tasks, tmp_path
):
    log_in_as_admin(page, live_server)
    page.goto(f"{live_server.url}/exports/consultations/{ITU}/")
    page.get_by_role("link", name="Export pack").click()
    expect(page.get_by_role("heading", name="Export a response pack")).to_be_visible()
    page.get_by_label("ZIP with everything").check()
    expect(page.get_by_label("Include the original attachments")).to_be_enabled()
    page.get_by_label("PDF", exact=True).check()
    expect(page.get_by_label("Include the original attachments")).to_be_disabled()
    page.get_by_label("ZIP with everything").check()
    page.get_by_role("button", name="Build the pack").click()

    status = page.get_by_test_id("job-status")
    expect(status).to_contain_text("Done")
    progress = page.get_by_role("progressbar", name="Pack progress")
    expect(progress).to_have_attribute("aria-valuenow", "100")
    expect(page.get_by_test_id("job-progress")).to_contain_text("of")
    bar = progress.locator(".progress-bar")
    expect(bar).to_have_attribute("style", "width: 100%;")

    with page.expect_download() as download_info:
        page.get_by_test_id("download-link").click()
    download = download_info.value
    job = ExportJob.objects.get()
    day = timezone.localdate(job.finished_at).isoformat()
    assert download.suggested_filename == f"{ITU}-pack-{day}.zip"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
    assert {"manifest.json", "pack.pdf", "pack.docx", "responses.xlsx", "responses.csv"} <= set(names)
    assert manifest["consultation"]["slug"] == ITU
    assert manifest["counts"]["responses"] == 5


def test_job_page_follows_a_build_to_its_end_without_reloading(page: Page, live_server, demo_data):
    """htmx polls the status while the worker reports progress, then shows the download link."""
    job = ExportJob.objects.create(
        consultation=Consultation.objects.get(slug=ITU),
        requested_by=User.objects.get(username="admin"),
        format=ExportFormat.CSV,
        status=ExportStatus.RUNNING,
        progress_done=2,
        progress_total=10,
        heartbeat_at=timezone.now(),
    )
    log_in_as_admin(page, live_server)
    page.goto(f"{live_server.url}/exports/jobs/{job.pk}/")
    expect(page.get_by_test_id("job-progress")).to_contain_text("2 of 10 items")
    expect(page.get_by_role("progressbar", name="Pack progress")).to_have_attribute("aria-valuenow", "20")

    ExportJob.objects.filter(pk=job.pk).update(progress_done=7)
    expect(page.get_by_test_id("job-progress")).to_contain_text("7 of 10 items")

    job.file.save("pack.csv", ContentFile(b"\xef\xbb\xbfOrganisation\n"), save=False)
    now = timezone.now()
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.DONE,
        progress_done=10,
        file=job.file.name,
        file_size=15,
        finished_at=now,
        expires_at=now + datetime.timedelta(days=7),
    )
    expect(page.get_by_test_id("download-link")).to_be_visible()
    expect(page.get_by_test_id("job-status")).to_contain_text("Done")
