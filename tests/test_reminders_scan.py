"""The deadline scan: when reminders fall due (in the deadline's own zone), who gets them, once each."""

import datetime
import zoneinfo

import pytest
import time_machine

from reminders.models import ReminderLog, ReminderPreference, ReminderStatus, SkipReason, user_key
from reminders.schedule import reminder_due_at
from reminders.services import reminders_scan
from responses.models import ResponseStatus
from tests.factories import ConsultationFactory, OrganisationFactory, ResponseFactory, UserFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
ZURICH = zoneinfo.ZoneInfo("Europe/Zurich")


def at(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


def scan_at(moment: datetime.datetime):
    """A scan run with the clock frozen at `moment`."""
    with time_machine.travel(moment, tick=False):
        return reminders_scan()


@pytest.fixture
def cop():
    """The ITU consultation: deadline 31 January 2016, 23:59 in Geneva (22:59 UTC)."""
    return ConsultationFactory(
        title="COP Results Framework",
        time_zone="Europe/Zurich",
        opens_at=at(2015, 12, 1, 8, 0),
        deadline=at(2016, 1, 31, 22, 59),
    )


@pytest.fixture
def owner(cop):
    user = UserFactory(username="olga", first_name="Olga")
    cop.owners.add(user)
    return user


def test_a_geneva_deadline_is_seven_days_away_from_midnight_on_24_january_in_geneva(settings):
    """31 Jan 23:59 in Geneva: the 7-day reminder is due from 24 Jan 00:00 Geneva, 23 Jan 23:00 UTC."""
    settings.TIME_ZONE = "America/New_York"
    deadline = datetime.datetime(2016, 1, 31, 23, 59, tzinfo=ZURICH)
    assert reminder_due_at(deadline=deadline, zone=ZURICH, offset=7) == at(2016, 1, 23, 23, 0)
    assert reminder_due_at(deadline=deadline, zone=ZURICH, offset=0) == at(2016, 1, 30, 23, 0)


def test_offsets_are_counted_in_the_deadline_zone_whatever_the_server_zone(settings, cop, owner, mailoutbox):
    """Server in New York: no 7-day reminder at 23 Jan 22:59 UTC, one at 23:00 UTC (midnight in Geneva)."""
    settings.TIME_ZONE = "America/New_York"
    cop.reminder_offsets = "7"
    cop.save()
    assert scan_at(at(2016, 1, 23, 22, 59)).sent == 0
    assert mailoutbox == []
    result = scan_at(at(2016, 1, 23, 23, 0))
    assert (result.sent, result.skipped, result.failed) == (1, 0, 0)
    assert mailoutbox[0].to == [owner.email]
    assert mailoutbox[0].subject == "Deadline in 7 days: COP Results Framework"


def test_offsets_cross_the_spring_daylight_saving_change_by_calendar_days(settings):
    """Deadline 31 March 2025 in Zurich, the day after clocks go forward: each reminder is due at local midnight."""
    settings.TIME_ZONE = "America/New_York"
    deadline = datetime.datetime(2025, 3, 31, 12, 0, tzinfo=ZURICH)  # 10:00 UTC, summer time
    due = {day: reminder_due_at(deadline=deadline, zone=ZURICH, offset=day) for day in (0, 1, 7)}
    assert due[0] == at(2025, 3, 30, 22, 0)  # 31 March 00:00 CEST
    assert due[1] == at(2025, 3, 29, 23, 0)  # 30 March 00:00 CET, before the change at 02:00
    assert due[7] == at(2025, 3, 23, 23, 0)  # not 22:00: seven times 24 hours would be an hour early
    for moment in due.values():
        assert moment.astimezone(ZURICH).time() == datetime.time(0, 0)


def test_scans_around_the_spring_change_send_each_reminder_from_local_midnight(settings, mailoutbox):
    """The 7-, 1- and 0-day reminders of a deadline just after the change go out at Zurich midnight, once each."""
    settings.TIME_ZONE = "America/New_York"
    consultation = ConsultationFactory(
        time_zone="Europe/Zurich",
        opens_at=at(2025, 1, 1, 0, 0),
        deadline=datetime.datetime(2025, 3, 31, 12, 0, tzinfo=ZURICH),
        reminder_offsets="7, 1, 0",
    )
    consultation.owners.add(UserFactory())
    moments = [
        (at(2025, 3, 23, 22, 59), 0),
        (at(2025, 3, 23, 23, 0), 1),  # 7 days
        (at(2025, 3, 29, 22, 59), 0),
        (at(2025, 3, 29, 23, 0), 1),  # 1 day
        (at(2025, 3, 30, 21, 59), 0),
        (at(2025, 3, 30, 22, 0), 1),  # the day itself
        (at(2025, 3, 31, 9, 0), 0),
    ]
    assert [scan_at(moment).sent for moment, _ in moments] == [sent for _, sent in moments]
    assert sorted(ReminderLog.objects.values_list("offset", flat=True)) == [0, 1, 7]


def test_offsets_cross_the_autumn_daylight_saving_change_by_calendar_days():
    """Deadline 27 October 2025 in Zurich, the day after clocks go back: midnight is 23:00 UTC again."""
    deadline = datetime.datetime(2025, 10, 27, 17, 0, tzinfo=ZURICH)
    assert reminder_due_at(deadline=deadline, zone=ZURICH, offset=1) == at(2025, 10, 25, 22, 0)  # CEST
    assert reminder_due_at(deadline=deadline, zone=ZURICH, offset=0) == at(2025, 10, 26, 23, 0)  # CET


def test_each_offset_is_sent_once_however_often_the_scan_runs(cop, owner, mailoutbox):
    """Scanning every few hours across the fortnight sends the 14, 7, 3, 1 and 0-day reminders, one each."""
    moment = at(2016, 1, 15, 0, 0)
    while moment < at(2016, 2, 1, 0, 0):
        scan_at(moment)
        moment += datetime.timedelta(hours=5)
    assert len(mailoutbox) == 5
    logs = ReminderLog.objects.order_by("-offset")
    assert [(log.offset, log.status) for log in logs] == [(day, ReminderStatus.SENT) for day in (14, 7, 3, 1, 0)]


def test_a_late_scan_sends_only_the_most_recent_due_reminder_and_records_the_missed_ones(cop, owner, mailoutbox):
    """After an outage, on 29 January (2 days left) only the 3-day reminder goes; 14 and 7 are skipped, once."""
    result = scan_at(at(2016, 1, 29, 10, 0))
    assert (result.sent, result.skipped, result.failed) == (1, 2, 0)
    assert len(mailoutbox) == 1
    logs = {log.offset: log for log in ReminderLog.objects.all()}
    assert logs[3].status == ReminderStatus.SENT
    assert {(logs[day].status, logs[day].reason) for day in (14, 7)} == {
        (ReminderStatus.SKIPPED, SkipReason.SUPERSEDED)
    }
    again = scan_at(at(2016, 1, 29, 10, 15))
    assert (again.sent, again.skipped, again.failed) == (0, 0, 0)
    assert len(mailoutbox) == 1


def test_one_email_per_recipient_lists_every_deadline_due_for_them(owner, cop, mailoutbox):
    """Two consultations due at once for the same owner: one e-mail naming both."""
    other = ConsultationFactory(
        title="Age verification", time_zone="UTC", opens_at=at(2015, 12, 1, 0, 0), deadline=at(2016, 2, 1, 12, 0)
    )
    other.owners.add(owner)
    result = scan_at(at(2016, 1, 30, 12, 0))
    assert result.sent == 2
    (message,) = mailoutbox
    assert message.subject == "Deadline reminders: 2 consultations"
    assert "COP Results Framework" in message.body and "Age verification" in message.body
    assert message.body.index("COP Results Framework") < message.body.index("Age verification")
    assert "closes tomorrow" in message.body  # COP: 31 January, seen on 30 January in Geneva
    html = message.alternatives[0][0]
    assert "COP Results Framework" in html and "Age verification" in html


def test_owners_drafters_reviewers_and_watchers_are_reminded_others_not(cop, mailoutbox):
    """Owners, watchers, and owners and reviewers of our drafts not yet submitted; not those of submitted ones."""
    people = {name: UserFactory(username=name) for name in ["own", "watch", "draft", "review", "done", "idle", "gone"]}
    cop.owners.add(people["own"], people["gone"])
    cop.watchers.add(people["watch"])
    people["gone"].is_active = False
    people["gone"].save()
    ours = OrganisationFactory(name="Our team")
    draft = ResponseFactory(consultation=cop, organisation=ours, status=ResponseStatus.IN_REVIEW, owner=people["draft"])
    draft.reviewers.add(people["review"])
    submitted = ResponseFactory(
        consultation=cop, organisation=OrganisationFactory(), status=ResponseStatus.SUBMITTED, owner=people["done"]
    )
    submitted.reviewers.add(people["done"])
    ResponseFactory(consultation=cop, status=ResponseStatus.RECEIVED, owner=people["idle"])
    scan_at(at(2016, 1, 30, 12, 0))
    recipients = sorted(address for message in mailoutbox for address in message.to)
    assert recipients == sorted(f"{name}@example.org" for name in ["own", "watch", "draft", "review"])
    why = {message.to[0]: message.body for message in mailoutbox}
    assert "you own the consultation" in why["own@example.org"]
    assert "you review a response not yet submitted" in why["review@example.org"]
    assert "you watch the consultation" in why["watch@example.org"]


def test_a_user_with_two_roles_gets_one_email_naming_both(cop, owner, mailoutbox):
    """An owner who also watches is one recipient: one reminder, one e-mail, both reasons."""
    cop.watchers.add(owner)
    result = scan_at(at(2016, 1, 30, 12, 0))
    assert result.sent == 1
    (message,) = mailoutbox
    assert "you own the consultation; you watch the consultation" in message.body


def test_a_user_without_an_email_address_is_recorded_as_skipped(cop, mailoutbox):
    """Nothing to send to: the history says so instead of trying."""
    cop.owners.add(UserFactory(username="noaddress", email=""))
    result = scan_at(at(2016, 1, 30, 12, 0))
    assert (result.sent, result.skipped) == (0, 4)  # 1 day: no address; 14, 7, 3: missed
    assert mailoutbox == []
    assert ReminderLog.objects.get(offset=1).reason == SkipReason.NO_EMAIL


def test_a_users_own_reminder_days_replace_the_consultations(cop, owner, mailoutbox):
    """Olga wants only 2 days' notice; her co-owner keeps the consultation's 14, 7, 3, 1, 0."""
    ReminderPreference.objects.create(user=owner, offsets="2")
    colleague = UserFactory(username="colleague")
    cop.owners.add(colleague)
    scan_at(at(2016, 1, 24, 12, 0))  # 7 days before, in Geneva
    assert [message.to for message in mailoutbox] == [[colleague.email]]
    mailoutbox.clear()
    scan_at(at(2016, 1, 29, 12, 0))  # 2 days before
    assert sorted(message.to[0] for message in mailoutbox) == sorted([owner.email, colleague.email])
    assert ReminderLog.objects.get(recipient_key=user_key(owner.pk), status=ReminderStatus.SENT).offset == 2


def test_an_extended_deadline_rearms_the_reminders(cop, owner, mailoutbox):
    """The 1-day reminder went; the deadline moves a week later; the new date is reminded, with a note."""
    scan_at(at(2016, 1, 30, 12, 0))
    assert len(mailoutbox) == 1
    cop.deadline = at(2016, 2, 7, 22, 59)
    cop.save()
    result = scan_at(at(2016, 1, 31, 12, 0))
    assert result.sent == 1  # 7 days before the new deadline
    message = mailoutbox[1]
    assert "The deadline has changed since your last reminder." in message.body
    assert ReminderLog.objects.filter(deadline=at(2016, 2, 7, 22, 59), offset=7, status=ReminderStatus.SENT).exists()
    assert scan_at(at(2016, 1, 31, 12, 15)).sent == 0


def test_nothing_is_sent_once_the_deadline_has_passed(cop, owner, mailoutbox):
    """A closed consultation is reminded to no one, however late the scan."""
    result = scan_at(at(2016, 2, 1, 9, 0))
    assert (result.sent, result.skipped, result.failed) == (0, 0, 0)
    assert mailoutbox == []
    assert not ReminderLog.objects.exists()


def test_a_reminder_claimed_by_a_scan_that_died_is_sent_by_the_next(cop, owner, mailoutbox):
    """A row left claimed (the scan stopped before sending) for five minutes goes out with the next scan."""
    import uuid

    ReminderLog.objects.create(
        consultation=cop,
        recipient_key=user_key(owner.pk),
        user=owner,
        email=owner.email,
        offset=1,
        deadline=cop.deadline,
        due_at=at(2016, 1, 29, 23, 0),
        scan_id=uuid.uuid4(),
    )
    with time_machine.travel(at(2016, 1, 30, 12, 0), tick=False):
        ReminderLog.objects.update(created_at=at(2016, 1, 30, 11, 50))
        result = reminders_scan()
    assert result.sent == 1
    assert len(mailoutbox) == 1
    assert ReminderLog.objects.get(offset=1).status == ReminderStatus.SENT


def test_reviewers_with_a_review_due_are_reminded_until_they_decide(cop, mailoutbox):
    """A review requested on a draft in review counts; once decided on the version as it stands, no more."""
    from responses.models import ReviewDecision, ReviewRequest

    reviewer = UserFactory(username="rene")
    draft = ResponseFactory(
        consultation=cop, organisation=OrganisationFactory(name="Our team"), status=ResponseStatus.IN_REVIEW
    )
    request = ReviewRequest.objects.create(
        response=draft, reviewer=reviewer, due_at=at(2016, 1, 28, 12, 0), for_version=draft.version
    )
    scan_at(at(2016, 1, 27, 12, 0))  # 4 days before: the 7-day reminder
    (message,) = mailoutbox
    assert message.to == [reviewer.email]
    assert "a review is due from you" in message.body
    request.decision = ReviewDecision.APPROVED
    request.save()
    scan_at(at(2016, 1, 28, 12, 0))  # 3 days before: nothing owed any more
    assert len(mailoutbox) == 1
