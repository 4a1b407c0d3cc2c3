"""A real Celery worker on the Redis broker of the test run answers tasks."""

import pytest
from celery.contrib.testing.tasks import ping
from celery.contrib.testing.worker import start_worker

from config.celery import app


@pytest.fixture(scope="module")
def celery_worker_on_redis():
    assert not app.conf.task_always_eager, "the test run sets CELERY_BROKER_URL"
    with start_worker(app, pool="solo", perform_ping_check=True, shutdown_timeout=10) as worker:
        yield worker


def test_worker_runs_tasks_through_redis(celery_worker_on_redis):
    """A task sent through the broker is executed by the worker and its result comes back."""
    assert app.conf.broker_url.startswith("redis://")
    assert ping.delay().get(timeout=10) == "pong"
