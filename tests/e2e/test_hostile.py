"""In Chromium: pages full of hostile text (tests/hostile.py) run no script of it, open no dialog, and
break no rule of the Content-Security-Policy."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Page

from tests.e2e.page_problems import record_page_problems
from tests.hostile import BY_KEY
from tests.test_hostile_input import world  # noqa: F401  (the fixture: every record full of the corpus)

pytestmark = pytest.mark.django_db(transaction=True)


def _sign_in(page: Page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def test_pages_full_of_hostile_text_run_none_of_it(page: Page, live_server, world, policy_user):  # noqa: F811
    """Lists, details, the draft with its comments, search results and notifications: no alert() dialog,
    no error in the page, no CSP violation; the hostile text is on the page as text."""
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(f"{page.url}: {dialog.message}"), dialog.dismiss()))
    problems = record_page_problems(page)
    _sign_in(page, live_server, policy_user)
    consultation, draft = world["consultation"], world["draft"]
    paths = [
        reverse("home"),
        reverse("consultations:consultation-list"),
        reverse("consultations:consultation-detail", args=[consultation.slug]),
        reverse("consultations:consultation-edit", args=[consultation.slug]),
        reverse("stakeholders:organisation-list"),
        reverse("stakeholders:organisation-detail", args=[world["organisations"][1].slug]),
        reverse("responses:response-detail", args=[world["responses"][0].pk]),
        reverse("responses:response-detail", args=[draft.pk]),
        reverse("responses:draft-edit", args=[draft.pk]),
        reverse("responses:matrix", args=[consultation.slug]),
        reverse("responses:version-diff", args=[draft.pk]),
        reverse("responses:search") + "?q=" + BY_KEY["script"].marker,
        reverse("responses:saved-search-list"),
        reverse("notifications:notification-list"),
    ]
    for path in paths:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
        assert page.locator("script:not([src])").count() == 0, path
        assert page.locator("img[src='x'], svg[onload], [onerror]").count() == 0, path

    page.goto(f"{live_server.url}{reverse('responses:response-detail', args=[world['responses'][0].pk])}")
    assert page.get_by_text(BY_KEY["script"].text).first.is_visible()
    # A name holding a right-to-left override stays inside its own link: the words around it keep their order.
    assert page.locator("a").first.evaluate("element => getComputedStyle(element).unicodeBidi") == "isolate"

    assert not dialogs, "\n".join(dialogs)
    assert not problems, "\n".join(problems)
