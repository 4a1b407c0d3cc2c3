"""Backup and restore (scripts/backup.sh, scripts/restore.sh): a backup restored into a fresh database and a
fresh folder holds the same responses and the same files."""

import hashlib
import subprocess
import uuid
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings as django_settings

from responses.models import Attachment, Response
from tests.factories import make_pack_data
from tests.helpers import ROOT, child_env, worker_database_url


def run(script: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / script), *args],
        env=child_env(**env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def fresh_database():
    """An empty database of its own on the test run's PostgreSQL, dropped afterwards."""
    name = f"consultrack_restore_{uuid.uuid4().hex[:12]}"
    source = django_settings.DATABASES["default"]
    server = {"host": source["HOST"] or "127.0.0.1", "port": source["PORT"] or 5432, "user": source["USER"]}
    server["password"] = source.get("PASSWORD") or None
    admin = psycopg2.connect(dbname="postgres", **server)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {"name": name, "url": worker_database_url().rsplit("/", 1)[0] + f"/{name}", **server}
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def response_rows(cursor) -> list[tuple]:
    cursor.execute(
        "SELECT r.id, r.summary, r.status, r.received_on, o.name FROM responses_response r "
        "JOIN stakeholders_organisation o ON o.id = r.organisation_id ORDER BY r.id"
    )
    return cursor.fetchall()


@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_a_fresh_database_has_the_same_responses_and_files(settings, tmp_path, fresh_database):
    media, restored_media = tmp_path / "media", tmp_path / "restored-media"
    settings.MEDIA_ROOT = media
    make_pack_data()
    attachments = list(Attachment.objects.order_by("pk").values_list("pk", "file", "sha256"))
    assert len(attachments) >= 3
    (media / "exports" / "1").mkdir(parents=True)
    (media / "exports" / "1" / "pack.zip").write_bytes(b"a pack, built again on request")

    backup = run("backup.sh", str(tmp_path / "backups"), DATABASE_URL=worker_database_url(), MEDIA_ROOT=str(media))
    assert backup.returncode == 0, backup.stderr
    folder = Path(backup.stdout.strip().splitlines()[-1])
    assert folder.parent == tmp_path / "backups" and folder.name.startswith("consultrack-")
    assert sorted(path.name for path in folder.iterdir()) == ["SHA256SUMS", "database.dump", "media.tar.gz"]

    restore = run("restore.sh", str(folder), DATABASE_URL=fresh_database["url"], MEDIA_ROOT=str(restored_media))
    assert restore.returncode == 0, restore.stderr

    expected = [
        (r.pk, r.summary, r.status, r.received_on, r.organisation.name)
        for r in Response.objects.select_related("organisation").order_by("pk")
    ]
    server = {key: fresh_database[key] for key in ("host", "port", "user", "password")}
    with psycopg2.connect(dbname=fresh_database["name"], **server) as restored, restored.cursor() as cursor:
        assert response_rows(cursor) == expected
        cursor.execute("SELECT id, file, sha256 FROM responses_attachment ORDER BY id")
        assert cursor.fetchall() == attachments
    restored.close()
    for _pk, name, sha256 in attachments:
        assert hashlib.sha256((restored_media / name).read_bytes()).hexdigest() == sha256
    assert not (restored_media / "exports").exists(), "packs are left out of backups"


def test_a_damaged_backup_is_refused_before_anything_is_restored(tmp_path):
    folder = tmp_path / "consultrack-20260101T000000Z"
    folder.mkdir()
    (folder / "database.dump").write_bytes(b"not the dump that was made")
    (folder / "media.tar.gz").write_bytes(b"")
    (folder / "SHA256SUMS").write_text(f"{'0' * 64}  database.dump\n{'0' * 64}  media.tar.gz\n")
    restore = run(
        "restore.sh",
        str(folder),
        DATABASE_URL="postgres://nobody@127.0.0.1:1/never_reached",
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    assert restore.returncode == 1
    assert "does not match its SHA256SUMS" in restore.stderr
    assert not (tmp_path / "media").exists()
