#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh: its database into DATABASE_URL, its files into MEDIA_ROOT.
#
#   DATABASE_URL=postgres://.../consultrack_restored MEDIA_ROOT=/app/var/media scripts/restore.sh BACKUP_FOLDER
#
# The database must exist (createdb); whatever it holds of Consultrack's is replaced (pg_restore --clean), in
# one transaction: a restore that fails changes nothing. Files are unpacked over MEDIA_ROOT. The backup's
# checksums are verified first. Afterwards run `python manage.py migrate` if the code is newer than the backup.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
backup=${1:?"usage: scripts/restore.sh BACKUP_FOLDER (a folder made by scripts/backup.sh)"}
database_url=${DATABASE_URL:?"set DATABASE_URL to the database to restore into (create it first with createdb)"}
case "$database_url" in
  postgres://* | postgresql://*) ;;
  *) echo "DATABASE_URL must be a PostgreSQL URL (postgres://...)." >&2; exit 2 ;;
esac
media_root=${MEDIA_ROOT:-$here/var/media}

case "$backup" in
  *.partial | *.partial/) echo "$backup is an unfinished backup (its backup.sh did not complete)." >&2; exit 2 ;;
esac
(cd "$backup" && sha256sum --check --quiet SHA256SUMS) || {
  echo "$backup does not match its SHA256SUMS: the backup is damaged." >&2
  exit 1
}

pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction --exit-on-error \
  --dbname "$database_url" "$backup/database.dump"
mkdir -p "$media_root"
tar -C "$media_root" -xzf "$backup/media.tar.gz"
echo "Restored $backup into the database and $media_root."
