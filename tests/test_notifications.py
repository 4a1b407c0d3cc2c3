"""Notifications: in the app (bell, list, mark as read) and by e-mail from a task, muted per kind by each user."""

import datetime
import re
import smtplib
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from config.celery import app
from notifications import services as notifications
from notifications.kinds import registered_kinds
from notifications.models import EmailMute, EmailStatus, Notification
from notifications.tasks import deliver
from responses import services
from tests.factories import DRAFT_BODY, ConsultationFactory, NotificationFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_tasks(settings):
    """Run queued tasks in this process, with e-mail in memory (the test run's broker has no worker here)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://consultrack.example.org"
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def draft(policy_user):
    consultation = ConsultationFactory(title="COP Results Framework")
    return services.draft_create(
        consultation=consultation, organisation=OrganisationFactory(), by=policy_user, body=DRAFT_BODY
    )


def in_review(draft, policy_user, reviewer_user):
    return services.response_request_review(
        response=draft, by=policy_user, reviewers=[reviewer_user], due_at=timezone.now() + datetime.timedelta(days=2)
    )


# --- notify() -------------------------------------------------------------------------------------


def test_notify_tells_each_recipient_once_but_never_the_actor(policy_user, reviewer_user, admin_user):
    made = notifications.notify(
        recipients=[reviewer_user, reviewer_user, policy_user, None, admin_user],
        kind="comment",
        title="Hello",
        url="/responses/1/",
        actor=policy_user,
        email_template="comment",
    )
    assert sorted(n.recipient.username for n in made) == ["admin", "reviewer"]
    assert all(n.email_status == EmailStatus.PENDING for n in made)


def test_notify_respects_muted_kinds_and_missing_addresses(policy_user, reviewer_user):
    EmailMute.objects.create(user=reviewer_user, kind="comment")
    policy_user.email = ""
    policy_user.save()
    made = notifications.notify(
        recipients=[reviewer_user, policy_user], kind="comment", title="Hi", email_template="comment"
    )
    statuses = {n.recipient.username: n.email_status for n in made}
    assert statuses == {"reviewer": EmailStatus.MUTED, "policy": EmailStatus.NONE}
    assert all(not n.email_template for n in made)


def test_email_is_queued_only_after_commit(policy_user, reviewer_user, django_capture_on_commit_callbacks):
    with mock.patch("notifications.tasks.deliver.delay") as delay:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            (made,) = notifications.notify(
                recipients=[reviewer_user], kind="comment", title="Hi", email_template="comment"
            )
        assert not delay.called
        for callback in callbacks:
            callback()
    delay.assert_called_once_with(made.pk)


# --- Delivery -----------------------------------------------------------------------------------------


@pytest.fixture
def pending(reviewer_user):
    reviewer_user.time_zone = "Asia/Tokyo"
    reviewer_user.save()
    return Notification.objects.create(
        recipient=reviewer_user,
        kind="review_requested",
        title="Please review",
        url="/responses/7/",
        email_template="review_requested",
        email_context=notifications._encode(
            {
                "actor": "Pat <Policy>",
                "response": "Ours",
                "organisation": "Our network",
                "consultation": "COP & friends",
                "deadline": datetime.datetime(2030, 1, 31, 22, 0, tzinfo=datetime.UTC),
                "due_at": datetime.datetime(2030, 1, 29, 22, 0, tzinfo=datetime.UTC),
                "note": "",
            }
        ),
        email_status=EmailStatus.PENDING,
    )


def test_delivery_renders_subject_text_and_html_in_the_recipients_time_zone(pending, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://consultrack.example.org"
    assert notifications.notification_deliver_email(notification_id=pending.pk) == "sent"
    (message,) = mail.outbox
    assert message.to == ["reviewer@example.org"]
    assert message.subject == "Review requested: COP & friends"
    assert "Pat <Policy> asks you to review" in message.body
    assert "Wednesday 30 January 2030, 07:00" in message.body  # 22:00 UTC seen from Tokyo
    assert "https://consultrack.example.org/responses/7/" in message.body
    html = message.alternatives[0][0]
    assert "Pat &lt;Policy&gt;" in html and "COP &amp; friends" in html
    assert "/notifications/settings/" in html
    pending.refresh_from_db()
    assert (pending.email_status, pending.email_attempts) == (EmailStatus.SENT, 1)
    assert pending.email_sent_at is not None


def test_a_notification_is_emailed_at_most_once(pending, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications.notification_deliver_email(notification_id=pending.pk) == "sent"
    assert notifications.notification_deliver_email(notification_id=pending.pk) == "skipped"
    assert len(mail.outbox) == 1


def test_a_claimed_email_is_not_sent_by_a_second_worker_unless_the_claim_is_stale(pending, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Notification.objects.filter(pk=pending.pk).update(email_claimed_at=timezone.now())
    assert notifications.notification_deliver_email(notification_id=pending.pk) == "skipped"
    Notification.objects.filter(pk=pending.pk).update(
        email_claimed_at=timezone.now() - notifications.CLAIM_TIMEOUT - datetime.timedelta(seconds=1)
    )
    assert notifications.notification_deliver_email(notification_id=pending.pk) == "sent"
    assert len(mail.outbox) == 1


def test_muting_after_the_notification_was_made_is_respected(pending, settings, reviewer_user):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    EmailMute.objects.create(user=reviewer_user, kind="review_requested")
    assert notifications.notification_deliver_email(notification_id=pending.pk) == "muted"
    assert not mail.outbox


def run_task(notification_id: int, *, retries: int):
    """Run the task body as the worker would on its `retries`-th retry; a retry request is caught, not queued."""
    deliver.push_request(retries=retries)
    try:
        with mock.patch.object(deliver, "retry", side_effect=RuntimeError("retry")) as retry:
            try:
                return deliver.run(notification_id), retry
            except RuntimeError:
                return "retry", retry
    finally:
        deliver.pop_request()


def test_an_smtp_error_releases_the_claim_and_is_retried_later_with_growing_backoff(pending):
    with mock.patch("notifications.services.send_email", side_effect=smtplib.SMTPServerDisconnected("gone")):
        outcome, retry = run_task(pending.pk, retries=0)
        assert outcome == "retry"
        assert retry.call_args.kwargs["countdown"] == 30
        pending.refresh_from_db()
        assert (pending.email_status, pending.email_claimed_at, pending.email_error) == (
            EmailStatus.PENDING,
            None,
            "gone",
        )
        outcome, retry = run_task(pending.pk, retries=3)
        assert (outcome, retry.call_args.kwargs["countdown"]) == ("retry", 240)


def test_after_the_last_retry_the_email_is_given_up_but_the_notice_stays(pending):
    with mock.patch("notifications.services.send_email", side_effect=ConnectionRefusedError("refused")):
        outcome, retry = run_task(pending.pk, retries=5)
    assert outcome == "failed" and not retry.called
    pending.refresh_from_db()
    assert (pending.email_status, pending.email_error, pending.read_at) == (EmailStatus.FAILED, "refused", None)


def test_a_retry_after_a_transient_error_sends_the_email(pending, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with mock.patch("notifications.services.send_email", side_effect=ConnectionRefusedError("restarting")):
        assert run_task(pending.pk, retries=0)[0] == "retry"
    assert run_task(pending.pk, retries=1)[0] == "sent"
    pending.refresh_from_db()
    assert (pending.email_status, pending.email_attempts, pending.email_error) == (EmailStatus.SENT, 2, "")
    assert len(mail.outbox) == 1


def test_without_a_broker_a_failed_email_is_given_up_at_once(pending, eager_tasks):
    """Eager mode (no worker to retry later): the failure is recorded instead of retried in the request."""
    with mock.patch("notifications.services.send_email", side_effect=smtplib.SMTPException("nope")):
        assert deliver.apply(args=[pending.pk]).get() == "failed"
    pending.refresh_from_db()
    assert pending.email_status == EmailStatus.FAILED


# --- Which events notify whom ------------------------------------------------------------------------


def test_each_step_of_a_review_notifies_the_right_people_in_the_app_and_by_email(
    draft, policy_user, reviewer_user, admin_user, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        in_review(draft, policy_user, reviewer_user)
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["reviewer@example.org"], "Review requested: COP Results Framework")
    ]
    assert "Please review it by" in mail.outbox[0].body

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        thread = services.comment_add(response=draft, by=reviewer_user, body="Ask @admin?", anchor_paragraph=2)
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {"policy@example.org", "admin@example.org"}
    assert by_address["policy@example.org"].subject == "reviewer commented: COP Results Framework"
    assert "Reporting tools should stay flexible" in by_address["policy@example.org"].body
    assert by_address["admin@example.org"].subject == "reviewer mentioned you: COP Results Framework"
    assert Notification.objects.get(recipient=admin_user).kind == "mention"

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(response=draft, by=policy_user, body="Done.", parent=thread)
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["reviewer@example.org"], "policy replied: COP Results Framework")
    ]

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.response_decide(response=draft, by=reviewer_user, approve=False, reason="Shorter.")
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["policy@example.org"], "Changes requested by reviewer: COP Results Framework")
    ]
    assert "Shorter." in mail.outbox[0].body

    in_review(draft, policy_user, reviewer_user)
    services.response_decide(response=draft, by=reviewer_user, approve=True)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.response_submit(response=draft, by=policy_user, channel="portal", submitted_at=timezone.now())
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["reviewer@example.org"], "Submitted: our response to COP Results Framework")
    ]

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.response_reopen(response=draft, by=admin_user, reason="Annex missing")
    assert {m.to[0] for m in mail.outbox} == {"policy@example.org", "reviewer@example.org"}
    assert all("Annex missing" in m.body for m in mail.outbox)

    kinds = {(n.recipient.username, n.kind) for n in Notification.objects.all()}
    assert {
        ("reviewer", "review_requested"),
        ("policy", "comment"),
        ("admin", "mention"),
        ("reviewer", "reply"),
        ("policy", "decision"),
        ("reviewer", "submitted"),
        ("policy", "reopened"),
    } <= kinds
    assert all(n.url.startswith(f"/responses/{draft.pk}/") for n in Notification.objects.all())


def test_a_muted_kind_sends_no_email_but_still_notifies_in_the_app(
    draft, policy_user, reviewer_user, eager_tasks, django_capture_on_commit_callbacks
):
    EmailMute.objects.create(user=reviewer_user, kind="review_requested")
    with django_capture_on_commit_callbacks(execute=True):
        in_review(draft, policy_user, reviewer_user)
    assert not mail.outbox
    assert Notification.objects.get(recipient=reviewer_user).email_status == EmailStatus.MUTED


# --- The pages ---------------------------------------------------------------------------------------------


def test_the_bell_shows_the_unread_count_on_every_page(as_user, policy_user):
    NotificationFactory.create_batch(3, recipient=policy_user)
    NotificationFactory(recipient=policy_user, read_at=timezone.now())
    NotificationFactory()  # someone else's
    client = as_user(policy_user)
    for url in [reverse("home"), reverse("responses:response-list"), reverse("responses:my-work")]:
        page = client.get(url)
        assert page.context["unread_notification_count"] == 3
        bell = re.search(r'<a[^>]*data-testid="notification-bell".*?</a>', page.content.decode(), re.S).group(0)
        assert '>3</span><span class="visually-hidden"> unread notifications</span>' in bell


def test_the_list_shows_only_my_notifications_newest_first(as_user, policy_user):
    old = NotificationFactory(recipient=policy_user, title="Older")
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=1))
    new = NotificationFactory(recipient=policy_user, title="Newer")
    NotificationFactory(title="Not mine")
    page = as_user(policy_user).get(reverse("notifications:notification-list"))
    assert list(page.context["page_obj"]) == [new, old]
    assert "Not mine" not in page.content.decode()
    unread = as_user(policy_user).get(reverse("notifications:notification-list"), {"show": "unread"})
    assert len(unread.context["page_obj"]) == 2


def test_opening_a_notification_marks_it_read_and_follows_its_link(as_user, policy_user):
    note = NotificationFactory(recipient=policy_user, url="/responses/mine/")
    page = as_user(policy_user).post(reverse("notifications:notification-open", args=[note.pk]))
    assert page["Location"] == "/responses/mine/"
    note.refresh_from_db()
    assert note.is_read


def test_a_link_to_another_site_is_not_followed(as_user, policy_user):
    note = NotificationFactory(recipient=policy_user, url="https://evil.example/phish")
    page = as_user(policy_user).post(reverse("notifications:notification-open", args=[note.pk]))
    assert page["Location"] == reverse("notifications:notification-list")


def test_marking_one_read_with_htmx_returns_its_row(as_user, policy_user):
    note = NotificationFactory(recipient=policy_user)
    page = as_user(policy_user).post(reverse("notifications:notification-read", args=[note.pk]), HTTP_HX_REQUEST="true")
    assert page.status_code == 200
    assert f'id="notification-{note.pk}"' in page.content.decode()
    assert "Mark as read" not in page.content.decode()
    note.refresh_from_db()
    assert note.is_read


def test_marking_all_read(as_user, policy_user):
    NotificationFactory.create_batch(2, recipient=policy_user)
    other = NotificationFactory()
    page = as_user(policy_user).post(reverse("notifications:notification-read-all"), follow=True)
    assert "2 notification(s) marked as read." in page.content.decode()
    assert not Notification.objects.for_user(policy_user).unread().exists()
    other.refresh_from_db()
    assert not other.is_read


def test_someone_elses_notification_is_a_404(as_user, policy_user):
    note = NotificationFactory()
    client = as_user(policy_user)
    assert client.post(reverse("notifications:notification-open", args=[note.pk])).status_code == 404
    assert client.post(reverse("notifications:notification-read", args=[note.pk])).status_code == 404
    note.refresh_from_db()
    assert not note.is_read


def test_settings_mute_email_per_kind(as_user, reviewer_user):
    keys = [kind.key for kind in registered_kinds()]
    assert {"review_requested", "comment", "reply", "mention", "decision", "submitted", "reopened"} <= set(keys)
    client = as_user(reviewer_user)
    form = client.get(reverse("notifications:notification-settings")).context["form"]
    assert all(form.fields[f"email_{key}"].initial for key in keys)
    wanted = {f"email_{key}": "on" for key in keys if key not in {"comment", "reply"}}
    client.post(reverse("notifications:notification-settings"), wanted)
    assert set(EmailMute.objects.filter(user=reviewer_user).values_list("kind", flat=True)) == {"comment", "reply"}
    client.post(reverse("notifications:notification-settings"), {**wanted, "email_comment": "on"})
    assert set(EmailMute.objects.filter(user=reviewer_user).values_list("kind", flat=True)) == {"reply"}


def test_notification_list_query_count_does_not_grow_with_rows(as_user, policy_user):
    client = as_user(policy_user)
    NotificationFactory(recipient=policy_user)
    client.get(reverse("notifications:notification-list"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("notifications:notification-list"))
    NotificationFactory.create_batch(6, recipient=policy_user)
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("notifications:notification-list"))
    assert len(page.context["page_obj"]) == 7
    assert len(many) == len(one)


# --- Who may use the pages --------------------------------------------------------------------------------


def _views(note):
    return [
        ("get", reverse("notifications:notification-list")),
        ("get", reverse("notifications:notification-settings")),
        ("post", reverse("notifications:notification-settings")),
        ("post", reverse("notifications:notification-read-all")),
        ("post", reverse("notifications:notification-open", args=[note.pk])),
        ("post", reverse("notifications:notification-read", args=[note.pk])),
    ]


@pytest.mark.parametrize("role", [Role.POLICY_STAFF, Role.REVIEWER, Role.ADMIN])
def test_every_role_uses_the_notification_pages(client, role):
    user = UserFactory(username=f"user-{role.name.lower()}", role=role)
    client.force_login(user)
    for method, url in _views(NotificationFactory(recipient=user)):
        assert getattr(client, method)(url).status_code in {200, 302}, url


def test_outsiders_are_refused_and_anonymous_visitors_sent_to_login(client, outsider):
    note = NotificationFactory(recipient=outsider)
    for method, url in _views(note):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login")), url
    client.force_login(outsider)
    for method, url in _views(note):
        assert getattr(client, method)(url).status_code == 403, url


def test_state_changes_refuse_get(as_user, policy_user):
    note = NotificationFactory(recipient=policy_user)
    client = as_user(policy_user)
    for url in [
        reverse("notifications:notification-read-all"),
        reverse("notifications:notification-open", args=[note.pk]),
        reverse("notifications:notification-read", args=[note.pk]),
    ]:
        assert client.get(url).status_code == 405
