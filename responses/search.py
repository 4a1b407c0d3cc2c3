"""Full-text search of responses.

On PostgreSQL each response carries a weighted `search_vector` built in its consultation's language
(Consultation.language -> 'english' or 'french'):

    A  the organisation's name, the response's summary
    B  the consultation's title
    C  the positions (summary and quote) and the answers
    D  the body and the text extracted from attachments

so that ranking puts a match in a name or summary above one found only deep in a body. The query
is parsed with each response's own configuration (a search across English and French
consultations matches either); the query language is described in stakeholders.search.

`refresh_response_vectors` recomputes vectors in one UPDATE computed in the database; every write
path schedules it after commit (`schedule_response_refresh`): model signals (responses.signals)
for ordinary saves and deletes, and explicit calls where rows change in bulk or by UPDATE (imports,
draft saves, text extraction). Other databases (SQLite, for `make run`) use a case-insensitive
containment search over the same fields instead.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchHeadline, SearchQueryField, SearchRank
from django.db import connection, models
from django.db.models import Case, Exists, F, FloatField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Concat, Left
from django.utils.safestring import SafeString

from consultations.models import DEFAULT_SEARCH_CONFIG, SEARCH_CONFIGS
from responses.models import Answer, Attachment, Position, Response
from stakeholders.search import (
    INDEX_TEXT_LIMIT,
    PREFIX_SEARCH_CONFIG,
    Matches,
    ParsedQuery,
    build_tsquery,
    containment_filter,
    contains_any,
    headline_options,
    on_commit_batched,
    parse_query,
    safe_headline,
    uses_postgres,
)

# ts_headline reads this much of a response's text at most: snippets come from the first pages.
HEADLINE_TEXT_LIMIT = 100_000
# The search page ranks at most this many matches, the most recently received (see `ranked_search`).
RANKED_LIMIT = 500


def _config_case_sql(column: str) -> tuple[str, list[str]]:
    """SQL choosing the regconfig of a consultation's language column, with its parameters."""
    whens, params = [], []
    for language, config in SEARCH_CONFIGS.items():
        whens.append("WHEN %s THEN %s")
        params += [str(language), config]
    return f"(CASE {column} {' '.join(whens)} ELSE %s END)::regconfig", [*params, DEFAULT_SEARCH_CONFIG]


def refresh_response_vectors(ids: Iterable[int] | None = None) -> int:
    """Recompute the search vectors of responses `ids` (all when None) in one UPDATE; returns the rows.

    Everything is computed in the database: subqueries aggregate the answers, positions and
    attachment texts of each response, in its consultation's text-search configuration.
    """
    if not uses_postgres():
        return 0
    from consultations.models import Consultation
    from stakeholders.models import Organisation

    config_sql, config_params = _config_case_sql("c.language")
    responses, answers = Response._meta.db_table, Answer._meta.db_table
    positions, attachments = Position._meta.db_table, Attachment._meta.db_table
    consultations, organisations = Consultation._meta.db_table, Organisation._meta.db_table

    def aggregated(expression: str, table: str, alias: str, condition: str = "") -> str:
        return (
            f"(SELECT string_agg({expression}, ' ' ORDER BY {alias}.id) FROM {table} {alias} "  # noqa: S608
            f"WHERE {alias}.response_id = r.id {condition})"
        )

    # Each text once, cut to what a tsvector can hold; (name, SQL, weight). Table and column names come
    # from the models and this code; every value is a parameter.
    texts = [
        ("organisation", "o.name", "A"),
        ("summary", "r.summary", "A"),
        ("title", "c.title", "B"),
        ("positions", aggregated("concat_ws(' ', p.summary, p.quote)", positions, "p"), "C"),
        ("answers", aggregated("a.text", answers, "a"), "C"),
        ("body", "r.body", "D"),
        # A deleted file's text is not searched (its response's vector is refreshed on delete and restore).
        ("attachments", aggregated("t.extracted_text", attachments, "t", "AND t.deleted_at IS NULL"), "D"),
    ]
    # Stemmed lexemes in the consultation's language for words and phrases, and the words as written
    # ('simple') for prefixes: "regulat*" must find "regulation", whose stem is "regul".
    vector = " || ".join(
        f"setweight(to_tsvector(cfg.config, txt.{name}) || to_tsvector('simple', txt.{name}), '{weight}')"
        for name, _sql, weight in texts
    )
    columns = ", ".join(f"left(coalesce({sql}, ''), %s) AS {name}" for name, sql, _weight in texts)
    where = ""
    params: list = [*config_params, *([INDEX_TEXT_LIMIT] * len(texts))]
    if ids is not None:
        ids = sorted({int(pk) for pk in ids})
        if not ids:
            return 0
        where = "WHERE r.id = ANY(%s)"
        params.append(ids)
    sql = f"""
        UPDATE {responses} AS target SET search_vector = computed.vector
        FROM (
            SELECT r.id, {vector} AS vector
            FROM {responses} AS r
            JOIN {consultations} AS c ON c.id = r.consultation_id
            JOIN {organisations} AS o ON o.id = r.organisation_id
            CROSS JOIN LATERAL (SELECT {config_sql} AS config) AS cfg
            CROSS JOIN LATERAL (SELECT {columns}) AS txt
            {where}
        ) AS computed
        WHERE target.id = computed.id
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def schedule_response_refresh(ids: Iterable[int | None]) -> None:
    """Refresh these responses' vectors once the current transaction commits (at once outside one)."""
    on_commit_batched("responses.responses", ids, refresh_response_vectors)


def refresh_vectors_of(*, consultation_ids: Iterable[int] = (), organisation_ids: Iterable[int] = ()) -> int:
    """Refresh every response to these consultations or from these organisations (a title or a name changed)."""
    consultation_ids, organisation_ids = list(consultation_ids), list(organisation_ids)
    if not (consultation_ids or organisation_ids) or not uses_postgres():
        return 0
    ids = Response.objects.filter(
        Q(consultation_id__in=consultation_ids) | Q(organisation_id__in=organisation_ids)
    ).values_list("pk", flat=True)
    return refresh_response_vectors(list(ids))


# --- Querying ---------------------------------------------------------------------------------------


def _per_language(parsed: ParsedQuery) -> Case:
    """The query parsed in each response's own configuration: the one its vector was built with."""
    return Case(
        *[
            When(consultation__language=language, then=build_tsquery(parsed, config))
            for language, config in SEARCH_CONFIGS.items()
        ],
        default=build_tsquery(parsed, DEFAULT_SEARCH_CONFIG),
        output_field=SearchQueryField(),
    )


def _config_of_row() -> Case:
    return Case(
        *[When(consultation__language=language, then=Value(config)) for language, config in SEARCH_CONFIGS.items()],
        default=Value(DEFAULT_SEARCH_CONFIG),
        output_field=models.TextField(),
    )


def _any_language(parsed: ParsedQuery):
    """The query in every configuration at once: a constant the GIN index can answer, before the exact test."""
    configs = sorted(set(SEARCH_CONFIGS.values()) | {DEFAULT_SEARCH_CONFIG})
    combined = build_tsquery(parsed, configs[0])
    for config in configs[1:]:
        combined = combined | build_tsquery(parsed, config)
    return combined


def search_responses(queryset: models.QuerySet, text: str) -> models.QuerySet:
    """`queryset` narrowed to the responses matching `text`, annotated with `rank`, best first.

    The public entry point (the search page, the API's ?search=). Empty or wordless text (only
    operators or punctuation) leaves the queryset unfiltered, newest first, with rank 0. On
    databases other than PostgreSQL a containment search stands in, with matches in the summary or
    the organisation's name first.
    """
    parsed = parse_query(text)
    if parsed.is_empty:
        return queryset.annotate(rank=Value(0.0, output_field=FloatField())).order_by("-created_at", "-pk")
    if uses_postgres():
        return (
            queryset.filter(Matches(F("search_vector"), _any_language(parsed)))
            .filter(Matches(F("search_vector"), _per_language(parsed)))
            .annotate(rank=SearchRank(F("search_vector"), _per_language(parsed), normalization=Value(1)))
            .order_by("-rank", "-created_at", "-pk")
        )
    return _containment_search(queryset, parsed)


@dataclass
class RankedSearch:
    ids: list[int]  # the matches, best first
    capped: bool  # more responses match than RANKED_LIMIT: `ids` ranks the most recently received


def ranked_search(queryset: models.QuerySet, text: str) -> RankedSearch:
    """The ids of the responses of `queryset` matching `text`, best first, for the search page, at a cost that
    does not grow with the number of matches.

    Ranking reads the whole search vector of each match (the index only says which rows match), and a
    common word matches most responses: so only the RANKED_LIMIT most recently received matches are ranked,
    found through the GIN index and the index of the responses' list order, in one query, and `capped`
    says there are more. Other databases rank as `search_responses` does.
    """
    parsed = parse_query(text)
    if parsed.is_empty or not uses_postgres():
        ids = list(search_responses(queryset, text).values_list("pk", flat=True)[: RANKED_LIMIT + 1])
        return RankedSearch(ids[:RANKED_LIMIT], capped=len(ids) > RANKED_LIMIT)
    candidates = list(
        queryset.filter(Matches(F("search_vector"), _any_language(parsed)))
        .newest_first()
        .values_list("pk", flat=True)[: RANKED_LIMIT + 1]
    )
    query = _per_language(parsed)
    ranked = (
        Response.objects.filter(pk__in=candidates[:RANKED_LIMIT])
        .filter(Matches(F("search_vector"), query))
        .annotate(rank=SearchRank(F("search_vector"), query, normalization=Value(1)))
        .order_by("-rank", "-created_at", "-pk")
        .values_list("pk", flat=True)
    )
    return RankedSearch(list(ranked), capped=len(candidates) > RANKED_LIMIT)


def _containment_search(queryset: models.QuerySet, parsed: ParsedQuery) -> models.QuerySet:
    def condition_for(term: str) -> Q:
        related = [
            Answer.objects.filter(response=OuterRef("pk"), text__icontains=term),
            Position.objects.filter(Q(summary__icontains=term) | Q(quote__icontains=term), response=OuterRef("pk")),
            Attachment.objects.filter(response=OuterRef("pk"), extracted_text__icontains=term),
        ]
        condition = contains_any(["summary", "body", "organisation__name", "consultation__title"], term)
        for rows in related:
            condition |= Q(Exists(rows))
        return condition

    positive = parsed.positive_terms()
    prominent = contains_any(["summary", "organisation__name"], positive[0].text) if positive else Q(pk__in=[])
    return (
        queryset.filter(containment_filter(parsed, condition_for))
        .annotate(rank=Case(When(prominent, then=Value(1.0)), default=Value(0.0), output_field=FloatField()))
        .order_by("-rank", "-created_at", "-pk")
    )


def _text_subquery(model: type[models.Model], expression) -> Subquery:
    rows = (
        model.objects.filter(response=OuterRef("pk"))
        .order_by()
        .values("response")
        .annotate(text=StringAgg(expression, " "))
        .values("text")
    )
    return Subquery(rows, output_field=models.TextField())


def headlines(ids: Iterable[int], text: str) -> dict[int, SafeString]:
    """Snippets of responses `ids` around what `text` matches, as safe HTML with <mark>; one query.

    Computed for a page of results only: ts_headline reads the text, which the index does not.
    """
    ids = list(ids)
    parsed = parse_query(text)
    if not ids or parsed.is_empty or not uses_postgres():
        return {}
    empty = Value("", output_field=models.TextField())
    document = Left(
        Concat(
            Coalesce("summary", empty),
            Value(" \n "),
            Coalesce(
                _text_subquery(Position, Concat("summary", Value(" "), "quote", output_field=models.TextField())), empty
            ),
            Value(" \n "),
            Coalesce(_text_subquery(Answer, "text"), empty),
            Value(" \n "),
            Coalesce("body", empty),
            Value(" \n "),
            Coalesce(_text_subquery(Attachment, "extracted_text"), empty),
            output_field=models.TextField(),
        ),
        HEADLINE_TEXT_LIMIT,
    )
    if parsed.has_prefix:
        # Prefixes match words as written: mark them in the text read as written too (stems are then unmarked).
        query, config = build_tsquery(parsed, PREFIX_SEARCH_CONFIG), Value(PREFIX_SEARCH_CONFIG)
    else:
        query, config = _per_language(parsed), _config_of_row()
    rows = (
        Response.objects.filter(pk__in=ids)
        .annotate(snippet=SearchHeadline(document, query, config=config, **headline_options()))
        .values_list("pk", "snippet")
    )
    return {pk: safe_headline(snippet) for pk, snippet in rows}
