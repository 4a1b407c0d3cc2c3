from django.core.management.base import BaseCommand

from config.demo import seed_demo


class Command(BaseCommand):
    help = "Load the demo data and demo users. Safe to run again: nothing is duplicated."

    def handle(self, *args, **options) -> None:
        report = seed_demo()
        created = ", ".join(f"{count} {label}" for label, count in report.created.items() if count) or "nothing new"
        self.stdout.write(f"Demo data ready (created: {created}).")
        self.stdout.write("Demo logins:")
        for username, role in report.users:
            self.stdout.write(f"  {username:<9} {role:<13} password: {report.password}")
