"""Settings of the app run in a child process by the tests (fault tests): production settings, except that
static files are served by name, so that no collectstatic manifest is needed."""

from config.settings import *  # noqa: F403
from config.settings import STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
