"""Hostile text (tests/hostile.py) typed into every form that takes text, then shown on every page.

Each form either keeps the text exactly as typed (less the surrounding white space Django's forms trim)
or refuses it with an error on the field, keeping what was typed; never a server error. Every page that
shows the text shows it as text: no element, attribute or link is made from it.
"""

import datetime
import itertools

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from consultations.models import Consultation
from responses import services
from responses.models import Comment, Position, Response, ResponseStatus, SavedSearch, Stance
from stakeholders.models import Contact, Organisation
from tests.factories import (
    AnswerFactory,
    ConsultationFactory,
    ContactFactory,
    NotificationFactory,
    OrganisationAliasFactory,
    OrganisationFactory,
    PositionFactory,
    QuestionFactory,
    ResponseFactory,
    TopicFactory,
)
from tests.hostile import BY_KEY, CORPUS, REFUSED, STORABLE, Hostile
from tests.hostile_checks import (
    assert_escaped_page,
    assert_no_markup_from_users,
    assert_shows_literally,
    flat,
    parse,
    shown_as,
)

pytestmark = pytest.mark.django_db

ENTRY_IDS = [entry.key for entry in CORPUS]


def typed(entry: Hostile) -> str:
    """What a form keeps of the entry: Django's text fields trim the white space around it."""
    return entry.text.strip()


def fits(entry: Hostile, limit: int) -> str:
    """The entry cut to a column's length, for data made directly rather than through a form."""
    return entry.text[:limit]


# --- A world full of hostile text -----------------------------------------------------------------


@pytest.fixture
def world(policy_user, reviewer_user, admin_user):
    """Every kind of record, each text field holding an entry of the corpus."""
    entries = STORABLE
    consultation = ConsultationFactory(
        title=fits(BY_KEY["imgerror"], 300),
        slug="hostile",
        reference=fits(BY_KEY["svgload"], 100),
        summary="\n\n".join(entry.text for entry in entries),
    )
    questions, topics, organisations, responses = [], [], [], []
    for index, entry in enumerate(entries, start=1):
        questions.append(QuestionFactory(consultation=consultation, number=str(index), text=entry.text, order=index))
        topics.append(
            TopicFactory(
                consultation=consultation,
                name=fits(entry, 200),
                slug=f"topic-{entry.key}",
                description=entry.text,
                order=index,
            )
        )
        organisation = OrganisationFactory(name=fits(entry, 255), slug=f"org-{entry.key}", notes=entry.text)
        OrganisationAliasFactory(organisation=organisation, name=fits(entry, 255))
        ContactFactory(organisation=organisation, name=fits(entry, 255), role=fits(entry, 255))
        organisations.append(organisation)
    for index, (entry, organisation) in enumerate(zip(entries, organisations, strict=True)):
        response = ResponseFactory(
            consultation=consultation, organisation=organisation, summary=entry.text, body=entry.text
        )
        AnswerFactory(response=response, question=questions[index], text=entry.text)
        PositionFactory(
            response=response,
            topic=topics[index],
            stance=list(Stance)[index % 5],
            summary=fits(entry, 500),
            quote=entry.text,
        )
        responses.append(response)
    ours = OrganisationFactory(name=fits(BY_KEY["script"], 255), slug="ours")
    draft = services.draft_create(
        consultation=consultation,
        organisation=ours,
        by=policy_user,
        summary=BY_KEY["mdlink"].text,
        body="\n\n".join(entry.text for entry in entries),
    )
    services.response_request_review(
        response=draft,
        by=policy_user,
        reviewers=[reviewer_user],
        due_at=timezone.now() + datetime.timedelta(days=2),
        note=fits(BY_KEY["svgload"], 1000),
    )
    for index, entry in enumerate(entries):
        thread = services.comment_add(
            response=draft, by=reviewer_user, body=entry.text, anchor_version=1, anchor_paragraph=index
        )
        services.comment_add(response=draft, by=policy_user, body=entry.text, parent=thread)
    services.response_decide(response=draft, by=reviewer_user, approve=False, reason=BY_KEY["cdata"].text)
    draft.refresh_from_db()
    services.draft_save(
        response=draft,
        by=policy_user,
        expected_version=draft.version,
        body=draft.body + "\n\n" + BY_KEY["template"].text,
        summary=draft.summary,
    )
    for entry in entries:
        SavedSearch.objects.create(owner=policy_user, name=fits(entry, 200), query=fits(entry, 500))
        NotificationFactory(recipient=policy_user, title=fits(entry, 255), body=entry.text)
    # A file's name and its extracted text come from outside too, as does what a webhook's receiver answers.
    from responses.models import ExtractionStatus
    from tests.factories import AttachmentFactory
    from webhooks.models import DeliveryStatus, Webhook, WebhookDelivery

    attachment = AttachmentFactory(
        response=responses[0],
        original_name=fits(BY_KEY["cdata"], 255),
        extracted_text="\n\n".join(entry.text for entry in entries),
        extraction_status=ExtractionStatus.DONE,
    )
    webhook = Webhook.objects.create(
        name=fits(BY_KEY["script"], 200), url="https://crm.example.org/hook", events=["response.submitted"], secret="s"
    )
    delivery = WebhookDelivery.objects.create(
        webhook=webhook,
        event="response.submitted",
        payload={"summary": BY_KEY["imgerror"].text},
        status=DeliveryStatus.FAILED,
        response_status=500,
        response_excerpt=BY_KEY["svgload"].text,
        error=BY_KEY["cdata"].text,
    )
    return {
        "consultation": consultation,
        "organisations": organisations,
        "responses": responses,
        "draft": Response.objects.get(pk=draft.pk),
        "topics": topics,
        "entries": entries,
        "attachment": attachment,
        "webhook": webhook,
        "delivery": delivery,
    }


def page(client, url: str, where: str = ""):
    response = client.get(url)
    assert response.status_code == 200, f"{where or url}: {response.status_code}"
    return response.content.decode()


def pages_for(world) -> list[tuple[str, str, list[Hostile]]]:
    """(who, url, the entries the page must show as typed): every page that shows user text."""
    consultation, draft = world["consultation"], world["draft"]
    entries = world["entries"]
    first = world["responses"][0]
    # Lists and tables show names, which they may cut: the entries whose start is a name.
    return [
        ("admin", reverse("home"), [BY_KEY["imgerror"]]),
        ("admin", reverse("consultations:consultation-list"), [BY_KEY["imgerror"]]),
        ("admin", reverse("consultations:consultation-detail", args=[consultation.slug]), entries),
        ("admin", reverse("consultations:consultation-edit", args=[consultation.slug]), entries),
        ("admin", reverse("stakeholders:organisation-list") + "?per_page=100", entries),
        *[
            ("admin", reverse("stakeholders:organisation-detail", args=[organisation.slug]), [entry])
            for organisation, entry in zip(world["organisations"], entries, strict=True)
        ],
        *[
            ("admin", reverse("stakeholders:organisation-edit", args=[organisation.slug]), [entry])
            for organisation, entry in zip(world["organisations"], entries, strict=True)
        ],
        ("admin", reverse("responses:response-list"), entries),
        *[
            ("admin", reverse("responses:response-detail", args=[response.pk]), [entry])
            for response, entry in zip(world["responses"], entries, strict=True)
        ],
        ("admin", reverse("responses:response-edit", args=[first.pk]), [entries[0]]),
        ("admin", reverse("responses:matrix", args=[consultation.slug]), entries),
        ("admin", reverse("responses:response-detail", args=[draft.pk]), entries),
        ("policy", reverse("responses:draft-edit", args=[draft.pk]), entries),
        ("admin", reverse("responses:version-list", args=[draft.pk]), []),
        ("admin", reverse("responses:version-diff", args=[draft.pk]) + "?a=1&b=2", [BY_KEY["template"]]),
        ("admin", reverse("responses:response-audit", args=[draft.pk]), [BY_KEY["cdata"]]),
        ("admin", reverse("responses:audit-list"), [BY_KEY["script"]]),
        ("policy", reverse("responses:my-work"), [BY_KEY["script"]]),
        ("reviewer", reverse("responses:my-work"), []),
        ("admin", reverse("responses:positions") + f"?organisation={first.organisation.slug}", [entries[0]]),
        ("admin", reverse("responses:campaign-list", args=[consultation.slug]), []),
        ("policy", reverse("responses:saved-search-list"), entries),
        ("policy", reverse("notifications:notification-list"), entries),
        ("admin", reverse("exports:job-create", args=[consultation.slug]), []),
        ("admin", reverse("responses:response-text", args=[first.pk]), [BY_KEY["cdata"], *entries]),
        ("admin", reverse("webhooks:webhook-list"), [BY_KEY["script"]]),
        ("admin", reverse("webhooks:webhook-detail", args=[world["webhook"].pk]), [BY_KEY["script"]]),
        ("admin", reverse("webhooks:delivery-detail", args=[world["delivery"].pk]), [BY_KEY["svgload"]]),
    ]


def test_every_page_shows_hostile_text_as_text(client, world, policy_user, reviewer_user, admin_user):
    """Lists, details, forms, the draft, its versions, audit trail, notifications: text, never markup."""
    users = {"policy": policy_user, "reviewer": reviewer_user, "admin": admin_user}
    failures = []
    for who, url, shown in pages_for(world):
        client.force_login(users[who])
        try:
            assert_escaped_page(page(client, url, f"{who} {url}"), shown, f"{who} {url}")
        except AssertionError as error:
            failures.append(str(error).splitlines()[0])
    assert not failures, "\n".join(failures)


def test_the_check_finds_markup_made_from_user_input():
    """The page check fails on each kind of injection it looks for, and passes on escaped text."""
    from tests.hostile_checks import injected

    for html in [
        "<p>x<script>alert(1)</script></p>",
        '<p><img src=x onerror="alert(1)"></p>',
        "<svg onload=alert(1)></svg>",
        '<a href=" javascript:alert(1)">x</a>',
        "<p><b>bold</b></p>",
    ]:
        assert injected(html), html
    assert not injected("<p>&lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;bold&lt;/b&gt;</p>")
    assert not injected('<script src="/static/vendor/htmx/htmx.min.js"></script>')


# --- Search boxes and filters: the query string is user input too ---------------------------------

QUERY_PAGES = [
    ("responses:search", "q"),
    ("responses:response-list", "organisation"),
    ("stakeholders:organisation-list", "q"),
    ("consultations:consultation-list", "q"),
    ("responses:positions", "topic"),
    ("reminders:log-list", "q"),
    ("responses:organisation-search", "organisation_query"),
]


@pytest.mark.parametrize("entry", CORPUS, ids=ENTRY_IDS)
def test_search_boxes_take_any_text_and_show_it_back_as_text(as_user, admin_user, entry):
    """Every search box and text filter answers hostile text (NUL included) without a server error,
    and a query shown back (in the box, in "no results for …") is text."""
    client = as_user(admin_user)
    for name, parameter in QUERY_PAGES:
        response = client.get(reverse(name), {parameter: entry.text})
        if entry.storable:
            assert response.status_code == 200, f"{name}: {response.status_code}"
        else:
            assert response.status_code == 400, f"{name}: {response.status_code}"
            assert "null character" in response.content.decode()
        assert_no_markup_from_users(response.content, f"{name} ?{parameter}=")


def test_search_snippets_mark_the_match_and_escape_the_rest(client, world, admin_user):
    """The <mark> of a search snippet is ours; the text around it, hostile as it is, stays text."""
    from responses.search import refresh_response_vectors

    refresh_response_vectors()
    client.force_login(admin_user)
    for entry in world["entries"]:
        html = page(client, reverse("responses:search") + f"?q={entry.marker}")
        assert_no_markup_from_users(html, f"search {entry.key}")
        marks = [mark.text_content() for mark in parse(html).iter("mark")]
        # In "javascript:alert(1)//hxjsurlx" or "http://evil.example/hxhyperlinkx" PostgreSQL's parser reads
        # the marker as part of a URL, not as a word of its own.
        if f"/{entry.marker}" not in entry.text:
            assert any(entry.marker in mark for mark in marks), (entry.key, marks)


# --- Every form that takes text -----------------------------------------------------------------------


def field_refused(html: str, name: str) -> bool:
    """The form came back with an error on field `name` (Bootstrap's is-invalid on its input)."""
    return any(
        "is-invalid" in (element.get("class") or "").split()
        for element in parse(html).iter("input", "textarea", "select")
        if element.get("name") == name
    )


def kept_in_form(html: str, name: str, entry: Hostile) -> bool:
    """What was typed is still in the field, to correct rather than type again."""
    for element in parse(html).iter("input", "textarea"):
        if element.get("name") == name and "is-invalid" in (element.get("class") or "").split():
            value = element.get("value") if element.tag == "input" else element.text_content()
            if entry.marker in (value or ""):
                return True
    return False


@pytest.fixture
def scene(policy_user, reviewer_user, admin_user):
    """Small, ordinary data for the forms to work on."""
    consultation = ConsultationFactory(slug="scene")
    question = QuestionFactory(consultation=consultation)
    topic = TopicFactory(consultation=consultation)
    organisation = OrganisationFactory(name="Acme", slug="acme")
    contact = ContactFactory(organisation=organisation)
    received = ResponseFactory(consultation=consultation, organisation=organisation, summary="Ordinary")
    ours = OrganisationFactory(name="Our network", slug="ours")
    draft = services.draft_create(consultation=consultation, organisation=ours, by=policy_user, body="One.\n\nTwo.")
    services.response_request_review(
        response=draft, by=policy_user, reviewers=[reviewer_user], due_at=timezone.now() + datetime.timedelta(days=2)
    )
    thread = services.comment_add(response=draft, by=reviewer_user, body="A thread.")
    return {
        "consultation": consultation,
        "question": question,
        "topic": topic,
        "organisation": organisation,
        "contact": contact,
        "received": received,
        "ours": ours,
        "draft": Response.objects.get(pk=draft.pk),
        "thread": thread,
        "users": {"policy": policy_user, "reviewer": reviewer_user, "admin": admin_user},
    }


def _organisation_data(text_field: str, text: str) -> dict:
    data = {"name": "Acme", "slug": "", "kind": "company", "country": "FR", "website": "", "aliases": "", "notes": ""}
    data[text_field] = text
    return data


def _consultation_data(scene, field: str, text: str) -> dict:
    data = {
        "title": "A consultation",
        "slug": "",
        "reference": "",
        "issuer": scene["organisation"].pk,
        "url": "",
        "summary": "",
        "time_zone": "Europe/Zurich",
        "opens_at": "2026-01-01T09:00",
        "deadline": "2026-12-31T23:59",
        "new_tags": "",
        "questions-TOTAL_FORMS": "1",
        "questions-INITIAL_FORMS": "0",
        "questions-0-number": "1",
        "questions-0-text": "Which model?",
        "questions-0-order": "1",
        "topics-TOTAL_FORMS": "1",
        "topics-INITIAL_FORMS": "0",
        "topics-0-name": "Coordination",
        "topics-0-slug": "",
        "topics-0-description": "",
        "topics-0-tag_names": "",
        "topics-0-order": "1",
    }
    data[field] = text
    return data


def _latest(model, **filters):
    return model.objects.filter(**filters).order_by("-pk").first()


def _newest_consultation():
    return Consultation.objects.exclude(slug="scene").order_by("-pk").first()


def _review_note(scene) -> str | None:
    """The note sent with a review request, as the draft's history records it after the reviewers' names."""
    event = scene["draft"].events.filter(kind="review_requested").order_by("-pk").first()
    return event.note.split(". ", 1)[1] if event and ". " in event.note else None


def _webhook_field(name: str):
    from webhooks.models import Webhook

    return getattr(Webhook.objects.first(), name, None)


# (case id, role, url, POST data for a text, the field, what was stored (None if nothing))
FORM_CASES = {
    "organisation-name": (
        "policy",
        lambda s: reverse("stakeholders:organisation-create"),
        lambda s, text: _organisation_data("name", text),
        "name",
        lambda s: _latest(Organisation).name,
    ),
    "organisation-notes": (
        "policy",
        lambda s: reverse("stakeholders:organisation-edit", args=[s["organisation"].slug]),
        lambda s, text: _organisation_data("notes", text),
        "notes",
        lambda s: Organisation.objects.get(pk=s["organisation"].pk).notes,
    ),
    "organisation-aliases": (
        "policy",
        lambda s: reverse("stakeholders:organisation-edit", args=[s["organisation"].slug]),
        lambda s, text: _organisation_data("aliases", text),
        "aliases",
        lambda s: "\n".join(s["organisation"].aliases.values_list("name", flat=True)) or None,
    ),
    "organisation-website": (
        "policy",
        lambda s: reverse("stakeholders:organisation-edit", args=[s["organisation"].slug]),
        lambda s, text: _organisation_data("website", text),
        "website",
        lambda s: Organisation.objects.get(pk=s["organisation"].pk).website or None,
    ),
    "contact-name": (
        "policy",
        lambda s: reverse("stakeholders:contact-edit", args=[s["contact"].pk]),
        lambda s, text: {"name": text, "email": "someone@example.org", "role": ""},
        "name",
        lambda s: Contact.objects.get(pk=s["contact"].pk).name,
    ),
    "contact-role": (
        "policy",
        lambda s: reverse("stakeholders:contact-create", args=[s["organisation"].slug]),
        lambda s, text: {"name": "Someone", "email": "someone@example.org", "role": text},
        "role",
        lambda s: getattr(_latest(Contact, name="Someone"), "role", None),
    ),
    **{
        f"consultation-{field}": (
            "policy",
            lambda s: reverse("consultations:consultation-create"),
            lambda s, text, field=field: _consultation_data(s, field, text),
            field,
            read,
        )
        for field, read in [
            ("title", lambda s: getattr(_newest_consultation(), "title", None)),
            ("reference", lambda s: getattr(_newest_consultation(), "reference", None)),
            ("summary", lambda s: getattr(_newest_consultation(), "summary", None)),
            ("url", lambda s: getattr(_newest_consultation(), "url", None)),
            ("questions-0-text", lambda s: _newest_consultation() and _newest_consultation().questions.get().text),
            ("topics-0-name", lambda s: _newest_consultation() and _newest_consultation().topics.get().name),
            (
                "topics-0-description",
                lambda s: _newest_consultation() and _newest_consultation().topics.get().description,
            ),
        ]
    },
    "invitation-note": (
        "policy",
        lambda s: reverse("consultations:invitation-create", args=[s["consultation"].slug]),
        lambda s, text: {"organisation": s["organisation"].pk, "note": text},
        "note",
        lambda s: getattr(s["consultation"].invitations.first(), "note", None),
    ),
    "log-summary": (
        "policy",
        lambda s: reverse("responses:response-create"),
        lambda s, text: {
            "consultation": s["consultation"].pk,
            "organisation_mode": "new",
            "new_name": "Newcomer",
            "new_kind": "ngo",
            "channel": "letter",
            "received_on": "2026-01-29",
            "summary": text,
        },
        "summary",
        lambda s: getattr(_latest(Response, organisation__name="Newcomer"), "summary", None),
    ),
    "log-new-organisation": (
        "policy",
        lambda s: reverse("responses:response-create"),
        lambda s, text: {
            "consultation": s["consultation"].pk,
            "organisation_mode": "new",
            "new_name": text,
            "new_kind": "ngo",
            "channel": "letter",
            "received_on": "2026-01-29",
            "summary": "",
        },
        "new_name",
        lambda s: getattr(
            _latest(Organisation, responses__consultation=s["consultation"], responses__summary=""), "name", None
        ),
    ),
    "response-summary": (
        "policy",
        lambda s: reverse("responses:response-edit", args=[s["received"].pk]),
        lambda s, text: {"channel": "email", "received_on": "2026-01-29", "summary": text, "version": 1},
        "summary",
        lambda s: Response.objects.get(pk=s["received"].pk).summary,
    ),
    **{
        f"coding-{part}": (
            "policy",
            lambda s: reverse("responses:response-code", args=[s["received"].pk]),
            lambda s, text, part=part: {
                "version": Response.objects.get(pk=s["received"].pk).version,
                f"answer_{s['question'].pk}": text if part == "answer" else "",
                f"stance_{s['topic'].pk}": "supports",
                f"summary_{s['topic'].pk}": text if part == "summary" else "",
                f"quote_{s['topic'].pk}": text if part == "quote" else "",
            },
            f"{part}_{{q}}" if part == "answer" else f"{part}_{{t}}",
            read,
        )
        for part, read in [
            ("answer", lambda s: getattr(s["received"].answers.first(), "text", None)),
            ("summary", lambda s: getattr(Position.objects.filter(response=s["received"]).first(), "summary", None)),
            ("quote", lambda s: getattr(Position.objects.filter(response=s["received"]).first(), "quote", None)),
        ]
    },
    **{
        f"draft-create-{field}": (
            "policy",
            lambda s: reverse("responses:draft-create"),
            lambda s, text, field=field: {
                "consultation": s["consultation"].pk,
                "organisation": s["ours"].pk,
                "summary": "",
                "body": "",
                field: text,
            },
            field,
            lambda s, field=field: getattr(
                _latest(Response, status=ResponseStatus.DRAFT, owner__username="policy"), field
            ),
        )
        for field in ("summary", "body")
    },
    **{
        f"draft-edit-{field}": (
            "policy",
            lambda s: reverse("responses:draft-edit", args=[s["draft"].pk]),
            lambda s, text, field=field: {
                "version": Response.objects.get(pk=s["draft"].pk).version,
                "summary": "",
                "body": "One.\n\nTwo.",
                f"stance_{s['topic'].pk}": "",
                f"summary_{s['topic'].pk}": "",
                f"quote_{s['topic'].pk}": "",
                f"answer_{s['question'].pk}": "",
                field if field in ("summary", "body") else f"answer_{s['question'].pk}": text,
            },
            field if field in ("summary", "body") else "answer_{q}",
            lambda s, field=field: (
                getattr(Response.objects.get(pk=s["draft"].pk), field)
                if field in ("summary", "body")
                else getattr(s["draft"].answers.first(), "text", None)
            ),
        )
        for field in ("summary", "body", "answer")
    },
    **{
        f"comment-{kind}": (
            "reviewer",
            lambda s: reverse("responses:comment-add", args=[s["draft"].pk]),
            lambda s, text, kind=kind: {
                "body": text,
                **({"parent": s["thread"].pk} if kind == "reply" else {}),
                **({"anchor_paragraph": 1, "anchor_version": 1} if kind == "anchored" else {}),
            },
            "body",
            lambda s: getattr(
                _latest(Comment, response=s["draft"])
                .__class__.objects.exclude(pk=s["thread"].pk)
                .filter(response=s["draft"])
                .first(),
                "body",
                None,
            ),
        )
        for kind in ("general", "anchored", "reply")
    },
    "review-note": (
        "policy",
        lambda s: reverse("responses:review-request", args=[s["draft"].pk]),
        lambda s, text: {
            "reviewers": [s["users"]["reviewer"].pk],
            "due_at": (timezone.localtime() + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "note": text,
        },
        "note",
        _review_note,
    ),
    "review-reason": (
        "reviewer",
        lambda s: reverse("responses:review-decide", args=[s["draft"].pk]),
        lambda s, text: {"decision": "request_changes", "reason": text},
        "reason",
        lambda s: s["draft"].review_requests.get().reason or None,
    ),
    "saved-search-name": (
        "policy",
        lambda s: reverse("responses:saved-search-create") + "?q=coordination",
        lambda s, text: {"name": text, "email_daily": "", "q": "coordination"},
        "name",
        lambda s: getattr(SavedSearch.objects.first(), "name", None),
    ),
    "saved-search-query": (
        "policy",
        lambda s: reverse("responses:saved-search-create"),
        lambda s, text: {"name": "Mine", "email_daily": "", "q": text},
        "q",
        lambda s: getattr(SavedSearch.objects.first(), "query", None),
    ),
    "webhook-name": (
        "admin",
        lambda s: reverse("webhooks:webhook-create"),
        lambda s, text: {
            "name": text,
            "url": "https://crm.example.org/hook",
            "events": ["response.submitted"],
            "active": "on",
        },
        "name",
        lambda s: _webhook_field("name"),
    ),
    "webhook-url": (
        "admin",
        lambda s: reverse("webhooks:webhook-create"),
        lambda s, text: {"name": "CRM", "url": text, "events": ["response.submitted"], "active": "on"},
        "url",
        lambda s: _webhook_field("url"),
    ),
}


@pytest.mark.parametrize("case", list(FORM_CASES))
def test_every_form_keeps_hostile_text_exactly_or_refuses_it_on_the_field(client, scene, case):
    """Each entry of the corpus, typed into the field: saved as typed, or the form shown again with an
    error on that field and the text still in it. Never a server error."""
    who, url, data, field, stored = FORM_CASES[case]
    field = field.format(q=scene["question"].pk, t=scene["topic"].pk)
    client.force_login(scene["users"][who])
    outcomes = {}
    for entry in CORPUS:
        with transaction.atomic():
            response = client.post(url(scene), data(scene, entry.text))
            assert response.status_code in (200, 302), f"{case} {entry.key}: {response.status_code}"
            html = response.content.decode()
            if response.status_code == 200 and field_refused(html, field):
                assert kept_in_form(html, field, entry), f"{case} {entry.key}: the typed text was lost"
                assert_no_markup_from_users(html, f"{case} {entry.key}")
                outcomes[entry.key] = "refused"
            elif response.status_code == 302 and stored(scene) is None:
                # A one-field form in a menu (a saved search's name) says why on the page it returns to.
                shown = client.get(response["Location"]).content.decode()
                assert "alert-danger" in shown, f"{case} {entry.key}: refused without a word"
                outcomes[entry.key] = "refused"
            else:
                assert stored(scene) == typed(entry), f"{case} {entry.key}: neither saved as typed nor refused"
                outcomes[entry.key] = "saved"
            transaction.set_rollback(True)
    assert all(outcomes[entry.key] == "refused" for entry in REFUSED), outcomes


# --- The API ------------------------------------------------------------------------------------------


def _api_outcome(answer, field_path: str, entry: Hostile, read) -> str:
    """ "saved" when the text came back and was stored as typed; "refused" when the error names the field."""
    assert answer.status_code in (200, 201, 400), f"{field_path} {entry.key}: {answer.status_code}"
    assert answer["Content-Type"].startswith("application/json")
    if answer.status_code == 400:
        fields = answer.json()["error"]["fields"]
        assert field_path.split(".")[0] in fields, f"{field_path} {entry.key}: the error does not name it: {fields}"
        return "refused"
    assert read(answer.json()) == typed(entry), f"{field_path} {entry.key}: changed on the way"
    return "saved"


@pytest.mark.parametrize("entry", CORPUS, ids=ENTRY_IDS)
def test_the_api_keeps_hostile_text_exactly_or_names_the_field_it_refuses(scene, entry):
    """POST and PATCH of organisations, responses (summary, answers, positions) and comments: stored as
    typed and served back as the same JSON string, or a 400 naming the field. Never a server error."""
    from tests.api_helpers import token_client

    policy = token_client(scene["users"]["policy"])
    reviewer = token_client(scene["users"]["reviewer"])
    outcomes = []
    created = policy.post(
        "/api/v1/organisations/", {"name": entry.text, "kind": "ngo", "notes": entry.text}, format="json"
    )
    outcomes.append(_api_outcome(created, "name", entry, lambda body: body["name"]))
    if created.status_code == 201:
        stored = Organisation.objects.get(pk=created.json()["id"])
        assert (stored.name, stored.notes) == (typed(entry), typed(entry))
    organisation = scene["organisation"]
    patched = policy.patch(f"/api/v1/organisations/{organisation.slug}/", {"notes": entry.text}, format="json")
    if patched.status_code == 404:  # organisations addressed by id
        patched = policy.patch(f"/api/v1/organisations/{organisation.pk}/", {"notes": entry.text}, format="json")
    outcomes.append(_api_outcome(patched, "notes", entry, lambda body: body["notes"]))
    outcomes.append(
        _api_outcome(
            policy.patch(f"/api/v1/organisations/{organisation.pk}/", {"website": entry.text}, format="json"),
            "website",
            entry,
            lambda body: body["website"],
        )
    )
    logged = policy.post(
        "/api/v1/responses/",
        {
            "consultation": scene["consultation"].pk,
            "organisation": organisation.pk,
            "allow_duplicate": True,
            "channel": "letter",
            "received_on": "2026-01-29",
            "summary": entry.text,
            "answers": [{"question": scene["question"].pk, "text": entry.text}],
            "positions": [{"topic": scene["topic"].pk, "stance": "supports", "quote": entry.text}],
        },
        format="json",
    )
    outcomes.append(_api_outcome(logged, "summary", entry, lambda body: body["summary"]))
    if logged.status_code == 201:
        response = Response.objects.get(pk=logged.json()["id"])
        assert response.answers.get().text == typed(entry)
        assert response.positions.get().quote == typed(entry)
        assert logged.json()["positions"][0]["quote"] == typed(entry)
    patched = policy.patch(
        f"/api/v1/responses/{scene['received'].pk}/", {"version": 1, "summary": entry.text}, format="json"
    )
    outcomes.append(_api_outcome(patched, "summary", entry, lambda body: body["summary"]))
    comment = reviewer.post(
        "/api/v1/comments/",
        {"response": scene["draft"].pk, "body": entry.text, "parent": scene["thread"].pk},
        format="json",
    )
    outcomes.append(_api_outcome(comment, "body", entry, lambda body: body["body"]))
    if not entry.storable:
        assert set(outcomes) == {"refused"}, outcomes


# --- Imports ------------------------------------------------------------------------------------------


def _import(client, upload_url: str, rows: list[list[str]], confirm_name: str, confirm_args: list) -> tuple[str, int]:
    """Upload `rows` as CSV, check the preview page, import the good rows; (the rows listed as bad, status)."""
    from tests.test_importing import csv_bytes, upload

    uploaded = upload(client, upload_url, csv_bytes(rows), "rows.csv")
    assert uploaded.status_code == 302, uploaded.content.decode()[-2000:]
    preview = client.get(uploaded["Location"])
    assert preview.status_code == 200
    html = preview.content.decode()
    assert_no_markup_from_users(html, "import preview")
    token = uploaded["Location"].rstrip("/").split("/")[-1]
    good_count = parse(html).xpath("//input[@name='good_count']/@value")
    data = {"mode": "good", "good_count": good_count[0]} if good_count else {"mode": "all"}
    confirmed = client.post(reverse(confirm_name, args=[*confirm_args, token]), data)
    assert confirmed.status_code == 302, confirmed.content.decode()[-2000:]
    bad_rows = parse(html).xpath("//table[@data-testid='bad-rows']")
    return (bad_rows[0].text_content() if bad_rows else ""), confirmed.status_code


@pytest.fixture
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_importing_organisations_keeps_hostile_text_or_lists_the_row_as_bad(as_user, policy_user, media_in_tmp):
    """Every entry as an organisation's name, a contact's name and role: imported as typed, or its row
    listed as bad in the preview. Never a server error."""
    header = ["Name", "Kind", "Country", "Website", "Parent", "Contact name", "Contact e-mail", "Contact role"]
    rows = [header] + [
        [entry.text, "NGO", "GB", "", "", entry.text, f"c{index}@example.org", entry.text]
        for index, entry in enumerate(STORABLE)
    ]
    client = as_user(policy_user)
    bad_rows, _status = _import(
        client, reverse("stakeholders:organisation-import"), rows, "stakeholders:organisation-import-confirm", []
    )
    for entry in STORABLE:
        organisation = Organisation.objects.filter(name=typed(entry)).first()
        if organisation is None:
            assert entry.marker in bad_rows, f"{entry.key}: neither imported nor listed as bad"
            continue
        assert entry.storable, entry.key
        contact = organisation.contacts.get()
        assert (contact.name, contact.role) == (typed(entry), typed(entry))


def test_importing_submissions_keeps_hostile_text_or_lists_the_row_as_bad(as_user, policy_user, scene, media_in_tmp):
    """Every entry as a submission's summary and answer: imported as typed, or the row listed as bad."""
    consultation = scene["consultation"]
    organisations = [OrganisationFactory(slug=f"import-{entry.key}") for entry in STORABLE]
    rows = [["Organisation", "Channel", "Received on", "Summary", "Q1"]] + [
        [organisation.slug, "letter", "2016-01-29", entry.text, entry.text]
        for organisation, entry in zip(organisations, STORABLE, strict=True)
    ]
    scene["question"].number = "1"
    scene["question"].save()
    client = as_user(policy_user)
    bad_rows, _status = _import(
        client,
        reverse("responses:response-import", args=[consultation.slug]),
        rows,
        "responses:response-import-confirm",
        [consultation.slug],
    )
    for organisation, entry in zip(organisations, STORABLE, strict=True):
        response = Response.objects.filter(organisation=organisation).first()
        if response is None:
            assert entry.marker in bad_rows, f"{entry.key}: neither imported nor listed as bad"
            continue
        assert entry.storable, entry.key
        assert response.summary == typed(entry)
        assert response.answers.get().text == typed(entry)


@pytest.mark.parametrize(
    "name", ["stakeholders:organisation-import", "responses:response-import"], ids=["organisations", "submissions"]
)
def test_an_import_file_with_a_null_character_is_refused_naming_the_line(
    as_user, policy_user, scene, media_in_tmp, name
):
    """A stray NUL in a cell cannot be stored: the upload page says on which line, and nothing is read."""
    from tests.test_importing import csv_bytes, upload

    args = [scene["consultation"].slug] if name == "responses:response-import" else []
    rows = [["Name", "Organisation", "Summary"], ["Acme", "acme", "Fine"], ["Acme", "acme", BY_KEY["nul"].text]]
    answer = upload(as_user(policy_user), reverse(name, args=args), csv_bytes(rows), "rows.csv")
    assert answer.status_code == 200
    assert "Line 3 of the file holds a null character" in answer.content.decode()


# --- E-mails ------------------------------------------------------------------------------------------

# A title written to break out of the Subject: header and add a recipient.
HEADER_INJECTION = "hxcrlfx Deadline\r\nBcc: victim@example.org\r\n\r\n<b>bold</b>"


def assert_email_safe(message, entries: list[Hostile]) -> None:
    where = f"e-mail {message.subject[:60]!r}"
    assert "\n" not in message.subject and "\r" not in message.subject, where
    assert set(message.recipients()) == set(message.to), where
    assert "victim@example.org" not in message.message().get("Bcc", ""), where
    html = message.alternatives[0][0]
    assert_no_markup_from_users(html, where)
    text = message.body
    for entry in entries:
        # The HTML part shows the text as typed; the plain-text part holds it unescaped.
        assert_shows_literally(html, [entry], where)
        assert entry.marker in text, f"{where}: {entry.key} missing from the text part"
        assert "&lt;" not in text and "&quot;" not in text, f"{where}: the text part is HTML-escaped"


def test_every_email_shows_hostile_names_and_text_as_text(
    policy_user, reviewer_user, admin_user, settings, django_capture_on_commit_callbacks
):
    """Review requested, comment, mention, changes requested, deadline reminder and saved search: the
    HTML part escaped, the text part as typed, the subject one line whatever the title holds."""
    from config.celery import app
    from reminders.services import reminders_scan
    from responses import saved_searches
    from responses.search import refresh_response_vectors

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    previous, app.conf.task_always_eager = app.conf.task_always_eager, True
    try:
        reviewer_user.first_name = fits(BY_KEY["imgerror"], 150)
        reviewer_user.save()
        consultation = ConsultationFactory(
            title=HEADER_INJECTION, deadline=timezone.now() + datetime.timedelta(days=1, hours=1)
        )
        consultation.owners.add(policy_user)
        ours = OrganisationFactory(name=BY_KEY["script"].text)
        with django_capture_on_commit_callbacks(execute=True):
            draft = services.draft_create(consultation=consultation, organisation=ours, by=policy_user, body="One.")
            services.response_request_review(
                response=draft,
                by=policy_user,
                reviewers=[reviewer_user],
                due_at=timezone.now() + datetime.timedelta(hours=20),
                note=BY_KEY["svgload"].text,
            )
        with django_capture_on_commit_callbacks(execute=True):
            services.comment_add(response=draft, by=reviewer_user, body=BY_KEY["cdata"].text + " @policy")
        with django_capture_on_commit_callbacks(execute=True):
            services.response_decide(response=draft, by=reviewer_user, approve=False, reason=BY_KEY["template"].text)
        reminders_scan()
        saved = SavedSearch.objects.create(
            owner=policy_user, name=BY_KEY["mdlink"].text, query="hxrlox", email_daily=True
        )
        SavedSearch.objects.filter(pk=saved.pk).update(created_at=timezone.now() - datetime.timedelta(days=2))
        match = ResponseFactory(organisation=OrganisationFactory(name=BY_KEY["rlo"].text), summary=BY_KEY["rlo"].text)
        refresh_response_vectors([match.pk])
        saved.refresh_from_db()
        assert saved_searches.saved_search_email(saved=saved) == saved_searches.SENT
    finally:
        app.conf.task_always_eager = previous

    for message in mail.outbox:
        assert_email_safe(message, [])
    subjects = [message.subject for message in mail.outbox]
    assert len(mail.outbox) >= 6, subjects
    for message in mail.outbox:
        if "review" in message.subject.lower() and BY_KEY["svgload"].marker in message.body:
            assert_email_safe(message, [BY_KEY["svgload"], BY_KEY["script"]])
        if BY_KEY["cdata"].marker in message.body:
            assert_email_safe(message, [BY_KEY["cdata"]])
        if BY_KEY["template"].marker in message.body:
            assert_email_safe(message, [BY_KEY["template"]])
        if BY_KEY["rlo"].marker in message.body:
            assert_email_safe(message, [BY_KEY["mdlink"], BY_KEY["rlo"]])
    found = {
        key for key in ("svgload", "cdata", "template", "rlo") if any(BY_KEY[key].marker in m.body for m in mail.outbox)
    }
    assert found == {"svgload", "cdata", "template", "rlo"}, subjects
    assert any("hxcrlfx Deadline" in subject for subject in subjects), subjects


# --- Response packs: PDF and DOCX (CSV and XLSX: tests/test_export_escaping.py) -------------------------


@pytest.fixture
def hostile_pack(settings, tmp_path):
    """A pack's consultation whose organisations, summaries, answers, quotes and topics are the corpus."""
    settings.MEDIA_ROOT = tmp_path / "media"
    consultation = ConsultationFactory(title=BY_KEY["imgerror"].text, slug="hostile-pack", reference="H-1")
    topic = TopicFactory(consultation=consultation, name=BY_KEY["svgload"].text, slug="svg")
    question = QuestionFactory(consultation=consultation, number="1", text=BY_KEY["cdata"].text)
    for index, entry in enumerate(STORABLE):
        response = ResponseFactory(
            consultation=consultation,
            organisation=OrganisationFactory(name=fits(entry, 255), slug=f"pack-{entry.key}"),
            summary=entry.text,
            received_on=datetime.date(2026, 1, 1) + datetime.timedelta(days=index),
        )
        AnswerFactory(response=response, question=question, text=entry.text)
        PositionFactory(
            response=response, topic=topic, stance=Stance.SUPPORTS, summary=fits(entry, 500), quote=entry.text
        )
    return consultation


def _pack(consultation, fmt, tmp_path):
    from exports.builders.bundle import build_pack
    from exports.pack import PackSource

    workdir = tmp_path / f"build-{fmt}"
    workdir.mkdir()
    source = PackSource(consultation=consultation, filters={})
    return build_pack(source, fmt=fmt, include_attachments=False, workdir=workdir).path


# The markup of these entries must come out as the literal text, not as anything laid out.
MARKUP = [BY_KEY[key] for key in ("script", "imgerror", "svgload", "template", "sql", "cdata", "mdlink")]


def test_the_pdf_prints_hostile_text_literally_and_loads_nothing(hostile_pack, tmp_path, monkeypatch):
    """Markup typed by users is printed as characters; WeasyPrint is never asked to fetch a URL; no image
    or link is made from it."""
    import pypdf
    from weasyprint.urls import URLFetcher

    from exports.models import ExportFormat

    fetched = []
    original = URLFetcher.fetch if hasattr(URLFetcher, "fetch") else None
    if original is not None:
        monkeypatch.setattr(
            URLFetcher, "fetch", lambda self, url, *a, **k: fetched.append(url) or original(self, url, *a, **k)
        )
    reader = pypdf.PdfReader(_pack(hostile_pack, ExportFormat.PDF, tmp_path))
    # pypdf reads some runs of the subset fonts as UTF-16, leaving a NUL before each letter.
    text = " ".join(" ".join(page.extract_text().replace("\x00", "").split()) for page in reader.pages)
    squeezed = text.replace(" ", "")
    for entry in MARKUP:
        # Lines break anywhere in a long string: compare without spaces.
        assert shown_as(entry, limit=60).replace(" ", "") in squeezed, entry.key
    for entry in STORABLE:
        assert entry.marker in squeezed, entry.key
    assert [url for url in fetched if not url.startswith("data:")] == []
    for page in reader.pages:
        assert not list(page.images), "an image in the pack"
        for annotation in page.get("/Annots") or []:
            uri = annotation.get_object().get("/A", {}).get("/URI", "")
            assert not str(uri).lower().startswith("javascript"), uri


def test_the_docx_holds_hostile_text_literally(hostile_pack, tmp_path):
    """Every entry is in the document as typed (less the control characters Word cannot hold)."""
    import docx

    from exports.models import ExportFormat

    document = docx.Document(_pack(hostile_pack, ExportFormat.DOCX, tmp_path))
    body = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    everything = flat(body + "\n" + cells)
    for entry in STORABLE:
        assert shown_as(entry) in everything, entry.key
    assert not document.inline_shapes
    assert "HYPERLINK" not in document.element.xml.replace("=HYPERLINK(", "")


def test_the_pack_request_refuses_hostile_filters_on_their_field(as_user, admin_user, scene):
    """Every filter of a pack request takes choices and dates: hostile text in any of them is refused on
    that field and nothing is queued."""
    from exports.models import ExportJob

    client = as_user(admin_user)
    url = reverse("exports:job-create", args=[scene["consultation"].slug])
    for entry, field in itertools.product(CORPUS, ("status", "kind", "country", "topic", "received_from", "format")):
        data = {"format": "csv", "status": ["received"], field: entry.text}
        answer = client.post(url, data)
        assert answer.status_code == 200, f"{field} {entry.key}: {answer.status_code}"
        html = answer.content.decode()
        assert_no_markup_from_users(html, f"pack filter {field}")
        assert "is-invalid" in html or "invalid-feedback" in html, f"{field} {entry.key}: refused without a word"
    assert not ExportJob.objects.exists()


def test_the_markdown_preview_sanitises_every_entry(as_user, policy_user):
    """The draft's live preview renders Markdown, then keeps only the allowed tags: no script, no event
    attribute, no javascript: link, whatever the body holds."""
    client = as_user(policy_user)
    for entry in CORPUS:
        answer = client.post(reverse("responses:draft-preview"), {"body": entry.text})
        assert answer.status_code == 200, entry.key
        assert_no_markup_from_users(answer.content, f"preview {entry.key}")
        assert entry.marker in answer.content.decode(), entry.key


def test_the_api_answers_a_null_character_in_the_query_string_with_its_error_shape(scene):
    """An API filter holding NUL gets the API's JSON error, not a page and not a server error."""
    from tests.api_helpers import token_client

    answer = token_client(scene["users"]["policy"]).get("/api/v1/organisations/", {"search": BY_KEY["nul"].text})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid"
    assert "null character" in answer.json()["error"]["message"]


@pytest.mark.parametrize("entry", CORPUS, ids=ENTRY_IDS)
def test_the_sign_in_page_takes_any_username_and_shows_it_as_text(client, entry):
    """A failed sign-in with a hostile user name (NUL included) shows the form again, the name as text."""
    from axes.models import AccessAttempt

    answer = client.post(reverse("accounts:login"), {"username": entry.text, "password": "wrong"})
    assert answer.status_code == 200
    assert_no_markup_from_users(answer.content, f"sign-in {entry.key}")
    # The failure counts towards the lockout, under the name as typed (cut to the column's length).
    attempts = list(AccessAttempt.objects.values_list("username", flat=True))
    assert len(attempts) == (1 if entry.storable else 0), attempts
    assert all(len(name) <= 255 and entry.marker in name for name in attempts)


@pytest.mark.parametrize("field", ["new_tags", "topics-0-tag_names"])
def test_tags_keep_hostile_names_and_refuse_one_too_long_on_the_field(client, scene, field):
    """A tag typed on the consultation form is kept whole (spaces collapsed), or refused on the field when it
    is longer than a tag can be; never cut short."""
    from consultations.models import Tag

    client.force_login(scene["users"]["policy"])
    for entry in CORPUS:
        with transaction.atomic():
            answer = client.post(
                reverse("consultations:consultation-create"), _consultation_data(scene, field, entry.text)
            )
            assert answer.status_code in (200, 302), entry.key
            expected = [" ".join(name.split()) for name in entry.text.split(",") if name.strip()]
            if answer.status_code == 200:
                assert field_refused(answer.content.decode(), field), entry.key
                assert not entry.storable or any(len(name) > 100 for name in expected), entry.key
            else:
                assert sorted(Tag.objects.values_list("name", flat=True)) == sorted(expected), entry.key
            transaction.set_rollback(True)
