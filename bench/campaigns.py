"""Campaign detection on generated letters: time and pairwise precision/recall at growing sizes.

    DEBUG=true .venv/bin/python -m bench.campaigns [SCALE ...]

Each scale multiplies the labelled set of tests/campaign_letters.py (219 letters: 7 form letters sent
2 to 45 times with small edits, 90 letters of their own). Detection only, no database.
"""

import os
import sys
import time

import django


def main(scales: list[int]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from responses.campaigns import document_shingles, plan_campaigns
    from tests.campaign_letters import labelled_letters, pairwise_precision_recall

    for scale in scales:
        letters = labelled_letters(
            seed=42, campaign_sizes=tuple(size * scale for size in (45, 30, 25, 15, 8, 4, 2)), distinct=90 * scale
        )
        started = time.perf_counter()
        plan = plan_campaigns({i: document_shingles(letter.text) for i, letter in enumerate(letters)}, threshold=0.5)
        elapsed = time.perf_counter() - started
        predicted: list[int | None] = [None] * len(letters)
        for number, planned in enumerate(plan):
            for member in planned.members:
                predicted[member] = number
        precision, recall = pairwise_precision_recall([letter.campaign for letter in letters], predicted)
        print(
            f"{len(letters):6d} letters  {len(plan):3d} campaigns  "
            f"precision {precision:.3f}  recall {recall:.3f}  {elapsed:6.2f} s"
        )


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [1, 5, 10])
