"""The audit trail only grows: nobody changes or removes an event, through the ORM, raw SQL or the admin."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.urls import reverse

from responses import services
from responses.models import AuditTrailImmutable, EventKind, Position, Response, ResponseEvent
from responses.purge import deleted_items_purge, history_removal_allowed
from tests.factories import ConsultationFactory, DraftFactory, OrganisationFactory, PositionFactory, ResponseFactory

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers exist on PostgreSQL only")


@pytest.fixture
def event(policy_user):
    draft = services.draft_create(
        consultation=DraftFactory().consultation, organisation=DraftFactory().organisation, by=policy_user
    )
    return ResponseEvent.objects.get(response=draft, kind=EventKind.CREATED)


def unchanged(event: ResponseEvent) -> bool:
    stored = ResponseEvent.objects.get(pk=event.pk)
    return (stored.kind, stored.note, stored.actor_id) == (EventKind.CREATED, "", event.actor_id)


def test_saving_an_existing_event_is_refused(event):
    event.note = "Rewritten"
    with pytest.raises(AuditTrailImmutable):
        event.save()
    assert unchanged(event)


def test_deleting_an_event_is_refused(event):
    with pytest.raises(AuditTrailImmutable):
        event.delete()
    assert ResponseEvent.objects.filter(pk=event.pk).exists()


def test_bulk_changes_and_removals_through_the_orm_are_refused(event):
    with pytest.raises(AuditTrailImmutable):
        ResponseEvent.objects.filter(pk=event.pk).update(note="Rewritten")
    with pytest.raises(AuditTrailImmutable):
        ResponseEvent.objects.update(note="Rewritten")
    with pytest.raises(AuditTrailImmutable):
        ResponseEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AuditTrailImmutable), transaction.atomic():
        ResponseEvent.objects.bulk_update([event], ["note"])
    assert unchanged(event)


@postgres_only
def test_the_database_refuses_updates_that_bypass_the_model(event):
    """The plain manager sends the UPDATE to PostgreSQL, whose trigger refuses it."""
    with pytest.raises(IntegrityError, match="audit trail cannot be changed"), transaction.atomic():
        ResponseEvent._base_manager.filter(pk=event.pk).update(note="Rewritten")
    with pytest.raises(IntegrityError, match="audit trail cannot be changed"), transaction.atomic():
        ResponseEvent._base_manager.filter(pk=event.pk).delete()
    assert unchanged(event)


@postgres_only
def test_the_database_refuses_raw_sql_updates_and_deletes(event):
    table = ResponseEvent._meta.db_table
    for sql in (f"UPDATE {table} SET note = 'Rewritten' WHERE id = %s", f"DELETE FROM {table} WHERE id = %s"):  # noqa: S608
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert unchanged(event)


@postgres_only
def test_the_database_refuses_changes_to_history_outside_the_purge():
    position = PositionFactory(summary="Original")
    record = Position.history.get(id=position.pk)
    table = Position.history.model._meta.db_table
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET summary = 'Rewritten' WHERE history_id = %s", [record.history_id])  # noqa: S608
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.history.filter(id=position.response_id).delete()
    assert Position.history.get(history_id=record.history_id).summary == "Original"
    # Only the purge says it is the purge, and only while it removes history.
    with history_removal_allowed():
        Position.history.filter(history_id=record.history_id).delete()
    assert not Position.history.filter(history_id=record.history_id).exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.history.filter(id=position.response_id).delete()


def test_deleting_a_user_who_only_appears_in_history_unlinks_them(outsider):
    """Django sets history_user to NULL when a user goes: the one change the history tables accept."""
    response = ResponseFactory.build(consultation=ConsultationFactory(), organisation=OrganisationFactory())
    response._history_user = outsider
    response.save()
    record = Response.history.get(id=response.pk)
    assert record.history_user_id == outsider.pk
    outsider.delete()
    record = Response.history.get(history_id=record.history_id)
    assert (record.history_user_id, record.summary) == (None, response.summary)


def test_a_user_named_in_the_audit_trail_cannot_be_deleted(event):
    with pytest.raises(ProtectedError):
        event.actor.delete()
    assert unchanged(event)


def test_a_purged_response_keeps_its_events(admin_user, policy_user):
    draft = services.draft_create(
        consultation=DraftFactory().consultation, organisation=DraftFactory().organisation, by=policy_user
    )
    services.response_delete(response=draft, by=admin_user, reason="Started by mistake.")
    Response.all_objects.filter(pk=draft.pk).update(deleted_at=draft.created_at.replace(year=2000))
    deleted_items_purge()
    assert not Response.all_objects.filter(pk=draft.pk).exists()
    kinds = list(ResponseEvent.objects.filter(response_id=draft.pk).order_by("pk").values_list("kind", flat=True))
    assert kinds == [EventKind.CREATED, EventKind.DELETED, EventKind.PURGED]


def test_the_admin_shows_events_read_only_to_admins(as_user, admin_user, policy_user, event):
    admin_user.is_staff = True
    admin_user.save(update_fields=["is_staff"])
    client = as_user(admin_user)
    listing = client.get(reverse("admin:responses_responseevent_changelist"))
    assert listing.status_code == 200
    assert 'href="/admin/responses/responseevent/add/"' not in listing.content.decode()
    change_url = reverse("admin:responses_responseevent_change", args=[event.pk])
    page = client.get(change_url)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    client.post(change_url, {"note": "Rewritten", "kind": EventKind.SAVED})
    assert unchanged(event)
    assert client.get(reverse("admin:responses_responseevent_delete", args=[event.pk])).status_code == 403
    assert client.get(reverse("admin:responses_responseevent_add")).status_code == 403


def test_responses_and_files_are_not_deleted_in_the_admin(as_user, admin_user):
    admin_user.is_staff = True
    admin_user.save(update_fields=["is_staff"])
    response = ResponseFactory()
    page = as_user(admin_user).post(reverse("admin:responses_response_delete", args=[response.pk]), {"post": "yes"})
    assert page.status_code == 403
    assert Response.objects.filter(pk=response.pk).exists()
