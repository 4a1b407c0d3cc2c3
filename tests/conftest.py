import pytest

from accounts.roles import Role
from tests.factories import PASSWORD, UserFactory


@pytest.fixture(autouse=True)
def _roles_survive_flushes(request):
    """Transactional tests (browser, worker) run on a database flushed after each test,
    which empties the role groups that a migration made; put them back first."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )
    if transactional:
        from django.apps import apps

        from accounts.roles import sync_roles

        request.getfixturevalue("transactional_db")
        sync_roles(apps)


@pytest.fixture
def policy_user(db):
    return UserFactory(username="policy", role=Role.POLICY_STAFF)


@pytest.fixture
def reviewer_user(db):
    return UserFactory(username="reviewer", role=Role.REVIEWER)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", role=Role.ADMIN, is_staff=True)


@pytest.fixture
def outsider(db):
    """Signed in, but holding no role: must see nothing."""
    return UserFactory(username="outsider")


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def as_user(client):
    """Log the test client in as the given user and return it."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (the stance matrix keeps its aggregates there, API throttling its counts)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True, scope="session")
def _test_settings():
    """Serve static files by name (the hashed manifest exists only after collectstatic), and hash
    test users' passwords quickly: the production hasher costs a third of a second per user."""
    from django.test import override_settings

    with override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ):
        yield


@pytest.fixture(autouse=True, scope="session")
def _french_compiled():
    """The compiled French catalogue is build output (make test compiles it first); compile it here when it is
    missing or older than the .po, so that a run of a few tests shows the French of the checkout."""
    from pathlib import Path

    from django.conf import settings
    from django.core.management import call_command

    po = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        call_command("compilemessages", locale=["fr"], verbosity=0)
