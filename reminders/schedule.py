"""When a reminder falls due: calendar days counted in the deadline's own time zone.

A deadline of 31 January 23:59 in Geneva is 7 days away from midnight on 24 January in Geneva,
whatever zone the server runs in, and across a daylight-saving change in between.
"""

import datetime
import zoneinfo


def deadline_zone(name: str) -> zoneinfo.ZoneInfo:
    """The named zone; UTC for a name this machine does not know (a zone retired from the database)."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def reminder_due_at(*, deadline: datetime.datetime, zone: zoneinfo.ZoneInfo, offset: int) -> datetime.datetime:
    """Local midnight, in `zone`, `offset` calendar days before the deadline's date there."""
    local_date = deadline.astimezone(zone).date() - datetime.timedelta(days=offset)
    return datetime.datetime.combine(local_date, datetime.time.min, tzinfo=zone)


def due_offsets(
    *, deadline: datetime.datetime, zone: zoneinfo.ZoneInfo, offsets: list[int], now: datetime.datetime
) -> list[int]:
    """The offsets whose time has come before a deadline not yet passed, most recent (smallest) first."""
    if deadline <= now:
        return []
    return sorted(day for day in set(offsets) if reminder_due_at(deadline=deadline, zone=zone, offset=day) <= now)
