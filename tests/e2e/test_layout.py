"""In Chromium: the main pages fit a 360 px wide phone without sideways scrolling, and consultation and
response pages print as their content alone (no navigation bar, buttons or filters)."""

from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DEMO_PASSWORD

PHONE = {"width": 360, "height": 740}
# Sub-pixel rounding of borders may add a pixel; anything more is a real overflow.
TOLERANCE = 2

# The elements sticking out to the right of the viewport, to name the culprit when a page overflows.
OVERFLOWING = """(width) => Array.from(document.querySelectorAll("body *"))
  .filter((el) => el.getBoundingClientRect().right > width + 2 && el.getClientRects().length)
  .filter((el) => !(el.parentElement && el.parentElement.closest(".table-responsive")))
  .slice(0, 5)
  .map((el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + "." + el.className)"""


def sign_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}{reverse('accounts:login')}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Welcome")).to_be_visible()


def main_pages() -> dict[str, str]:
    from consultations.models import Consultation
    from responses.models import Response
    from stakeholders.models import Organisation

    cop = Consultation.objects.get(slug="itu-cwg-cop-results-framework-2016")
    received = Response.objects.received().filter(consultation=cop).order_by("pk").first()
    draft = Response.objects.ours().order_by("pk").first()
    organisation = Organisation.objects.filter(responses__isnull=False).order_by("name").first()
    return {
        "dashboard": reverse("home"),
        "consultation list": reverse("consultations:consultation-list"),
        "consultation": reverse("consultations:consultation-detail", args=[cop.slug]),
        "consultation form": reverse("consultations:consultation-edit", args=[cop.slug]),
        "organisation list": reverse("stakeholders:organisation-list"),
        "organisation": reverse("stakeholders:organisation-detail", args=[organisation.slug]),
        "response list": reverse("responses:response-list"),
        "log a submission": reverse("responses:response-create"),
        "response": reverse("responses:response-detail", args=[received.pk]),
        "stance matrix": reverse("responses:matrix", args=[cop.slug]),
        "search": reverse("responses:search") + "?q=coordination",
        "positions": reverse("responses:positions"),
        "my work": reverse("responses:my-work"),
        "draft": reverse("responses:response-detail", args=[draft.pk]),
        "pack request": reverse("exports:job-create", args=[cop.slug]),
        "packs": reverse("exports:job-list"),
        "notifications": reverse("notifications:notification-list"),
    }


def test_main_pages_fit_a_360_pixel_screen(page: Page, live_server, demo_data, screenshot):
    """No page scrolls sideways on a small phone: the menu collapses, forms stack, wide tables scroll alone."""
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, "admin")
    expect(page.get_by_role("button", name="Toggle navigation")).to_be_visible()
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Consultations", exact=True)
    ).to_be_hidden()

    too_wide = {}
    for name, path in main_pages().items():
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, name
        page.wait_for_load_state("networkidle")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > PHONE["width"] + TOLERANCE:
            too_wide[name] = (width, page.evaluate(OVERFLOWING, PHONE["width"]))
    assert not too_wide, too_wide

    page.goto(f"{live_server.url}{main_pages()['consultation']}")
    page.get_by_role("button", name="Toggle navigation").press("Enter")
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Consultations", exact=True)
    ).to_be_visible()
    screenshot(page, "phone-360-consultation-menu")


def test_the_login_page_fits_a_360_pixel_screen(page: Page, live_server, demo_data):
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}{reverse('accounts:login')}")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"] + TOLERANCE


def test_consultation_and_response_pages_print_their_content_only(page: Page, live_server, demo_data, tmp_path):
    """In print, the navigation bar, action buttons and forms are gone, the content stays, and a PDF comes out."""
    sign_in(page, live_server, "admin")
    pages = main_pages()
    page.emulate_media(media="print")

    page.goto(f"{live_server.url}{pages['consultation']}")
    expect(page.locator("nav.navbar")).to_be_hidden()
    expect(page.locator("main")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Export pack")).to_be_hidden()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 5_000

    page.goto(f"{live_server.url}{pages['response']}")
    expect(page.locator("nav.navbar")).to_be_hidden()
    expect(page.locator("#text-panel")).to_be_visible()
    expect(page.get_by_role("button", name="Save positions and answers")).to_be_hidden()
    expect(page.locator("#coding")).to_be_visible()

    page.goto(f"{live_server.url}{pages['draft']}")
    expect(page.locator("nav.navbar")).to_be_hidden()
    expect(page.get_by_test_id("paragraph").first).to_be_visible()
    expect(page.get_by_test_id("draft-actions")).to_be_hidden()
    expect(page.get_by_text("Comment on this paragraph").first).to_be_hidden()

    page.emulate_media(media="screen")
    expect(page.locator("nav.navbar")).to_be_visible()
