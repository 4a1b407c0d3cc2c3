"""The start page: what closes soon, my drafts and reviews, what came in, and charts of responses and stances.

Every list is cut to a fixed length and every count is made by the database, so the page costs the
same number of queries whatever the amount of data.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Case, F, IntegerField, Q, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from accounts.roles import Role
from consultations.models import Consultation
from responses import matrix as stance_matrix
from responses.models import Response, ReviewRequest, Stance

DEADLINE_WINDOW_DAYS = 30
DEADLINES_SHOWN = 12
MY_ITEMS_SHOWN = 8
RECENT_SHOWN = 10
UPCOMING_SHOWN = 5
# Charts show open consultations (closing soonest first), then those closed within this many days.
CHARTED_CONSULTATIONS = 8
RECENTLY_CLOSED_DAYS = 90


@dataclass
class Bar:
    """One consultation's bar in the responses chart; `percent` is the bar's length against the longest."""

    consultation: Consultation
    value: int
    percent: float


@dataclass
class Segment:
    stance: str
    label: str
    count: int
    offset: float
    percent: float


@dataclass
class StanceRow:
    """One consultation's stacked bar of coded stances, in the order of the scale."""

    consultation: Consultation
    total: int
    counts: list[int]
    segments: list[Segment] = field(default_factory=list)


def charted_consultations(now: datetime.datetime) -> list[Consultation]:
    """Open consultations closing soonest first, then the most recently closed, up to CHARTED_CONSULTATIONS.

    Each carries `response_count`: responses on record (received, or ours once submitted), from the stance
    matrix's cached aggregates, which hold the same count and are renewed on every change.
    """
    open_now = Q(opens_at__isnull=True) | Q(opens_at__lte=now), Q(deadline__gt=now)
    recently_closed = Q(deadline__lte=now, deadline__gt=now - datetime.timedelta(days=RECENTLY_CLOSED_DAYS))
    consultations = list(
        Consultation.objects.filter((open_now[0] & open_now[1]) | recently_closed)
        .annotate(
            closed_rank=Case(When(deadline__lte=now, then=Value(1)), default=Value(0), output_field=IntegerField()),
            open_deadline=Case(When(deadline__gt=now, then=F("deadline"))),
            closed_deadline=Case(When(deadline__lte=now, then=F("deadline"))),
        )
        .order_by("closed_rank", F("open_deadline").asc(nulls_last=True), F("closed_deadline").desc(), "pk")[
            :CHARTED_CONSULTATIONS
        ]
    )
    totals = stance_matrix.totals_of([consultation.pk for consultation in consultations])
    for consultation in consultations:
        consultation.stance_totals = totals[consultation.pk]
        consultation.response_count = consultation.stance_totals.responses
    return consultations


def response_bars(consultations: list[Consultation]) -> list[Bar]:
    longest = max((consultation.response_count for consultation in consultations), default=0)
    return [
        Bar(
            consultation=consultation,
            value=consultation.response_count,
            percent=round(100 * consultation.response_count / longest, 2) if longest else 0,
        )
        for consultation in consultations
    ]


def stance_rows(consultations: list[Consultation]) -> list[StanceRow]:
    """Stances coded in each consultation's responses on record (from `charted_consultations`)."""
    rows = []
    for consultation in consultations:
        per_stance = consultation.stance_totals.per_stance()
        total = sum(per_stance)
        row = StanceRow(consultation=consultation, total=total, counts=per_stance)
        offset = 0.0
        for stance, count in zip(Stance, per_stance, strict=True):
            if count and total:
                width = round(100 * count / total, 2)
                row.segments.append(
                    Segment(stance=stance.value, label=str(stance.label), count=count, offset=offset, percent=width)
                )
                offset = round(offset + width, 2)
        rows.append(row)
    return rows


def dashboard_context(user, *, now: datetime.datetime | None = None) -> dict:
    """What the start page shows this user; dates are read in their zone (the active one)."""
    now = now or timezone.now()
    zone = timezone.get_current_timezone()
    deadlines = list(
        Consultation.objects.closing_within_calendar_days(days=DEADLINE_WINDOW_DAYS, zone=zone, now=now)
        .select_related("issuer")
        .order_by("deadline", "pk")[:DEADLINES_SHOWN]
    )
    for consultation in deadlines:
        consultation.viewer_days_left = consultation.days_left(now, zone=zone)

    drafts = Response.objects.in_progress().owned_by(user)
    reviews = ReviewRequest.objects.waiting_for(user)
    charted = charted_consultations(now)
    return {
        "now": now,
        "deadline_window_days": DEADLINE_WINDOW_DAYS,
        "deadlines": deadlines,
        "upcoming_consultations": Consultation.objects.upcoming(now)
        .select_related("issuer")
        .order_by("opens_at", "pk")[:UPCOMING_SHOWN],
        "show_drafts": user.has_role(Role.POLICY_STAFF, Role.ADMIN),
        "my_drafts": drafts.select_related("consultation", "organisation").order_by("consultation__deadline", "pk")[
            :MY_ITEMS_SHOWN
        ],
        "my_draft_count": drafts.count(),
        "show_reviews": user.has_role(Role.REVIEWER, Role.ADMIN),
        "my_reviews": reviews.select_related("response__consultation", "response__organisation").order_by(
            "due_at", "pk"
        )[:MY_ITEMS_SHOWN],
        "my_review_count": reviews.count(),
        "recent_submissions": Response.objects.latest_on_record()
        .select_related("organisation", "consultation")
        .annotate(on=Coalesce("received_on", TruncDate("submitted_at")))[:RECENT_SHOWN],
        "response_bars": response_bars(charted),
        "stance_rows": stance_rows(charted),
        "stances": list(Stance),
    }
