"""Exactly once, for real: overlapping scans on PostgreSQL, a Celery worker on Redis, and an SMTP server.

The mail server is aiosmtpd on a free loopback port, reached through Django's SMTP backend; it can be
told to refuse the first messages with a 451, as a busy or restarting server does.
"""

import datetime
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable

import celery.contrib.testing.tasks  # noqa: F401  (registers celery.ping for the worker's start-up check)
import pytest
import redis
from aiosmtpd.controller import Controller
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings as django_settings
from django.db import connection, connections
from django.utils import timezone

from config.celery import app
from reminders import services, tasks
from reminders.models import ReminderLog, ReminderStatus
from responses.models import ResponseStatus
from tests.factories import (
    ConsultationFactory,
    ContactFactory,
    InvitationFactory,
    OrganisationFactory,
    ResponseFactory,
    UserFactory,
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MailServer:
    """An aiosmtpd handler that keeps what it accepts and refuses the first `refuse` messages."""

    def __init__(self) -> None:
        self.refuse = 0
        self.refused = 0
        self.envelopes: list = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self._lock:
            if self.refused < self.refuse:
                self.refused += 1
                return "451 4.3.0 Mailbox busy, try again later"
            self.envelopes.append(envelope)
        return "250 Message accepted"

    def received_by(self) -> Counter:
        with self._lock:
            return Counter(address for envelope in self.envelopes for address in envelope.rcpt_tos)


@pytest.fixture
def mail_server(settings):
    handler = MailServer()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    yield handler
    controller.stop()


def _close_connections(**kwargs) -> None:
    # Worker threads must not keep connections to the test database open, or it cannot be dropped.
    connections.close_all()


def clear_broker() -> None:
    """Forget tasks left in this run's Redis database by earlier tests."""
    app.control.purge()
    redis.Redis.from_url(django_settings.CELERY_BROKER_URL).delete("unacked", "unacked_index", "unacked_mutex")


@pytest.fixture(scope="module")
def worker():
    """A real Celery worker on the test run's Redis, running two tasks at a time in threads."""
    assert not app.conf.task_always_eager, "the test run sets CELERY_BROKER_URL"
    clear_broker()
    task_postrun.connect(_close_connections, weak=False)
    try:
        with start_worker(app, pool="threads", concurrency=2, perform_ping_check=True, shutdown_timeout=15) as w:
            yield w
    finally:
        task_postrun.disconnect(_close_connections)
        clear_broker()


@pytest.fixture
def team():
    """Deadlines two days away (UTC): two owners, a watcher, a reviewer of a draft, an invited contact.

    Ada owns both consultations, so she is due two reminders, in one e-mail.
    """
    now = timezone.now()
    first = ConsultationFactory(
        title="Child online protection", time_zone="UTC", deadline=now + datetime.timedelta(days=2, hours=6)
    )
    second = ConsultationFactory(
        title="Age verification", time_zone="UTC", deadline=now + datetime.timedelta(days=2, hours=9)
    )
    ada, bo, cy, di = (UserFactory(username=name) for name in ["ada", "bo", "cy", "di"])
    first.owners.add(ada, bo)
    second.owners.add(ada)
    first.watchers.add(cy)
    draft = ResponseFactory(consultation=first, organisation=OrganisationFactory(), status=ResponseStatus.DRAFT)
    draft.reviewers.add(di)
    first.remind_invited_contacts = True
    first.save()
    invitee = OrganisationFactory(name="Internet Watch Foundation")
    InvitationFactory(consultation=first, organisation=invitee)
    ContactFactory(organisation=invitee, email="ian@iwf.example")
    return {
        "recipients": ["ada@example.org", "bo@example.org", "cy@example.org", "di@example.org", "ian@iwf.example"],
        "reminders": 6,
    }


@pytest.fixture
def claims_meet(monkeypatch):
    """Hold each scan just before it claims, until two have arrived, so that their claims truly overlap."""
    barrier = threading.Barrier(2, timeout=20)
    original = services.reminders_claim

    def claim_together(**kwargs):
        barrier.wait()
        return original(**kwargs)

    monkeypatch.setattr(services, "reminders_claim", claim_together)
    return barrier


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"Timed out waiting for {what}.")


def assert_each_got_one_email(mail_server: MailServer, recipients: list[str]) -> None:
    assert mail_server.received_by() == Counter(dict.fromkeys(recipients, 1))
    keys = list(ReminderLog.objects.values_list("consultation_id", "recipient_key", "offset", "deadline"))
    assert len(keys) == len(set(keys))


@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_send_each_recipient_one_email(mail_server, team, claims_meet):
    """Two threads scan the same moment and claim at the same instant: every recipient gets one e-mail."""
    now = timezone.now()
    results, errors = [], []

    def scan() -> None:
        try:
            results.append(services.reminders_scan(now=now))
        except Exception as exc:  # reported below, with the thread's error
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert not claims_meet.broken
    assert sum(result.sent for result in results) == team["reminders"]
    assert sum(result.failed for result in results) == 0
    assert_each_got_one_email(mail_server, team["recipients"])
    assert ReminderLog.objects.filter(status=ReminderStatus.SENT).count() == team["reminders"]


@pytest.mark.django_db(transaction=True)
def test_two_scan_tasks_on_a_real_worker_send_each_recipient_one_email(worker, mail_server, team, claims_meet):
    """Beat's task queued twice, run side by side by a worker on Redis: one e-mail per recipient."""
    moment = timezone.now().isoformat()
    first, second = tasks.scan.delay(moment), tasks.scan.delay(moment)
    summaries = [first.get(timeout=60), second.get(timeout=60)]
    assert not claims_meet.broken
    sent = sorted(int(summary.split(",")[0].removeprefix("sent ")) for summary in summaries)
    assert sum(sent) == team["reminders"]
    assert_each_got_one_email(mail_server, team["recipients"])


@pytest.mark.django_db(transaction=True)
def test_a_refused_email_is_retried_by_the_worker_and_delivered_once(worker, mail_server, monkeypatch):
    """The SMTP server refuses the first attempt with 451 and accepts the retry: exactly one message arrives."""
    monkeypatch.setattr(tasks, "FIRST_RETRY_SECONDS", 0)
    mail_server.refuse = 1
    consultation = ConsultationFactory(time_zone="UTC", deadline=timezone.now() + datetime.timedelta(days=1, hours=3))
    consultation.owners.add(UserFactory(username="ada"))
    result = services.reminders_scan()
    assert (result.sent, result.failed) == (0, 1)
    log = ReminderLog.objects.get(status__in=[ReminderStatus.FAILED, ReminderStatus.SENDING, ReminderStatus.SENT])
    wait_for(lambda: ReminderLog.objects.get(pk=log.pk).status == ReminderStatus.SENT, timeout=30, what="the retry")
    log.refresh_from_db()
    assert (log.attempts, log.error) == (2, "")
    assert mail_server.refused == 1
    assert mail_server.received_by() == Counter({"ada@example.org": 1})


@pytest.mark.django_db(transaction=True)
def test_the_task_backs_off_and_retries_until_the_server_accepts(worker, mail_server, monkeypatch):
    """Refused by the scan and by the task's first try, the task's own backoff retry delivers, once."""
    monkeypatch.setattr(tasks, "FIRST_RETRY_SECONDS", 0)
    mail_server.refuse = 2
    consultation = ConsultationFactory(time_zone="UTC", deadline=timezone.now() + datetime.timedelta(days=1, hours=3))
    consultation.owners.add(UserFactory(username="ada"))
    services.reminders_scan()
    log = ReminderLog.objects.get(status__in=[ReminderStatus.FAILED, ReminderStatus.SENDING, ReminderStatus.SENT])
    wait_for(lambda: ReminderLog.objects.get(pk=log.pk).status == ReminderStatus.SENT, timeout=30, what="the retries")
    log.refresh_from_db()
    assert log.attempts == 3
    assert mail_server.refused == 2
    assert mail_server.received_by() == Counter({"ada@example.org": 1})
    # Running the task again, as a redelivery would, sends nothing more.
    assert tasks.send_reminder_email.delay([log.pk]).get(timeout=30) == 0
    assert mail_server.received_by() == Counter({"ada@example.org": 1})
