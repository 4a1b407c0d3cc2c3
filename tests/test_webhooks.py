"""Outgoing webhooks: admins register them; events are recorded with what caused them and delivered,
signed with HMAC-SHA256, to a receiver; failures are retried with growing pauses, then given up."""

import datetime
import json
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from exports.models import ExportFormat, ExportJob
from exports.services import export_job_build
from responses import services as response_services
from responses.models import ResponseStatus
from tests.factories import ConsultationFactory, DraftFactory, ResponseFactory
from tests.webhook_receiver import Receiver, start_receiver
from webhooks import signing
from webhooks.models import DeliveryStatus, Webhook, WebhookDelivery
from webhooks.services import RETRY, delivery_attempt, webhook_create, webhook_emit

SUBMITTED = "response.submitted"
PACK_READY = "pack.ready"


@pytest.fixture
def receiver():
    receiver = Receiver()
    server = start_receiver(receiver)
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def webhook(admin_user, receiver):
    return webhook_create(name="Intranet CRM", url=receiver.url, events=[SUBMITTED], created_by=admin_user)


# --- Signing ----------------------------------------------------------------------------------------


def test_a_signature_verifies_only_the_body_and_time_it_was_made_for():
    secret = signing.new_secret()
    body = b'{"event":"response.submitted"}'
    header = signing.signature_header(secret, 1_700_000_000, body)
    assert signing.verify(secret, header, body, now=1_700_000_010)
    assert not signing.verify(secret, header, body + b" ", now=1_700_000_010)
    assert not signing.verify("whsec_other", header, body, now=1_700_000_010)
    assert not signing.verify(secret, header, body, now=1_700_001_000)  # replayed too late
    assert not signing.verify(secret, "v1=abc", body, now=1_700_000_000)


# --- Emitting -----------------------------------------------------------------------------------------


def test_submitting_a_response_records_a_delivery_for_subscribed_webhooks_only(
    webhook, admin_user, policy_user, django_capture_on_commit_callbacks, monkeypatch
):
    """Given webhooks for different events, submitting records one delivery, queued after commit."""
    webhook_create(name="Packs only", url="https://example.org/packs", events=[PACK_READY], created_by=admin_user)
    Webhook.objects.create(name="Off", url="https://example.org/off", events=[SUBMITTED], active=False, secret="x")
    queued = []
    monkeypatch.setattr("webhooks.tasks.deliver.delay", queued.append)
    draft = DraftFactory(owner=policy_user, status=ResponseStatus.APPROVED, organisation__name="Facebook")
    with django_capture_on_commit_callbacks(execute=True):
        response_services.response_submit(response=draft, by=policy_user, channel="portal", submitted_at=timezone.now())
    delivery = WebhookDelivery.objects.get()
    assert queued == [delivery.pk]
    assert (delivery.webhook, delivery.event, delivery.status) == (webhook, SUBMITTED, DeliveryStatus.PENDING)
    data = delivery.payload["data"]
    assert delivery.payload["event"] == SUBMITTED
    assert delivery.payload["id"] == str(delivery.uuid)
    assert data["response"]["id"] == draft.pk
    assert data["response"]["status"] == "submitted"
    assert data["organisation"]["name"] == "Facebook"
    assert data["submitted_by"] == policy_user.username


def test_a_submission_that_is_refused_records_no_delivery(webhook, policy_user):
    draft = DraftFactory(owner=policy_user, status=ResponseStatus.DRAFT)
    with pytest.raises(response_services.TransitionError):
        response_services.response_submit(response=draft, by=policy_user, channel="portal", submitted_at=timezone.now())
    assert not WebhookDelivery.objects.exists()


def test_a_finished_pack_is_announced(admin_user, receiver, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr("webhooks.tasks.deliver.delay", lambda delivery_id: None)
    webhook_create(name="BI", url=receiver.url, events=[PACK_READY], created_by=admin_user)
    consultation = ConsultationFactory(slug="cop")
    ResponseFactory(consultation=consultation)
    job = ExportJob.objects.create(consultation=consultation, format=ExportFormat.CSV, requested_by=admin_user)
    export_job_build(job_id=job.pk)
    delivery = WebhookDelivery.objects.get(event=PACK_READY)
    job.refresh_from_db()
    assert delivery.payload["data"]["export_job"]["id"] == job.pk
    assert delivery.payload["data"]["export_job"]["checksum"] == job.checksum
    assert delivery.payload["data"]["consultation"]["slug"] == "cop"


# --- Delivering ---------------------------------------------------------------------------------------


def test_a_delivery_reaches_the_receiver_signed(webhook, receiver):
    """The receiver gets the JSON payload with headers whose signature checks out under the secret."""
    (delivery,) = webhook_emit(event=SUBMITTED, data={"response": {"id": 7}})
    attempt = delivery_attempt(delivery_id=delivery.pk)
    assert attempt.outcome == "delivered"
    (request,) = receiver.requests
    assert request.path == "/hooks/consultrack"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers[signing.EVENT_HEADER] == SUBMITTED
    assert request.headers[signing.DELIVERY_HEADER] == str(delivery.uuid)
    header = request.headers[signing.SIGNATURE_HEADER]
    assert header.startswith(f"t={request.headers[signing.TIMESTAMP_HEADER]},v1=")
    assert signing.verify(webhook.secret, header, request.body, now=int(time.time()))
    assert json.loads(request.body)["data"] == {"response": {"id": 7}}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (DeliveryStatus.DELIVERED, 1, 200)
    assert delivery.delivered_at is not None


def test_a_delivery_already_made_is_not_sent_twice(webhook, receiver):
    (delivery,) = webhook_emit(event=SUBMITTED, data={})
    delivery_attempt(delivery_id=delivery.pk)
    assert delivery_attempt(delivery_id=delivery.pk).outcome == "skipped"
    assert len(receiver.requests) == 1


def test_a_failing_receiver_is_retried_with_growing_pauses_then_given_up(webhook, receiver, settings):
    """Each failure schedules the next attempt after twice the pause; after the last, the delivery fails."""
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    receiver.statuses = [500, 503, 500]
    (delivery,) = webhook_emit(event=SUBMITTED, data={})
    first = delivery_attempt(delivery_id=delivery.pk)
    assert (first.outcome, first.countdown) == (RETRY, 30)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_status) == (DeliveryStatus.RETRYING, 500)
    assert delivery.next_attempt_at > timezone.now() + datetime.timedelta(seconds=25)
    second = delivery_attempt(delivery_id=delivery.pk)
    assert (second.outcome, second.countdown) == (RETRY, 60)
    assert delivery_attempt(delivery_id=delivery.pk).outcome == "failed"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 3)
    assert "HTTP 500" in delivery.error
    assert delivery.response_excerpt == "receiver broke"


def test_an_unreachable_receiver_is_a_failed_attempt_with_the_reason(admin_user, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    webhook_create(name="Gone", url="http://127.0.0.1:9/nothing", events=[SUBMITTED], created_by=admin_user)
    (delivery,) = webhook_emit(event=SUBMITTED, data={})
    assert delivery_attempt(delivery_id=delivery.pk).outcome == "failed"
    delivery.refresh_from_db()
    assert delivery.error.startswith("The receiver could not be reached")


def test_a_redirect_is_not_followed(webhook, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver.statuses = [302]
    (delivery,) = webhook_emit(event=SUBMITTED, data={})
    assert delivery_attempt(delivery_id=delivery.pk).outcome == "failed"
    assert len(receiver.requests) == 1


@pytest.mark.parametrize(
    "url", ["ftp://example.org/hook", "file:///etc/passwd", "javascript:alert(1)", "gopher://example.org"]
)
def test_only_http_and_https_addresses_are_accepted(as_user, admin_user, url):
    answer = as_user(admin_user).post(
        reverse("webhooks:webhook-create"), {"name": "Bad", "url": url, "events": [SUBMITTED], "active": "on"}
    )
    assert answer.status_code == 200
    assert "url" in answer.context["form"].errors
    assert not Webhook.objects.exists()


def test_an_address_without_a_scheme_is_taken_as_https(as_user, admin_user):
    as_user(admin_user).post(
        reverse("webhooks:webhook-create"), {"name": "Bare", "url": "crm.example.org/hook", "events": [SUBMITTED]}
    )
    assert Webhook.objects.get().url == "https://crm.example.org/hook"


# --- Pages --------------------------------------------------------------------------------------------


def test_an_admin_registers_a_webhook_and_sees_its_secret_once(as_user, admin_user):
    client = as_user(admin_user)
    form = client.get(reverse("webhooks:webhook-create"))
    assert b"Response submitted" in form.content and b"Response pack ready" in form.content
    made = client.post(
        reverse("webhooks:webhook-create"),
        {"name": "Intranet", "url": "https://intranet.example.org/hook", "events": [SUBMITTED, PACK_READY]},
        follow=True,
    )
    webhook = Webhook.objects.get()
    assert webhook.events == [PACK_READY, SUBMITTED]
    assert webhook.secret.encode() in made.content
    assert webhook.secret not in client.get(webhook.get_absolute_url()).content.decode()


def test_a_new_secret_replaces_the_old_and_is_shown_once(as_user, admin_user, webhook):
    old = webhook.secret
    page = as_user(admin_user).post(reverse("webhooks:webhook-rotate-secret", args=[webhook.pk]), follow=True)
    webhook.refresh_from_db()
    assert webhook.secret != old
    assert webhook.secret.encode() in page.content


def test_the_deliveries_are_listed_with_their_status_and_a_failed_one_can_be_sent_again(
    as_user, admin_user, webhook, receiver, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver.statuses = [500]
    (delivery,) = webhook_emit(event=SUBMITTED, data={"response": {"id": 1}})
    delivery_attempt(delivery_id=delivery.pk)
    client = as_user(admin_user)
    page = client.get(webhook.get_absolute_url())
    assert b"Failed, given up" in page.content
    detail = client.get(reverse("webhooks:delivery-detail", args=[delivery.pk]))
    assert b"The receiver answered HTTP 500." in detail.content
    assert b"&quot;response&quot;" in detail.content
    queued = []
    monkeypatch.setattr("webhooks.tasks.deliver.delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("webhooks:delivery-retry", args=[delivery.pk]))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, queued) == (DeliveryStatus.PENDING, 0, [delivery.pk])
    delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert b"Delivered" in client.get(reverse("webhooks:webhook-list")).content


def test_an_admin_sends_a_signed_test_delivery(
    as_user, admin_user, webhook, receiver, django_capture_on_commit_callbacks, monkeypatch
):
    """The test delivery goes to the receiver whatever events the webhook wants, signed with its secret."""
    queued = []
    monkeypatch.setattr("webhooks.tasks.deliver.delay", queued.append)
    client = as_user(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(reverse("webhooks:webhook-ping", args=[webhook.pk]), follow=True)
    assert b"Test delivery" in page.content
    (delivery_id,) = queued
    assert delivery_attempt(delivery_id=delivery_id).outcome == "delivered"
    (request,) = receiver.requests
    assert request.headers[signing.EVENT_HEADER] == "ping"
    assert json.loads(request.body)["data"]["sent_by"] == admin_user.username
    assert signing.verify(webhook.secret, request.headers[signing.SIGNATURE_HEADER], request.body, now=int(time.time()))


def test_an_admin_edits_and_deletes_a_webhook(as_user, admin_user, webhook):
    client = as_user(admin_user)
    client.post(
        reverse("webhooks:webhook-edit", args=[webhook.pk]),
        {"name": "Renamed", "url": webhook.url, "events": [PACK_READY]},
    )
    webhook.refresh_from_db()
    assert (webhook.name, webhook.events, webhook.active) == ("Renamed", [PACK_READY], False)
    client.post(reverse("webhooks:webhook-delete", args=[webhook.pk]))
    assert not Webhook.objects.exists()


def test_the_webhooks_page_is_in_the_admin_menu(as_user, admin_user, policy_user):
    url = reverse("webhooks:webhook-list").encode()
    assert url in as_user(admin_user).get(reverse("home")).content
    assert url not in as_user(policy_user).get(reverse("home")).content


PAGES = [
    ("webhooks:webhook-list", False, False),
    ("webhooks:webhook-create", False, False),
    ("webhooks:webhook-detail", True, False),
    ("webhooks:webhook-edit", True, False),
    ("webhooks:webhook-delete", True, False),
    ("webhooks:webhook-rotate-secret", True, True),
    ("webhooks:webhook-ping", True, True),
    ("webhooks:delivery-detail", "delivery", False),
    ("webhooks:delivery-retry", "delivery", True),
]


def _url(name, needs, webhook):
    if needs == "delivery":
        (delivery,) = webhook_emit(event=SUBMITTED, data={})
        return reverse(name, args=[delivery.pk])
    return reverse(name, args=[webhook.pk]) if needs else reverse(name)


@pytest.mark.parametrize(("name", "needs", "post"), PAGES)
@pytest.mark.parametrize("role", ["outsider", "policy_user", "reviewer_user"])
def test_only_admins_see_the_webhook_pages(request, as_user, webhook, name, needs, post, role):
    client = as_user(request.getfixturevalue(role))
    url = _url(name, needs, webhook)
    answer = client.post(url) if post else client.get(url)
    assert answer.status_code == 403


@pytest.mark.parametrize(("name", "needs", "post"), PAGES)
def test_anonymous_visitors_are_sent_to_log_in_from_the_webhook_pages(client, webhook, name, needs, post):
    url = _url(name, needs, webhook)
    answer = client.post(url) if post else client.get(url)
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(("name", "needs", "post"), [page for page in PAGES if not page[2]])
def test_admins_see_every_webhook_page(as_user, admin_user, webhook, name, needs, post):
    assert as_user(admin_user).get(_url(name, needs, webhook)).status_code == 200


def test_the_beat_schedule_names_the_requeue_task_registered_with_celery():
    from django.conf import settings

    from config.celery import app

    app.loader.import_default_modules()  # what a worker does at start: autodiscovers each app's tasks
    entry = settings.CELERY_BEAT_SCHEDULE["webhooks-requeue-overdue"]
    assert entry["task"] == "webhooks.requeue_overdue"
    assert entry["task"] in app.tasks
