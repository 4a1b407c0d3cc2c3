"""The dashboard (home page): deadlines in the viewer's zone, my drafts and reviews, recent submissions, charts."""

import datetime
import re

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from responses.models import ResponseStatus, ReviewDecision, Stance
from tests.factories import (
    ConsultationFactory,
    DraftFactory,
    OrganisationFactory,
    PositionFactory,
    ResponseFactory,
    ReviewRequestFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db

HOME = reverse("home")
NOW = datetime.datetime(2030, 1, 1, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def _consultation(title, deadline, *, opens=None):
    return ConsultationFactory(title=title, opens_at=opens or NOW - datetime.timedelta(days=40), deadline=deadline)


def _section(content: str, testid: str) -> str:
    """The markup of the element with this test id, up to its end (charts are whole figures)."""
    end = "figure" if testid.endswith("-chart") else "ul|table"
    match = re.search(rf'data-testid="{testid}"(.*?)</({end})>', content, flags=re.S)
    assert match, f"no {testid} on the page"
    return match.group(1)


def _deadline_titles(content: str) -> list[str]:
    return re.findall(r'<div class="fw-semibold"><a href="[^"]+">([^<]+)</a>', _section(content, "deadlines"))


def test_deadlines_window_ends_after_the_thirtieth_calendar_day(as_user, policy_user, frozen):
    """30 days left (even at the last minute of that day) is shown; 31 is not; closed and upcoming are not."""
    _consultation("Thirty days", datetime.datetime(2030, 1, 31, 23, 59, tzinfo=datetime.UTC))
    _consultation("Thirty-one days", datetime.datetime(2030, 2, 1, 0, 0, tzinfo=datetime.UTC))
    _consultation("Today", datetime.datetime(2030, 1, 1, 18, 0, tzinfo=datetime.UTC))
    _consultation("Closed an hour ago", datetime.datetime(2030, 1, 1, 11, 0, tzinfo=datetime.UTC))
    _consultation("Not open yet", NOW + datetime.timedelta(days=5), opens=NOW + datetime.timedelta(days=1))
    content = as_user(policy_user).get(HOME).content.decode()
    assert _deadline_titles(content) == ["Today", "Thirty days"]
    days = [" ".join(text.split()) for text in re.findall(r'data-testid="days-left">(.*?)</div>', content, re.S)]
    assert days == ["closes today", "30 days left"]


def test_deadlines_are_counted_in_the_viewers_time_zone(as_user, policy_user, reviewer_user, frozen):
    """The same deadline is 30 days away in London and 31 in Tokyo, where it is already the next day."""
    reviewer_user.time_zone = "Asia/Tokyo"
    reviewer_user.save()
    _consultation("Edge", datetime.datetime(2030, 1, 31, 20, 0, tzinfo=datetime.UTC))
    _consultation("Soon", datetime.datetime(2030, 1, 5, 20, 0, tzinfo=datetime.UTC))

    london = as_user(policy_user).get(HOME).content.decode()
    assert _deadline_titles(london) == ["Soon", "Edge"]
    assert "4 days left" in london
    assert "5 Jan 2030, 20:00 UTC" in london

    tokyo = as_user(reviewer_user).get(HOME).content.decode()
    assert _deadline_titles(tokyo) == ["Soon"]
    assert "5 days left" in tokyo
    assert "6 Jan 2030, 05:00 JST" in tokyo


def test_my_drafts_are_mine_and_not_yet_submitted(as_user, policy_user, frozen):
    mine = DraftFactory(owner=policy_user, consultation=_consultation("Mine", NOW + datetime.timedelta(days=3)))
    in_review = DraftFactory(owner=policy_user, status=ResponseStatus.IN_REVIEW)
    DraftFactory(owner=policy_user, status=ResponseStatus.SUBMITTED, consultation=_consultation("Sent", NOW))
    DraftFactory(consultation=_consultation("Someone else's", NOW + datetime.timedelta(days=3)))
    section = _section(as_user(policy_user).get(HOME).content.decode(), "my-drafts")
    assert mine.get_absolute_url() in section and in_review.get_absolute_url() in section
    assert "Sent" not in section and "Someone else" not in section
    assert "closes 4 Jan 2030" in section


def test_my_reviews_await_my_decision_with_their_due_dates(as_user, reviewer_user, frozen):
    waiting = ReviewRequestFactory(reviewer=reviewer_user, due_at=NOW + datetime.timedelta(days=2))
    overdue = ReviewRequestFactory(reviewer=reviewer_user, due_at=NOW - datetime.timedelta(days=1))
    decided = ReviewRequestFactory(reviewer=reviewer_user, decision=ReviewDecision.APPROVED)
    others = ReviewRequestFactory()
    content = as_user(reviewer_user).get(HOME).content.decode()
    section = _section(content, "my-reviews")
    for request in (waiting, overdue):
        assert reverse("responses:response-detail", args=[request.response_id]) in section
    for request in (decided, others):
        assert reverse("responses:response-detail", args=[request.response_id]) not in section
    assert "3 Jan 2030, 12:00" in section
    assert section.count("overdue") == 1
    assert section.index("31 Dec 2029") < section.index("3 Jan 2030"), "soonest due first"


@pytest.mark.parametrize(
    ("user_fixture", "drafts", "reviews"),
    [("policy_user", True, False), ("reviewer_user", False, True), ("admin_user", True, True)],
)
def test_each_role_sees_its_own_sections(request, as_user, user_fixture, drafts, reviews):
    content = as_user(request.getfixturevalue(user_fixture)).get(HOME).content.decode()
    assert ('data-testid="my-drafts"' in content) is drafts
    assert ('data-testid="my-reviews"' in content) is reviews
    for chart in ("deadlines", "responses-chart", "stances-chart", "recent-submissions"):
        assert f'data-testid="{chart}"' in content


def test_outsider_is_refused_the_dashboard(as_user, outsider):
    assert as_user(outsider).get(HOME).status_code == 403


def test_anonymous_visitor_is_sent_to_login_from_the_dashboard(client):
    page = client.get(HOME)
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("accounts:login"))


def test_recent_submissions_list_received_and_our_submitted_responses(as_user, policy_user, frozen):
    received = ResponseFactory(
        organisation=OrganisationFactory(name="Received Org"), received_on=datetime.date(2029, 12, 1)
    )
    submitted = DraftFactory(
        organisation=OrganisationFactory(name="Our Org"), status=ResponseStatus.SUBMITTED, submitted_at=NOW
    )
    DraftFactory(organisation=OrganisationFactory(name="Still Drafting"))
    section = _section(as_user(policy_user).get(HOME).content.decode(), "recent-submissions")
    assert section.index("Our Org") < section.index("Received Org"), "newest first"
    assert "Still Drafting" not in section
    assert reverse("responses:response-detail", args=[submitted.pk]) in section
    assert reverse("responses:response-detail", args=[received.pk]) in section


@pytest.fixture
def charted(frozen):
    """Two open consultations and one closed last month, with responses and coded stances; one closed long ago."""
    soon = _consultation("Closing soon", NOW + datetime.timedelta(days=3))
    later = _consultation("Closing later", NOW + datetime.timedelta(days=60))
    closed = _consultation(
        "Closed last month", NOW - datetime.timedelta(days=30), opens=NOW - datetime.timedelta(days=90)
    )
    _consultation("Closed last year", NOW - datetime.timedelta(days=365), opens=NOW - datetime.timedelta(days=400))
    topic = TopicFactory(consultation=soon, name="Coordination")
    for stance in [Stance.SUPPORTS, Stance.SUPPORTS, Stance.OPPOSES, Stance.STRONGLY_SUPPORTS]:
        PositionFactory(response=ResponseFactory(consultation=soon), topic=topic, stance=stance)
    ResponseFactory(consultation=soon)  # on record, not coded
    draft = DraftFactory(consultation=soon)  # not on record: counts nowhere
    PositionFactory(response=draft, topic=topic, stance=Stance.STRONGLY_OPPOSES)
    ResponseFactory(consultation=closed)
    return {"soon": soon, "later": later, "closed": closed}


def test_response_chart_and_its_table_give_the_counts(as_user, policy_user, charted):
    content = as_user(policy_user).get(HOME).content.decode()
    chart = _section(content, "responses-chart")
    labels = re.findall(r'role="img" aria-label="([^"]+)"', chart)
    assert labels == ["Closing soon: 5 responses", "Closing later: 0 responses", "Closed last month: 1 response"]
    table = _section(content, "responses-chart-data")
    cells = re.findall(r'<a href="[^"]+">([^<]+)</a></th><td>[^<]*</td><td class="text-end">(\d+)</td>', table)
    assert cells == [("Closing soon", "5"), ("Closing later", "0"), ("Closed last month", "1")]
    assert 'width="100"' in chart and 'width="20"' in chart and 'width="0"' in chart
    assert "Closed last year" not in chart


def test_stance_chart_and_its_table_give_the_distribution(as_user, policy_user, charted):
    content = as_user(policy_user).get(HOME).content.decode()
    chart = _section(content, "stances-chart")
    assert 'aria-label="Closing soon: 1 strongly supports, 2 supports, 1 opposes"' in chart
    assert 'aria-label="Closing later: no position coded"' in chart
    assert '<rect class="chart-stance-supports" x="25" y="0" width="50" height="10">' in chart
    table = _section(content, "stances-chart-data")
    row = re.search(r"Closing soon</a></th>(.*?)</tr>", table, flags=re.S).group(1)
    assert re.findall(r">(\d+)</td>", row) == ["1", "2", "0", "1", "0", "0", "4"]
    assert reverse("responses:matrix", args=[charted["soon"].slug]) in table


def test_charts_show_at_most_eight_consultations_open_first(as_user, policy_user, charted):
    for day in range(1, 9):
        _consultation(f"Extra {day}", NOW + datetime.timedelta(days=10 + day))
    chart = _section(as_user(policy_user).get(HOME).content.decode(), "responses-chart")
    labels = re.findall(r'role="img" aria-label="([^":]+):', chart)
    assert len(labels) == 8
    assert labels[0] == "Closing soon"
    assert "Closed last month" not in labels


def test_the_page_has_no_inline_style_or_script(as_user, admin_user, charted):
    content = as_user(admin_user).get(HOME).content.decode()
    assert " style=" not in content
    assert not re.search(r"<script(?![^>]*\bsrc=)", content)
    assert not re.search(r"\son[a-z]+=", content)


def _fill(scale: int) -> None:
    for index in range(scale):
        consultation = _consultation(f"Bulk {scale}-{index}", NOW + datetime.timedelta(days=1 + index))
        topic = TopicFactory(consultation=consultation)
        response = ResponseFactory(consultation=consultation)
        PositionFactory(response=response, topic=topic, stance=Stance.NEUTRAL)


def test_query_count_is_bounded_and_independent_of_the_data(
    as_user, admin_user, charted, django_assert_max_num_queries
):
    client = as_user(admin_user)
    DraftFactory(owner=admin_user)
    ReviewRequestFactory(reviewer=admin_user)
    client.get(HOME)
    with CaptureQueriesContext(connection) as small:
        client.get(HOME)
    _fill(15)
    for _ in range(10):
        DraftFactory(owner=admin_user)
        ReviewRequestFactory(reviewer=admin_user)
    # About seven queries are the session, the user, their roles and permissions and unread notifications.
    with django_assert_max_num_queries(20):
        page = client.get(HOME)
    with CaptureQueriesContext(connection) as large:
        client.get(HOME)
    assert len(large) == len(small)
    assert "See all 11 drafts" in page.content.decode()


def test_chart_counts_are_cached_and_follow_every_change(as_user, policy_user, charted):
    """The charts read the stance matrix's cached aggregates, counted in two queries for every charted
    consultation together, and renewed when a response or a position changes."""
    client = as_user(policy_user)
    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        client.get(HOME)
    with CaptureQueriesContext(connection) as warm:
        client.get(HOME)
    assert len(cold) - len(warm) == 2

    topic = charted["soon"].topics.get()
    PositionFactory(response=ResponseFactory(consultation=charted["soon"]), topic=topic, stance=Stance.OPPOSES)
    content = client.get(HOME).content.decode()
    assert "Closing soon: 6 responses" in _section(content, "responses-chart")
    assert 'aria-label="Closing soon: 1 strongly supports, 2 supports, 2 opposes"' in _section(content, "stances-chart")
