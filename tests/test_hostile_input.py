"""Hostile text (tests/hostile.py) typed into every form that takes text, then shown on every page.

Each form either keeps the text exactly as typed (less the surrounding white space Django's forms trim)
or refuses it with an error on the field, keeping what was typed; never a server error. Every page that
shows the text shows it as text: no element, attribute or link is made from it.
"""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
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
    UserFactory,
)
from tests.hostile import BY_KEY, CORPUS, REFUSED, STORABLE, Hostile
from tests.hostile_checks import assert_escaped_page, assert_no_markup_from_users, parse

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
    return {
        "consultation": consultation,
        "organisations": organisations,
        "responses": responses,
        "draft": Response.objects.get(pk=draft.pk),
        "topics": topics,
        "entries": entries,
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
        ("admin", reverse("home"), []),
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
        ("admin", reverse("responses:response-list"), []),
        *[
            ("admin", reverse("responses:response-detail", args=[response.pk]), [entry])
            for response, entry in zip(world["responses"], entries, strict=True)
        ],
        ("admin", reverse("responses:response-edit", args=[first.pk]), [entries[0]]),
        ("admin", reverse("responses:matrix", args=[consultation.slug]), []),
        ("admin", reverse("responses:response-detail", args=[draft.pk]), entries),
        ("policy", reverse("responses:draft-edit", args=[draft.pk]), entries),
        ("admin", reverse("responses:version-list", args=[draft.pk]), []),
        ("admin", reverse("responses:version-diff", args=[draft.pk]) + "?a=1&b=2", [BY_KEY["template"]]),
        ("admin", reverse("responses:response-audit", args=[draft.pk]), [BY_KEY["cdata"]]),
        ("admin", reverse("responses:audit-list"), []),
        ("policy", reverse("responses:my-work"), []),
        ("reviewer", reverse("responses:my-work"), []),
        ("admin", reverse("responses:positions") + f"?organisation={first.organisation.slug}", [entries[0]]),
        ("admin", reverse("responses:campaign-list", args=[consultation.slug]), []),
        ("policy", reverse("responses:saved-search-list"), entries),
        ("policy", reverse("notifications:notification-list"), entries),
        ("admin", reverse("exports:job-create", args=[consultation.slug]), []),
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
        # In "javascript:alert(1)//hxjsurlx" PostgreSQL's parser reads the marker as part of a URL path.
        if entry.key != "jsurl":
            assert any(entry.marker in mark for mark in marks), (entry.key, marks)
