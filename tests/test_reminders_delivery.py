"""Sending reminders: failures recorded and retried without a second send, invited contacts, the command."""

import datetime
import io
import smtplib
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import CommandError, call_command
from django.utils import timezone

from config.celery import app
from reminders import services, tasks
from reminders.models import MAX_ATTEMPTS, ReminderLog, ReminderStatus, SkipReason, contact_key
from reminders.services import reminder_deliver, reminders_scan
from responses.models import ResponseStatus
from tests.factories import (
    ConsultationFactory,
    ContactFactory,
    InvitationFactory,
    OrganisationFactory,
    ResponseFactory,
    UserFactory,
)
from tests.helpers import child_env, manage

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
NOW = datetime.datetime(2016, 1, 30, 12, 0, tzinfo=UTC)  # the day before the COP deadline, in Geneva


class RefusingBackend(LocmemBackend):
    """A mail server that refuses every message, as one that is down or over quota does."""

    def send_messages(self, messages):
        raise smtplib.SMTPDataError(451, b"4.3.0 Try again later")


@pytest.fixture
def cop():
    return ConsultationFactory(
        title="COP Results Framework",
        url="https://www.itu.int/en/council/cwg-cop/",
        time_zone="Europe/Zurich",
        opens_at=datetime.datetime(2015, 12, 1, tzinfo=UTC),
        deadline=datetime.datetime(2016, 1, 31, 22, 59, tzinfo=UTC),
    )


@pytest.fixture
def owner(cop):
    user = UserFactory(username="olga")
    cop.owners.add(user)
    return user


@pytest.fixture
def queued(monkeypatch):
    """Retries handed to Celery, recorded instead of sent to the broker."""
    calls: list[dict] = []
    monkeypatch.setattr(tasks.send_reminder_email, "apply_async", lambda **kwargs: calls.append(kwargs))
    return calls


@pytest.fixture
def invited(cop):
    """COP opts in; Facebook (two contacts, one opted out, one without address) and IWF are invited."""
    cop.remind_invited_contacts = True
    cop.save()
    facebook = OrganisationFactory(name="Facebook")
    iwf = OrganisationFactory(name="Internet Watch Foundation")
    for organisation in (facebook, iwf):
        InvitationFactory(consultation=cop, organisation=organisation)
    return {
        "organisation": facebook,
        "policy": ContactFactory(organisation=facebook, name="Pia Policy", email="pia@facebook.example"),
        "opted_out": ContactFactory(organisation=facebook, name="Otto", email="otto@facebook.example", opted_out=True),
        "no_email": ContactFactory(organisation=facebook, name="Nobody", email=""),
        "iwf": ContactFactory(organisation=iwf, name="Ian", email="ian@iwf.example"),
    }


def test_a_refused_send_is_recorded_failed_and_handed_to_the_retrying_task(settings, cop, owner, queued):
    """The mail server says 451: the reminder is failed, with the error, and its retry is queued."""
    settings.EMAIL_BACKEND = "tests.test_reminders_delivery.RefusingBackend"
    result = reminders_scan(now=NOW)
    assert (result.sent, result.failed) == (0, 1)
    log = ReminderLog.objects.get(offset=1)
    assert log.status == ReminderStatus.FAILED
    assert "451" in log.error and log.attempts == 1
    assert queued == [{"args": [[log.pk]], "countdown": tasks.FIRST_RETRY_SECONDS}]


def test_the_retry_sends_once_and_a_later_retry_or_scan_sends_nothing(settings, cop, owner, queued, mailoutbox):
    """After a refusal the retry delivers; the same task run again, and the next scan, send nothing more."""
    settings.EMAIL_BACKEND = "tests.test_reminders_delivery.RefusingBackend"
    reminders_scan(now=NOW)
    (log_ids,) = queued[0]["args"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(NOW, tick=False):
        assert reminder_deliver(log_ids=log_ids).sent == 1
        assert reminder_deliver(log_ids=log_ids).sent == 0
        assert reminders_scan().sent == 0
    assert len(mailoutbox) == 1
    log = ReminderLog.objects.get(offset=1)
    assert (log.status, log.attempts, log.error) == (ReminderStatus.SENT, 2, "")


def test_the_task_retries_with_backoff_when_the_mail_server_refuses(settings, cop, owner, queued):
    """send_reminder_email is declared to retry SMTP and network errors with exponential backoff."""
    task = app.tasks["reminders.send_reminder_email"]
    assert task.autoretry_for == (smtplib.SMTPException, OSError)
    assert task.retry_backoff is True and task.max_retries == tasks.MAX_RETRIES
    settings.EMAIL_BACKEND = "tests.test_reminders_delivery.RefusingBackend"
    reminders_scan(now=NOW)
    (log_ids,) = queued[0]["args"]
    with time_machine.travel(NOW, tick=False), pytest.raises(smtplib.SMTPDataError):
        reminder_deliver(log_ids=log_ids)
    assert ReminderLog.objects.get(offset=1).attempts == 2


def test_a_failed_reminder_whose_retry_was_lost_is_sent_by_a_later_scan(settings, cop, owner, queued, mailoutbox):
    """The retry task never ran (the broker was down): a scan a quarter of an hour later sends it, once."""
    settings.EMAIL_BACKEND = "tests.test_reminders_delivery.RefusingBackend"
    with time_machine.travel(NOW, tick=False):
        reminders_scan()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(NOW + datetime.timedelta(minutes=10), tick=False):
        assert reminders_scan().sent == 0  # too soon: the retry task may still be on its way
    with time_machine.travel(NOW + datetime.timedelta(minutes=16), tick=False):
        assert reminders_scan().sent == 1
        assert reminders_scan().sent == 0
    assert len(mailoutbox) == 1
    assert ReminderLog.objects.get(offset=1).attempts == 2


def test_a_scan_gives_up_on_a_reminder_after_the_last_attempt(settings, cop, owner, queued, mailoutbox):
    """A reminder refused MAX_ATTEMPTS times stays failed, shown as such, and is not tried again."""
    settings.EMAIL_BACKEND = "tests.test_reminders_delivery.RefusingBackend"
    with time_machine.travel(NOW, tick=False):
        reminders_scan()
    ReminderLog.objects.filter(offset=1).update(attempts=MAX_ATTEMPTS)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(NOW + datetime.timedelta(hours=1), tick=False):
        assert reminders_scan().sent == 0
    assert mailoutbox == []
    assert ReminderLog.objects.get(offset=1).status == ReminderStatus.FAILED


def test_a_retry_after_the_deadline_moved_is_skipped_not_sent(settings, cop, owner, queued, mailoutbox):
    """The reminder was for the old date; by the retry the deadline changed, so it is skipped with that reason."""
    settings.EMAIL_BACKEND = "tests.test_reminders_delivery.RefusingBackend"
    reminders_scan(now=NOW)
    cop.deadline = datetime.datetime(2016, 2, 14, 22, 59, tzinfo=UTC)
    cop.save()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert reminder_deliver(log_ids=queued[0]["args"][0], now=NOW).skipped == 1
    assert mailoutbox == []
    assert ReminderLog.objects.get(offset=1).reason == SkipReason.DEADLINE_CHANGED


def test_invited_contacts_are_reminded_only_when_the_consultation_opts_in(cop, invited, mailoutbox):
    """Without the opt-in no contact hears from us."""
    cop.remind_invited_contacts = False
    cop.save()
    reminders_scan(now=NOW)
    assert mailoutbox == []


def test_invited_contacts_that_have_not_responded_get_a_signed_unsubscribe_link(cop, invited, mailoutbox, settings):
    """Pia (Facebook) and Ian (IWF) are e-mailed, with List-Unsubscribe headers; the opted-out and address-less not."""
    settings.SITE_URL = "https://consultrack.example.org"
    result = reminders_scan(now=NOW)
    assert sorted(message.to[0] for message in mailoutbox) == ["ian@iwf.example", "pia@facebook.example"]
    assert result.sent == 2
    message = next(m for m in mailoutbox if m.to == ["pia@facebook.example"])
    assert message.subject == "Reminder: COP Results Framework closes on 31 January 2016"
    assert "Facebook was invited to respond" in message.body
    assert "https://www.itu.int/en/council/cwg-cop/" in message.body
    header = message.extra_headers["List-Unsubscribe"]
    assert header.startswith("<https://consultrack.example.org/reminders/unsubscribe/") and header.endswith("/>")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert header[1:-1] in message.body and header[1:-1] in message.alternatives[0][0]
    token = urlsplit(header[1:-1]).path.split("/")[-2]
    assert services.contact_from_unsubscribe_token(token) == invited["policy"]
    skipped = {log.contact_id: log.reason for log in ReminderLog.objects.filter(offset=1, status="skipped")}
    assert skipped == {invited["opted_out"].pk: SkipReason.OPTED_OUT, invited["no_email"].pk: SkipReason.NO_EMAIL}


def test_organisations_that_responded_are_not_reminded(cop, invited, mailoutbox):
    """IWF's letter was received: only Facebook's contact is reminded."""
    ResponseFactory(consultation=cop, organisation=invited["iwf"].organisation, status=ResponseStatus.RECEIVED)
    reminders_scan(now=NOW)
    assert [message.to for message in mailoutbox] == [["pia@facebook.example"]]


def test_an_opt_out_between_claim_and_retry_stops_the_email(settings, cop, invited, queued, mailoutbox):
    """Pia's first send failed; she unsubscribed before the retry: the retry sends her nothing."""
    settings.EMAIL_BACKEND = "tests.test_reminders_delivery.RefusingBackend"
    reminders_scan(now=NOW)
    services.contact_unsubscribe(contact=invited["policy"])
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for call in queued:
        reminder_deliver(log_ids=call["args"][0], now=NOW)
    assert [message.to for message in mailoutbox] == [["ian@iwf.example"]]
    log = ReminderLog.objects.get(recipient_key=contact_key(invited["policy"].pk), offset=1)
    assert (log.status, log.reason) == (ReminderStatus.SKIPPED, SkipReason.OPTED_OUT)


def test_the_command_ends_with_the_summary_line(cop, owner, mailoutbox):
    """send_reminders --now runs one scan and its last line counts what it did."""
    out = io.StringIO()
    call_command("send_reminders", "--now", "2016-01-30T13:00+01:00", stdout=out)
    assert out.getvalue().splitlines()[-1] == "sent 1, skipped 3, failed 0"
    assert len(mailoutbox) == 1
    out = io.StringIO()
    call_command("send_reminders", "--now", "2016-01-30T13:15+01:00", stdout=out)
    assert out.getvalue().splitlines()[-1] == "sent 0, skipped 0, failed 0"


def test_the_command_counts_failures(settings, cop, owner, queued):
    """A refused send shows in the summary line as failed."""
    settings.EMAIL_BACKEND = "tests.test_reminders_delivery.RefusingBackend"
    out = io.StringIO()
    call_command("send_reminders", "--now", "2016-01-30T12:00:00Z", stdout=out)
    assert out.getvalue().splitlines()[-1] == "sent 0, skipped 3, failed 1"


def test_a_dry_run_says_what_it_would_do_and_records_nothing(cop, owner, mailoutbox):
    """--dry-run lists the e-mails it would send, sends none and writes no log row."""
    out = io.StringIO()
    call_command("send_reminders", "--now", "2016-01-30T12:00:00+00:00", "--dry-run", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[-1] == "sent 1, skipped 3, failed 0"
    assert "Dry run: nothing was sent or recorded." in lines
    assert any("olga@example.org" in line and "COP Results Framework" in line for line in lines)
    assert mailoutbox == []
    assert not ReminderLog.objects.exists()


def test_a_naive_now_is_read_in_the_server_zone(settings, cop, owner, mailoutbox):
    """--now 2016-01-23T18:00 in New York is 24 January 00:00 in Geneva: the 7-day reminder is due."""
    settings.TIME_ZONE = "America/New_York"
    cop.reminder_offsets = "7"
    cop.save()
    out = io.StringIO()
    # Whatever zone happens to be active in this thread (a request's), the server's is the one meant.
    with timezone.override("Asia/Tokyo"):
        call_command("send_reminders", "--now", "2016-01-23T17:59", stdout=out)
        assert out.getvalue().splitlines()[-1] == "sent 0, skipped 0, failed 0"
        call_command("send_reminders", "--now", "2016-01-23T18:00", stdout=out)
        assert out.getvalue().splitlines()[-1] == "sent 1, skipped 0, failed 0"


def test_a_bad_now_is_a_clear_error():
    with pytest.raises(CommandError, match="ISO 8601"):
        call_command("send_reminders", "--now", "next tuesday")


def test_the_scan_task_runs_one_scan_and_returns_the_summary(cop, owner, mailoutbox):
    """reminders.scan, which beat queues, scans at the given moment."""
    assert tasks.scan.run("2016-01-30T12:00:00+00:00") == "sent 1, skipped 3, failed 0"
    assert len(mailoutbox) == 1


def test_beat_runs_the_scan_every_reminder_scan_minutes(settings):
    """The schedule is declared in settings and names a registered task."""
    entry = settings.CELERY_BEAT_SCHEDULE["reminders-scan"]
    assert entry["task"] == "reminders.scan" and entry["task"] in app.tasks
    assert entry["schedule"] == settings.REMINDER_SCAN_MINUTES * 60 == 15 * 60


def test_a_scan_interval_below_one_minute_is_refused_in_one_sentence(tmp_path):
    """REMINDER_SCAN_MINUTES=0 would make beat scan without pause: the app names the variable and stops."""
    result = manage(
        "check",
        env=child_env(DEBUG="true", DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3", REMINDER_SCAN_MINUTES="0"),
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "REMINDER_SCAN_MINUTES must be 1 or more, not 0." in result.stderr
