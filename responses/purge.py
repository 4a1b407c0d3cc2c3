"""The retention purge: responses and files deleted more than DELETED_RETENTION_DAYS ago are removed for good.

Run hourly by Celery beat (responses.purge_deleted) and by `manage.py purge_deleted`. Each item is purged in
its own transaction, claimed with SELECT ... FOR UPDATE SKIP LOCKED and re-checked as still deleted and due,
so two runs at once never purge the same item twice and a restore that wins the race keeps it. Running it
again finds nothing left to do.

A purged response takes its answers, positions, files, comments and review requests with it, and its history
(the simple_history rows of it, its answers and positions, which hold its text). Its audit events stay: a
PURGED event naming it in words is added to them, and the trail cannot be edited (migration 0009). Stored
files are removed once the rows are gone (after commit): a failure then leaves an unreferenced file, logged,
never a row pointing at a missing file.
"""

import datetime
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from responses.models import Answer, Attachment, EventKind, Position, Response, ResponseEvent
from responses.services import attachment_label, response_label

logger = logging.getLogger(__name__)


@dataclass
class PurgeResult:
    responses: int = 0
    attachments: int = 0
    files: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"purged {self.responses} responses and {self.attachments} files ({len(self.files)} stored files)"


def purge_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    """Items deleted before this moment are due for purging."""
    return (now or timezone.now()) - datetime.timedelta(days=settings.DELETED_RETENTION_DAYS)


def deleted_items_purge(*, now: datetime.datetime | None = None) -> PurgeResult:
    """Purge every response and file deleted before the retention cut-off; returns what was purged."""
    cutoff = purge_cutoff(now)
    result = PurgeResult()
    # Files deleted on their own first: those of a response purged below go with it anyway.
    for attachment_id in list(Attachment.all_objects.deleted_before(cutoff).values_list("pk", flat=True)):
        if _purge_attachment(attachment_id, cutoff, result):
            result.attachments += 1
    for response_id in list(Response.all_objects.deleted_before(cutoff).values_list("pk", flat=True)):
        if _purge_response(response_id, cutoff, result):
            result.responses += 1
    if result.responses or result.attachments:
        logger.info("Retention purge: %s", result.summary())
    return result


@contextmanager
def history_removal_allowed() -> Iterator[None]:
    """Within it, the history tables' guard (migration 0009) lets rows be deleted. Set for the current
    transaction only, and unset on the way out, so that nothing after it in the same transaction inherits it."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('consultrack.purging', 'on', true)")
    yield
    # On an error the transaction (or savepoint) is rolled back, which undoes the setting by itself.
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('consultrack.purging', 'off', true)")


def _deleted_note(item: Response | Attachment) -> str:
    return _("Deleted on %(when)s by %(who)s.") % {
        "when": date_format(timezone.localtime(item.deleted_at), "j M Y, H:i"),
        "who": item.deleted_by or "—",
    }


def _purge_attachment(attachment_id: int, cutoff: datetime.datetime, result: PurgeResult) -> bool:
    with transaction.atomic():
        attachment = (
            Attachment.all_objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("response__consultation", "response__organisation", "deleted_by")
            .filter(pk=attachment_id, deleted_at__lt=cutoff)
            .first()
        )
        if attachment is None:  # restored, purged or being purged by another run meanwhile
            return False
        ResponseEvent.objects.create(
            response_id=attachment.response_id,
            attachment_id=attachment.pk,
            kind=EventKind.ATTACHMENT_PURGED,
            version=attachment.response.version,
            subject=attachment_label(attachment),
            note=_deleted_note(attachment),
        )
        stored = [attachment.file.name] if attachment.file else []
        attachment.delete()
        _remove_files_after_commit(stored, result)
    return True


def _purge_response(response_id: int, cutoff: datetime.datetime, result: PurgeResult) -> bool:
    with transaction.atomic():
        response = (
            Response.all_objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("consultation", "organisation", "deleted_by")
            .filter(pk=response_id, deleted_at__lt=cutoff)
            .first()
        )
        if response is None:
            return False
        stored = [
            name for name in Attachment.all_objects.filter(response=response).values_list("file", flat=True) if name
        ]
        ResponseEvent.objects.create(
            response_id=response.pk,
            kind=EventKind.PURGED,
            version=response.version,
            subject=response_label(response),
            note=" ".join(
                [
                    _deleted_note(response),
                    _("%(count)d stored file(s) removed.") % {"count": len(stored)},
                ]
            ),
        )
        response.delete()
        # What the history kept of its text goes too (deleting rows above added their last history rows).
        with history_removal_allowed():
            Answer.history.filter(response_id=response_id).delete()
            Position.history.filter(response_id=response_id).delete()
            Response.history.filter(id=response_id).delete()
        _remove_files_after_commit(stored, result)
    return True


def _remove_files_after_commit(names: list[str], result: PurgeResult) -> None:
    if not names:
        return
    result.files.extend(names)
    storage = Attachment._meta.get_field("file").storage

    def remove() -> None:
        for name in names:
            try:
                storage.delete(name)
            except OSError:
                logger.exception("Purged attachment file %s could not be removed from storage", name)

    transaction.on_commit(remove)
