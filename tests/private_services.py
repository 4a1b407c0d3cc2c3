"""Private PostgreSQL, Redis and SMTP servers, and the app itself, run as real processes for the fault tests.

The PostgreSQL and Redis that the test run uses are shared (by other pytest processes, by other people):
a test that stops a service stops one of these instead, on a free port of its own.
"""

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings

from tests.helpers import ROOT, child_env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-4000:] if log and log.exists() else ""
    pytest.fail(f"Timed out waiting for {what}.\n{tail}")


def terminate(process: subprocess.Popen | None) -> None:
    """Stop a process started in its own session, and whatever it started; SIGKILL if it lingers."""
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def spawn(command: list[str], *, log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    with log.open("ab") as output:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )


class PrivateRedis:
    """redis-server on a free port, keeping nothing on disk: a restart starts it empty, as a lost broker."""

    def __init__(self, root: Path) -> None:
        self.port = free_port()
        self.log = root / "redis.log"
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        command = [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no"]
        self.process = spawn(command, log=self.log)
        wait_for(lambda: port_open(self.port), timeout=20, what="the private Redis", log=self.log)

    def stop(self) -> None:
        terminate(self.process)
        wait_for(lambda: not port_open(self.port), timeout=10, what="the private Redis to stop", log=self.log)


class PrivatePostgres:
    """A PostgreSQL cluster of its own (initdb into a temporary folder), trust authentication, on a free port.

    PostgreSQL refuses to run as root: when the tests do, the cluster belongs to the postgres user.
    """

    def __init__(self) -> None:
        versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda path: int(path.split("/")[-2]))
        if not versions and not shutil.which("initdb"):
            pytest.skip("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
        self.bin = Path(versions[-1]) if versions else Path(shutil.which("initdb")).parent
        self.port = free_port()
        # Not under pytest's tmp_path: as root that is private to root, and the server runs as postgres.
        self.root = Path(tempfile.mkdtemp(prefix="consultrack-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
            os.chmod(self.root, 0o755)  # noqa: S103 - the cluster runs as postgres, the tests as root

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str) -> None:
        full = [str(self.bin / command[0]), *command[1:]]
        if self.as_postgres:
            full = ["runuser", "-u", "postgres", "--", *full]
        subprocess.run(full, check=True, capture_output=True, timeout=120, cwd=self.root)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def createdb(self, name: str) -> None:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)

    def copy_database(self, source_url: str, name: str) -> None:
        """Make database `name` here a copy of the one at `source_url` (faster than running the migrations)."""
        dump = self.root / f"{name}.dump"
        self._run("pg_dump", "--format=custom", "--no-owner", "--file", str(dump), "--dbname", source_url)
        self.createdb(name)
        self._run("pg_restore", "--no-owner", "--exit-on-error", "--dbname", self.url(name), str(dump))

    def destroy(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


class PrivateSMTP:
    """aiosmtpd on a free port, writing each message it accepts into a Maildir (kept across restarts)."""

    def __init__(self, root: Path) -> None:
        self.port = free_port()
        self.maildir = root / "maildir"
        self.log = root / "smtp.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}"]
        command += ["-c", "aiosmtpd.handlers.Mailbox", str(self.maildir)]
        self.process = spawn(command, log=self.log)
        wait_for(lambda: port_open(self.port), timeout=20, what="the private SMTP server", log=self.log)

    def stop(self) -> None:
        terminate(self.process)
        wait_for(lambda: not port_open(self.port), timeout=10, what="the SMTP server to stop", log=self.log)

    def messages(self) -> list[bytes]:
        return [path.read_bytes() for folder in ("new", "cur") for path in sorted((self.maildir / folder).glob("*"))]


def app_env(*, database_url: str, **overrides: str) -> dict[str, str]:
    """The environment of the app run in a child process: production settings, static files by name, and the
    test run's secret key (sessions made by the test client are signed in there too)."""
    return child_env(
        DJANGO_SETTINGS_MODULE="tests.child_settings",
        DEBUG="false",
        SECRET_KEY=settings.SECRET_KEY,
        # Plain HTTP on 127.0.0.1: cookies without the Secure flag, no redirect to HTTPS.
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database_url,
        **overrides,
    )


class AppServer:
    """The app under gunicorn (one sync worker), as in production."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.env = env
        self.log = root / "gunicorn.log"
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{self.port}"]
        # No control socket: it is one path per user, which two test processes would fight over.
        command += ["--workers", "1", "--timeout", "60", "--access-logfile", "-", "--no-control-socket"]
        self.process = spawn(command, log=self.log, env=self.env)
        wait_for(lambda: port_open(self.port), timeout=60, what="gunicorn", log=self.log)

    def stop(self) -> None:
        terminate(self.process)


def celery_worker(env: dict[str, str], log: Path, name: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "--loglevel", "INFO"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "--hostname", f"{name}@%h"]
    return spawn(command, log=log, env=env)


def celery_call(task: str, *, env: dict[str, str], log: Path, args: str = "[]") -> None:
    """Send a task through the broker of `env`, as beat does."""
    command = [sys.executable, "-m", "celery", "-A", "config", "call", task, "--args", args]
    assert spawn(command, log=log, env=env).wait(timeout=60) == 0, log.read_text()
