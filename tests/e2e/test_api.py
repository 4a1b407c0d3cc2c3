"""In Chromium: a user makes an API token and uses it; an admin registers a webhook, copies its
secret, and sees a signed delivery arrive; the API documentation works offline."""

import time

from playwright.sync_api import Page, expect

from accounts.roles import Role
from tests.e2e.login import log_in
from tests.factories import OrganisationFactory, UserFactory
from tests.webhook_receiver import Receiver, start_receiver
from webhooks import signing
from webhooks.models import Webhook
from webhooks.services import delivery_attempt, webhook_emit


def test_a_user_makes_an_api_token_uses_it_and_revokes_it(page: Page, live_server):
    UserFactory(username="pat", role=Role.POLICY_STAFF)
    OrganisationFactory(name="Facebook")
    log_in(page, live_server, "pat")
    page.get_by_test_id("user-menu").click()
    page.get_by_role("link", name="API token").click()
    page.get_by_role("button", name="Make my API token").click()
    key = page.get_by_test_id("api-token").input_value()
    assert len(key) == 40

    api = page.context.request
    answer = api.get(f"{live_server.url}/api/v1/organisations/", headers={"Authorization": f"Token {key}"})
    assert answer.status == 200
    assert [row["name"] for row in answer.json()["results"]] == ["Facebook"]

    page.reload()
    expect(page.get_by_test_id("api-token")).to_have_count(0)
    page.get_by_role("button", name="Revoke my token").click()
    expect(page.get_by_text("Your API token is revoked")).to_be_visible()
    refused = api.get(
        f"{live_server.url}/api/v1/organisations/",
        headers={"Authorization": f"Token {key}", "Cookie": ""},
    )
    assert refused.status == 401


def test_an_admin_registers_a_webhook_and_sees_its_delivery(page: Page, live_server):
    receiver = Receiver()
    server = start_receiver(receiver)
    try:
        UserFactory(username="boss", role=Role.ADMIN)
        log_in(page, live_server, "boss")
        page.get_by_test_id("user-menu").click()
        page.get_by_role("link", name="Webhooks").click()
        page.get_by_role("link", name="Register a webhook").click()
        page.get_by_label("Name").fill("Intranet CRM")
        page.get_by_label("URL").fill(receiver.url)
        page.get_by_label("Response submitted").check()
        page.get_by_role("button", name="Register").click()
        secret = page.get_by_test_id("webhook-secret").input_value()
        assert secret.startswith("whsec_")

        (delivery,) = webhook_emit(event="response.submitted", data={"response": {"id": 1}})
        assert delivery_attempt(delivery_id=delivery.pk).outcome == "delivered"
        (request,) = receiver.requests
        assert signing.verify(secret, request.headers[signing.SIGNATURE_HEADER], request.body, now=int(time.time()))

        page.reload()
        expect(page.get_by_test_id("webhook-secret")).to_have_count(0)
        expect(page.get_by_test_id("delivery-table").get_by_test_id("delivery-status")).to_have_text("Delivered")
        assert Webhook.objects.get().events == ["response.submitted"]
    finally:
        server.shutdown()
        server.server_close()


def test_the_api_documentation_renders_from_local_files(page: Page, live_server):
    UserFactory(username="rene", role=Role.REVIEWER)
    log_in(page, live_server, "rene")
    outside = []
    page.on(
        "request", lambda request: outside.append(request.url) if not request.url.startswith(live_server.url) else None
    )
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.get_by_text("Consultrack API").first).to_be_visible()
    expect(page.get_by_text("/api/v1/organisations/", exact=True).first).to_be_visible()
    assert outside == []
