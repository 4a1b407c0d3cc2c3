"""Full-text search of organisations, and the search machinery that responses builds on.

The query language (shared with the search of responses): words must all appear; "a phrase" in
double quotes; `or` between words for either; `-word` for without; a trailing `*` on a word for any
word starting so (`regulat*`). Everything else a user types (operators such as & | ! <-> :*,
backslashes, stray quotes, SQL) is read as plain text: the tsquery is always built by PostgreSQL
from parameters (websearch_to_tsquery, or to_tsquery of a quote_literal'd word for prefixes), never
by pasting user input into SQL or into tsquery syntax.

On PostgreSQL organisations carry a weighted `search_vector` (name A, aliases B, notes D) with the
'simple' configuration: names are not stemmed. Other databases (SQLite for `make run`) fall back to
a case-insensitive containment search over the same fields.
"""

import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection, migrations, models, transaction
from django.db.models import BooleanField, Case, Exists, F, Func, OuterRef, Q, TextField, Value, When
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Longest query read, and most terms in it: beyond that the rest is ignored (a pasted page is not a query).
MAX_QUERY_LENGTH = 500
MAX_TERMS = 32
# Text beyond this many characters of one field is not indexed (a tsvector holds at most 1 MB).
INDEX_TEXT_LIMIT = 300_000
ORGANISATION_SEARCH_CONFIG = "simple"
PREFIX_SEARCH_CONFIG = "simple"

_TOKEN = re.compile(r'(?P<neg>-?)"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+)')
_WORD_CHARACTER = re.compile(r"\w")
_PREFIX_WORD = re.compile(r"^\w+$")


@dataclass(frozen=True)
class Term:
    text: str
    kind: str = "word"  # word, phrase or prefix
    negated: bool = False


@dataclass
class ParsedQuery:
    """A query as a list of alternatives (separated by `or`), each a list of terms that must all match."""

    text: str
    groups: list[list[Term]] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not any(self.groups)

    @property
    def only_negations(self) -> bool:
        return not self.is_empty and all(term.negated for group in self.groups for term in group)

    @property
    def has_prefix(self) -> bool:
        return any(term.kind == "prefix" for group in self.groups for term in group)

    def positive_terms(self) -> list[Term]:
        return [term for group in self.groups for term in group if not term.negated]


def parse_query(text: str) -> ParsedQuery:
    """Read what a user typed into terms; never raises, whatever the input."""
    text = (text or "").replace("\x00", " ").strip()[:MAX_QUERY_LENGTH]
    groups: list[list[Term]] = [[]]
    count = 0
    for match in _TOKEN.finditer(text):
        if count >= MAX_TERMS:
            break
        if match.group("word") is None:
            phrase = " ".join(match.group("phrase").split())
            if _WORD_CHARACTER.search(phrase):
                groups[-1].append(Term(phrase, "phrase", negated=bool(match.group("neg"))))
                count += 1
            continue
        word = match.group("word")
        if word.casefold() == "or":
            if groups[-1]:
                groups.append([])
            continue
        negated = word.startswith("-") and len(word) > 1
        if negated:
            word = word[1:]
        if not _WORD_CHARACTER.search(word):
            continue  # an operator or punctuation on its own: nothing to look for
        stem = word.rstrip("*")
        if stem != word and _PREFIX_WORD.match(stem):
            groups[-1].append(Term(stem, "prefix", negated=negated))
        else:
            groups[-1].append(Term(word, "word", negated=negated))
        count += 1
    return ParsedQuery(text=text, groups=[group for group in groups if group])


class _PrefixLexeme(Func):
    """`word` as a quoted tsquery lexeme with a prefix mark: quote_literal('word') || ':*'.

    The word is only letters, digits and underscores (see parse_query), and quote_literal quotes it
    anyway, so to_tsquery never sees user-written tsquery syntax.
    """

    template = "(quote_literal(%(expressions)s) || ':*')"
    output_field = TextField()


def term_query(term: Term, config: str) -> SearchQuery:
    if term.kind == "prefix":
        # Against the words as written (vectors hold them under 'simple' too): a stem may be shorter
        # than the prefix typed ("regulation" is stemmed "regul", which "regulat*" would miss).
        query = SearchQuery(_PrefixLexeme(Value(term.text)), search_type="raw", config=PREFIX_SEARCH_CONFIG)
    elif term.kind == "phrase":
        # A phrase has no double quote in it (parse_query split on them), so this is one quoted phrase.
        query = SearchQuery(f'"{term.text}"', search_type="websearch", config=config)
    else:
        query = SearchQuery(term.text, search_type="websearch", config=config)
    return ~query if term.negated else query


def build_tsquery(parsed: ParsedQuery, config: str):
    """The tsquery of `parsed` in one text-search configuration: OR of the groups, AND within each."""
    alternatives = []
    for group in parsed.groups:
        combined = None
        for term in group:
            query = term_query(term, config)
            combined = query if combined is None else combined & query
        alternatives.append(combined)
    result = alternatives[0]
    for alternative in alternatives[1:]:
        result = result | alternative
    return result


class Matches(Func):
    """vector @@ query, as a condition usable in filter()."""

    template = "(%(expressions)s)"
    arg_joiner = " @@ "
    output_field = BooleanField()
    conditional = True


# ts_headline wraps matches in these; the text is escaped, then they become <mark> and </mark>.
# Letters and digits only, so escaping leaves them alone; random, so no stored text contains them.
HEADLINE_START = f"hlstart{secrets.token_hex(6)}"
HEADLINE_STOP = f"hlstop{secrets.token_hex(6)}"


def safe_headline(text: str | None) -> SafeString:
    """A ts_headline result as safe HTML: the text escaped, the matches in <mark>."""
    escaped = escape(" ".join((text or "").split()))
    return mark_safe(escaped.replace(HEADLINE_START, "<mark>").replace(HEADLINE_STOP, "</mark>"))  # noqa: S308


def headline_options() -> dict:
    return {
        "start_sel": HEADLINE_START,
        "stop_sel": HEADLINE_STOP,
        "max_words": 35,
        "min_words": 15,
        "max_fragments": 2,
        "fragment_delimiter": " … ",
    }


def uses_postgres() -> bool:
    return connection.vendor == "postgresql"


class AddIndexOnPostgres(migrations.AddIndex):
    """A migration operation: an index made on PostgreSQL only. SQLite (make run) has no GIN index and cannot
    order an index's NULLs; it keeps the fields and reads without the index."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def contains_any(fields: Iterable[str], text: str) -> Q:
    condition = Q()
    for name in fields:
        condition |= Q(**{f"{name}__icontains": text})
    return condition


def containment_filter(parsed: ParsedQuery, condition_for: Callable[[str], Q]) -> Q:
    """The fallback search as one condition: each alternative's terms contained (or, negated, absent)."""
    result = Q()
    for group in parsed.groups:
        both = Q()
        for term in group:
            condition = condition_for(term.text)
            both &= ~condition if term.negated else condition
        result |= both
    return result


# --- Keeping vectors up to date ----------------------------------------------------------------


def on_commit_batched(key: str, ids: Iterable[int | None], callback: Callable[[set[int]], None]) -> None:
    """Call `callback(ids)` once the current transaction commits, with every id given under `key`
    until then: ten answers saved in one request refresh their response once. Outside a transaction
    the callback runs at once."""
    wanted = {int(pk) for pk in ids if pk is not None}
    if not wanted:
        return
    current = transaction.get_connection()
    if not current.in_atomic_block:
        callback(wanted)
        return
    # A batch still waiting for this commit takes the ids; one discarded by a rollback is gone from the list.
    for _savepoints, pending, _robust in current.run_on_commit:
        if getattr(pending, "batch_key", None) == key and not pending.done:
            pending.ids.update(wanted)
            return

    def run() -> None:
        run.done = True
        callback(run.ids)

    run.batch_key = key
    run.ids = wanted
    run.done = False
    transaction.on_commit(run)


def refresh_organisation_vectors(ids: Iterable[int] | None = None) -> int:
    """Recompute the search vectors of organisations `ids` (all when None) in one UPDATE; returns the rows."""
    if not uses_postgres():
        return 0
    from stakeholders.models import Organisation, OrganisationAlias

    organisations = Organisation._meta.db_table
    aliases = OrganisationAlias._meta.db_table
    sql = f"""
        UPDATE {organisations} AS o SET search_vector =
            setweight(to_tsvector(%(config)s::regconfig, coalesce(o.name, '')), 'A')
            || setweight(to_tsvector(%(config)s::regconfig, coalesce(
                (SELECT string_agg(a.name, ' ' ORDER BY a.id) FROM {aliases} a WHERE a.organisation_id = o.id), ''
            )), 'B')
            || setweight(to_tsvector(%(config)s::regconfig, left(coalesce(o.notes, ''), %(limit)s)), 'D')
    """  # noqa: S608 -- table names come from the models, values are parameters
    params: dict = {"config": ORGANISATION_SEARCH_CONFIG, "limit": INDEX_TEXT_LIMIT}
    if ids is not None:
        ids = list(ids)
        if not ids:
            return 0
        sql += " WHERE o.id = ANY(%(ids)s)"
        params["ids"] = ids
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        count = cursor.rowcount
    return count


def _refresh_and_announce(ids: set[int]) -> None:
    from stakeholders.signals import organisations_changed

    refresh_organisation_vectors(ids)
    # Responses index their organisation's name: they refresh theirs (a higher app listens).
    organisations_changed.send(sender=refresh_organisation_vectors, organisation_ids=ids)


def schedule_organisation_refresh(ids: Iterable[int | None]) -> None:
    """Refresh these organisations' vectors (and tell listeners) once the current transaction commits."""
    on_commit_batched("stakeholders.organisations", ids, _refresh_and_announce)


# --- The public function ---------------------------------------------------------------------------


def search_organisations(queryset: models.QuerySet, text: str) -> models.QuerySet:
    """`queryset` narrowed to organisations matching `text` (name, aliases, notes), annotated with
    `rank` and ordered by it, best first. Empty or wordless text returns the queryset unfiltered."""
    parsed = parse_query(text)
    if parsed.is_empty:
        return queryset.annotate(rank=Value(0.0, output_field=models.FloatField()))
    if uses_postgres():
        query = build_tsquery(parsed, ORGANISATION_SEARCH_CONFIG)
        return (
            queryset.filter(Matches(F("search_vector"), query))
            .annotate(rank=SearchRank(F("search_vector"), query))
            .order_by("-rank", "name", "pk")
        )
    from stakeholders.models import OrganisationAlias

    def condition_for(term: str) -> Q:
        aliases = OrganisationAlias.objects.filter(organisation=OuterRef("pk"), name__icontains=term)
        return contains_any(["name", "notes"], term) | Q(Exists(aliases))

    positive = parsed.positive_terms()
    prominent = Q(name__icontains=positive[0].text) if positive else Q(pk__in=[])
    return (
        queryset.filter(containment_filter(parsed, condition_for))
        .annotate(rank=Case(When(prominent, then=Value(1.0)), default=Value(0.0), output_field=models.FloatField()))
        .order_by("-rank", "name", "pk")
    )
