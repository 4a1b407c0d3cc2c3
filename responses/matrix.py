"""The stance matrix's aggregates, cached: counts per stance and topic, how many responses, which countries.

A consultation with thousands of responses would otherwise count them on every view of its matrix (and of
the dashboard, which charts the same figures for several consultations: `totals_of`). The
aggregates are kept in Django's cache (Redis in production, see CACHE_URL) under a key that carries a
"generation" of the consultation; any change that can alter them calls `forget(consultation_id)`, which
starts a new generation, so a stale figure is never served:

- saving or deleting a Position or a Response (signals, connected in ResponsesConfig.ready);
- status changes and imports made with UPDATE or bulk inserts (which send no signal): their services call
  `forget` themselves;
- campaigns recomputed, or a member split out or made representative (responses.campaigns calls `forget`);
- an organisation edited, merged or deleted (its kind or country may move it in or out of a filter): every
  consultation's generation is renewed at once through a global generation.

Entries also expire after MATRIX_CACHE_SECONDS as a backstop.
"""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count

from responses.models import Position, Response, Stance

GLOBAL_KEY = "matrix:generation"


def _generation_key(consultation_id: int) -> str:
    return f"matrix:generation:{consultation_id}"


def forget(consultation_id: int | None = None) -> None:
    """Make the cached aggregates of one consultation (or, with None, of every consultation) stale."""
    cache.set(GLOBAL_KEY if consultation_id is None else _generation_key(consultation_id), uuid.uuid4().hex, None)


@dataclass(frozen=True)
class MatrixTotals:
    responses: int  # responding rows matching the filters
    counts: dict[tuple[int, str], int]  # (topic id, stance) -> positions
    countries: list[str]  # ISO codes of the responding organisations, whatever the filters

    def count_rows(self, topics: list) -> list[tuple[Stance, list[int]]]:
        return [(stance, [self.counts.get((topic.pk, stance.value), 0) for topic in topics]) for stance in Stance]

    def per_stance(self) -> list[int]:
        """Positions per stance over every topic, in the order of the scale."""
        return [sum(n for (_topic, stance), n in self.counts.items() if stance == value) for value in Stance.values]

    def not_coded(self, topics: list) -> list[int]:
        coded = [sum(self.counts.get((topic.pk, stance.value), 0) for stance in Stance) for topic in topics]
        return [self.responses - number for number in coded]


def responded_to(consultation_id: int, *, kind: str = "", country: str = "", collapsed: bool = False):
    """The matrix's rows: responses that reached the issuer, narrowed to organisations of a kind or country;
    `collapsed`, each campaign once, through its representative."""
    rows = Response.objects.filter(consultation_id=consultation_id).responded()
    if collapsed:
        rows = rows.campaigns_collapsed()
    if kind:
        rows = rows.filter(organisation__kind=kind)
    if country:
        rows = rows.filter(organisation__country=country)
    return rows


def _key(consultation_id: int, generations: dict, *, kind: str = "", country: str = "", collapsed: bool = False) -> str:
    return ":".join(
        [
            "matrix:totals",
            str(consultation_id),
            generations.get(GLOBAL_KEY, "0"),
            generations.get(_generation_key(consultation_id), "0"),
            kind,
            country,
            "collapsed" if collapsed else "all",
        ]
    )


def _generations(consultation_ids) -> dict:
    return cache.get_many([GLOBAL_KEY, *(_generation_key(pk) for pk in consultation_ids)])


def totals(consultation_id: int, *, kind: str = "", country: str = "", collapsed: bool = False) -> MatrixTotals:
    """The aggregates of one consultation's matrix under these filters, from the cache when they are there."""
    if not (kind or country or collapsed):
        return totals_of([consultation_id])[consultation_id]
    key = _key(consultation_id, _generations([consultation_id]), kind=kind, country=country, collapsed=collapsed)
    found = cache.get(key)
    if found is not None:
        return found
    rows = responded_to(consultation_id, kind=kind, country=country, collapsed=collapsed)
    counts = {
        (row["topic_id"], row["stance"]): row["number"]
        for row in Position.objects.filter(response__in=rows.values("pk"))
        .values("topic_id", "stance")
        .annotate(number=Count("pk"))
        .order_by()
    }
    found = MatrixTotals(
        responses=rows.count(), counts=counts, countries=totals_of([consultation_id])[consultation_id].countries
    )
    cache.set(key, found, settings.MATRIX_CACHE_SECONDS)
    return found


def totals_of(consultation_ids) -> dict[int, MatrixTotals]:
    """{consultation id: the aggregates of its whole matrix}, from the cache; those missing are counted
    together, in two queries whatever their number (the dashboard charts several consultations)."""
    consultation_ids = list(dict.fromkeys(consultation_ids))
    generations = _generations(consultation_ids)
    keys = {pk: _key(pk, generations) for pk in consultation_ids}
    cached = cache.get_many(list(keys.values()))
    found = {pk: cached[key] for pk, key in keys.items() if key in cached}
    missing = [pk for pk in consultation_ids if pk not in found]
    if not missing:
        return found
    rows = Response.objects.filter(consultation_id__in=missing).responded()
    responses = dict.fromkeys(missing, 0)
    countries: dict[int, list[str]] = {pk: [] for pk in missing}
    # Counted by country: the sums are the responses, the countries those found (in one query).
    for consultation_id, country, number in (
        rows.values_list("consultation_id", "organisation__country")
        .annotate(number=Count("pk"))
        .order_by("consultation_id", "organisation__country")
    ):
        responses[consultation_id] += number
        if country:
            countries[consultation_id].append(country)
    counts: dict[int, dict[tuple[int, str], int]] = {pk: {} for pk in missing}
    for consultation_id, topic_id, stance, number in (
        Position.objects.filter(response__in=rows.values("pk"))
        .values_list("response__consultation_id", "topic_id", "stance")
        .annotate(number=Count("pk"))
        .order_by()
    ):
        counts[consultation_id][(topic_id, stance)] = number
    computed = {pk: MatrixTotals(responses=responses[pk], counts=counts[pk], countries=countries[pk]) for pk in missing}
    cache.set_many({keys[pk]: entry for pk, entry in computed.items()}, settings.MATRIX_CACHE_SECONDS)
    return found | computed


def on_response_change(sender, instance: Response, **kwargs) -> None:
    forget(instance.consultation_id)


def on_position_change(sender, instance: Position, **kwargs) -> None:
    # The response is in hand wherever positions are coded (no query); a lone position fetches it.
    forget(instance.response.consultation_id)


def on_organisation_change(sender, **kwargs) -> None:
    forget(None)
