"""Django's compilemessages, skipping the same folders as makemessages (the virtualenv above all, whose
packages ship catalogues of their own that are not ours to rebuild)."""

from django.core.management.commands import compilemessages

from config.management.commands.makemessages import IGNORED


class Command(compilemessages.Command):
    help = compilemessages.Command.help + " Skips folders that are not the project's own source."

    def handle(self, *args, **options):
        options["ignore_patterns"] = [*IGNORED, *(options.get("ignore_patterns") or [])]
        return super().handle(*args, **options)
