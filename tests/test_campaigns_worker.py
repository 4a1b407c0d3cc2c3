"""Campaigns recomputed by a real Celery worker on the Redis broker, after text extraction finishes."""

import time

import pytest
from celery.contrib.testing.tasks import ping  # noqa: F401  (start_worker's ping check needs this task)
from celery.contrib.testing.worker import start_worker
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.roles import Role
from config.celery import app
from responses import services
from responses.models import Campaign, CampaignDetection
from responses.uploads import check_upload
from tests.factories import ConsultationFactory, OrganisationFactory, UserFactory, make_pdf
from tests.test_campaigns import FORM_LETTER


@pytest.mark.django_db(transaction=True)
def test_form_letters_logged_as_pdfs_become_a_campaign_on_a_real_worker(settings, tmp_path):
    """Logging queues extraction; each finished extraction asks for a recomputation of the campaigns;
    the worker runs it and the two letters are one campaign."""
    assert not app.conf.task_always_eager, "the test run sets CELERY_BROKER_URL"
    settings.MEDIA_ROOT = tmp_path
    settings.CAMPAIGN_RECOMPUTE_DELAY = 0
    policy_user = UserFactory(role=Role.POLICY_STAFF)
    consultation = ConsultationFactory()
    with start_worker(app, pool="solo", perform_ping_check=True, shutdown_timeout=10):
        logged = [
            services.response_log_received(
                consultation=consultation,
                organisation=OrganisationFactory(),
                channel="email",
                received_on=timezone.localdate(),
                files=[check_upload(SimpleUploadedFile("letter.pdf", make_pdf(FORM_LETTER, f"Signed, {name}")))],
                logged_by=policy_user,
            )
            for name in ["Ada", "Grace"]
        ]
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            campaign = Campaign.objects.filter(consultation=consultation).first()
            detection = CampaignDetection.objects.filter(consultation=consultation).first()
            if campaign and campaign.members.count() == 2 and detection and not detection.is_pending:
                break
            time.sleep(0.3)
    assert campaign is not None
    assert set(campaign.members.values_list("pk", flat=True)) == {response.pk for response in logged}
    assert detection.computed_at is not None and not detection.is_pending
