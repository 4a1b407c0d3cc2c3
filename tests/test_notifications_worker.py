"""A real Celery worker on the test run's Redis delivers the e-mail of a notification queued after commit."""

import datetime
from unittest import mock

import pytest
from celery.contrib.testing.tasks import ping  # noqa: F401 - registers celery.ping, which the worker's start-up check calls
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.utils import timezone

from accounts.roles import Role
from config.celery import app
from notifications.models import EmailStatus, Notification
from notifications.tasks import deliver
from responses import services
from tests.factories import ConsultationFactory, OrganisationFactory, UserFactory


@pytest.fixture
def worker(settings):
    assert not app.conf.task_always_eager, "the test run sets CELERY_BROKER_URL"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    app.control.purge()  # tasks other tests left in this run's Redis database
    with start_worker(app, pool="solo", perform_ping_check=True, shutdown_timeout=10) as running:
        yield running


@pytest.mark.django_db(transaction=True)
def test_a_review_request_reaches_the_reviewer_by_email_through_the_worker(worker):
    """Given a review requested in a committed transaction, the worker sends the reviewer the e-mail."""
    author = UserFactory(username="author", role=Role.POLICY_STAFF)
    reviewer = UserFactory(username="rene", role=Role.REVIEWER, email="rene@example.org")
    draft = services.draft_create(
        consultation=ConsultationFactory(title="COP Results Framework"),
        organisation=OrganisationFactory(),
        by=author,
        body="Our text.",
    )
    queued = []
    real_apply_async = deliver.apply_async

    def delay_and_remember(*args):
        queued.append(real_apply_async(args=args))

    with mock.patch.object(deliver, "delay", side_effect=delay_and_remember):
        services.response_request_review(
            response=draft, by=author, reviewers=[reviewer], due_at=timezone.now() + datetime.timedelta(days=2)
        )
    (result,) = queued
    assert result.get(timeout=20) == "sent"

    (message,) = mail.outbox
    assert message.to == ["rene@example.org"]
    assert message.subject == "Review requested: COP Results Framework"
    assert message.alternatives[0][1] == "text/html"
    notification = Notification.objects.get(recipient=reviewer)
    assert (notification.email_status, notification.email_attempts) == (EmailStatus.SENT, 1)
    # The same task delivered twice (as Redis may) sends nothing more.
    assert deliver.delay(notification.pk).get(timeout=20) == "skipped"
    assert len(mail.outbox) == 1
