"""Synthetic data at production scale, for the benchmarks (`manage.py seed_synthetic`, `make bench`).

What it makes, for N responses (defaults scale with N; 200,000 gives the figures of issue 10):

- N / 10 organisations (20,000), of every kind, from 40 countries, with a contact for one in five;
- N / 100 consultations (2,000), each with 6 to 8 topics and 9 or 10 questions, deadlines spread from two
  years ago to three months ahead (so every tab of the list has rows), owned and watched by the bench users,
  each inviting ten organisations;
- one consultation, `LARGEST_SLUG`, with 5,000 responses (or N / 4 when N is small): the one whose page
  and stance matrix are measured; the others share the rest unevenly (a few large, many small);
- per response: about 5 coded positions and 8 answers, and some 3 KB of text in all (summary, answers,
  position quotes), in English with some French;
- campaigns: about 8% of the responses are near-identical letters from one of five campaigns (the same
  wording with the organisation's name and a sentence or two changed), as real consultations get.

Rows go in through PostgreSQL's COPY (psycopg2's copy_expert), one buffer per table and batch of
responses, with ids assigned here and the identity sequences moved past them at the end; nothing is
read back. Historical records (simple_history) are not generated: the history pages of synthetic rows
simply start empty. Deterministic for a given seed.
"""

import datetime
import io
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable

from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from consultations.models import topic_name_key

LARGEST_SLUG = "synthetic-largest-consultation"
LARGEST_SIZE = 5000
BATCH = 5000  # responses per COPY round
STANCES = ["strongly_supports", "supports", "neutral", "opposes", "strongly_opposes", "not_addressed"]
STANCE_WEIGHTS = [10, 30, 20, 22, 10, 8]
KINDS = ["company", "industry_association", "ngo", "government", "regulator", "intergovernmental", "academia"]
KINDS += ["individual", "other"]
COUNTRIES = [
    "FR",
    "DE",
    "GB",
    "US",
    "CN",
    "JP",
    "IN",
    "BR",
    "ZA",
    "NG",
    "KE",
    "EG",
    "AE",
    "SA",
    "ES",
    "IT",
    "NL",
    "BE",
    "SE",
    "NO",
    "FI",
    "DK",
    "PL",
    "CZ",
    "AT",
    "CH",
    "IE",
    "PT",
    "GR",
    "TR",
    "RU",
    "UA",
    "CA",
    "MX",
    "AR",
    "CL",
    "CO",
    "AU",
    "NZ",
    "SG",
]

SUBJECTS = [
    "online safety",
    "data protection",
    "platform accountability",
    "spectrum allocation",
    "cross-border data flows",
    "artificial intelligence",
    "child online protection",
    "cybersecurity certification",
    "digital identity",
    "network neutrality",
    "content moderation",
    "interoperability",
    "open banking",
    "electronic communications",
    "copyright in the digital single market",
    "broadband universal service",
]
BODIES = ["Ministry", "Commission", "Authority", "Council", "Agency", "Office", "Regulator", "Working Group"]
ORG_FIRST = [
    "Global",
    "European",
    "National",
    "Open",
    "Digital",
    "United",
    "Pacific",
    "Northern",
    "Atlantic",
    "Civic",
    "Alliance for",
    "Centre for",
    "Institute of",
    "Coalition for",
    "Friends of",
    "Foundation for",
]
ORG_SECOND = [
    "Internet",
    "Telecom",
    "Media",
    "Privacy",
    "Rights",
    "Consumers",
    "Innovation",
    "Networks",
    "Software",
    "Broadcasting",
    "Payments",
    "Children",
    "Open Source",
    "Publishers",
    "Mobile",
    "Cloud",
    "Security",
    "Education",
    "Health Data",
    "Democracy",
]
ORG_THIRD = ["Association", "Group", "Ltd", "Federation", "Network", "Society", "Forum", "Initiative", "Council", "Lab"]

COPIED_TABLES = [
    "stakeholders_organisation",
    "stakeholders_contact",
    "consultations_consultation",
    "consultations_topic",
    "consultations_question",
    "consultations_invitation",
    "consultations_consultation_owners",
    "consultations_consultation_watchers",
    "responses_response",
    "responses_position",
    "responses_answer",
]

SENTENCES = [
    "We welcome the opportunity to respond to this consultation and support its overall objectives.",
    "A multi-stakeholder model of coordination has served the sector well and should be preserved.",
    "Aligning the existing global initiatives would avoid duplicated work and reduce the burden on smaller members.",
    "Prescriptive reporting mandates would not fit the variety of services concerned; flexibility is essential.",
    "Legislation must not be used to gain broad access to user metadata or to impose censorship.",
    "Building national capacity, especially in developing countries, should be the first priority.",
    "The proposed timeline is too short for operators to adapt their systems and train their staff.",
    "We ask the authority to publish an impact assessment before any binding measure is adopted.",
    "Obligations should be proportionate to the size of the service and to the risks it actually presents.",
    "Our members already invest heavily in detection tools and would welcome clearer legal certainty.",
    "The definitions in section 2 are ambiguous and could capture services that were never intended.",
    "Independent oversight, with transparent reporting to parliament, is a precondition of public trust.",
    "We support the principle but oppose the sanctions regime, which is disproportionate as drafted.",
    "Cross-border cooperation between regulators must be strengthened, with clear lines of responsibility.",
    "Small and medium-sized enterprises need guidance, templates and a longer transition period.",
    "Encryption is vital to the security of users and must not be weakened by any technical mandate.",
    "The evidence base cited in the consultation paper is out of date and should be refreshed.",
    "We would be pleased to meet the working group to discuss these points in more detail.",
    "Data minimisation and purpose limitation should apply to every new processing obligation.",
    "The consultation rightly identifies the gap in redress mechanisms for individual users.",
    "Nous soutenons une coordination multipartite, à condition qu'elle reste légère et transparente.",
    "Les obligations de signalement doivent rester proportionnées à la taille du service concerné.",
    "Nous demandons une évaluation d'impact publiée avant toute mesure contraignante.",
    "Technical standards should be developed in open, consensus-based bodies rather than set by regulation.",
    "Users with disabilities must be consulted on the accessibility of the proposed reporting tools.",
    "We recommend a review clause after three years, informed by data collected from the start.",
]
CAMPAIGNS = [
    (
        "Protect encryption",
        "As a member of the Protect Encryption campaign, {org} urges you to withdraw the scanning mandate. "
        "Weakening end-to-end encryption would expose every user to criminals and hostile states. "
        "Safety and privacy are not opposites: strong encryption protects children too. ",
    ),
    (
        "Fair platforms",
        "{org} joins the Fair Platforms coalition in calling for binding transparency duties on the largest "
        "platforms, independent audits of their recommender systems, and a right of appeal for every user. ",
    ),
    (
        "Connect rural communities",
        "We, {org}, support the Connect Rural Communities letter: universal service funds should finance "
        "broadband in areas the market will not reach, with open access for local providers. ",
    ),
    (
        "Kids first online",
        "{org} supports Kids First Online. Age-appropriate design must be the default, reporting must be simple, "
        "and companies must answer for the risks their services create for children. ",
    ),
    (
        "Open standards now",
        "On behalf of {org}, we endorse the Open Standards Now statement: public procurement and interoperability "
        "rules should require open, royalty-free standards wherever they exist. ",
    ),
]


def _copy_safe(text: str) -> str:
    """Text for COPY's text format: backslashes, tabs and line breaks escaped."""
    return text.replace("\\", "\\\\").replace("\t", " ").replace("\r", "").replace("\n", "\\n")


class _Texts:
    """Pools of pre-composed, COPY-escaped texts, drawn from at random: composing 3 KB of prose per response
    for 200,000 responses would cost more than writing them."""

    def __init__(self, rng: random.Random) -> None:
        def paragraph(low: int, high: int) -> str:
            return " ".join(rng.sample(SENTENCES, rng.randint(low, high)))

        self.summaries = [_copy_safe(paragraph(3, 5)) for _ in range(1500)]
        self.answers = [_copy_safe(paragraph(2, 3) + "\n\n" + paragraph(1, 2)) for _ in range(4000)]
        self.quotes = [_copy_safe(paragraph(1, 2)) for _ in range(2000)]
        self.position_summaries = [_copy_safe(rng.choice(SENTENCES))[:200] for _ in range(200)]


def _copy(cursor, table: str, columns: Iterable[str], buffer: io.StringIO) -> None:
    buffer.seek(0)
    quoted = ", ".join(f'"{column}"' for column in columns)
    cursor.copy_expert(f"COPY {table} ({quoted}) FROM STDIN", buffer)


def _next_id(cursor, table: str) -> int:
    cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608
    return cursor.fetchone()[0]


def _move_sequence(cursor, table: str) -> None:
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1))"  # noqa: S608
    )


def _share_out(rng: random.Random, total: int, buckets: int, cap: int) -> list[int]:
    """`total` responses over `buckets` consultations, unevenly (a long tail), none above `cap`."""
    if buckets == 0:
        return []
    weights = [1 / (rank + 1) ** 0.7 for rank in range(buckets)]
    rng.shuffle(weights)
    counts = Counter(rng.choices(range(buckets), weights=weights, k=total))
    sizes = [min(counts[index], cap) for index in range(buckets)]
    deficit = total - sum(sizes)
    index = 0
    while deficit > 0:
        if sizes[index % buckets] < cap:
            sizes[index % buckets] += 1
            deficit -= 1
        index += 1
    return sizes


def seed_synthetic(
    *,
    responses: int,
    organisations: int | None = None,
    consultations: int | None = None,
    seed: int = 10,
    report: Callable[[str], None] = lambda line: None,
) -> dict:
    """Write the synthetic data set; returns what was made (counts and seconds). PostgreSQL only."""
    if connection.vendor != "postgresql":
        raise RuntimeError("seed_synthetic writes through PostgreSQL's COPY; point DATABASE_URL at PostgreSQL.")
    from accounts.models import User
    from accounts.roles import Role
    from consultations.models import Consultation
    from responses.search import refresh_response_vectors
    from stakeholders.search import refresh_organisation_vectors

    if Consultation.objects.filter(slug=LARGEST_SLUG).exists():
        raise RuntimeError("This database already holds synthetic data; seed a fresh database.")

    started = time.perf_counter()

    def progress(line: str) -> None:
        report(f"{time.perf_counter() - started:7.1f} s  {line}")

    rng = random.Random(seed)  # noqa: S311  (benchmark data, not security)
    texts = _Texts(rng)
    organisations = organisations or max(50, responses // 10)
    consultations = consultations or max(4, responses // 100)
    largest = min(LARGEST_SIZE, max(1, responses // 4), organisations)
    per_consultation_cap = min(organisations, max(largest - 1, 1))
    sizes = [largest, *_share_out(rng, responses - largest, consultations - 1, per_consultation_cap)]
    now = timezone.now()

    with transaction.atomic():
        team = _bench_team(User, Role)
        with connection.cursor() as django_cursor:
            cursor = django_cursor.cursor  # the psycopg2 cursor, for copy_expert
            org_ids = _organisations(cursor, rng, organisations, now)
            progress(f"{organisations} organisations")
            plan = _consultations(cursor, rng, sizes, org_ids, team, now)
            progress(f"{consultations} consultations with their topics, questions and invitations")
            made = _responses(cursor, rng, texts, plan, org_ids, now, progress)
            for table in COPIED_TABLES:
                _move_sequence(cursor, table)
        # COPY sends no signal: index everything for full-text search, as every other write path does.
        refresh_organisation_vectors()
        refresh_response_vectors()
        progress("search vectors of every organisation and response")
    # As autovacuum would in time: statistics for the planner, and the visibility map for index-only scans.
    with connection.cursor() as cursor:
        for table in COPIED_TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    progress("vacuumed and analyzed")
    return {
        "responses": responses,
        "organisations": organisations,
        "consultations": consultations,
        "largest_consultation": LARGEST_SLUG,
        "largest_size": largest,
        **made,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _bench_team(User, Role) -> list[int]:
    """Three policy staff who own and watch the synthetic consultations (the reminder scan's recipients)."""
    from django.contrib.auth.models import Group

    group = Group.objects.get(name=Role.POLICY_STAFF.value)
    ids = []
    for number in range(1, 4):
        user, created = User.objects.get_or_create(
            username=f"synthetic-staff-{number}",
            defaults={"email": f"synthetic-staff-{number}@example.org", "first_name": f"Staff {number}"},
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        user.groups.add(group)
        ids.append(user.pk)
    return ids


def _organisations(cursor, rng: random.Random, count: int, now: datetime.datetime) -> list[int]:
    first = _next_id(cursor, "stakeholders_organisation")
    contact_id = _next_id(cursor, "stakeholders_contact")
    orgs, contacts = io.StringIO(), io.StringIO()
    stamp = now.isoformat()
    ids = list(range(first, first + count))
    for org_id in ids:
        name = f"{rng.choice(ORG_FIRST)} {rng.choice(ORG_SECOND)} {rng.choice(ORG_THIRD)} {org_id}"
        kind = rng.choice(KINDS)
        country = rng.choice(COUNTRIES)
        slug = f"syn-{slugify(name)}"
        website = f"https://{slug}.example.org"
        orgs.write(f"{org_id}\t{name}\t{slug}\t{kind}\t{country}\t{website}\t\t\t{stamp}\t{stamp}\t\\N\n")
        if rng.random() < 0.2:
            contacts.write(
                f"{contact_id}\t{org_id}\tContact {org_id}\tcontact{org_id}@{slug}.example.org\tPolicy lead\tf\t{stamp}\n"
            )
            contact_id += 1
    _copy(
        cursor,
        "stakeholders_organisation",
        [
            "id",
            "name",
            "slug",
            "kind",
            "country",
            "website",
            "transparency_register_id",
            "notes",
            "created_at",
            "updated_at",
            "parent_id",
        ],
        orgs,
    )
    _copy(
        cursor,
        "stakeholders_contact",
        ["id", "organisation_id", "name", "email", "role", "opted_out", "created_at"],
        contacts,
    )
    return ids


def _consultations(cursor, rng, sizes: list[int], org_ids: list[int], team: list[int], now) -> list[dict]:
    """One row per consultation, with its topics, questions, owners, watchers and invitations; returns the
    plan the responses follow (ids of topics and questions, window, size)."""
    consultation_id = _next_id(cursor, "consultations_consultation")
    topic_id = _next_id(cursor, "consultations_topic")
    question_id = _next_id(cursor, "consultations_question")
    invitation_id = _next_id(cursor, "consultations_invitation")
    rows, topics, questions, owners, watchers, invitations = (io.StringIO() for _ in range(6))
    owner_id = _next_id(cursor, "consultations_consultation_owners")
    watcher_id = _next_id(cursor, "consultations_consultation_watchers")
    issuers = rng.sample(org_ids, min(len(org_ids), 150))
    plan = []
    stamp = now.isoformat()
    for index, size in enumerate(sizes):
        subject = rng.choice(SUBJECTS)
        title = f"{rng.choice(BODIES)} consultation on {subject} ({2024 + index % 3}/{index + 1})"
        slug = LARGEST_SLUG if index == 0 else f"syn-{slugify(title)[:80]}-{consultation_id}"
        if index == 0:
            title = f"Call for evidence on {subject}: the largest consultation"
            deadline = now + datetime.timedelta(days=5)  # open, closing soon: reminders are due
        else:
            deadline = now + datetime.timedelta(days=rng.randint(-730, 90), hours=rng.randint(0, 23))
        opens_at = deadline - datetime.timedelta(days=rng.randint(45, 90))
        summary = _copy_safe(" ".join(rng.sample(SENTENCES, 3)))
        rows.write(
            f"{consultation_id}\t{title}\t{slug}\tREF-{consultation_id:05d}\thttps://consult.example.org/{slug}\t"
            f"{summary}\t{opens_at.isoformat()}\t{deadline.isoformat()}\tEurope/Brussels\tf\t{stamp}\t{stamp}\t"
            f"{rng.choice(issuers)}\tf\t{'t' if index % 7 == 0 else 'f'}\t\t1\ten\n"
        )
        topic_ids = []
        for order in range(rng.randint(6, 8)):
            name = f"{SUBJECTS[(index + order) % len(SUBJECTS)].capitalize()} {order + 1}"
            topics.write(f"{topic_id}\t{name}\t{slugify(name)}\t\t{order}\t{consultation_id}\t{topic_name_key(name)}\n")
            topic_ids.append(topic_id)
            topic_id += 1
        question_ids = []
        for order in range(rng.randint(9, 10)):
            text = _copy_safe(f"Question {order + 1}: " + rng.choice(SENTENCES).replace(".", "?"))
            questions.write(f"{question_id}\t{order + 1}\t{text}\t{order}\t{consultation_id}\n")
            question_ids.append(question_id)
            question_id += 1
        owner = team[index % len(team)]
        owners.write(f"{owner_id}\t{consultation_id}\t{owner}\n")
        owner_id += 1
        watchers.write(f"{watcher_id}\t{consultation_id}\t{team[(index + 1) % len(team)]}\n")
        watcher_id += 1
        for organisation in rng.sample(org_ids, min(10, len(org_ids))):
            invitations.write(f"{invitation_id}\t{stamp}\t\t{consultation_id}\t{organisation}\n")
            invitation_id += 1
        plan.append(
            {
                "id": consultation_id,
                "size": size,
                "topics": topic_ids,
                "questions": question_ids,
                "opens": opens_at.date(),
                "deadline": deadline.date(),
            }
        )
        consultation_id += 1
    _copy(
        cursor,
        "consultations_consultation",
        [
            "id",
            "title",
            "slug",
            "reference",
            "url",
            "summary",
            "opens_at",
            "deadline",
            "time_zone",
            "published",
            "created_at",
            "updated_at",
            "issuer_id",
            "approval_needs_resolved_threads",
            "remind_invited_contacts",
            "reminder_offsets",
            "required_approvals",
            "language",
        ],
        rows,
    )
    _copy(
        cursor,
        "consultations_topic",
        ["id", "name", "slug", "description", "order", "consultation_id", "name_key"],
        topics,
    )
    _copy(cursor, "consultations_question", ["id", "number", "text", "order", "consultation_id"], questions)
    _copy(cursor, "consultations_consultation_owners", ["id", "consultation_id", "user_id"], owners)
    _copy(cursor, "consultations_consultation_watchers", ["id", "consultation_id", "user_id"], watchers)
    _copy(
        cursor,
        "consultations_invitation",
        ["id", "invited_at", "note", "consultation_id", "organisation_id"],
        invitations,
    )
    return plan


def _responses(cursor, rng, texts: _Texts, plan: list[dict], org_ids: list[int], now, report) -> dict:
    response_id = _next_id(cursor, "responses_response")
    position_id = _next_id(cursor, "responses_position")
    answer_id = _next_id(cursor, "responses_answer")
    made = Counter()
    buffers = {name: io.StringIO() for name in ("responses", "positions", "answers")}
    pending = 0
    campaign_letters = [(name, _copy_safe(text)) for name, text in CAMPAIGNS]

    def flush() -> None:
        _copy(
            cursor,
            "responses_response",
            [
                "id",
                "status",
                "channel",
                "received_on",
                "submitted_at",
                "summary",
                "body",
                "version",
                "created_at",
                "updated_at",
                "consultation_id",
                "organisation_id",
                "owner_id",
                "kept_out_of_campaigns",
            ],
            buffers["responses"],
        )
        _copy(
            cursor,
            "responses_position",
            ["id", "stance", "summary", "quote", "topic_id", "response_id"],
            buffers["positions"],
        )
        _copy(cursor, "responses_answer", ["id", "text", "question_id", "response_id"], buffers["answers"])
        for name in buffers:
            buffers[name] = io.StringIO()

    channels = ["email", "email", "portal", "portal", "web_form", "letter"]
    for consultation in plan:
        window = max((min(consultation["deadline"], now.date()) - consultation["opens"]).days, 1)
        topics, questions = consultation["topics"], consultation["questions"]
        position_chance = 5 / len(topics)
        answer_chance = 8 / len(questions)
        for organisation in rng.sample(org_ids, consultation["size"]):
            received = consultation["opens"] + datetime.timedelta(days=rng.randrange(window))
            created = datetime.datetime.combine(received, datetime.time(9), tzinfo=datetime.UTC)
            created += datetime.timedelta(minutes=rng.randrange(600))
            campaign = rng.random() < 0.08
            if campaign:
                name, letter = rng.choice(campaign_letters)
                summary = letter.format(org=f"Organisation {organisation}") + rng.choice(texts.quotes)
                made[f"campaign: {name}"] += 1
            else:
                summary = rng.choice(texts.summaries)
            buffers["responses"].write(
                f"{response_id}\treceived\t{rng.choice(channels)}\t{received.isoformat()}\t\\N\t{summary}\t\t1\t"
                f"{created.isoformat()}\t{created.isoformat()}\t{consultation['id']}\t{organisation}\t\\N\tf\n"
            )
            for topic in topics:
                if rng.random() < position_chance:
                    stance = rng.choices(STANCES, weights=STANCE_WEIGHTS)[0]
                    buffers["positions"].write(
                        f"{position_id}\t{stance}\t{rng.choice(texts.position_summaries)}\t"
                        f"{rng.choice(texts.quotes)}\t{topic}\t{response_id}\n"
                    )
                    position_id += 1
                    made["positions"] += 1
            for question in questions:
                if rng.random() < answer_chance:
                    text = letter.format(org="we") if campaign and rng.random() < 0.5 else rng.choice(texts.answers)
                    buffers["answers"].write(f"{answer_id}\t{text}\t{question}\t{response_id}\n")
                    answer_id += 1
                    made["answers"] += 1
            response_id += 1
            pending += 1
            made["responses_written"] += 1
            if pending >= BATCH:
                flush()
                pending = 0
                report(f"{made['responses_written']} responses")
    if pending:
        flush()
    made["campaign_letters"] = sum(count for key, count in made.items() if key.startswith("campaign: "))
    return dict(made)
