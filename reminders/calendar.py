"""A user's deadlines as an iCalendar feed (RFC 5545), built with the icalendar library."""

import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from icalendar import Alarm, Calendar, Event

from accounts.models import User
from consultations.models import Consultation
from reminders.models import ReminderPreference
from reminders.schedule import deadline_zone, reminder_due_at
from reminders.services import consultation_offsets

# Deadlines further back than this are left out, so that a long-serving user's feed stays small.
FEED_HISTORY = datetime.timedelta(days=365)


def feed_consultations(user: User, now: datetime.datetime) -> list[Consultation]:
    """Consultations the user owns or watches, whose deadline is at most a year old, soonest first."""
    return list(
        Consultation.objects.filter(Q(owners=user) | Q(watchers=user), deadline__gte=now - FEED_HISTORY)
        .select_related("issuer")
        .distinct()
        .order_by("deadline", "pk")
    )


def _alarm(consultation: Consultation, offset: int, zone) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    if offset == 0:
        text = _("%(title)s: the deadline is today") % {"title": consultation.title}
    else:
        text = ngettext(
            "%(title)s: the deadline is in %(days)d day", "%(title)s: the deadline is in %(days)d days", offset
        ) % {"title": consultation.title, "days": offset}
    alarm.add("description", text)
    # An absolute trigger, in UTC: the same local midnight in the deadline's zone as the e-mail reminder.
    trigger = reminder_due_at(deadline=consultation.deadline, zone=zone, offset=offset).astimezone(datetime.UTC)
    alarm.add("trigger", trigger, parameters={"VALUE": "DATE-TIME"})
    return alarm


def calendar_feed(*, user: User, now: datetime.datetime | None = None) -> bytes:
    """The user's feed: one VEVENT per deadline, in the issuer's time zone, with an alarm per reminder day."""
    now = now or timezone.now()
    host = urlsplit(settings.SITE_URL).hostname or "consultrack"
    calendar = Calendar()
    calendar.add("prodid", "-//Consultrack//Deadlines//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", _("Consultrack deadlines"))
    # Calendar programs that honour it fetch the feed again hourly.
    calendar.add("refresh-interval", datetime.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    preference = ReminderPreference.objects.filter(user=user).first()
    own_offsets = preference.offset_days() if preference else None
    for consultation in feed_consultations(user, now):
        zone = deadline_zone(consultation.time_zone)
        event = Event()
        event.add("uid", f"consultation-{consultation.pk}-deadline@{host}")
        event.add("dtstamp", now.astimezone(datetime.UTC))
        event.add("last-modified", consultation.updated_at.astimezone(datetime.UTC))
        # A deadline is a moment: the event starts and ends at it, in the zone the issuer states it in.
        event.add("dtstart", consultation.deadline.astimezone(zone))
        event.add("dtend", consultation.deadline.astimezone(zone))
        event.add("summary", _("Deadline: %(title)s") % {"title": consultation.title})
        description = [str(consultation.issuer)]
        if consultation.reference:
            description.append(consultation.reference)
        event.add("description", " · ".join(description))
        event.add("url", settings.SITE_URL + consultation.get_absolute_url())
        event.add("transp", "TRANSPARENT")
        for offset in own_offsets or consultation_offsets(consultation):
            event.add_component(_alarm(consultation, offset, zone))
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
