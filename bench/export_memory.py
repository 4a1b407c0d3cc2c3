"""How much memory a response pack needs, for a small and a large consultation.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/consultrack_bench MEDIA_ROOT=/tmp/bench-media \
      DEBUG=true .venv/bin/python bench/export_memory.py [--sizes 50 5000] [--formats csv xlsx ...]

Generates the consultations once (bench/export_data.py), then builds each format in a fresh child
process and prints its peak resident memory and how much of it the build added to the baseline (after
Django and the builder libraries are imported), the peak of Python allocations seen by tracemalloc,
and the wall and CPU seconds of the build (on a shared machine the CPU time is the steadier figure).
The PDF is laid out by processes of its own (exports/builders/pdf_layout.py): the peak is that of the
whole process tree, the sum of every process's resident memory sampled ten times a second (shared
library pages counted in each process, so a little above the truth; the proportional set size,
which shares them out, is printed too, sampled once a second), and the CPU seconds include the
children's. The PDF's speed
depends on the system: WeasyPrint subsets fonts with HarfBuzz when libharfbuzz-subset0 is installed
(as in the Dockerfile), else with the much slower fontTools. A benchmark, not a test: it prints
numbers and asserts nothing.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def setup_django() -> None:
    import logging

    import django

    django.setup()
    # WeasyPrint logs a line per page at INFO; the numbers are what matter here.
    logging.getLogger("weasyprint").setLevel(logging.WARNING)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended: on a shared machine, wall time
    says as much about the neighbours."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def _descendants(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        parent = queue.pop()
        try:  # the process may end while it is being looked at
            tasks = list(Path(f"/proc/{parent}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                children = [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                continue
            found += children
            queue += children
    return found


PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _rss_kb(pid: int) -> int:
    try:  # statm, cheap to read: sampled often
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KB
    except OSError:  # the process ended meanwhile
        return 0


def _pss_kb(pid: int) -> int:
    """The process's proportional share of memory (a shared page split between the processes that map
    it). The kernel walks the page tables to count it: sampled less often, or the sampling itself
    would show in the CPU time."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeMemory(threading.Thread):
    """The peak, over the build, of the resident memory of this process and all its descendants."""

    def __init__(self, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.peak_kb = self.peak_pss_kb = 0
        self.peak_processes = 1
        self._stopped = threading.Event()

    def run(self) -> None:
        pid, samples = os.getpid(), 0
        while not self._stopped.wait(self.interval):
            pids = [pid, *_descendants(pid)]
            total = sum(_rss_kb(each) for each in pids)
            if total > self.peak_kb:
                self.peak_kb, self.peak_processes = total, len(pids)
            if samples % 10 == 0:
                self.peak_pss_kb = max(self.peak_pss_kb, sum(_pss_kb(each) for each in pids))
            samples += 1

    def stop(self) -> float:
        self._stopped.set()
        self.join()
        return self.peak_kb / 1024


def measure(slug: str, fmt: str, trace: bool) -> dict:
    """Build one pack in this process and report its memory (the child's side)."""
    setup_django()
    # Imported before the baseline, like a warm worker. (WeasyPrint is not: the worker never imports
    # it, its PDF layout processes do, and their memory is counted in the peak.)
    import docx  # noqa: F401
    import openpyxl  # noqa: F401

    from consultations.models import Consultation
    from exports.builders.bundle import build_pack
    from exports.pack import PackSource

    consultation = Consultation.objects.get(slug=slug)
    source = PackSource(consultation=consultation, filters={})
    source.counts()
    baseline = peak_rss_mb()
    if trace:
        tracemalloc.start()
    tree = TreeMemory()
    tree.start()
    started, cpu_started = time.perf_counter(), cpu_seconds()
    with tempfile.TemporaryDirectory() as workdir:
        built = build_pack(source, fmt=fmt, include_attachments=True, workdir=Path(workdir))
        size = built.size
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
    peak = max(tree.stop(), peak_rss_mb())
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    return {
        "responses": built.counts.responses,
        "format": fmt,
        "baseline_rss_mb": round(baseline, 1),
        "peak_rss_mb": round(peak, 1),
        "rss_growth_mb": round(peak - baseline, 1),
        "main_process_peak_rss_mb": round(peak_rss_mb(), 1),
        "tree_peak_pss_mb": round(tree.peak_pss_kb / 1024, 1),
        "processes_at_peak": tree.peak_processes,
        "tracemalloc_peak_mb": round(traced, 1) if traced is not None else None,
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu, 1),
        "output_mb": round(size / 2**20, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 5000])
    parser.add_argument("--formats", nargs="+", default=["csv", "xlsx", "docx", "pdf", "zip"])
    parser.add_argument("--no-trace", action="store_true", help="Skip tracemalloc (it slows the PDF down a lot).")
    parser.add_argument("--child", nargs=2, metavar=("SLUG", "FORMAT"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps(measure(args.child[0], args.child[1], trace=not args.no_trace)))
        return

    setup_django()
    from django.core.management import call_command

    from bench.export_data import generate

    call_command("migrate", verbosity=0)
    for size in args.sizes:
        started = time.perf_counter()
        generate(slug=f"bench-pack-{size}", responses=size)
        print(f"data for {size} responses ready in {time.perf_counter() - started:.1f}s", file=sys.stderr)

    header = f"{'responses':>9} {'format':>6} {'baseline':>9} {'peak RSS':>9} {'growth':>8} {'tracemalloc':>11} {'seconds':>8} {'cpu':>8} {'output':>8}"
    print(header)
    for fmt in args.formats:
        for size in args.sizes:
            command = [sys.executable, __file__, "--child", f"bench-pack-{size}", fmt]
            if args.no_trace:
                command.append("--no-trace")
            result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
            if result.returncode:
                errors = [line for line in result.stderr.splitlines() if "WARNING" not in line][-3:]
                print(f"{size:>9} {fmt:>6} failed (exit {result.returncode}): {errors}", flush=True)
                continue
            row = json.loads(result.stdout.strip().splitlines()[-1])
            traced = "-" if row["tracemalloc_peak_mb"] is None else f"{row['tracemalloc_peak_mb']} MB"
            print(
                f"{row['responses']:>9} {fmt:>6} {row['baseline_rss_mb']:>6} MB {row['peak_rss_mb']:>6} MB "
                f"{row['rss_growth_mb']:>5} MB {traced:>11} {row['seconds']:>7}s {row['cpu_seconds']:>7}s "
                f"{row['output_mb']:>5} MB",
                flush=True,
            )


if __name__ == "__main__":
    main()
