"""Saved searches: running one again, and the daily e-mail of new matches.

The e-mail goes out at most once a day per saved search: a conditional UPDATE claims the day
(the last-sent marker moves from what was read to today) before anything is sent, so two overlapping
runs, or a second run the same day, send nothing more. A failed send gives the day back, and the
next run (hourly) tries again. No transaction is held while talking to the mail server.
"""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from notifications.emails import send_email
from responses.forms import SearchFilter
from responses.models import Response, SavedSearch
from responses.search import search_responses

logger = logging.getLogger(__name__)

SENT, NOTHING_NEW, FAILED, TAKEN = "sent", "nothing_new", "failed", "taken"

# An e-mail lists this many new matches at most, then links to the rest.
EMAIL_MATCH_LIMIT = 20


def saved_search_results(saved: SavedSearch) -> QuerySet:
    """The responses a saved search finds now, best first (its filters applied as the page would)."""
    data = QueryDict(mutable=True)
    for key, values in saved.filters.items():
        data.setlist(key, [str(value) for value in (values if isinstance(values, list) else [values])])
    base = Response.objects.select_related("consultation", "organisation")
    search_filter = SearchFilter(data, queryset=base)
    # Filters that no longer validate (a consultation deleted since) find nothing rather than everything.
    queryset = search_filter.qs if search_filter.is_valid() else base.none()
    return search_responses(queryset, saved.query)


@dataclass
class EmailRun:
    sent: int = 0
    without_news: int = 0
    failed: int = 0
    skipped: int = 0

    def summary(self) -> str:
        return (
            f"{self.sent} e-mails sent, {self.without_news} searches without new matches, "
            f"{self.failed} failed, {self.skipped} already done or not allowed"
        )


def saved_searches_email_due(*, now: datetime.datetime | None = None) -> EmailRun:
    """Send today's e-mail of every opted-in saved search with new matches (those not sent today yet)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    run = EmailRun()
    if timezone.localtime(now).hour < settings.SAVED_SEARCH_EMAIL_HOUR:
        return run  # too early today; yesterday's were sent yesterday
    due = SavedSearch.objects.emailed_daily().not_emailed_on(today).select_related("owner").order_by("pk")
    for saved in due:
        if not saved.owner.is_team_member:
            run.skipped += 1
            continue
        outcome = saved_search_email(saved=saved, now=now)
        if outcome == SENT:
            run.sent += 1
        elif outcome == NOTHING_NEW:
            run.without_news += 1
        elif outcome == FAILED:
            run.failed += 1
        else:
            run.skipped += 1
    return run


def _claim(saved: SavedSearch, *, today: datetime.date, now: datetime.datetime) -> bool:
    """Take today's e-mail of `saved`, if nobody took it since it was read."""
    unchanged = (
        Q(last_emailed_on__isnull=True) if saved.last_emailed_on is None else Q(last_emailed_on=saved.last_emailed_on)
    ) & (Q(last_emailed_at__isnull=True) if saved.last_emailed_at is None else Q(last_emailed_at=saved.last_emailed_at))
    return bool(
        SavedSearch.objects.filter(unchanged, pk=saved.pk, email_daily=True)
        .not_emailed_on(today)
        .update(last_emailed_on=today, last_emailed_at=now)
    )


def saved_search_email(*, saved: SavedSearch, now: datetime.datetime | None = None) -> str:
    """Send the e-mail of one saved search's new matches, once a day.

    Returns SENT; NOTHING_NEW (the day is used all the same: the next e-mail counts from now);
    FAILED (the day is given back for the next run); or TAKEN when today's e-mail was already claimed.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    since = saved.new_matches_since
    if not _claim(saved, today=today, now=now):
        return TAKEN
    matches = saved_search_results(saved).created_after(since).filter(created_at__lte=now)
    found = list(matches[: EMAIL_MATCH_LIMIT + 1])
    if not found:
        return NOTHING_NEW
    total = len(found) if len(found) <= EMAIL_MATCH_LIMIT else matches.count()
    owner = saved.owner
    try:
        send_email(
            "saved_search",
            {
                "user": owner,
                "saved_search": saved,
                "matches": [
                    {"response": response, "url": settings.SITE_URL + response.get_absolute_url()}
                    for response in found[:EMAIL_MATCH_LIMIT]
                ],
                "total": total,
                "more": max(total - EMAIL_MATCH_LIMIT, 0),
                "since": since,
                "user_zone": owner.time_zone,
                "search_url": settings.SITE_URL + saved.get_absolute_url(),
                "manage_url": settings.SITE_URL + reverse("responses:saved-search-list"),
            },
            to=[owner.email],
            language=owner.language or None,
        )
    except Exception:
        logger.exception("Could not send the e-mail of saved search %s; the next run tries again", saved.pk)
        # Give the day back, unless something else moved the marker meanwhile.
        SavedSearch.objects.filter(pk=saved.pk, last_emailed_on=today, last_emailed_at=now).update(
            last_emailed_on=saved.last_emailed_on, last_emailed_at=saved.last_emailed_at
        )
        return FAILED
    return SENT
