"""Settings come from the environment, and a bad value is told in one clear sentence."""

import secrets

import pytest

from tests.helpers import child_env, manage

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "consultrack.example.org",
}


def assert_one_sentence(result, *words: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr


def test_missing_secret_key_in_production_refuses_to_start(tmp_path):
    """With DEBUG off and no SECRET_KEY the app names the variable and stops."""
    result = manage("check", env=child_env(DEBUG="false", DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3"))
    assert_one_sentence(result, "SECRET_KEY is not set")


def test_bad_database_url_is_named(tmp_path):
    result = manage("check", env=child_env(**PRODUCTION, DATABASE_URL="nonsense://nowhere/db"))
    assert_one_sentence(result, "DATABASE_URL")


def test_unreachable_database_is_named():
    """A database that does not answer gives one sentence naming DATABASE_URL."""
    result = manage(
        "migrate", env=child_env(**PRODUCTION, DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere"), timeout=60
    )
    assert_one_sentence(result, "DATABASE_URL", "cannot be reached")


def test_bad_boolean_is_named(tmp_path):
    result = manage("check", env=child_env(DEBUG="maybe", DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3"))
    assert_one_sentence(result, "DEBUG must be true or false")


def test_a_negative_retention_of_deleted_items_is_named(tmp_path):
    result = manage(
        "check",
        env=child_env(**PRODUCTION, DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3", DELETED_RETENTION_DAYS="-1"),
    )
    assert_one_sentence(result, "DELETED_RETENTION_DAYS must be 0 or more")


def test_without_a_broker_tasks_run_eagerly_and_the_log_says_so(tmp_path):
    result = manage("check", env=child_env(DEBUG="true", DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3"))
    assert result.returncode == 0, result.stderr
    assert "CELERY_BROKER_URL is not set: background tasks run eagerly" in result.stderr


def test_with_a_broker_the_log_does_not_claim_eager_tasks(tmp_path):
    result = manage(
        "check",
        env=child_env(
            DEBUG="true",
            DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
            CELERY_BROKER_URL="redis://127.0.0.1:6379/15",
        ),
    )
    assert result.returncode == 0, result.stderr
    assert "eagerly" not in result.stderr


def test_check_deploy_is_clean_with_production_values(tmp_path):
    """`check --deploy` prints no warning when the production variables are set."""
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env=child_env(**PRODUCTION, DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.django_db
def test_datetimes_are_stored_in_utc(settings):
    """USE_TZ is on: a deadline entered in Geneva time is stored as the same instant in UTC."""
    import datetime
    import zoneinfo

    from django.db import connection

    from tests.factories import ConsultationFactory

    assert settings.USE_TZ
    geneva = zoneinfo.ZoneInfo("Europe/Zurich")
    consultation = ConsultationFactory(
        opens_at=datetime.datetime(2016, 1, 1, tzinfo=geneva),
        deadline=datetime.datetime(2016, 1, 31, 23, 59, tzinfo=geneva),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_char(deadline AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM consultations_consultation WHERE id = %s",
            [consultation.pk],
        )
        assert cursor.fetchone()[0] == "2016-01-31 22:59"
