import logging

from django.apps import AppConfig
from django.conf import settings

logger = logging.getLogger("consultrack")


class ConsultrackConfig(AppConfig):
    """The project itself: site-wide commands (seed_demo) and start-up notices."""

    name = "config"
    verbose_name = "Consultrack"

    def ready(self) -> None:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            logger.warning("CELERY_BROKER_URL is not set: background tasks run eagerly inside the web process.")
