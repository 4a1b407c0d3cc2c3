"""A form posted with errors says so at its top, links each error to its field, ties the messages to the
fields (aria-describedby, aria-invalid), and keeps what was typed."""

import pytest
from django.urls import reverse
from lxml import html as lxml_html

from tests.factories import PASSWORD, ConsultationFactory, OrganisationFactory, UserFactory
from tests.test_consultations_form import consultation_data
from tests.test_import_organisations import preview_of
from tests.test_importing import csv_bytes

pytestmark = pytest.mark.django_db

FIELD_TAGS = {"input", "select", "textarea"}


def accessible_errors(response, *, fields_in_error: bool = True) -> tuple:
    """Check the error summary and the error wiring of a re-shown form; return the page and the summary's lines.

    Every link of the summary points at a field on the page, every field marked invalid is described by
    elements that exist and include its error message, and every aria-describedby points at an existing id.
    """
    assert response.status_code == 200
    page = lxml_html.fromstring(response.content.decode())
    summaries = page.xpath("//*[@data-error-summary]")
    assert len(summaries) == 1, "one error summary per page"
    summary = summaries[0]
    assert summary.get("role") == "alert" and summary.get("tabindex") == "-1"
    assert page.get_element_by_id(summary.get("aria-labelledby")).text_content().strip() == "There is a problem"

    for link in summary.xpath(".//a"):
        target = page.get_element_by_id(link.get("href").removeprefix("#"))
        assert target.tag in FIELD_TAGS, link.get("href")
        assert target.get("type") != "hidden"

    invalid = page.xpath("//*[@aria-invalid='true']")
    assert bool(invalid) == fields_in_error, "the fields in error, and only they, are marked invalid"
    for field in invalid:
        described_by = [page.get_element_by_id(id_) for id_ in field.get("aria-describedby", "").split()]
        assert any("invalid-feedback" in element.get("class", "") for element in described_by), field.get("id")
    for element in page.xpath("//*[@aria-describedby]"):
        for id_ in element.get("aria-describedby").split():
            assert page.xpath(f"//*[@id='{id_}']"), f"{element.get('id')} is described by a missing #{id_}"

    lines = [" ".join(item.text_content().split()) for item in summary.xpath(".//li")]
    return page, lines


def links(page) -> list[str]:
    return [link.get("href") for link in page.xpath("//*[@data-error-summary]//a")]


def test_sign_in_with_a_wrong_password_lists_the_error_and_keeps_the_username(client):
    """A wrong password is a form-wide error: the summary shows it, and the username stays typed."""
    UserFactory(username="pat")
    response = client.post(reverse("accounts:login"), {"username": "pat", "password": "not-" + PASSWORD})
    page, lines = accessible_errors(response, fields_in_error=False)
    assert links(page) == []
    assert len(lines) == 1 and "correct username and password" in lines[0]
    assert page.get_element_by_id("id_username").get("value") == "pat"


def test_an_organisation_without_name_or_kind_links_both_errors_to_their_fields(as_user, admin_user):
    """Each missing field is a link to it; the field is invalid, described by its error and its help."""
    response = as_user(admin_user).post(
        reverse("stakeholders:organisation-create"), {"name": "", "website": "https://example.org/"}
    )
    page, lines = accessible_errors(response)
    assert links(page) == ["#id_name", "#id_kind"]
    assert lines == ["Name: This field is required.", "Kind: This field is required."]
    name = page.get_element_by_id("id_name")
    assert name.get("aria-invalid") == "true"
    assert name.get("aria-describedby") == "id_name_error"
    website = page.get_element_by_id("id_website")
    assert website.get("value") == "https://example.org/"
    assert website.get("aria-describedby") == "id_website_helptext"
    assert "aria-invalid" not in website.attrib


def test_a_consultation_lists_the_errors_of_its_question_and_topic_rows(as_user, admin_user):
    """Errors in formset rows are named by row and link to the field of that row."""
    issuer = OrganisationFactory()
    data = consultation_data(
        issuer,
        title="",
        questions=[{"number": "1", "text": "First?"}, {"number": "1", "text": "Second?"}],
        topics=[{"name": "", "slug": "", "description": "Only a description"}],
    )
    response = as_user(admin_user).post(reverse("consultations:consultation-create"), data)
    page, lines = accessible_errors(response)
    assert "#id_title" in links(page)
    assert "#id_questions-1-number" in links(page)
    assert "Question 2, Number: Another question already has number 1." in lines
    assert any(line.startswith("Topic 1, Name:") for line in lines)
    assert page.get_element_by_id("id_questions-1-number").get("aria-invalid") == "true"
    assert page.get_element_by_id("id_questions-1-text").text_content().strip() == "Second?"
    assert page.get_element_by_id("id_reference").get("value") == data["reference"]


def test_logging_a_submission_without_consultation_or_organisation_links_to_both(as_user, policy_user):
    """The organisation's error is on its search box (the chosen id is a hidden field nobody can reach)."""
    response = as_user(policy_user).post(
        reverse("responses:response-create"),
        {
            "organisation_mode": "existing",
            "organisation_query": "Inter",
            "organisation": "",
            "channel": "letter",
            "received_on": "2016-01-30",
            "summary": "Kept as typed.",
        },
    )
    page, _lines = accessible_errors(response)
    assert links(page) == ["#id_consultation", "#id_organisation_query"]
    query = page.get_element_by_id("id_organisation_query")
    assert query.get("value") == "Inter"
    assert query.get("aria-describedby").split() == ["id_organisation_query_helptext", "id_organisation_query_error"]
    assert page.get_element_by_id("id_summary").text_content().strip() == "Kept as typed."


def test_a_draft_without_organisation_links_to_it_and_keeps_the_text(as_user, policy_user):
    """The draft form's missing organisation is listed; the text typed in its body stays."""
    consultation = ConsultationFactory()
    response = as_user(policy_user).post(
        reverse("responses:draft-create"),
        {"consultation": str(consultation.pk), "organisation": "", "body": "Our first paragraph."},
    )
    page, lines = accessible_errors(response)
    assert links(page) == ["#id_organisation"]
    assert lines == ["On behalf of: This field is required."]
    assert page.get_element_by_id("id_body").text_content().strip() == "Our first paragraph."


def test_an_import_missing_a_column_links_the_problem_to_the_column_choice(as_user, policy_user, settings, tmp_path):
    """The import preview's list of column problems links each to the select that fixes it."""
    settings.MEDIA_ROOT = tmp_path / "media"
    client = as_user(policy_user)
    preview_url = preview_of(client, csv_bytes([["Organisation title", "Kind"], ["Acme", "Company"]]))
    page = lxml_html.fromstring(client.get(preview_url).content.decode())
    problems = page.xpath("//*[@data-testid='mapping-problems']")[0]
    assert problems.get("tabindex") == "-1" and "data-error-summary" in problems.attrib
    assert [link.get("href") for link in problems.xpath(".//a")] == ["#id_map_name"]
    name_column = page.get_element_by_id("id_map_name")
    assert name_column.tag == "select"
    assert name_column.get("aria-invalid") == "true"
    assert "id_map_name_error" in name_column.get("aria-describedby").split()
