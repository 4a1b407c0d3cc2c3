"""The stance matrix: organisations that responded by topics, with counts per stance and filters."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from responses.models import ResponseStatus, Stance
from stakeholders.models import OrganisationKind
from tests.factories import ConsultationFactory, OrganisationFactory, PositionFactory, ResponseFactory, TopicFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultation():
    consultation = ConsultationFactory(title="COP Results Framework", slug="cop")
    # Created out of order: the matrix follows the topics' order, not their creation.
    TopicFactory(consultation=consultation, name="Reporting mechanisms", order=2)
    TopicFactory(consultation=consultation, name="Coordination", order=1)
    TopicFactory(consultation=consultation, name="Capacity building", order=3)
    return consultation


def matrix_url(consultation) -> str:
    return reverse("responses:matrix", args=[consultation.slug])


def cells(content: str) -> list[list[str]]:
    """The body rows as lists of cell texts (organisation first), whitespace squeezed."""
    body = re.search(r"<tbody>(.*?)</tbody>", content, re.S).group(1)
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        texts = [re.sub(r"<[^>]+>", " ", cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        rows.append([" ".join(text.split()) for text in texts])
    return rows


def footer(content: str) -> dict[str, list[int]]:
    body = re.search(r"<tfoot>(.*?)</tfoot>", content, re.S).group(1)
    counts = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)[1:]:
        texts = [
            " ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        counts[texts[0]] = [int(n) for n in texts[1:]]
    return counts


def code(response, topic_name: str, stance: str):
    return PositionFactory(response=response, topic=response.consultation.topics.get(name=topic_name), stance=stance)


def test_matrix_shows_each_organisation_by_topic_with_stance_and_not_coded_cells(as_user, reviewer_user, consultation):
    """Rows are responding organisations A-Z, columns the topics in order; empty cells say not coded."""
    facebook = ResponseFactory(consultation=consultation, organisation=OrganisationFactory(name="Facebook"))
    code(facebook, "Coordination", Stance.SUPPORTS)
    code(facebook, "Reporting mechanisms", Stance.OPPOSES)
    google = ResponseFactory(consultation=consultation, organisation=OrganisationFactory(name="Google"))
    code(google, "Capacity building", Stance.STRONGLY_SUPPORTS)
    # Not in the matrix: our own unsubmitted draft, and another consultation's response.
    ResponseFactory(consultation=consultation, status=ResponseStatus.DRAFT)
    ResponseFactory()

    content = as_user(reviewer_user).get(matrix_url(consultation)).content.decode()
    header = re.findall(r'<th scope="col">(.*?)</th>', content)
    assert header == ["Organisation", "Coordination", "Reporting mechanisms", "Capacity building"]
    assert cells(content) == [
        ["Facebook", "Supports", "Opposes", "— not coded"],
        ["Google", "— not coded", "— not coded", "Strongly supports"],
    ]
    assert '<span class="stance stance-opposes">Opposes</span>' in content
    reporting = consultation.topics.get(name="Reporting mechanisms")
    anchor = reverse("responses:response-detail", args=[facebook.pk]) + f"#position-{reporting.pk}"
    assert f'href="{anchor}"' in content


def test_matrix_counts_each_stance_per_topic(as_user, reviewer_user, consultation):
    for name, stances in [
        ("A", [Stance.SUPPORTS, Stance.OPPOSES, None]),
        ("B", [Stance.SUPPORTS, Stance.NEUTRAL, Stance.NOT_ADDRESSED]),
        ("C", [Stance.STRONGLY_OPPOSES, None, None]),
    ]:
        response = ResponseFactory(consultation=consultation, organisation=OrganisationFactory(name=name))
        for topic, stance in zip(consultation.topics.all(), stances, strict=True):
            if stance:
                PositionFactory(response=response, topic=topic, stance=stance)
    content = as_user(reviewer_user).get(matrix_url(consultation)).content.decode()
    assert footer(content) == {
        "Strongly supports": [0, 0, 0],
        "Supports": [2, 0, 0],
        "Neutral / mixed": [0, 1, 0],
        "Opposes": [0, 1, 0],
        "Strongly opposes": [1, 0, 0],
        "Not addressed": [0, 0, 1],
        "Not coded": [0, 1, 2],
    }


def test_matrix_filters_by_kind_and_country(as_user, reviewer_user, consultation):
    """The GET filters narrow rows and counts; the country choices are those of the respondents."""
    for name, kind, country in [
        ("Facebook", OrganisationKind.COMPANY, "US"),
        ("Telefonica", OrganisationKind.COMPANY, "ES"),
        ("IWF", OrganisationKind.NGO, "GB"),
    ]:
        response = ResponseFactory(
            consultation=consultation, organisation=OrganisationFactory(name=name, kind=kind, country=country)
        )
        code(response, "Coordination", Stance.SUPPORTS)
    client = as_user(reviewer_user)

    companies = client.get(matrix_url(consultation), {"kind": "company"}).content.decode()
    assert [row[0] for row in cells(companies)] == ["Facebook", "Telefonica"]
    assert footer(companies)["Supports"] == [2, 0, 0]

    spanish = client.get(matrix_url(consultation), {"kind": "company", "country": "ES"}).content.decode()
    assert [row[0] for row in cells(spanish)] == ["Telefonica"]

    none = client.get(matrix_url(consultation), {"kind": "regulator"}).content.decode()
    assert "No responding organisation matches these filters." in none

    options = re.search(r'<select name="country".*?</select>', companies, re.S).group(0)
    assert re.findall(r'<option value="([A-Z]{2})"', options) == [
        "ES",
        "GB",
        "US",
    ]  # Spain, United Kingdom, United States


def test_matrix_is_an_accessible_table(as_user, reviewer_user, consultation):
    ResponseFactory(consultation=consultation, organisation=OrganisationFactory(name="Facebook"))
    content = as_user(reviewer_user).get(matrix_url(consultation)).content.decode()
    assert re.search(r"<caption[^>]*>\s*Stances of 1 responding organisation on the topics of", content)
    assert '<th scope="row">' in content
    assert '<span class="visually-hidden">not coded</span>' in content


def test_several_submissions_of_one_organisation_are_told_apart(as_user, reviewer_user, consultation):
    organisation = OrganisationFactory(name="Facebook")
    ResponseFactory(consultation=consultation, organisation=organisation, received_on="2016-01-10")
    ResponseFactory(consultation=consultation, organisation=organisation, received_on="2016-01-29")
    content = as_user(reviewer_user).get(matrix_url(consultation)).content.decode()
    assert [row[0] for row in cells(content)] == ["Facebook received 10 Jan 2016", "Facebook received 29 Jan 2016"]


def test_matrix_query_count_is_constant(as_user, reviewer_user, consultation):
    """One organisation and three topics, or six organisations and six topics: the same queries."""
    client = as_user(reviewer_user)
    first = ResponseFactory(consultation=consultation)
    code(first, "Coordination", Stance.SUPPORTS)
    client.get(matrix_url(consultation))
    cache.clear()  # both measured on a cold cache (the aggregates are cached, see responses/matrix.py)
    with CaptureQueriesContext(connection) as small:
        client.get(matrix_url(consultation), {"kind": "company"})

    for n in range(3):
        TopicFactory(consultation=consultation, name=f"Extra {n}", order=10 + n)
    for _ in range(5):
        response = ResponseFactory(consultation=consultation, organisation=OrganisationFactory(country="DE"))
        for topic in consultation.topics.all():
            PositionFactory(response=response, topic=topic, stance=Stance.NEUTRAL)
    cache.clear()
    with CaptureQueriesContext(connection) as large:
        page = client.get(matrix_url(consultation), {"kind": "company"})
    assert len(page.context["rows"]) == 6
    assert len(page.context["topics"]) == 6
    assert len(large) == len(small)


def test_staff_see_a_link_to_log_a_submission_to_this_consultation(as_user, policy_user, reviewer_user, consultation):
    link = reverse("responses:response-create") + f"?consultation={consultation.slug}"
    assert link in as_user(policy_user).get(matrix_url(consultation)).content.decode()
    assert link not in as_user(reviewer_user).get(matrix_url(consultation)).content.decode()


def test_cached_counts_follow_every_change(as_user, reviewer_user, policy_user, consultation):
    """The counts are cached between views, and renewed when a position, a response's status or an
    organisation changes, even through UPDATEs that send no signal (a draft submitted)."""
    client = as_user(reviewer_user)
    facebook = ResponseFactory(consultation=consultation, organisation=OrganisationFactory(name="Facebook"))
    position = code(facebook, "Coordination", Stance.SUPPORTS)
    assert footer(client.get(matrix_url(consultation)).content.decode())["Supports"] == [1, 0, 0]

    position.stance = Stance.OPPOSES
    position.save()
    counts = footer(client.get(matrix_url(consultation)).content.decode())
    assert (counts["Supports"], counts["Opposes"]) == ([0, 0, 0], [1, 0, 0])

    ours = ResponseFactory(consultation=consultation, status=ResponseStatus.APPROVED)
    code(ours, "Coordination", Stance.OPPOSES)
    assert footer(client.get(matrix_url(consultation)).content.decode())["Opposes"] == [1, 0, 0]
    from responses import services

    services._move(ours, to=ResponseStatus.SUBMITTED, from_statuses=[ResponseStatus.APPROVED])
    assert footer(client.get(matrix_url(consultation)).content.decode())["Opposes"] == [2, 0, 0]

    facebook.organisation.kind = OrganisationKind.NGO
    facebook.organisation.save()
    filtered = client.get(matrix_url(consultation), {"kind": OrganisationKind.NGO}).content.decode()
    assert footer(filtered)["Opposes"] == [1, 0, 0]
    facebook.organisation.kind = OrganisationKind.COMPANY
    facebook.organisation.save()
    filtered = client.get(matrix_url(consultation), {"kind": OrganisationKind.NGO}).content.decode()
    assert "No responding organisation matches these filters." in filtered

    position.delete()
    assert footer(client.get(matrix_url(consultation)).content.decode())["Opposes"] == [1, 0, 0]


def test_a_large_matrix_is_shown_a_page_at_a_time_with_counts_over_all(as_user, reviewer_user, consultation):
    from responses.views import MATRIX_PAGE_SIZE

    for number in range(MATRIX_PAGE_SIZE + 3):
        response = ResponseFactory(consultation=consultation, organisation=OrganisationFactory(name=f"Org {number:03}"))
        code(response, "Coordination", Stance.NEUTRAL)
    client = as_user(reviewer_user)
    first = client.get(matrix_url(consultation))
    assert len(first.context["rows"]) == MATRIX_PAGE_SIZE
    assert footer(first.content.decode())["Neutral / mixed"] == [MATRIX_PAGE_SIZE + 3, 0, 0]
    assert "Page 1 of 2" in first.content.decode()
    second = client.get(matrix_url(consultation), {"page": 2})
    assert [row[0] for row in cells(second.content.decode())] == [
        f"Org {number:03}" for number in range(MATRIX_PAGE_SIZE, MATRIX_PAGE_SIZE + 3)
    ]
    assert footer(second.content.decode())["Neutral / mixed"] == [MATRIX_PAGE_SIZE + 3, 0, 0]
