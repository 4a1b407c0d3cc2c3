#!/usr/bin/env bash
# Back up Consultrack: the PostgreSQL database (pg_dump, custom format) and the uploaded files (MEDIA_ROOT),
# into a new folder named after the time, under DEST (default var/backups). Prints the folder's path.
#
#   DATABASE_URL=postgres://... MEDIA_ROOT=/app/var/media scripts/backup.sh [DEST]
#
# The database is dumped first, then the files: a file uploaded meanwhile is in the backup without its row
# (harmless), whereas the other order would leave rows without their file. Response packs (MEDIA_ROOT/exports)
# are left out: they expire within days and are built again on request.
# The folder is written as NAME.partial and renamed when whole, so a folder without .partial is complete;
# SHA256SUMS in it lets restore.sh (or `sha256sum --check`) verify it.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
database_url=${DATABASE_URL:?"set DATABASE_URL to the database to back up (postgres://user:password@host:5432/name)"}
case "$database_url" in
  postgres://* | postgresql://*) ;;
  *) echo "DATABASE_URL must be a PostgreSQL URL (postgres://...); this script backs up PostgreSQL only." >&2; exit 2 ;;
esac
media_root=${MEDIA_ROOT:-$here/var/media}
dest_root=${1:-${BACKUP_DIR:-$here/var/backups}}

folder="$dest_root/consultrack-$(date -u +%Y%m%dT%H%M%SZ)"
partial="$folder.partial"
mkdir -p "$partial"
trap 'rm -rf "$partial"' EXIT

pg_dump --format=custom --no-owner --no-privileges --file "$partial/database.dump" --dbname "$database_url"

if [ -n "${AWS_STORAGE_BUCKET_NAME:-}" ]; then
  echo "Uploads are in the bucket $AWS_STORAGE_BUCKET_NAME, not on this disk: back the bucket up with your" \
       "storage provider's tools (versioning, replication). Only the database is in this backup." >&2
  tar -czf "$partial/media.tar.gz" --files-from /dev/null
else
  mkdir -p "$media_root"
  tar -C "$media_root" --exclude=./exports -czf "$partial/media.tar.gz" .
fi

(cd "$partial" && sha256sum database.dump media.tar.gz > SHA256SUMS)
mv "$partial" "$folder"
trap - EXIT
echo "$folder"
