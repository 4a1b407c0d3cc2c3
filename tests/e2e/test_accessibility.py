"""In Chromium: every main page, filled with data, passes axe-core (no serious or critical violation) and
the Nu Html Checker (no error).

The pages are visited once for the module (fixture `visits`), signed in as an admin: axe runs in each page
as loaded, and each page's HTML is saved; the tests then read what was seen, one test per page for axe and
one run of the checker (one JVM, slow to start) over every saved page.
"""

import datetime
import json
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from tests.factories import (
    PASSWORD,
    AnswerFactory,
    AttachmentFactory,
    CommentFactory,
    ConsultationFactory,
    ContactFactory,
    DraftFactory,
    InvitationFactory,
    NotificationFactory,
    OrganisationAliasFactory,
    OrganisationFactory,
    PositionFactory,
    QuestionFactory,
    ResponseFactory,
    ReviewRequestFactory,
    TagFactory,
    TopicFactory,
    UserFactory,
)

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
BLOCKING_IMPACTS = {"serious", "critical"}
LETTER = (
    "We support a single reporting point for online harms, run by the national regulator, "
    "with a duty on every platform to answer within seven days and to publish what it removed."
)


@dataclass
class Visit:
    url: str
    violations: list[dict] = field(default_factory=list)
    html_file: Path | None = None


def _make_data() -> dict:
    """A consultation with everything its pages can show, the objects URLS needs by name."""
    from django.apps import apps
    from rest_framework.authtoken.models import Token

    from accounts.roles import sync_roles
    from exports.models import ExportJob, ExportStatus
    from reminders.models import ReminderLog
    from responses.models import Campaign, Response, ResponseStatus, SavedSearch, Stance
    from responses.services import EVENT_RESPONSE_SUBMITTED
    from webhooks.models import DeliveryStatus, Webhook, WebhookDelivery

    sync_roles(apps)  # a transactional test before this module may have flushed the role groups
    admin = UserFactory(username="ada", first_name="Ada", last_name="Admin", role=Role.ADMIN, is_staff=True)
    policy = UserFactory(username="pat", first_name="Pat", last_name="Policy", role=Role.POLICY_STAFF)
    reviewer = UserFactory(username="rene", first_name="Rene", last_name="Reviewer", role=Role.REVIEWER)

    issuer = OrganisationFactory(name="Online Safety Commission", slug="online-safety-commission", kind="regulator")
    network = OrganisationFactory(name="Child Safety Policy Network", slug="child-safety", kind="ngo")
    OrganisationAliasFactory(organisation=network, name="CSPN")
    contact = ContactFactory(organisation=network, name="Jo Contact", email="jo@cspn.example.org", role="Policy lead")
    ContactFactory(organisation=network, name="Sam Contact", email="sam@cspn.example.org", opted_out=True)
    consultation = ConsultationFactory(
        title="Guidelines on the protection of minors online",
        slug="minors-online",
        reference="OSC/2026/4",
        issuer=issuer,
        deadline=timezone.now() + datetime.timedelta(days=12),
    )
    tag = TagFactory(name="Reporting", slug="reporting")
    topics = [
        TopicFactory(consultation=consultation, name="Reporting tools", slug="reporting-tools", order=1),
        TopicFactory(consultation=consultation, name="Age assurance", slug="age-assurance", order=2),
    ]
    topics[0].tags.add(tag)
    questions = [
        QuestionFactory(consultation=consultation, number="1", text="Which reporting duties?", order=1),
        QuestionFactory(consultation=consultation, number="2", text="How should age be checked?", order=2),
    ]
    organisations = [network] + [
        OrganisationFactory(name=name, slug=slug, kind=kind)
        for name, slug, kind in [
            ("Parents for a Safer Web", "parents-safer-web", "ngo"),
            ("Family Online Alliance", "family-online", "ngo"),
            ("Platform Industry Association", "platform-industry", "industry_association"),
        ]
    ]
    for organisation in organisations:
        InvitationFactory(consultation=consultation, organisation=organisation)
    stances = [Stance.STRONGLY_SUPPORTS, Stance.SUPPORTS, Stance.SUPPORTS, Stance.OPPOSES]
    received = []
    for index, (organisation, stance) in enumerate(zip(organisations, stances, strict=True)):
        # The first three send the same form letter, with small edits: a campaign.
        text = LETTER if index < 3 else "Duties should be proportionate to the size of the platform."
        response = ResponseFactory(
            consultation=consultation,
            organisation=organisation,
            summary=f"{organisation.name}: {text}",
            received_on=timezone.localdate() - datetime.timedelta(days=index + 1),
        )
        PositionFactory(response=response, topic=topics[0], stance=stance, summary="On reporting.", quote=text)
        PositionFactory(response=response, topic=topics[1], stance=Stance.NEUTRAL, summary="On age checks.")
        AnswerFactory(response=response, question=questions[0], text=text)
        received.append(response)
    AttachmentFactory(response=received[0], data=LETTER.encode(), original_name="letter.txt")
    campaign = Campaign.objects.create(consultation=consultation, name="Form letter", representative=received[0])
    Response.objects.filter(pk__in=[r.pk for r in received[:3]]).update(campaign=campaign)

    draft = DraftFactory(consultation=consultation, organisation=network, owner=policy, status=ResponseStatus.IN_REVIEW)
    ReviewRequestFactory(response=draft, reviewer=reviewer)
    ReviewRequestFactory(response=draft, reviewer=admin)  # the admin sees the decision form
    CommentFactory(
        response=draft,
        author=reviewer,
        body="Which platforms? Name them.",
        anchor_version=draft.version,
        anchor_paragraph=2,
        anchor_text="Reporting tools should stay flexible for each platform.",
    )
    NotificationFactory(recipient=admin, title="Rene commented on your draft", url=f"/responses/{draft.pk}/")

    done = ExportJob.objects.create(consultation=consultation, requested_by=admin, status=ExportStatus.DONE)
    done.file.save("pack.zip", ContentFile(b"PK\x05\x06" + b"\0" * 18), save=True)
    ExportJob.objects.create(
        consultation=consultation, requested_by=admin, status=ExportStatus.FAILED, error="The file is missing."
    )
    ReminderLog.objects.create(
        consultation=consultation,
        recipient_key=f"user:{admin.pk}",
        user=admin,
        email=admin.email,
        offset=7,
        deadline=consultation.deadline,
        due_at=consultation.deadline - datetime.timedelta(days=7),
        scan_id=uuid.uuid4(),
    )
    SavedSearch.objects.create(owner=admin, name="Reporting duties", query="reporting")
    Token.objects.create(user=admin)
    webhook = Webhook.objects.create(
        name="Intranet CRM",
        url="https://crm.example.org/hook",
        events=[EVENT_RESPONSE_SUBMITTED],
        secret="s3cret-for-the-accessibility-test",
        created_by=admin,
    )
    WebhookDelivery.objects.create(
        webhook=webhook, event=EVENT_RESPONSE_SUBMITTED, payload={"id": draft.pk}, status=DeliveryStatus.FAILED
    )

    return {
        "consultation": consultation,
        "organisation": network,
        "received": received[0],
        "draft": draft,
        "tag": tag,
        "job": done,
        "webhook": webhook,
        "contact": contact,
    }


# Page name -> its address, from the objects _make_data made.
URLS = {
    "dashboard": lambda o: reverse("home"),
    "consultation list": lambda o: reverse("consultations:consultation-list"),
    "consultation detail": lambda o: reverse("consultations:consultation-detail", args=[o["consultation"].slug]),
    "consultation form": lambda o: reverse("consultations:consultation-edit", args=[o["consultation"].slug]),
    "new consultation form": lambda o: reverse("consultations:consultation-create"),
    "consultation export jobs": lambda o: reverse("exports:consultation-job-list", args=[o["consultation"].slug]),
    "organisation list": lambda o: reverse("stakeholders:organisation-list"),
    "organisation detail": lambda o: reverse("stakeholders:organisation-detail", args=[o["organisation"].slug]),
    "new organisation form": lambda o: reverse("stakeholders:organisation-create"),
    "import organisations": lambda o: reverse("stakeholders:organisation-import"),
    "organisation form": lambda o: reverse("stakeholders:organisation-edit", args=[o["organisation"].slug]),
    "organisation merge": lambda o: reverse("stakeholders:organisation-merge", args=[o["organisation"].slug]),
    "contact form": lambda o: reverse("stakeholders:contact-create", args=[o["organisation"].slug]),
    "response list": lambda o: reverse("responses:response-list"),
    "response detail": lambda o: reverse("responses:response-detail", args=[o["received"].pk]),
    "response edit": lambda o: reverse("responses:response-edit", args=[o["received"].pk]),
    "log a submission": lambda o: reverse("responses:response-create"),
    "draft under review": lambda o: reverse("responses:response-detail", args=[o["draft"].pk]),
    "draft edit": lambda o: reverse("responses:draft-edit", args=[o["draft"].pk]),
    "review request": lambda o: reverse("responses:review-request", args=[o["draft"].pk]),
    "versions": lambda o: reverse("responses:version-list", args=[o["draft"].pk]),
    "version comparison": lambda o: reverse("responses:version-diff", args=[o["draft"].pk]),
    "draft audit trail": lambda o: reverse("responses:response-audit", args=[o["draft"].pk]),
    "audit log": lambda o: reverse("responses:audit-list"),
    "my work": lambda o: reverse("responses:my-work"),
    "stance matrix": lambda o: reverse("responses:matrix", args=[o["consultation"].slug]),
    "search with results": lambda o: reverse("responses:search") + "?q=reporting",
    "saved searches": lambda o: reverse("responses:saved-search-list"),
    "positions": lambda o: (
        reverse("responses:positions") + f"?organisation={o['organisation'].slug}&tag={o['tag'].slug}"
    ),
    "campaigns": lambda o: reverse("responses:campaign-list", args=[o["consultation"].slug]),
    "import submissions": lambda o: reverse("responses:response-import", args=[o["consultation"].slug]),
    "export job list": lambda o: reverse("exports:job-list"),
    "export request": lambda o: reverse("exports:job-create", args=[o["consultation"].slug]),
    "export job detail": lambda o: reverse("exports:job-detail", args=[o["job"].pk]),
    "notifications": lambda o: reverse("notifications:notification-list"),
    "notification settings": lambda o: reverse("notifications:notification-settings"),
    "reminder history": lambda o: reverse("reminders:log-list"),
    "calendar settings": lambda o: reverse("reminders:calendar-settings"),
    "webhooks": lambda o: reverse("webhooks:webhook-list"),
    "webhook detail": lambda o: reverse("webhooks:webhook-detail", args=[o["webhook"].pk]),
    "new webhook form": lambda o: reverse("webhooks:webhook-create"),
    "API token": lambda o: reverse("accounts:api-token"),
    "two-factor settings": lambda o: reverse("accounts:two-factor"),
    "password change": lambda o: reverse("accounts:password-change"),
}
# What a page shows when the data set fills it: checked, so that no page is checked empty by mistake.
SHOWS = {
    "dashboard": "Guidelines on the protection of minors online",
    "organisation detail": "Jo Contact",
    "response detail": "letter.txt",
    "draft under review": "Which platforms? Name them.",
    "my work": "Guidelines on the protection of minors online",
    "stance matrix": "Parents for a Safer Web",
    "search with results": "Family Online Alliance",
    "saved searches": "Reporting duties",
    "positions": "Reporting tools",
    "campaigns": "Form letter",
    "export job list": "Download",
    "notifications": "Rene commented on your draft",
    "reminder history": "Guidelines on the protection of minors online",
    "webhook detail": "Intranet CRM",
}

# Pages whose form is sent empty, to be checked as shown with its validation errors.
WITH_ERRORS = {
    "consultation form with errors": "new consultation form",
    "contact form with errors": "contact form",
    "log a submission with errors": "log a submission",
}


def _suggest_organisations(page) -> None:
    page.get_by_label("Find the organisation").fill("Famil")
    page.locator("#organisation-options [data-org-id]").first.wait_for()


def _preview_draft(page) -> None:
    page.get_by_test_id("preview-button").click()
    page.get_by_test_id("preview").get_by_text("National capacity building").wait_for()


# Content that htmx swaps in: page name -> (the page it starts from, what brings the content in).
SWAPPED_IN = {
    "log a submission, organisations suggested": ("log a submission", _suggest_organisations),
    "draft edit, preview shown": ("draft edit", _preview_draft),
}
PAGES = ["login", "unsubscribe", *URLS, *WITH_ERRORS, *SWAPPED_IN]


def _axe(page) -> list[dict]:
    """The serious and critical violations axe finds in the page as it is now."""
    # Evaluated through the DevTools protocol, which the page's Content-Security-Policy does not govern: an
    # injected <script> (page.add_script_tag) would be refused by script-src 'self', and the pages are checked
    # under their real policy, as users get them.
    page.evaluate(AXE.read_text())
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [violation for violation in results["violations"] if violation["impact"] in BLOCKING_IMPACTS]


@pytest.fixture(scope="module")
def visits(browser, live_server, django_db_setup, django_db_blocker, tmp_path_factory) -> dict[str, Visit]:
    """Page name -> what axe found there and where its HTML was saved."""
    from reminders.services import unsubscribe_token

    assert AXE.exists() and VNU.exists(), "run `make node_modules/.installed` (npm ci) first"
    html_dir = tmp_path_factory.mktemp("html")
    media_root = tmp_path_factory.mktemp("media")
    # pytest-django lets the live server's host in per test, after this module-wide fixture: let it in here.
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media_root, ALLOWED_HOSTS=["localhost"]):
        objects = _make_data()
        urls = {name: url(objects) for name, url in URLS.items()}
        context = browser.new_context()
        page = context.new_page()
        seen: dict[str, Visit] = {}

        def check(name: str) -> None:
            page.wait_for_load_state("networkidle")
            visit = seen.setdefault(name, Visit(url=page.url))
            visit.violations = _axe(page)
            visit.html_file = html_dir / f"{len(seen):02d}-{name.replace(' ', '-')}.html"
            visit.html_file.write_text(page.content(), encoding="utf-8")

        try:
            page.goto(live_server.url + reverse("reminders:unsubscribe", args=[unsubscribe_token(objects["contact"])]))
            check("unsubscribe")
            page.goto(live_server.url + reverse("accounts:login"))
            check("login")
            page.get_by_label("Username").fill("ada")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(live_server.url + reverse("home"))
            for name, url in urls.items():
                response = page.goto(live_server.url + url)
                assert response.ok, f"{name}: {url} answered {response.status}"
                if name in SHOWS:
                    assert SHOWS[name] in page.inner_text("main"), f"{name} does not show {SHOWS[name]!r}"
                check(name)
            for name, form_page in WITH_ERRORS.items():
                page.goto(live_server.url + urls[form_page])
                # The browser's own checks (required, type=email) would stop the empty form before the server.
                page.locator("main form[method=post]").first.evaluate("form => { form.noValidate = true; }")
                page.locator("main form[method=post]").first.locator("[type=submit]").last.click()
                page.wait_for_load_state("networkidle")
                assert page.locator(".invalid-feedback, .alert-danger").count(), f"{name}: no error shown"
                check(name)
            for name, (start, bring_in) in SWAPPED_IN.items():
                page.goto(live_server.url + urls[start])
                bring_in(page)
                check(name)
        finally:
            context.close()
            call_command("flush", interactive=False, verbosity=0)
    return seen


def _describe(violation: dict) -> str:
    """A violation as a rule, what it asks, and each element it fails on with axe's reason."""
    lines = [f"  {violation['id']} ({violation['impact']}): {violation['help']}"]
    for node in violation["nodes"]:
        reasons = [check["message"] for kind in ("any", "all", "none") for check in node[kind]]
        lines.append(f"    {' '.join(node['target'])}: {reasons[0] if reasons else node['failureSummary']}")
    return "\n".join(lines)


@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_serious_accessibility_violation(visits, name):
    """axe-core finds nothing serious or critical on the page (WCAG 2.1 AA rules and best practices)."""
    visit = visits[name]
    if visit.violations:
        pytest.fail(f"{name} ({visit.url}):\n" + "\n".join(map(_describe, visit.violations)), pytrace=False)


def test_every_page_is_valid_html(visits):
    """The Nu Html Checker finds no error in any page, as the browser had it once loaded."""
    files = {str(visit.html_file): name for name, visit in visits.items()}
    run = subprocess.run(
        ["java", "-jar", str(VNU), "--format", "json", "--errors-only", *files],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(run.stderr)["messages"]
    errors = [
        f"  {files.get(message.get('url', '').removeprefix('file:'), message.get('url'))}, "
        f"line {message.get('lastLine')}: {message['message']}\n    {message.get('extract', '').strip()}"
        for message in messages
    ]
    if errors or run.returncode:
        pytest.fail(f"{len(errors)} HTML errors:\n" + "\n".join(errors or [run.stderr]), pytrace=False)
