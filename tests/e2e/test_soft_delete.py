"""In Chromium: an admin deletes a logged letter with a reason, finds it in the deleted items, and restores it."""

from playwright.sync_api import Page, expect

from accounts.roles import Role
from responses.models import EventKind, Response, ResponseEvent
from tests.e2e.login import log_in
from tests.factories import ConsultationFactory, OrganisationFactory, ResponseFactory, UserFactory


def test_an_admin_deletes_a_response_and_restores_it_from_the_deleted_items(page: Page, live_server):
    UserFactory(username="ada", role=Role.ADMIN)
    letter = ResponseFactory(
        consultation=ConsultationFactory(title="COP Results Framework"),
        organisation=OrganisationFactory(name="Aardvark Alliance"),
    )
    log_in(page, live_server, "ada")

    page.goto(f"{live_server.url}{letter.get_absolute_url()}")
    page.get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", name="Delete this response?")).to_be_visible()
    page.get_by_label("Why delete it").fill("Logged twice by mistake.")
    page.get_by_role("button", name="Delete").click()

    expect(page.get_by_text("The response of Aardvark Alliance is deleted.")).to_be_visible()
    expect(page.get_by_role("link", name="Aardvark Alliance")).to_have_count(0)
    assert page.request.get(f"{live_server.url}{letter.get_absolute_url()}").status == 404

    page.get_by_test_id("user-menu").click()
    page.get_by_role("link", name="Deleted items").click()
    row = page.get_by_test_id("deleted-response")
    expect(row).to_contain_text("Aardvark Alliance")
    expect(row).to_contain_text("Logged twice by mistake.")
    expect(row).to_contain_text("ada")
    row.get_by_role("button", name="Restore Aardvark Alliance").click()

    expect(page.get_by_text("The response is restored.")).to_be_visible()
    expect(page.get_by_role("heading", name="Aardvark Alliance", level=1)).to_be_visible()
    assert Response.objects.filter(pk=letter.pk).exists()
    assert list(ResponseEvent.objects.filter(response=letter).order_by("pk").values_list("kind", flat=True)) == [
        EventKind.DELETED,
        EventKind.UNDELETED,
    ]

    page.goto(f"{live_server.url}/responses/deleted/")
    expect(page.get_by_text("No deleted response.")).to_be_visible()
