"""Django's makemessages, knowing which folders of the project hold no source of ours.

`make messages` runs it for French; tests/test_languages.py runs it on a copy of the project to check that
every string is translated. Both rely on these defaults, so they cannot drift apart.
"""

from django.core.management.commands import makemessages

# The virtualenv, installed JavaScript, third-party static files and build output (collected static
# files, uploads), the benchmark and the tests: their strings are not ours to translate, and the
# virtualenv's own catalogues are not ours to compile.
IGNORED = [".venv", "venv", "node_modules", "static/vendor", "staticfiles", "var", "bench", "tests", ".git"]


class Command(makemessages.Command):
    help = makemessages.Command.help + " Skips folders that are not the project's own source."

    def handle(self, *args, **options):
        options["ignore_patterns"] = [*IGNORED, *(options.get("ignore_patterns") or [])]
        return super().handle(*args, **options)
