"""`make bench` at a small size, as a smoke test: the harness runs end to end (synthetic data, gunicorn, load,
admin beside each page, EXPLAIN ANALYZE, packs, reminder scan) and reports every figure. Timings are only
checked to exist, never compared: the figures live in bench/RESULTS.md. Query counts are checked against
the target, since they do not depend on the machine."""

import importlib.util
import json
import os
import socket
import subprocess
import sys
import urllib.parse
from pathlib import Path

import psycopg2
import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_QUERIES = 15


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def bench_database_url():
    """A throwaway database beside the test database (the harness drops and creates it), removed after."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("the benchmark runs on PostgreSQL only")
    parts = urllib.parse.urlsplit(url)
    name = f"{parts.path.lstrip('/')}_bench_smoke"
    yield urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    connection = psycopg2.connect(urllib.parse.urlunsplit(parts._replace(path="/postgres")))
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    connection.close()


def test_the_benchmark_reports_every_page_pack_and_the_scan(tmp_path, bench_database_url):
    results, figures = tmp_path / "RESULTS.md", tmp_path / "results.json"
    command = [
        sys.executable,
        str(ROOT / "bench" / "run.py"),
        "--responses",
        "2000",
        "--database-url",
        bench_database_url,
        "--cache-url",
        os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/15",
        "--requests",
        "10",
        "--warmup",
        "2",
        "--formats",
        "csv",
        "xlsx",
        "--port",
        str(_free_port()),
        "--output",
        str(results),
        "--json",
        str(figures),
    ]
    env = {**os.environ, "BENCH_MEDIA_ROOT": str(tmp_path / "media")}
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert run.returncode == 0, run.stderr[-3000:] + run.stdout[-2000:]

    report = json.loads(figures.read_text())
    assert report["data"]["responses"] == 2000
    assert report["data"]["positions"] > 0 and report["data"]["answers"] > 0
    # N/4 responses, but no more than the N/10 organisations (one response each per consultation)
    assert report["largest"]["responses"] == 200
    names = [page["name"] for page in report["pages"]]
    assert names == [
        "Consultation list",
        "Consultation page (largest)",
        "Stance matrix (largest)",
        "Response list, filtered",
        "Full-text search",
        "Organisation page",
        "Dashboard (home)",
    ]
    markdown = results.read_text()
    for page in report["pages"]:
        assert page["url"], page
        for timing in (page["timing"], page["admin"]):
            assert 0 < timing["p50"] <= timing["p95"] <= timing["p99"]
            assert timing["requests"] == 10
        assert 0 < page["queries_warm"] <= MAX_QUERIES, page
        assert 0 < page["queries_cold"] <= MAX_QUERIES, page
        assert page["main_sql_ms"] > 0 and page["all_sql_ms"] >= page["main_sql_ms"]
        assert f"| {page['name']} (`{page['url']}`) | {page['timing']['p50']} |" in markdown

    assert [pack["format"] for pack in report["packs"]] == ["csv", "xlsx"]
    for pack in report["packs"]:
        assert "error" not in pack, pack
        assert pack["responses"] == 200 and pack["seconds"] > 0 and pack["peak_rss_mb"] > 0
    assert report["scan"]["consultations"] == 20 and report["scan"]["seconds"] >= 0
    for heading in ("## Machine", "## Data", "## Pages", "## Response packs", "## Reminder scan", "## Targets"):
        assert heading in markdown


def _bench_module():
    """bench/run.py, imported as a module (it is a script, outside the packages)."""
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("responses", "seconds", "expected"),
    [
        (200_000, 650.0, ["- **Synthetic data**: seeded in 650.0 s, 50.0 s over 600 s."]),
        (200_000, 560.0, []),
        (2_000, 900.0, []),  # the target is set for 200,000 responses
    ],
)
def test_results_say_when_seeding_missed_its_target(responses, seconds, expected):
    report = {
        "pages": [],
        "packs": [],
        "scan": {"seconds": 1.0},
        "seed": {"seconds": seconds},
        "data": {"responses": responses},
    }
    assert _bench_module().misses(report) == expected
