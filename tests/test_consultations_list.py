"""The consultation list: tabs by status, filters, columns, pagination, and a constant query count."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import ConsultationFactory, OrganisationFactory, ResponseFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("consultations:consultation-list")
NOW = datetime.datetime(2030, 6, 15, 12, 0, tzinfo=datetime.UTC)


def at(day: int, month: int = 6) -> datetime.datetime:
    return datetime.datetime(2030, month, day, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def one_of_each(frozen):
    """One consultation in each window, relative to NOW (15 June 2030, noon UTC)."""
    return {
        "upcoming": ConsultationFactory(title="Upcoming one", opens_at=at(1, 7), deadline=at(1, 8)),
        "open": ConsultationFactory(title="Open, closing in a month", opens_at=at(1), deadline=at(15, 7)),
        "closing": ConsultationFactory(title="Open, closing in five days", opens_at=at(1), deadline=at(20)),
        "closing_no_opening": ConsultationFactory(
            title="Open since ever, closing in three days", opens_at=None, deadline=at(18)
        ),
        "closed": ConsultationFactory(title="Closed five days ago", opens_at=at(1, 5), deadline=at(10)),
    }


def titles(response) -> list[str]:
    return [consultation.title for consultation in response.context["consultations"]]


def tab_counts(response) -> dict[str, int]:
    return {tab["key"]: tab["count"] for tab in response.context["tabs"]}


@pytest.mark.parametrize(
    ("tab", "expected"),
    [
        (None, ["Open since ever, closing in three days", "Open, closing in five days", "Open, closing in a month"]),
        ("open", ["Open since ever, closing in three days", "Open, closing in five days", "Open, closing in a month"]),
        ("closing", ["Open since ever, closing in three days", "Open, closing in five days"]),
        ("upcoming", ["Upcoming one"]),
        ("closed", ["Closed five days ago"]),
        (
            "all",
            [
                "Upcoming one",
                "Open, closing in a month",
                "Open, closing in five days",
                "Open since ever, closing in three days",
                "Closed five days ago",
            ],
        ),
        (
            "nonsense",
            ["Open since ever, closing in three days", "Open, closing in five days", "Open, closing in a month"],
        ),
    ],
)
def test_each_tab_lists_the_consultations_in_its_window(as_user, policy_user, one_of_each, tab, expected):
    """Open is the default tab; closing-soon, upcoming, closed and all show their own windows."""
    response = as_user(policy_user).get(LIST_URL, {"tab": tab} if tab else {})
    assert response.status_code == 200
    assert titles(response) == expected


def test_each_tab_shows_its_count(as_user, policy_user, one_of_each):
    response = as_user(policy_user).get(LIST_URL)
    assert tab_counts(response) == {"open": 3, "closing": 2, "upcoming": 1, "closed": 1, "all": 5}
    content = response.content.decode()
    assert 'data-testid="tab-closing"' in content
    assert "Closing within 7 days" in content


def test_rows_show_status_deadline_in_viewer_zone_days_left_responses_and_tags(as_user, policy_user, frozen):
    """Each row: issuer, status badge, deadline in the viewer's zone, days left, response count, tags."""
    policy_user.time_zone = "Asia/Tokyo"
    policy_user.save(update_fields=["time_zone"])
    consultation = ConsultationFactory(
        title="Guidelines on minors",
        issuer=OrganisationFactory(name="European Commission"),
        opens_at=at(1),
        deadline=datetime.datetime(2030, 6, 20, 22, 0, tzinfo=datetime.UTC),
        time_zone="Europe/Brussels",
    )
    consultation.tags.add(TagFactory(name="Age assurance"), TagFactory(name="Encryption"))
    ResponseFactory.create_batch(3, consultation=consultation)

    content = as_user(policy_user).get(LIST_URL).content.decode()
    assert "European Commission" in content
    assert "Deadline (Asia/Tokyo)" in content
    assert "21 Jun 2030, 07:00" in content
    assert "6 days left" in content  # the 21st in Brussels, counted from the 15th
    assert '<td class="text-end">3</td>' in content
    assert "Age assurance" in content and "Encryption" in content
    assert "badge text-bg-success" in content


def test_a_closed_consultation_says_how_long_ago_it_closed(as_user, policy_user, one_of_each):
    content = as_user(policy_user).get(LIST_URL, {"tab": "closed"}).content.decode()
    assert "closed 5 days ago" in content


def test_search_matches_title_and_reference(as_user, policy_user, frozen):
    ConsultationFactory(title="COP Results Framework", reference="CWG-COP 2016/1")
    ConsultationFactory(title="Illegal harms", reference="OFCOM-42")
    ConsultationFactory(title="Something else")
    client = as_user(policy_user)
    assert titles(client.get(LIST_URL, {"q": "results"})) == ["COP Results Framework"]
    assert titles(client.get(LIST_URL, {"q": "ofcom-4"})) == ["Illegal harms"]


def test_filters_by_issuer_tag_and_owner_also_narrow_the_tab_counts(as_user, policy_user, frozen):
    """Filters apply to every tab, and the counts follow."""
    itu = OrganisationFactory(name="ITU", slug="itu")
    tag = TagFactory(name="Child online protection", slug="cop")
    owner = UserFactory(username="pat")
    mine = ConsultationFactory(title="Tagged and owned", issuer=itu, opens_at=at(1), deadline=at(20))
    mine.tags.add(tag, TagFactory())
    mine.owners.add(owner, policy_user)
    ConsultationFactory(title="ITU, closed", issuer=itu, opens_at=at(1, 5), deadline=at(1))
    ConsultationFactory(title="Another issuer", opens_at=at(1), deadline=at(20))
    client = as_user(policy_user)

    by_issuer = client.get(LIST_URL, {"issuer": "itu", "tab": "all"})
    assert sorted(titles(by_issuer)) == ["ITU, closed", "Tagged and owned"]
    assert tab_counts(by_issuer) == {"open": 1, "closing": 1, "upcoming": 0, "closed": 1, "all": 2}
    assert titles(client.get(LIST_URL, {"tag": "cop", "tab": "all"})) == ["Tagged and owned"]
    assert titles(client.get(LIST_URL, {"owner": "pat", "tab": "all"})) == ["Tagged and owned"]
    assert titles(client.get(LIST_URL, {"owner": "pat", "tag": "cop", "issuer": "itu"})) == ["Tagged and owned"]


def test_response_count_is_not_inflated_by_tag_or_owner_filters(as_user, policy_user, frozen):
    """Filtering on tags or owners joins rows; each response is still counted once."""
    tag = TagFactory(slug="cop")
    consultation = ConsultationFactory(opens_at=at(1), deadline=at(20))
    consultation.tags.add(tag, TagFactory(), TagFactory())
    consultation.owners.add(policy_user, UserFactory())
    ResponseFactory.create_batch(2, consultation=consultation)
    response = as_user(policy_user).get(LIST_URL, {"tag": "cop", "owner": policy_user.username})
    assert [c.response_count for c in response.context["consultations"]] == [2]


def test_tab_links_keep_the_filters(as_user, policy_user, frozen):
    ConsultationFactory(issuer=OrganisationFactory(slug="itu"))
    content = as_user(policy_user).get(LIST_URL, {"issuer": "itu", "q": "cop"}).content.decode()
    assert 'href="?issuer=itu&amp;q=cop&amp;tab=closed"' in content


def test_an_unknown_filter_value_is_reported_not_a_crash(as_user, policy_user, frozen):
    ConsultationFactory(title="Still listed", opens_at=at(1), deadline=at(20))
    response = as_user(policy_user).get(LIST_URL, {"tag": "no-such-tag"})
    assert response.status_code == 200
    assert "tag" in response.context["filterset"].errors
    assert titles(response) == ["Still listed"]


def test_the_list_is_paginated_keeping_tab_and_filters(as_user, policy_user, frozen):
    itu = OrganisationFactory(slug="itu")
    for day in range(1, 31):
        ConsultationFactory(issuer=itu, opens_at=at(1, 4), deadline=at(day, 5))
    client = as_user(policy_user)
    first = client.get(LIST_URL, {"tab": "closed", "issuer": "itu"})
    assert len(first.context["consultations"]) == 25
    assert 'href="?tab=closed&amp;issuer=itu&amp;page=2"' in first.content.decode()
    second = client.get(LIST_URL, {"tab": "closed", "issuer": "itu", "page": 2})
    assert len(second.context["consultations"]) == 5


def test_htmx_gets_only_the_list_block(as_user, policy_user, one_of_each):
    """Tabs, filters and pages swap the list block; a history restore gets the whole page."""
    client = as_user(policy_user)
    fragment = client.get(LIST_URL, {"tab": "closed"}, headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<div id="consultation-list"')
    assert "<html" not in fragment
    assert "Closed five days ago" in fragment
    restore = client.get(LIST_URL, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert b"<html" in restore.content


def test_user_strings_are_escaped(as_user, policy_user, frozen):
    ConsultationFactory(title="<b>bold</b>", opens_at=at(1), deadline=at(20))
    content = as_user(policy_user).get(LIST_URL).content
    assert b"<b>bold</b>" not in content
    assert b"&lt;b&gt;bold&lt;/b&gt;" in content


def _queries(client, params: dict) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(LIST_URL, params)
    assert response.status_code == 200
    return len(context.captured_queries)


def _listed_consultation(owner) -> None:
    consultation = ConsultationFactory(opens_at=at(1), deadline=at(20))
    consultation.tags.add(TagFactory(), TagFactory())
    consultation.owners.add(owner)
    ResponseFactory.create_batch(2, consultation=consultation)


def test_query_count_does_not_grow_with_the_rows(as_user, policy_user, frozen):
    """One row or six, with tags and responses each, the page costs the same number of queries."""
    client = as_user(policy_user)
    _listed_consultation(policy_user)
    client.get(LIST_URL)  # warm caches (content types, session)
    with_one = _queries(client, {})
    filtered_one = _queries(client, {"owner": policy_user.username, "q": "Consultation"})
    for _ in range(5):
        _listed_consultation(policy_user)
    with_six = _queries(client, {})
    assert with_one == with_six
    assert filtered_one == _queries(client, {"owner": policy_user.username, "q": "Consultation"})
    assert len(client.get(LIST_URL).context["consultations"]) == 6
