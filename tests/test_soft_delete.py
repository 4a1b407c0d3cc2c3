"""Deleting a response or a file hides it everywhere, an admin restores it, and the retention purge removes it."""

import datetime
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from exports.pack import PackSource
from responses import matrix, services
from responses.models import (
    Answer,
    Attachment,
    EventKind,
    Position,
    Response,
    ResponseEvent,
    ResponseStatus,
    Stance,
)
from responses.purge import deleted_items_purge
from responses.search import refresh_response_vectors
from tests.api_helpers import token_client
from tests.factories import (
    AnswerFactory,
    AttachmentFactory,
    ConsultationFactory,
    DraftFactory,
    OrganisationFactory,
    PositionFactory,
    ResponseFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def letter(policy_user, django_capture_on_commit_callbacks):
    """A received letter, coded, with a file whose text was extracted, logged by policy staff."""
    # Run the search-vector refreshes its creation queues, as a commit would, so that later ones queue anew.
    with django_capture_on_commit_callbacks(execute=True):
        consultation = ConsultationFactory(title="Results framework")
        response = ResponseFactory(
            consultation=consultation,
            organisation=OrganisationFactory(name="Aardvark Alliance"),
            owner=policy_user,
            summary="We support a multi-stakeholder model.",
        )
        PositionFactory(response=response, topic=TopicFactory(consultation=consultation), stance=Stance.OPPOSES)
        AnswerFactory(response=response)
        AttachmentFactory(
            response=response, uploaded_by=policy_user, extracted_text="The zanzibarian clause is unworkable."
        )
    refresh_response_vectors()
    return response


def delete(response, by, reason="Logged twice by mistake."):
    return services.response_delete(response=response, by=by, reason=reason)


def visible_everywhere(client, response) -> dict[str, bool]:
    """Where the response shows up, for a signed-in user of `client`."""
    consultation = response.consultation
    listed = client.get(reverse("responses:response-list"))
    found = client.get(reverse("responses:search"), {"q": "zanzibarian"})
    matrix_page = client.get(reverse("responses:matrix", args=[consultation.slug]))
    return {
        "list": response in list(listed.context["page_obj"]),
        "search": response.pk in [item.pk for item in found.context["page_obj"]],
        "matrix": response.pk in [row["response"].pk for row in matrix_page.context["rows"]],
        "matrix counts": matrix_page.context["responding"] == 1,
        "detail": client.get(response.get_absolute_url()).status_code == 200,
        "organisation": client.get(reverse("stakeholders:organisation-detail", args=[response.organisation.slug]))
        .content.decode()
        .count(reverse("responses:response-detail", args=[response.pk]))
        > 0,
    }


def test_a_deleted_response_leaves_lists_search_matrix_and_its_page(as_user, letter, admin_user, policy_user):
    client = as_user(admin_user)
    assert set(visible_everywhere(client, letter).values()) == {True}
    assert matrix.totals(letter.consultation_id).responses == 1

    delete(letter, policy_user)

    assert set(visible_everywhere(client, letter).values()) == {False}
    assert matrix.totals(letter.consultation_id).responses == 0
    assert not Response.objects.filter(pk=letter.pk).exists()
    assert letter.consultation.responses.count() == 0
    assert not Position.objects.on_record().filter(response=letter).exists()


def test_a_deleted_response_leaves_packs_the_api_and_the_dashboard(letter, policy_user, admin_user, as_user):
    delete(letter, admin_user)
    source = PackSource(consultation=letter.consultation, filters={})
    assert source.counts().responses == 0
    assert list(source.iter_responses()) == []
    assert list(source.iter_attachments()) == []

    api = token_client(policy_user)
    assert api.get(f"/api/v1/responses/{letter.pk}/").status_code == 404
    assert api.get("/api/v1/responses/").json()["results"] == []
    attachment = Attachment.all_objects.get(response=letter)
    assert api.get(f"/api/v1/attachments/{attachment.pk}/").status_code == 404
    assert api.get(f"/api/v1/attachments/{attachment.pk}/download/").status_code == 404
    assert as_user(policy_user).get(reverse("responses:attachment-download", args=[attachment.pk])).status_code == 404

    dashboard = as_user(policy_user).get(reverse("home"))
    assert letter.organisation.name not in dashboard.content.decode()


def test_restoring_a_response_brings_everything_back(as_user, letter, admin_user, policy_user):
    client = as_user(admin_user)
    delete(letter, policy_user)
    page = client.post(reverse("responses:deleted-response-restore", args=[letter.pk]))
    assert page.status_code == 302 and page["Location"] == letter.get_absolute_url()

    assert set(visible_everywhere(client, letter).values()) == {True}
    assert matrix.totals(letter.consultation_id).responses == 1
    restored = Response.objects.get(pk=letter.pk)
    assert (restored.deleted_at, restored.deleted_by) == (None, None)
    assert restored.positions.count() == 1 and restored.answers.count() == 1 and restored.attachments.count() == 1
    kinds = list(ResponseEvent.objects.filter(response=letter).order_by("pk").values_list("kind", "actor", "note"))
    assert kinds == [
        (EventKind.DELETED, policy_user.pk, "Logged twice by mistake."),
        (EventKind.UNDELETED, admin_user.pk, ""),
    ]


def test_the_delete_page_asks_why_and_records_who_and_why(as_user, letter, policy_user):
    client = as_user(policy_user)
    url = reverse("responses:response-delete", args=[letter.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Aardvark Alliance — Results framework" in confirm.content.decode()

    without_reason = client.post(url, {"reason": "  "})
    assert without_reason.status_code == 200
    assert without_reason.context["form"].errors["reason"]
    assert Response.objects.filter(pk=letter.pk).exists()

    done = client.post(url, {"reason": "A test entry."})
    assert done.status_code == 302 and done["Location"] == reverse("responses:response-list")
    deleted = Response.all_objects.get(pk=letter.pk)
    assert deleted.is_deleted and deleted.deleted_by == policy_user
    event = ResponseEvent.objects.get(response=letter, kind=EventKind.DELETED)
    assert (event.actor, event.note, event.subject) == (
        policy_user,
        "A test entry.",
        "Aardvark Alliance — Results framework",
    )
    # A second try finds nothing to delete: the page is gone.
    assert client.post(url, {"reason": "Again."}).status_code == 404
    assert ResponseEvent.objects.filter(response=letter, kind=EventKind.DELETED).count() == 1


def test_the_delete_button_shows_only_to_those_who_may_delete(as_user, letter, policy_user, reviewer_user, admin_user):
    delete_url = reverse("responses:response-delete", args=[letter.pk])
    for user, shown in [(policy_user, True), (admin_user, True), (reviewer_user, False)]:
        assert (delete_url in as_user(user).get(letter.get_absolute_url()).content.decode()) is shown
    colleague_letter = ResponseFactory(consultation=letter.consultation)
    page = as_user(policy_user).get(colleague_letter.get_absolute_url()).content.decode()
    assert reverse("responses:response-delete", args=[colleague_letter.pk]) not in page


@pytest.mark.parametrize(
    ("role", "own", "status", "allowed"),
    [
        ("admin", False, ResponseStatus.SUBMITTED, True),
        ("admin", False, ResponseStatus.RECEIVED, True),
        ("policy", True, ResponseStatus.RECEIVED, True),
        ("policy", True, ResponseStatus.DRAFT, True),
        ("policy", True, ResponseStatus.IN_REVIEW, True),
        ("policy", True, ResponseStatus.APPROVED, False),
        ("policy", True, ResponseStatus.SUBMITTED, False),
        ("policy", False, ResponseStatus.RECEIVED, False),
        ("policy", False, ResponseStatus.DRAFT, False),
        ("reviewer", True, ResponseStatus.DRAFT, False),
        ("outsider", True, ResponseStatus.RECEIVED, False),
    ],
)
def test_who_may_delete_a_response(request, role, own, status, allowed):
    user = request.getfixturevalue(
        {"admin": "admin_user", "policy": "policy_user", "reviewer": "reviewer_user", "outsider": "outsider"}[role]
    )
    factory = ResponseFactory if status == ResponseStatus.RECEIVED else DraftFactory
    response = factory(status=status, **({"owner": user} if own else {}))
    if allowed:
        delete(response, user)
        assert Response.all_objects.get(pk=response.pk).is_deleted
    else:
        with pytest.raises(services.TransitionError):
            delete(response, user)
        assert Response.objects.filter(pk=response.pk).exists()
        assert not ResponseEvent.objects.filter(response=response).exists()


def test_refused_deletion_on_the_page_is_a_message_not_an_error(as_user, letter, admin_user, policy_user):
    other = ResponseFactory(consultation=letter.consultation, owner=admin_user)
    page = as_user(policy_user).post(reverse("responses:response-delete", args=[other.pk]), {"reason": "Mine?"})
    assert page.status_code == 302 and page["Location"] == other.get_absolute_url()
    assert Response.objects.filter(pk=other.pk).exists()


def test_only_admins_restore_and_see_the_deleted_items(as_user, letter, policy_user, reviewer_user, admin_user):
    delete(letter, policy_user)
    restore = reverse("responses:deleted-response-restore", args=[letter.pk])
    for user in (policy_user, reviewer_user):
        assert as_user(user).post(restore).status_code == 403
        assert as_user(user).get(reverse("responses:deleted-list")).status_code == 403
    assert Response.all_objects.get(pk=letter.pk).is_deleted
    with pytest.raises(services.TransitionError):
        services.response_restore(response=letter, by=policy_user)


def test_the_deleted_items_page_says_who_when_why_and_when_it_is_purged(as_user, letter, admin_user, settings):
    settings.DELETED_RETENTION_DAYS = 10
    delete(letter, admin_user, reason="Spam <b>letter</b>.")
    attachment = AttachmentFactory(response=ResponseFactory(), original_name="annex.pdf")
    services.attachment_delete(attachment=attachment, by=admin_user, reason="Wrong annex.")
    page = as_user(admin_user).get(reverse("responses:deleted-list"))
    content = page.content.decode()
    [(response, event, purge_on)] = page.context["response_rows"]
    assert response == letter and event.note == "Spam <b>letter</b>."
    assert purge_on == response.deleted_at + datetime.timedelta(days=10)
    assert "Spam &lt;b&gt;letter&lt;/b&gt;." in content
    assert "annex.pdf" in content and "Wrong annex." in content
    assert purge_on.strftime("%-d %b %Y") in content
    assert reverse("responses:deleted-attachment-restore", args=[attachment.pk]) in content
    assert reverse("responses:deleted-list") in as_user(admin_user).get(reverse("home")).content.decode()


# --- Files ---------------------------------------------------------------------------------------


def test_a_deleted_file_leaves_its_response_search_and_packs_until_restored(
    as_user, letter, policy_user, admin_user, django_capture_on_commit_callbacks
):
    attachment = letter.attachments.get()
    client = as_user(policy_user)
    url = reverse("responses:attachment-delete", args=[attachment.pk])
    assert url in client.get(letter.get_absolute_url()).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"reason": "The wrong letter."})
    assert done.status_code == 302
    assert letter.attachments.count() == 0
    page = client.get(letter.get_absolute_url()).content.decode()
    assert reverse("responses:attachment-download", args=[attachment.pk]) not in page
    assert "zanzibarian" not in page
    assert client.get(reverse("responses:search"), {"q": "zanzibarian"}).context["page_obj"].paginator.count == 0
    assert client.get(reverse("responses:search"), {"q": "multi-stakeholder"}).context["page_obj"].paginator.count == 1
    assert list(PackSource(consultation=letter.consultation, filters={}).iter_attachments()) == []
    assert token_client(policy_user).get(f"/api/v1/responses/{letter.pk}/").json()["attachments"] == []
    event = ResponseEvent.objects.get(kind=EventKind.ATTACHMENT_DELETED)
    assert (event.response_id, event.attachment_id, event.note) == (letter.pk, attachment.pk, "The wrong letter.")

    with django_capture_on_commit_callbacks(execute=True):
        as_user(admin_user).post(reverse("responses:deleted-attachment-restore", args=[attachment.pk]))
    assert list(letter.attachments.all()) == [attachment]
    assert client.get(reverse("responses:search"), {"q": "zanzibarian"}).context["page_obj"].paginator.count == 1
    assert ResponseEvent.objects.filter(kind=EventKind.ATTACHMENT_UNDELETED, attachment=attachment).exists()


def test_policy_staff_delete_only_files_they_added_to_unlocked_responses(letter, policy_user, admin_user):
    theirs = letter.attachments.get()
    someone_elses = AttachmentFactory(response=letter, uploaded_by=admin_user)
    with pytest.raises(services.TransitionError):
        services.attachment_delete(attachment=someone_elses, by=policy_user, reason="Not mine.")
    submitted = DraftFactory(status=ResponseStatus.SUBMITTED, owner=policy_user)
    on_submitted = AttachmentFactory(response=submitted, uploaded_by=policy_user)
    with pytest.raises(services.TransitionError):
        services.attachment_delete(attachment=on_submitted, by=policy_user, reason="Locked.")
    services.attachment_delete(attachment=theirs, by=policy_user, reason="Mine.")
    services.attachment_delete(attachment=someone_elses, by=admin_user, reason="Admin.")
    assert Attachment.objects.filter(response=letter).count() == 0


def test_a_file_restored_while_its_response_is_deleted_waits_for_the_response(as_user, letter, admin_user):
    attachment = letter.attachments.get()
    services.attachment_delete(attachment=attachment, by=admin_user, reason="Wrong file.")
    delete(letter, admin_user)
    page = as_user(admin_user).post(reverse("responses:deleted-attachment-restore", args=[attachment.pk]))
    assert page["Location"] == reverse("responses:deleted-list")
    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    services.response_restore(response=letter, by=admin_user)
    assert Attachment.objects.filter(pk=attachment.pk).exists()


def test_logging_again_after_deleting_a_duplicate_is_not_refused(letter, policy_user):
    delete(letter, policy_user)
    again = services.response_log_received(
        consultation=letter.consultation,
        organisation=letter.organisation,
        channel="email",
        received_on=None,
        logged_by=policy_user,
    )
    assert again.pk != letter.pk


# --- The retention purge -------------------------------------------------------------------------


def _age(item, days: int) -> None:
    """Pretend `item` was deleted `days` ago."""
    type(item).all_objects.filter(pk=item.pk).update(deleted_at=timezone.now() - datetime.timedelta(days=days))


def test_purge_after_retention_removes_rows_history_and_files_and_records_it(
    letter, policy_user, media_root, settings, django_capture_on_commit_callbacks
):
    settings.DELETED_RETENTION_DAYS = 30
    stored = Path(media_root) / letter.attachments.get().file.name
    assert stored.exists()
    delete(letter, policy_user)
    _age(letter, 31)

    with django_capture_on_commit_callbacks(execute=True):
        result = deleted_items_purge()

    assert (result.responses, result.attachments, len(result.files)) == (1, 0, 1)
    assert not Response.all_objects.filter(pk=letter.pk).exists()
    assert not Attachment.all_objects.filter(response_id=letter.pk).exists()
    assert not Position.objects.filter(response_id=letter.pk).exists()
    assert not Answer.objects.filter(response_id=letter.pk).exists()
    assert not stored.exists()
    assert not Response.history.filter(id=letter.pk).exists()
    assert not Position.history.filter(response_id=letter.pk).exists()
    # The trail keeps the deletion and says what was purged, in words.
    events = list(ResponseEvent.objects.filter(response_id=letter.pk).order_by("pk"))
    assert [event.kind for event in events] == [EventKind.DELETED, EventKind.PURGED]
    assert events[1].subject == "Aardvark Alliance — Results framework"
    assert "1 stored file(s) removed" in events[1].note
    # Running it again finds nothing to do.
    assert deleted_items_purge().responses == 0


def test_purge_before_retention_keeps_everything(letter, policy_user, media_root, settings):
    settings.DELETED_RETENTION_DAYS = 30
    stored = Path(media_root) / letter.attachments.get().file.name
    delete(letter, policy_user)
    _age(letter, 29)
    live = ResponseFactory()
    result = deleted_items_purge()
    assert (result.responses, result.attachments) == (0, 0)
    assert Response.all_objects.filter(pk=letter.pk).exists() and Response.objects.filter(pk=live.pk).exists()
    assert stored.exists()
    assert not ResponseEvent.objects.filter(kind=EventKind.PURGED).exists()


def test_purge_of_a_file_deleted_on_its_own_removes_only_that_file(
    letter, admin_user, media_root, django_capture_on_commit_callbacks
):
    kept = AttachmentFactory(response=letter, original_name="kept.txt")
    gone = letter.attachments.get(original_name="letter.txt")
    gone_path = Path(media_root) / gone.file.name
    services.attachment_delete(attachment=gone, by=admin_user, reason="Superseded.")
    _age(gone, 400)
    with django_capture_on_commit_callbacks(execute=True):
        result = deleted_items_purge()
    assert (result.responses, result.attachments) == (0, 1)
    assert list(letter.attachments.all()) == [kept]
    assert not gone_path.exists() and (Path(media_root) / kept.file.name).exists()
    event = ResponseEvent.objects.get(kind=EventKind.ATTACHMENT_PURGED)
    assert event.attachment_id == gone.pk and event.subject.startswith("letter.txt, of Aardvark Alliance")


def test_a_response_restored_before_its_purge_is_kept(letter, admin_user):
    delete(letter, admin_user)
    _age(letter, 365)
    services.response_restore(response=letter, by=admin_user)
    assert deleted_items_purge().responses == 0
    assert Response.objects.filter(pk=letter.pk).exists()


def test_the_audit_trail_shows_purged_responses_by_name(as_user, letter, admin_user):
    delete(letter, admin_user)
    _age(letter, 365)
    deleted_items_purge()
    page = as_user(admin_user).get(reverse("responses:audit-list"))
    content = page.content.decode()
    assert "Purged the deleted response" in content and "Deleted the response" in content
    assert "Aardvark Alliance — Results framework" in content
    assert reverse("responses:response-detail", args=[letter.pk]) not in content


def test_purge_deleted_command_reports_what_it_purged(letter, admin_user, capsys):
    delete(letter, admin_user)
    _age(letter, 365)
    call_command("purge_deleted")
    assert "Purged 1 responses and 0 files" in capsys.readouterr().out


def test_the_purge_task_and_its_schedule(letter, admin_user, settings):
    from responses.tasks import purge_deleted

    entry = settings.CELERY_BEAT_SCHEDULE["responses-purge-deleted"]
    assert entry["task"] == purge_deleted.name == "responses.purge_deleted"
    delete(letter, admin_user)
    _age(letter, 365)
    assert purge_deleted() == "purged 1 responses and 0 files (1 stored files)"
    assert purge_deleted() == "purged 0 responses and 0 files (0 stored files)"


@pytest.mark.django_db(transaction=True)
def test_a_response_locked_by_another_run_is_skipped_not_purged_twice(admin_user):
    """Two purges at once: the one that finds the row claimed leaves it to the other, which purges it once."""
    response = ResponseFactory(owner=admin_user)
    delete(response, admin_user)
    _age(response, 365)
    claimed, release, done = threading.Event(), threading.Event(), threading.Event()

    def other_run() -> None:
        try:
            with transaction.atomic():
                Response.all_objects.select_for_update().get(pk=response.pk)
                claimed.set()
                release.wait(timeout=20)
        finally:
            connection.close()
            done.set()

    thread = threading.Thread(target=other_run)
    thread.start()
    assert claimed.wait(timeout=20)
    try:
        assert deleted_items_purge().responses == 0
        assert Response.all_objects.filter(pk=response.pk).exists()
    finally:
        release.set()
        thread.join(timeout=20)
    assert deleted_items_purge().responses == 1
    assert deleted_items_purge().responses == 0
    assert ResponseEvent.objects.filter(response_id=response.pk, kind=EventKind.PURGED).count() == 1
