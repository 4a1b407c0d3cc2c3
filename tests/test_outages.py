"""What the app does while a service it leans on is unreachable: the cache, the task queue.

The faults made by stopping real services under a running app are in tests/test_faults.py.
"""

import datetime

import kombu.exceptions
import pytest
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone

import config.cache
from exports.models import ExportFormat, ExportJob, ExportStatus
from exports.services import export_jobs_requeue_waiting
from exports.tasks import build_pack_task
from responses import matrix
from tests.factories import ConsultationFactory, PositionFactory, ResponseFactory, TopicFactory
from tests.private_services import PrivateRedis, free_port

QUEUE_UNAVAILABLE = "The queue is unavailable; your request is kept and will start when it is back."


def redis_cache(settings, url: str):
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "outage-test",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    config.cache._outages.clear()
    return caches["default"]


def test_an_unreachable_redis_is_an_empty_cache(settings, caplog):
    cache = redis_cache(settings, f"redis://127.0.0.1:{free_port()}/0")
    assert cache.get("key", "default") == "default"
    cache.set("key", "value")
    assert cache.add("key", "value") is False
    assert cache.get_many(["key", "other"]) == {}
    assert cache.has_key("key") is False
    assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
    assert cache.delete("key") is False
    warnings = [record for record in caplog.records if record.name == "config.cache"]
    assert len(warnings) == 1 and "Redis cannot be reached" in warnings[0].getMessage()


def test_invalidations_made_while_redis_is_down_are_written_once_it_answers(settings, tmp_path, monkeypatch):
    monkeypatch.setattr(config.cache, "RETRY_SECONDS", 0)
    redis = PrivateRedis(tmp_path)
    redis.start()
    try:
        cache = redis_cache(settings, redis.url(0))
        cache.set("matrix:generation:1", "before", None)
        cache.set("matrix:totals:1:before", "old figures", 60)
        cache.set("gone", "soon deleted", None)
        redis.stop()
        cache.set("matrix:generation:1", "after", None)  # a change while Redis is down
        cache.set("matrix:totals:1:after", "computed meanwhile", 60)  # an entry, not worth keeping
        cache.delete("gone")
        redis.start()
        assert cache.get("matrix:generation:1") == "after"
        assert cache.get("gone") is None
        assert cache.get("matrix:totals:1:after") is None
    finally:
        redis.stop()


@pytest.mark.django_db
def test_the_stance_matrix_is_served_with_redis_unreachable(settings, as_user, policy_user):
    redis_cache(settings, f"redis://127.0.0.1:{free_port()}/0")
    consultation = ConsultationFactory(slug="cop")
    topic = TopicFactory(consultation=consultation, name="Coordination")
    PositionFactory(response=ResponseFactory(consultation=consultation), topic=topic)
    client = as_user(policy_user)
    for _ in range(2):
        page = client.get(reverse("responses:matrix", args=["cop"]))
        assert page.status_code == 200
        assert matrix.totals(consultation.pk).responses == 1


@pytest.fixture
def broker_down(monkeypatch):
    """The broker refuses every task, as kombu reports once its publish retries are spent."""
    attempts: list[list] = []

    def refuse(args, **options):
        attempts.append(args)
        raise kombu.exceptions.OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(build_pack_task, "apply_async", refuse)
    return attempts


# Committed as in production, where the request is not wrapped in a transaction: the build is sent while the
# view runs, so it knows whether the broker took it.
@pytest.mark.django_db(transaction=True)
def test_a_pack_asked_for_while_the_broker_is_down_is_kept_with_a_message(as_user, admin_user, broker_down):
    consultation = ConsultationFactory(slug="cop")
    response = as_user(admin_user).post(reverse("exports:job-create", args=["cop"]), {"format": "csv"}, follow=True)
    job = ExportJob.objects.get()
    assert response.status_code == 200
    assert response.redirect_chain == [(reverse("exports:job-detail", args=[job.pk]), 302)]
    assert QUEUE_UNAVAILABLE in response.content.decode()
    assert (job.consultation, job.status, job.format) == (consultation, ExportStatus.QUEUED, ExportFormat.CSV)
    assert broker_down == [[job.pk]]


@pytest.mark.django_db(transaction=True)
def test_retrying_a_pack_while_the_broker_is_down_says_so(as_user, admin_user, broker_down):
    job = ExportJob.objects.create(
        consultation=ConsultationFactory(), requested_by=admin_user, status=ExportStatus.FAILED, error="Boom."
    )
    response = as_user(admin_user).post(reverse("exports:job-retry", args=[job.pk]), follow=True)
    assert QUEUE_UNAVAILABLE in response.content.decode()
    job.refresh_from_db()
    assert job.status == ExportStatus.QUEUED


@pytest.mark.django_db
def test_beat_sends_again_the_packs_still_queued_after_the_patience(settings, admin_user, monkeypatch):
    settings.EXPORT_REQUEUE_AFTER_SECONDS = 300
    sent: list[tuple[list, dict]] = []
    monkeypatch.setattr(build_pack_task, "apply_async", lambda args, **options: sent.append((args, options)))
    consultation = ConsultationFactory()
    now = timezone.now()

    def job(status: ExportStatus, minutes_ago: int) -> ExportJob:
        made = ExportJob.objects.create(consultation=consultation, requested_by=admin_user, status=status)
        ExportJob.objects.filter(pk=made.pk).update(created_at=now - datetime.timedelta(minutes=minutes_ago))
        return made

    waiting = job(ExportStatus.QUEUED, 30)
    job(ExportStatus.QUEUED, 1)  # may still be in the queue
    job(ExportStatus.RUNNING, 30)
    job(ExportStatus.DONE, 30)
    assert export_jobs_requeue_waiting(now=now) == 1
    assert sent == [([waiting.pk], {"expires": settings.EXPORT_REQUEUE_SECONDS})]


@pytest.mark.django_db
def test_beat_counts_only_the_packs_the_broker_took(settings, admin_user, broker_down):
    settings.EXPORT_REQUEUE_AFTER_SECONDS = 0
    ExportJob.objects.create(consultation=ConsultationFactory(), requested_by=admin_user)
    assert export_jobs_requeue_waiting() == 0
    assert len(broker_down) == 1
    assert ExportJob.objects.get().status == ExportStatus.QUEUED
