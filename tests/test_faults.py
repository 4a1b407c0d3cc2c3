"""Faults, each made by stopping and starting a real service of the test's own (see tests.private_services).

- Redis down: pages are still served (the cache answers as empty), and a pack asked for is kept, queued, with
  a message saying so; once Redis is back, the beat task sends it again and a real worker builds it.
- PostgreSQL restarted under a running app: the next request is answered.
- The mail server down during a reminder scan: nothing is marked sent, the failures wait for their retry;
  once it is back, the retry sends each reminder exactly once, and another scan sends nothing more.

A worker killed with SIGKILL in the middle of a pack build is tests/test_export_worker.py.
"""

import datetime
import re
import time
from email import message_from_bytes

import pytest
import redis
import requests
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from config.cache import RETRY_SECONDS
from exports.models import ExportJob, ExportStatus
from reminders.models import ReminderLog, ReminderStatus
from reminders.services import reminders_scan
from tests.factories import ConsultationFactory, UserFactory, make_pack_data
from tests.helpers import manage, worker_database_url
from tests.private_services import (
    AppServer,
    PrivatePostgres,
    PrivateRedis,
    PrivateSMTP,
    app_env,
    celery_call,
    celery_worker,
    terminate,
    wait_for,
)

# A page served without its cache may be slower, but not by the length of a timeout per cache call.
PAGE_SECONDS = 5


def signed_in(user) -> requests.Session:
    """A browser session for the app in a child process: the session row is in the database they share."""
    client = Client()
    client.force_login(user)
    session = requests.Session()
    session.cookies.set("sessionid", client.cookies["sessionid"].value)
    return session


def get(session: requests.Session, url: str, *, timed: bool = True) -> requests.Response:
    started = time.monotonic()
    response = session.get(url, timeout=30, allow_redirects=False)
    assert response.status_code == 200, f"{url}: {response.status_code}\n{response.text[:2000]}"
    took = time.monotonic() - started
    assert took < PAGE_SECONDS or not timed, f"{url} took {took:.1f} s"
    return response


def csrf_token(page: requests.Response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_pages_are_served_and_a_pack_request_waits_for_the_queue(tmp_path, private_redis):
    media = tmp_path / "media"
    data = make_pack_data()
    consultation = data["consultation"]
    admin = UserFactory(username="ada", role=Role.ADMIN)
    env = app_env(
        database_url=worker_database_url(),
        CACHE_URL=private_redis.url(1),
        CELERY_BROKER_URL=private_redis.url(0),
        MEDIA_ROOT=str(media),
        EXPORT_REQUEUE_AFTER_SECONDS="0",
    )
    server = AppServer(tmp_path, env)
    server.start()
    worker = None
    try:
        browser = signed_in(admin)
        pages = [
            reverse("home"),
            reverse("consultations:consultation-list"),
            reverse("consultations:consultation-detail", args=[consultation.slug]),
            reverse("responses:matrix", args=[consultation.slug]),
            reverse("exports:consultation-job-list", args=[consultation.slug]),
        ]
        # Each page once with Redis up (the first requests also load the code); the matrix is cached.
        matrix_before = [get(browser, server.base + page, timed=False) for page in pages][3].text

        private_redis.stop()
        for page in pages:
            get(browser, server.base + page)
        assert get(browser, server.base + pages[3]).text.count("<td") == matrix_before.count("<td")

        form_url = server.base + reverse("exports:job-create", args=[consultation.slug])
        form = get(browser, form_url)
        answer = browser.post(
            form_url,
            data={"csrfmiddlewaretoken": csrf_token(form), "format": "csv"},
            headers={"Referer": form_url},
            timeout=60,
        )
        assert answer.status_code == 200 and answer.history and answer.history[0].status_code == 302
        assert "The queue is unavailable; your request is kept and will start when it is back." in answer.text
        job = ExportJob.objects.get()
        assert (job.status, job.attempts) == (ExportStatus.QUEUED, 0)

        # Redis back (empty: the task never reached it); a worker, and the beat task that sends waiting jobs.
        private_redis.start()
        worker_log = tmp_path / "worker.log"
        worker = celery_worker(env, worker_log, "faults-redis")
        celery_call("exports.requeue_waiting", env=env, log=tmp_path / "call.log")
        wait_for(
            lambda: ExportJob.objects.get(pk=job.pk).status in (ExportStatus.DONE, ExportStatus.FAILED),
            timeout=90,
            what="the worker to build the pack sent again",
            log=worker_log,
        )
        job.refresh_from_db()
        assert job.status == ExportStatus.DONE, job.error
        assert job.attempts == 1
        assert (media / job.file.name).is_file()
        # The pages use the cache again, once the back-off after the outage (RETRY_SECONDS) has passed in
        # the process that serves them.
        cached = redis.Redis.from_url(private_redis.url(1))
        wait_for(
            lambda: get(browser, server.base + pages[3], timed=False).ok and bool(cached.keys("*consultrack*matrix*")),
            timeout=RETRY_SECONDS * 4,
            what="the matrix to be cached again",
        )
    finally:
        terminate(worker)
        server.stop()


MAKE_ADMIN = """
from django.apps import apps
from django.contrib.auth.models import Group
from django.test import Client
from accounts.models import User
from accounts.roles import sync_roles
sync_roles(apps)
user = User.objects.create_user("ada", "ada@example.org", "a long enough password 1")
user.groups.add(Group.objects.get(name="Admin"))
client = Client()
client.force_login(user)
print(client.cookies["sessionid"].value)
"""


@pytest.mark.django_db  # the test database, migrated, is copied into the private cluster
def test_after_postgresql_restarts_the_next_request_is_answered(tmp_path):
    postgres = PrivatePostgres()
    try:
        postgres.init()
        postgres.start()
        postgres.copy_database(worker_database_url(), "consultrack")
        env = app_env(database_url=postgres.url("consultrack"), CELERY_BROKER_URL="")
        made = manage("shell", "-c", MAKE_ADMIN, env=env)
        assert made.returncode == 0, made.stderr
        browser = requests.Session()
        browser.cookies.set("sessionid", made.stdout.strip().splitlines()[-1])
        server = AppServer(tmp_path, env)
        server.start()
        try:
            home = server.base + reverse("home")
            get(browser, home, timed=False)  # the app now holds a connection (CONN_MAX_AGE)
            postgres.stop()
            postgres.start()
            get(browser, home, timed=False)
        finally:
            server.stop()
    finally:
        postgres.destroy()


@pytest.mark.django_db(transaction=True)
def test_with_the_mail_server_down_reminders_wait_and_are_sent_once_when_it_is_back(settings, tmp_path, private_redis):
    smtp = PrivateSMTP(tmp_path)
    smtp.start()
    smtp.stop()
    now = timezone.now()
    consultation = ConsultationFactory(time_zone="UTC", deadline=now + datetime.timedelta(days=2, hours=6))
    other = ConsultationFactory(time_zone="UTC", deadline=now + datetime.timedelta(days=2, hours=9))
    ada, bo, cy = (UserFactory(username=name) for name in ["ada", "bo", "cy"])
    consultation.owners.add(ada, bo)
    other.owners.add(ada)
    consultation.watchers.add(cy)
    mail = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_TIMEOUT": "5",
    }
    env = app_env(
        database_url=worker_database_url(),
        CELERY_BROKER_URL=private_redis.url(0),
        REMINDER_RETRY_SECONDS="1",
        **mail,
    )
    worker_log = tmp_path / "worker.log"
    worker = celery_worker(env, worker_log, "faults-mail")
    try:
        celery_call("reminders.scan", env=env, log=tmp_path / "call.log")
        due = ReminderLog.objects.exclude(status=ReminderStatus.SKIPPED)

        def retried_while_down() -> bool:
            rows = list(due.all())
            return len(rows) == 4 and all(row.status == ReminderStatus.FAILED and row.attempts >= 2 for row in rows)

        wait_for(retried_while_down, timeout=60, what="the scan, then a retry, to fail", log=worker_log)
        assert "Connection refused" in due.first().error
        assert smtp.messages() == []

        smtp.start()
        wait_for(
            lambda: all(row.status == ReminderStatus.SENT for row in due.all()),
            timeout=90,
            what="the retries to send the reminders",
            log=worker_log,
        )
        received = sorted(message_from_bytes(raw)["To"] for raw in smtp.messages())
        assert received == ["ada@example.org", "bo@example.org", "cy@example.org"]

        # Another scan, here, and whatever retry was still queued, send nothing more.
        for name, value in mail.items():
            setattr(settings, name, int(value) if value.isdigit() else value)
        assert reminders_scan().sent == 0
        time.sleep(2)
        assert len(smtp.messages()) == 3
        assert due.filter(status=ReminderStatus.SENT).count() == 4
    finally:
        terminate(worker)
        smtp.stop()
