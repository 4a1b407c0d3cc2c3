"""Fill a fresh PostgreSQL database with synthetic consultations and responses (config/synthetic.py)."""

from django.core.management.base import BaseCommand, CommandError

from config.synthetic import seed_synthetic


class Command(BaseCommand):
    help = (
        "Generate synthetic data for benchmarks: N responses (about 5 positions and 8 answers each, some 3 KB "
        "of text, campaigns of near-identical letters), N/10 organisations and N/100 consultations, one of "
        "which has 5,000 responses. Written with COPY; PostgreSQL only; into a database without synthetic data."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--responses", type=int, default=200_000, help="How many responses (default 200,000).")
        parser.add_argument("--organisations", type=int, help="How many organisations (default responses / 10).")
        parser.add_argument("--consultations", type=int, help="How many consultations (default responses / 100).")
        parser.add_argument("--seed", type=int, default=10, help="Random seed: the same seed gives the same data.")

    def handle(self, *args, responses: int, organisations, consultations, seed: int, verbosity: int, **options):
        if responses < 1:
            raise CommandError("--responses must be at least 1.")
        if organisations is not None and organisations < 1:
            raise CommandError("--organisations must be at least 1.")
        if consultations is not None and consultations < 1:
            raise CommandError("--consultations must be at least 1.")

        def report(line: str) -> None:
            if verbosity >= 1:
                self.stdout.write(line)

        try:
            made = seed_synthetic(
                responses=responses,
                organisations=organisations,
                consultations=consultations,
                seed=seed,
                report=report,
            )
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{made['responses']} responses ({made['positions']} positions, {made['answers']} answers, "
                f"{made['campaign_letters']} campaign letters) to {made['consultations']} consultations from "
                f"{made['organisations']} organisations in {made['seconds']} s; the largest consultation, "
                f"{made['largest_consultation']}, has {made['largest_size']} responses."
            )
        )
