"""Through the real Celery worker on the test run's Redis: a submitted response is delivered to a
receiver on loopback, signed, after the worker retried the receiver's 500."""

import json
import time

import pytest
from celery.contrib.testing.tasks import ping  # noqa: F401 - registers celery.ping, which the worker's start-up check calls
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from accounts.roles import Role
from config.celery import app
from responses import services
from responses.models import ResponseStatus
from tests.factories import DraftFactory, UserFactory
from tests.webhook_receiver import Receiver, start_receiver
from webhooks import signing
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.services import webhook_create


@pytest.fixture
def receiver():
    receiver = Receiver(statuses=[500])
    server = start_receiver(receiver)
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def worker(settings):
    assert not app.conf.task_always_eager, "the test run sets CELERY_BROKER_URL"
    settings.WEBHOOK_RETRY_BASE_SECONDS = 1
    app.control.purge()  # tasks other tests left in this run's Redis database
    with start_worker(app, pool="solo", perform_ping_check=True, shutdown_timeout=10) as running:
        yield running


@pytest.mark.django_db(transaction=True)
def test_a_submission_reaches_the_receiver_signed_after_a_retry(worker, receiver):
    """Given a webhook whose receiver first answers 500, submitting a response (committed) makes the
    worker post it, see the 500, wait its backoff, and post it again, this time delivered."""
    admin = UserFactory(username="boss", role=Role.ADMIN)
    author = UserFactory(username="author", role=Role.POLICY_STAFF)
    webhook = webhook_create(name="CRM", url=receiver.url, events=["response.submitted"], created_by=admin)
    draft = DraftFactory(owner=author, status=ResponseStatus.APPROVED)

    services.response_submit(response=draft, by=author, channel="portal", submitted_at=timezone.now())

    assert receiver.wait_for(2, timeout=30), f"only {len(receiver.requests)} request(s) arrived"
    first, second = receiver.requests
    assert first.body == second.body
    assert first.headers[signing.DELIVERY_HEADER] == second.headers[signing.DELIVERY_HEADER]
    now = int(time.time())
    for request in (first, second):
        assert signing.verify(webhook.secret, request.headers[signing.SIGNATURE_HEADER], request.body, now=now)
    payload = json.loads(second.body)
    assert payload["event"] == "response.submitted"
    assert payload["data"]["response"]["id"] == draft.pk

    delivery = WebhookDelivery.objects.get()
    deadline = time.monotonic() + 10
    while delivery.status != DeliveryStatus.DELIVERED and time.monotonic() < deadline:
        time.sleep(0.1)
        delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (DeliveryStatus.DELIVERED, 2, 200)
