"""The project as a whole: migrations in step, the compose file valid, and `make run`'s
embedded default (SQLite, eager tasks) serving the app end to end."""

import http.cookiejar
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import ROOT, child_env, manage


def test_migrations_match_the_models(tmp_path):
    result = manage(
        "makemigrations", "--check", "--dry-run", env=child_env(DEBUG="true", DATABASE_URL=f"sqlite:///{tmp_path}/d")
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_code_only_commands_run_without_a_secret_key_and_the_others_refuse(tmp_path):
    """A fresh checkout can be checked (migrations in step) before any secret exists; anything that could
    sign or serve still asks for SECRET_KEY in one sentence."""
    env = child_env(DATABASE_URL=f"sqlite:///{tmp_path}/d")  # no SECRET_KEY, DEBUG off
    result = manage("makemigrations", "--check", "--dry-run", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    refused = manage("check", env=env)
    assert refused.returncode == 1
    assert "Configuration error: SECRET_KEY is not set" in refused.stderr


def test_compose_file_validates_against_the_compose_specification():
    checker = Path(sys.executable).with_name("check-jsonschema")
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(ROOT / "docker-compose.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_file_runs_every_service_the_design_names():
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert {"postgres", "redis", "web", "worker", "beat", "mailpit"} <= set(compose["services"])
    for name in ["postgres", "redis", "web", "mailpit"]:
        assert "healthcheck" in compose["services"][name], f"{name} has a healthcheck"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def embedded_server(tmp_path):
    """The app as `make run` starts it: SQLite file, no broker, console e-mail, demo data."""
    env = child_env(DEBUG="true", DATABASE_URL=f"sqlite:///{tmp_path}/consultrack.sqlite3", DEMO_PASSWORD="demo-pw-e2e")
    for command in (["migrate", "--no-input"], ["seed_demo"]):
        result = manage(*command, env=env, timeout=180)
        assert result.returncode == 0, result.stderr
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/accounts/login/", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_embedded_default_serves_the_app_with_demo_data(embedded_server):
    """On SQLite with eager tasks: migrate, seed_demo, log in as a demo user, see the home page."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_page = opener.open(f"{embedded_server}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
    form = urllib.parse.urlencode(
        {"username": "policy", "password": "demo-pw-e2e", "csrfmiddlewaretoken": token, "next": "/"}
    ).encode()
    request = urllib.request.Request(
        f"{embedded_server}/accounts/login/", data=form, headers={"Referer": f"{embedded_server}/accounts/login/"}
    )
    home = opener.open(request).read().decode()
    assert "Welcome, Pat" in home
    assert "Guidelines on the protection of minors online" in home
    css = opener.open(f"{embedded_server}/static/vendor/bootstrap/css/bootstrap.min.css")
    assert css.status == 200
