#!/usr/bin/env python
"""Django's command-line utility, with configuration errors told in one sentence."""

import os
import sys

# Commands that read only the code (models, templates, translations) and never sign, serve or send
# anything: they run without a SECRET_KEY, so a checkout can be checked before any secret exists.
CODE_ONLY_COMMANDS = frozenset({"makemigrations", "makemessages", "compilemessages"})


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if len(sys.argv) > 1 and sys.argv[1] in CODE_ONLY_COMMANDS and not os.environ.get("SECRET_KEY"):
        os.environ["SECRET_KEY"] = "unused-by-code-only-commands"  # noqa: S105  (never signs anything)
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError

    try:
        # Read the settings first: Django keeps a settings error aside and goes on, so that it would surface
        # later as "Models aren't loaded yet" instead of the sentence that says what to set.
        from django.conf import settings

        settings.INSTALLED_APPS  # noqa: B018
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        sys.exit(f"Configuration error: {exc}")
    except OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        sys.exit(f"The database in DATABASE_URL cannot be reached: {reason}")


if __name__ == "__main__":
    main()
