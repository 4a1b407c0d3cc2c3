"""The benchmark behind `make bench`: Consultrack under gunicorn on PostgreSQL, at a given number of responses.

    .venv/bin/python bench/run.py --responses 200000 [--output bench/RESULTS.md] [--requests 200]

1. A fresh database (BENCH_DATABASE_URL, default consultrack_bench on the local PostgreSQL) is created,
   migrated and filled by `manage.py seed_synthetic` (timed). `--reuse` keeps a database already seeded
   with the same number of responses.
2. Each page of PAGES is requested once through Django's test client, warm and cold, to count its SQL
   queries (CaptureQueriesContext); each query it made is then run alone under EXPLAIN ANALYZE: the
   slowest is the page's "main SQL", and the sum is all the time the page spent in PostgreSQL.
3. gunicorn serves the app (DEBUG off, the Redis cache of CACHE_URL); a small load generator (threads,
   keep-alive HTTP on loopback, a bench user's session cookie) warms each page up, then requests it
   --requests times with --concurrency clients and records p50, p95 and p99. The Django admin's change
   list of responses, on the same data with the same filters, is driven the same way beside each page.
4. A pack of the largest consultation is built per format in a fresh process (bench/export_memory.py):
   wall time and the process's peak resident memory. The reminder scan runs over every consultation.
5. bench/RESULTS.md gets the machine, the data, every figure, each page's ratio to the admin and to its
   SQL, and the targets of issue 10 met or missed (by how much, and where the time goes);
   --json writes the same figures for programs (the smoke test reads them).

The table PAGES is the harness: one line per page (name, URL, the admin's equivalent). A page whose URL
name does not resolve in this build is reported as absent (and fails the smoke test, tests/test_bench.py).
"""

import argparse
import datetime
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
sys.path.insert(0, str(ROOT))

# Targets of issue 10 (at 200,000 responses on 2 cores).
TARGET_P95_MS = 100
TARGET_QUERIES = 15
TARGET_ADMIN_RATIO = 0.5
TARGET_PACK_SECONDS = {"csv": 20, "xlsx": 20, "pdf": 180}
TARGET_PACK_MB = 400
TARGET_SCAN_SECONDS = 5
TARGET_SEED_SECONDS = 600  # for 200,000 responses

SEARCH_WORD = "encryption"


@dataclass
class Data:
    """What the URLs are built from: the largest consultation and a busy organisation."""

    largest_slug: str
    largest_pk: int
    organisation_slug: str
    organisation_pk: int


def _url(name: str, *args, query: str = "") -> Callable[[Data], str | None]:
    def build(data: Data) -> str | None:
        from django.urls import NoReverseMatch, reverse

        try:
            path = reverse(name, args=[arg(data) if callable(arg) else arg for arg in args])
        except NoReverseMatch:
            return None
        return path + (f"?{query(data) if callable(query) else query}" if query else "")

    return build


ADMIN_RESPONSES = "/admin/responses/response/"


@dataclass
class Page:
    name: str
    url: Callable[[Data], str | None]
    admin: Callable[[Data], str]


# name, URL builder, the admin's change list of responses on the same data with the same filters
PAGES = [
    Page("Consultation list", _url("consultations:consultation-list", query="tab=all"), lambda d: ADMIN_RESPONSES),
    Page(
        "Consultation page (largest)",
        _url("consultations:consultation-detail", lambda d: d.largest_slug),
        lambda d: f"{ADMIN_RESPONSES}?consultation__id__exact={d.largest_pk}",
    ),
    Page(
        "Stance matrix (largest)",
        _url("responses:matrix", lambda d: d.largest_slug),
        lambda d: f"{ADMIN_RESPONSES}?consultation__id__exact={d.largest_pk}&status__exact=received",
    ),
    Page(
        "Response list, filtered",
        _url("responses:response-list", query="status=received&channel=email"),
        lambda d: f"{ADMIN_RESPONSES}?status__exact=received&channel__exact=email",
    ),
    Page(
        "Full-text search",
        _url("responses:search", query=f"q={SEARCH_WORD}"),
        lambda d: f"{ADMIN_RESPONSES}?q={SEARCH_WORD}",
    ),
    Page(
        "Organisation page",
        _url("stakeholders:organisation-detail", lambda d: d.organisation_slug),
        lambda d: f"{ADMIN_RESPONSES}?organisation__id__exact={d.organisation_pk}",
    ),
    Page("Dashboard (home)", _url("home"), lambda d: ADMIN_RESPONSES),
]


@dataclass
class Timing:
    p50: float
    p95: float
    p99: float
    requests: int
    per_second: float

    @classmethod
    def of(cls, latencies: list[float], elapsed: float) -> "Timing":
        ordered = sorted(latencies)

        def pick(share: float) -> float:
            return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 1)

        return cls(pick(0.50), pick(0.95), pick(0.99), len(ordered), round(len(ordered) / elapsed, 1))


@dataclass
class PageResult:
    name: str
    url: str | None
    admin_url: str
    queries_warm: int | None = None
    queries_cold: int | None = None
    main_sql_ms: float | None = None
    all_sql_ms: float | None = None
    main_sql: str = ""
    timing: Timing | None = None
    admin: Timing | None = None
    notes: list[str] = field(default_factory=list)


# --- the database ----------------------------------------------------------------------------------


def _server_url(database_url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(database_url)
    return urllib.parse.urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")


def _run(command: list[str], env: dict, what: str) -> str:
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-15:])
        raise SystemExit(f"{what} failed (exit {result.returncode}):\n{tail}")
    return result.stdout


def prepare_database(args, env: dict) -> dict:
    import psycopg2

    server, name = _server_url(args.database_url)
    seeded = None
    if args.reuse:
        try:
            with psycopg2.connect(args.database_url) as connection, connection.cursor() as cursor:
                cursor.execute("SELECT COUNT(*) FROM responses_response")
                seeded = cursor.fetchone()[0]
        except psycopg2.Error:
            seeded = None
    if seeded == args.responses:
        print(f"reusing {name}: {seeded} responses", flush=True)
        # Migrations run since the seeding (a new column, a new index) leave the planner without statistics
        # for them; a production database has autovacuum's. Seconds, even at 200,000 responses.
        connection = psycopg2.connect(args.database_url)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        connection.close()
        return {"seconds": None, "reused": True}
    connection = psycopg2.connect(server)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    started = time.perf_counter()
    _run([PYTHON, "manage.py", "migrate", "--no-input", "-v0"], env, "migrate")
    migrated = time.perf_counter() - started
    started = time.perf_counter()
    output = _run([PYTHON, "manage.py", "seed_synthetic", "--responses", str(args.responses)], env, "seed_synthetic")
    seconds = time.perf_counter() - started
    print(output.strip().splitlines()[-1], flush=True)
    return {"seconds": round(seconds, 1), "migrate_seconds": round(migrated, 1), "reused": False}


def find_data() -> Data:
    from django.db.models import Count

    from config.synthetic import LARGEST_SLUG
    from consultations.models import Consultation
    from stakeholders.models import Organisation

    largest = Consultation.objects.get(slug=LARGEST_SLUG)
    busiest = (
        Organisation.objects.annotate(number=Count("responses")).order_by("-number", "pk").only("pk", "slug").first()
    )
    return Data(largest.slug, largest.pk, busiest.slug, busiest.pk)


def bench_user():
    from django.contrib.auth.models import Group

    from accounts.models import User
    from accounts.roles import Role

    user, _created = User.objects.get_or_create(
        username="bench-admin", defaults={"email": "bench-admin@example.org", "is_staff": True, "is_superuser": True}
    )
    user.groups.add(Group.objects.get(name=Role.ADMIN.value))
    return user


def session_cookie(user) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    # The model backend: the first in the list (django-axes's) only guards sign-ins and loads no user.
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


# --- queries per request and the SQL alone --------------------------------------------------------


def explain_ms(sql: str, runs: int = 3) -> float:
    """The median of planning + execution time of one query run alone (EXPLAIN ANALYZE)."""
    from django.db import connection

    times = []
    with connection.cursor() as cursor:
        for _ in range(runs):
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            times.append(plan[0]["Planning Time"] + plan[0]["Execution Time"])
    return statistics.median(times)


def count_and_explain(result: PageResult, user) -> None:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user)
    cache.clear()
    counts = []
    for _ in range(2):  # cold (empty cache), then warm
        with CaptureQueriesContext(connection) as captured:
            response = client.get(result.url)
        if response.status_code != 200:
            raise SystemExit(f"{result.name}: {result.url} answered {response.status_code} to the test client")
        counts.append(len(captured.captured_queries))
    result.queries_cold, result.queries_warm = counts
    timings = []
    for query in captured.captured_queries:  # the warm request's queries
        sql = query["sql"]
        if sql.lstrip().upper().startswith("SELECT"):
            timings.append((explain_ms(sql), sql))
    if timings:
        slowest = max(timings)
        result.main_sql_ms = round(slowest[0], 2)
        result.all_sql_ms = round(sum(ms for ms, _sql in timings), 2)
        result.main_sql = slowest[1]


# --- gunicorn and the load generator --------------------------------------------------------------


def start_gunicorn(env: dict, port: int, workers: int) -> subprocess.Popen:
    command = [
        str(Path(PYTHON).parent / "gunicorn"),
        "config.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--timeout",
        "120",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/accounts/login/")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("gunicorn did not answer within 60 s")


def drive(port: int, path: str, cookie: str, *, requests: int, concurrency: int, warmup: int) -> Timing:
    """Request `path` `requests` times from `concurrency` keep-alive clients; every answer must be a 200."""
    headers = {"Cookie": cookie, "Host": "127.0.0.1"}
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    todo = iter(range(requests))

    def client(count: int | None) -> None:
        connection = HTTPConnection("127.0.0.1", port, timeout=120)
        done = 0
        while True:
            if count is not None:
                if done >= count:
                    break
            else:
                with lock:
                    if next(todo, None) is None:
                        break
            started = time.perf_counter()
            connection.request("GET", path, headers=headers)
            answer = connection.getresponse()
            answer.read()
            elapsed = time.perf_counter() - started
            done += 1
            if answer.status != 200:
                with lock:
                    failures.append(f"{answer.status}")
            elif count is None:
                with lock:
                    latencies.append(elapsed)
        connection.close()

    for _ in range(concurrency):
        client(max(1, warmup // concurrency))
    threads = [threading.Thread(target=client, args=(None,)) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{path}: {len(failures)} answers were not 200 (e.g. {failures[0]})")
    return Timing.of(latencies, elapsed)


# --- packs and the reminder scan ------------------------------------------------------------------


def pack_figures(env: dict, slug: str, formats: list[str], timeout: int) -> list[dict]:
    rows = []
    for fmt in formats:
        command = [PYTHON, str(ROOT / "bench" / "export_memory.py"), "--child", slug, fmt, "--no-trace"]
        started = time.perf_counter()
        try:
            result = subprocess.run(  # noqa: S603
                command, cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            rows.append({"format": fmt, "error": f"not finished after {timeout} s (stopped)"})
            print(f"pack {fmt}: stopped after {timeout} s", flush=True)
            continue
        wall = time.perf_counter() - started
        if result.returncode:
            errors = [line for line in result.stderr.splitlines() if "WARNING" not in line][-3:]
            rows.append({"format": fmt, "error": f"exit {result.returncode}: {' | '.join(errors)}"})
            continue
        row = json.loads(result.stdout.strip().splitlines()[-1])
        row["process_seconds"] = round(wall, 1)
        rows.append(row)
        print(f"pack {fmt}: {row['seconds']} s, peak {row['peak_rss_mb']} MB", flush=True)
    return rows


SCAN_SCRIPT = """
import json, time, django
django.setup()
from consultations.models import Consultation
from reminders.services import reminders_scan
started = time.perf_counter(); planned = reminders_scan(dry_run=True); dry = time.perf_counter() - started
started = time.perf_counter(); result = reminders_scan(); real = time.perf_counter() - started
print(json.dumps({"consultations": Consultation.objects.count(), "dry_run_seconds": round(dry, 2),
                  "seconds": round(real, 2), "sent": result.sent, "skipped": result.skipped, "failed": result.failed}))
"""


def scan_figures(env: dict) -> dict:
    scan_env = {**env, "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    scan_env.pop("CELERY_BROKER_URL", None)
    output = _run([PYTHON, "-c", SCAN_SCRIPT], scan_env, "the reminder scan")
    return json.loads(output.strip().splitlines()[-1])


# --- the report ------------------------------------------------------------------------------------


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory = next(
            int(line.split()[1]) // 1024
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    except (OSError, StopIteration):
        memory = 0
    import django
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cursor.fetchone()[0]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_mb": memory,
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": postgres,
        "database_size": size,
        "load_average": os.getloadavg(),
    }


def data_size() -> dict:
    from django.db import connection

    tables = {
        "responses": "responses_response",
        "positions": "responses_position",
        "answers": "responses_answer",
        "organisations": "stakeholders_organisation",
        "consultations": "consultations_consultation",
    }
    counts = {}
    with connection.cursor() as cursor:
        for label, table in tables.items():
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
            counts[label] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT AVG(LENGTH(r.summary)) + COALESCE((SELECT SUM(LENGTH(text)) FROM responses_answer), 0) "
            "/ NULLIF(COUNT(*), 0) FROM responses_response r"
        )
        counts["text_bytes_per_response"] = int(cursor.fetchone()[0] or 0)
    return counts


def ratio(part: float | None, whole: float | None) -> str:
    if not part or not whole:
        return "-"
    return f"{part / whole:.2f}"


def misses(report: dict) -> list[str]:
    lines = []
    for page in report["pages"]:
        if page["url"] is None:
            continue
        p95 = page["timing"]["p95"]
        if p95 > TARGET_P95_MS:
            sql = page["all_sql_ms"] or 0
            lines.append(
                f"- **{page['name']}**: p95 {p95} ms, {p95 - TARGET_P95_MS:.1f} ms over {TARGET_P95_MS} ms. Its "
                f"queries take {sql} ms run alone (slowest {page['main_sql_ms']} ms); the remaining "
                f"~{max(p95 - sql, 0):.0f} ms are Python (view and template) and queueing behind "
                f"{report['settings']['concurrency']} concurrent clients on {report['machine']['cores']} cores."
            )
        for label in ("queries_warm", "queries_cold"):
            if (page[label] or 0) > TARGET_QUERIES:
                lines.append(f"- **{page['name']}**: {page[label]} queries ({label[8:]}), over {TARGET_QUERIES}.")
        admin_p95 = page["admin"]["p95"]
        if p95 > admin_p95 * TARGET_ADMIN_RATIO:
            lines.append(
                f"- **{page['name']}**: p95 {p95} ms is {p95 / admin_p95:.2f}x the admin change list's "
                f"{admin_p95} ms (target at most {TARGET_ADMIN_RATIO}x); its own SQL takes {page['all_sql_ms']} ms "
                "of that, the rest is Python."
            )
    for pack in report["packs"]:
        if "error" in pack:
            lines.append(f"- **{pack['format']} pack** failed: {pack['error']}")
            continue
        limit = TARGET_PACK_SECONDS.get(pack["format"])
        if limit and pack["seconds"] > limit:
            lines.append(
                f"- **{pack['format']} pack**: {pack['seconds']} s for {pack['responses']} responses, "
                f"{pack['seconds'] - limit:.1f} s over {limit} s."
            )
        if pack["peak_rss_mb"] > TARGET_PACK_MB:
            lines.append(
                f"- **{pack['format']} pack**: peak {pack['peak_rss_mb']} MB, "
                f"{pack['peak_rss_mb'] - TARGET_PACK_MB:.0f} MB over {TARGET_PACK_MB} MB."
            )
    scan = report["scan"]
    if scan["seconds"] > TARGET_SCAN_SECONDS:
        lines.append(f"- **Reminder scan**: {scan['seconds']} s, {scan['seconds'] - TARGET_SCAN_SECONDS:.1f} s over.")
    seeded = report["seed"].get("seconds")
    if seeded is not None and report["data"]["responses"] >= 200_000 and seeded > TARGET_SEED_SECONDS:
        lines.append(
            f"- **Synthetic data**: seeded in {seeded} s, {seeded - TARGET_SEED_SECONDS:.1f} s over "
            f"{TARGET_SEED_SECONDS} s."
        )
    return lines


def markdown(report: dict) -> str:
    m, d, s = report["machine"], report["data"], report["settings"]
    out = [
        "# Benchmark results",
        "",
        f"Made by `make bench` (bench/run.py) on {report['finished']} UTC, at **{d['responses']:,} responses**.",
        "Regenerate with `make bench` (`BENCH_RESPONSES=N make bench` for another size); the figures below",
        "are this run's; only the Notes, if any, are written by the person who ran it (`--note`).",
        "",
        "## Machine",
        "",
        f"- CPU: {m['cpu']}, {m['cores']} cores; memory {m['memory_mb']:,} MB; {m['system']}",
        f"- Python {m['python']}, Django {m['django']}, PostgreSQL {m['postgresql']}; gunicorn with "
        f"{s['workers']} sync workers, DEBUG off, cache {s['cache']}",
        (
            f"- Load average (1, 5, 15 min) after the pages were driven: "
            f"{', '.join(f'{v:.2f}' for v in m['load_during_pages'])}; "
            if m.get("load_during_pages")
            else "- Load average "
        )
        + f"when the run ended: {', '.join(f'{v:.2f}' for v in m['load_average'])} "
        "(the machine is shared: other processes' load counts against every figure)",
        "",
        "## Data",
        "",
        f"- {d['responses']:,} responses, {d['positions']:,} positions, {d['answers']:,} answers, "
        f"{d['organisations']:,} organisations, {d['consultations']:,} consultations; about "
        f"{d['text_bytes_per_response']:,} bytes of text per response (summary and answers); database "
        f"{m['database_size']}",
        f"- Largest consultation: `{report['largest']['slug']}`, {report['largest']['responses']:,} responses; "
        f"organisation page: `{report['organisation']}` ({report['organisation_responses']} responses)",
    ]
    seed = report["seed"]
    if seed.get("seconds") is not None:
        out.append(
            f"- Generated by `manage.py seed_synthetic --responses {d['responses']}` in {seed['seconds']} s"
            + (" (when the database was seeded, before this run reused it)" if seed.get("reused") else "")
        )
    else:
        out.append("- Reused a database seeded earlier (`--reuse`)")
    out += [
        "",
        "## Pages",
        "",
        f"{s['requests']} requests per page after {s['warmup']} to warm up, {s['concurrency']} concurrent "
        "keep-alive clients on loopback, each logged in with a session cookie. Queries are counted with the "
        "test client (cold: empty cache; warm: the next request). Main SQL: the page's slowest query run "
        "alone under EXPLAIN ANALYZE (planning + execution, median of 3); all SQL: every query of the page so.",
        "The admin column is the Django admin's change list of responses on the same data and filters.",
        "",
        "| page | p50 ms | p95 ms | p99 ms | req/s | queries warm / cold | admin p95 ms | page ÷ admin "
        "| main SQL ms | all SQL ms | p95 ÷ all SQL |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for page in report["pages"]:
        if page["url"] is None:
            out.append(f"| {page['name']} | absent: its URL name does not resolve in this build | | | | | | | | | |")
            continue
        t, a = page["timing"], page["admin"]
        out.append(
            f"| {page['name']} (`{page['url']}`) | {t['p50']} | {t['p95']} | {t['p99']} | {t['per_second']} "
            f"| {page['queries_warm']} / {page['queries_cold']} | {a['p95']} | {ratio(t['p95'], a['p95'])} "
            f"| {page['main_sql_ms']} | {page['all_sql_ms']} | {ratio(t['p95'], page['all_sql_ms'])} |"
        )
    out += ["", "Admin URLs: " + "; ".join(f"{p['name']}: `{p['admin_url']}`" for p in report["pages"]), ""]
    out += [
        "## Response packs",
        "",
        f"The largest consultation ({report['largest']['responses']:,} responses), each format built in a fresh "
        "process (bench/export_memory.py): build time, and the process's peak resident memory (baseline: "
        "Django and the builder libraries loaded).",
        "",
        "| format | responses | seconds | peak MB | baseline MB | output MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for pack in report["packs"]:
        if "error" in pack:
            out.append(f"| {pack['format']} | failed: {pack['error']} | | | | |")
        else:
            out.append(
                f"| {pack['format']} | {pack['responses']:,} | {pack['seconds']} | {pack['peak_rss_mb']} "
                f"| {pack['baseline_rss_mb']} | {pack['output_mb']} |"
            )
    scan = report["scan"]
    out += [
        "",
        "## Reminder scan",
        "",
        f"Over {scan['consultations']:,} consultations: planning alone (dry run) {scan['dry_run_seconds']} s; "
        f"the real scan, claiming and sending (e-mail kept in memory) {scan['seconds']} s "
        f"({scan['sent']} sent, {scan['skipped']} skipped, {scan['failed']} failed).",
        "",
        "## Targets",
        "",
        f"Every page p95 ≤ {TARGET_P95_MS} ms with ≤ {TARGET_QUERIES} queries; every page ≤ "
        f"{TARGET_ADMIN_RATIO}x the admin change list; CSV and XLSX ≤ 20 s, PDF ≤ 180 s for 5,000 responses; "
        f"worker peak ≤ {TARGET_PACK_MB} MB; reminder scan ≤ {TARGET_SCAN_SECONDS} s; 200,000 responses seeded "
        f"in ≤ {TARGET_SEED_SECONDS} s.",
        "",
    ]
    missed = misses(report)
    out += missed if missed else ["All met in this run."]
    if report.get("notes"):
        out += ["", "## Notes"]
        for note in report["notes"]:
            out += ["", note]
    if d["responses"] < 200_000:
        out += [
            "",
            f"This run has {d['responses']:,} responses, not the 200,000 the targets are set for.",
        ]
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=int(os.environ.get("BENCH_RESPONSES", 200_000)))
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/consultrack_bench"),
        help="The database to (re)create: dropped and made again unless --reuse finds it seeded.",
    )
    parser.add_argument("--cache-url", default=os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/14"))
    parser.add_argument("--reuse", action="store_true", help="Keep the database if it has this many responses.")
    parser.add_argument("--requests", type=int, default=200, help="Measured requests per page.")
    parser.add_argument("--warmup", type=int, default=20, help="Requests per page before measuring.")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", 8765)))
    parser.add_argument("--formats", nargs="*", default=["csv", "xlsx", "docx", "pdf"])
    parser.add_argument("--pack-timeout", type=int, default=900, help="Seconds before a pack build is stopped.")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--json", type=Path, help="Also write the figures as JSON here.")
    parser.add_argument(
        "--seeded-in",
        type=float,
        help="With --reuse: the seconds seed_synthetic took when it filled the database (from its output).",
    )
    parser.add_argument("--render", type=Path, help="Only write --output again from a --json report.")
    parser.add_argument(
        "--note", action="append", help="A paragraph for the Notes section (what the figures cannot say)."
    )
    args = parser.parse_args()
    if args.render:
        report = json.loads(args.render.read_text())
        if args.seeded_in is not None:
            report["seed"]["seconds"] = args.seeded_in
        if args.note:
            report["notes"] = args.note
        args.output.write_text(markdown(report))
        return

    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "CACHE_URL": args.cache_url,
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-secret-key-not-for-production-0123456789abcdefghij",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        "MEDIA_ROOT": os.environ.get("BENCH_MEDIA_ROOT", "/tmp/consultrack-bench-media"),  # noqa: S108
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("CELERY_BROKER_URL", None)
    seed = prepare_database(args, env)
    if seed["reused"] and args.seeded_in is not None:
        seed["seconds"] = args.seeded_in
    _run([PYTHON, "manage.py", "collectstatic", "--no-input", "-v0"], env, "collectstatic")  # the manifest

    os.environ.update(env)
    import django

    django.setup()
    from django.core.cache import cache

    data = find_data()
    user = bench_user()
    cookie = session_cookie(user)
    results = []
    for page in PAGES:
        result = PageResult(page.name, page.url(data), page.admin(data))
        if result.url is not None:
            count_and_explain(result, user)
            print(f"{page.name}: {result.queries_warm} queries warm, main SQL {result.main_sql_ms} ms", flush=True)
        results.append(result)

    cache.clear()
    # Stopped (Ctrl-C, kill), the harness stops its gunicorn too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))
    server = start_gunicorn(env, args.port, args.workers)
    try:
        for result in results:
            if result.url is None:
                continue
            options = {"requests": args.requests, "concurrency": args.concurrency, "warmup": args.warmup}
            result.timing = drive(args.port, result.url, cookie, **options)
            result.admin = drive(args.port, result.admin_url, cookie, **options)
            print(f"{result.name}: p95 {result.timing.p95} ms, admin p95 {result.admin.p95} ms", flush=True)
        load_during_pages = os.getloadavg()
    finally:
        server.terminate()
        server.wait(timeout=30)

    from django.db.models import Count

    from consultations.models import Consultation

    largest = Consultation.objects.annotate(number=Count("responses")).get(slug=data.largest_slug)
    packs = pack_figures(env, data.largest_slug, args.formats, args.pack_timeout)
    scan = scan_figures(env)
    print(f"reminder scan: {scan['seconds']} s", flush=True)

    report = {
        "finished": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M"),
        "machine": {**machine(), "load_during_pages": load_during_pages},
        "data": data_size(),
        "seed": seed,
        "largest": {"slug": data.largest_slug, "responses": largest.number},
        "organisation": data.organisation_slug,
        "organisation_responses": Consultation.objects.filter(responses__organisation_id=data.organisation_pk).count(),
        "settings": {
            "requests": args.requests,
            "warmup": args.warmup,
            "concurrency": args.concurrency,
            "workers": args.workers,
            "cache": "Redis (django.core.cache.backends.redis.RedisCache)",
        },
        "pages": [
            {
                "name": r.name,
                "url": r.url,
                "admin_url": r.admin_url,
                "queries_warm": r.queries_warm,
                "queries_cold": r.queries_cold,
                "main_sql_ms": r.main_sql_ms,
                "all_sql_ms": r.all_sql_ms,
                "main_sql": r.main_sql,
                "timing": r.timing.__dict__ if r.timing else None,
                "admin": r.admin.__dict__ if r.admin else None,
            }
            for r in results
        ],
        "packs": packs,
        "scan": scan,
    }
    report["missed"] = misses(report)
    report["notes"] = args.note or []
    args.output.write_text(markdown(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))
    print(f"wrote {args.output}", flush=True)


if __name__ == "__main__":
    main()
