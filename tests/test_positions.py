"""Positions across consultations: an organisation's stances on a subject over the years, and two compared."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from consultations.models import Topic, topic_name_key
from responses.models import ResponseStatus, Stance
from tests.factories import (
    ConsultationFactory,
    DraftFactory,
    OrganisationFactory,
    PositionFactory,
    ResponseFactory,
    TagFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db

URL = reverse("responses:positions")


def _at(year: int, month: int = 3) -> datetime.datetime:
    return datetime.datetime(year, month, 15, 12, 0, tzinfo=datetime.UTC)


def _consultation(title: str, closed: datetime.datetime):
    return ConsultationFactory(title=title, opens_at=closed - datetime.timedelta(days=60), deadline=closed)


def _position(organisation, consultation, topic, stance, quote="", status=ResponseStatus.RECEIVED):
    response = ResponseFactory(consultation=consultation, organisation=organisation, status=status)
    return PositionFactory(response=response, topic=topic, stance=stance, quote=quote)


@pytest.fixture
def user_data_history():
    """A tag "Access to user data" on topics of three consultations over two years, with two organisations."""
    tag = TagFactory(name="Access to user data", slug="access-to-user-data")
    meta, acme = OrganisationFactory(name="Meta", slug="meta"), OrganisationFactory(name="Acme", slug="acme")
    # Made newest first, so the page's order cannot come from creation order.
    late = _consultation("Lawful access review", _at(2025, 10))
    middle = _consultation("E-evidence rules", _at(2025, 2))
    early = _consultation("Child online protection", _at(2024, 1))
    topics = {}
    for consultation, name in [(early, "Government access to data"), (middle, "Data requests"), (late, "Metadata")]:
        topic = TopicFactory(consultation=consultation, name=name)
        topic.tags.add(tag)
        topics[consultation.pk] = topic
    TopicFactory(consultation=late, name="Encryption")  # another subject, never shown
    positions = {
        "meta": [
            _position(meta, early, topics[early.pk], Stance.OPPOSES, "No broad access to metadata."),
            _position(meta, middle, topics[middle.pk], Stance.NEUTRAL, "Requests need judicial oversight."),
            _position(meta, late, topics[late.pk], Stance.STRONGLY_OPPOSES, "Metadata retention is disproportionate."),
        ],
        "acme": [
            _position(acme, early, topics[early.pk], Stance.SUPPORTS, "Access helps investigations."),
            _position(acme, late, topics[late.pk], Stance.OPPOSES, "Retention costs too much."),
        ],
    }
    return {"tag": tag, "meta": meta, "acme": acme, "consultations": [early, middle, late], "positions": positions}


def _rows(content: str) -> list[str]:
    return re.findall(r'<tr data-testid="positions-row">(.*?)</tr>', content, flags=re.S)


def test_a_tag_follows_an_organisation_over_three_consultations_and_two_years(as_user, policy_user, user_data_history):
    """The stances appear oldest consultation first, each with its year, quote and a link to the response."""
    data = user_data_history
    content = as_user(policy_user).get(URL, {"organisation": "meta", "tag": data["tag"].slug}).content.decode()
    rows = _rows(content)
    assert len(rows) == 3
    expected = [
        ("2024", "Child online protection", "Opposes", "No broad access to metadata."),
        ("2025", "E-evidence rules", "Neutral / mixed", "Requests need judicial oversight."),
        ("2025", "Lawful access review", "Strongly opposes", "Metadata retention is disproportionate."),
    ]
    for row, (year, title, stance, quote) in zip(rows, expected, strict=True):
        assert f">{year}</time>" in row
        assert title in row
        assert stance in row
        assert quote in row
    for position in data["positions"]["meta"]:
        assert (
            f"{reverse('responses:response-detail', args=[position.response_id])}#position-{position.topic_id}"
            in content
        )
    assert not any("Encryption" in row for row in rows)
    assert "Topics: 3 · consultations: 3 · 2024\u20132025" in content


def test_two_organisations_side_by_side_on_a_tag(as_user, reviewer_user, user_data_history):
    """Each row holds both organisations' stances; a consultation one did not answer shows a dash; sides compared."""
    data = user_data_history
    content = (
        as_user(reviewer_user)
        .get(URL, {"organisation": "meta", "compare_with": "acme", "tag": data["tag"].slug})
        .content.decode()
    )
    rows = _rows(content)
    assert len(rows) == 3
    first, middle, last = rows
    cells = re.findall(r'<td data-testid="positions-cell">(.*?)</td>', first, flags=re.S)
    assert "Opposes" in cells[0] and "Supports" in cells[1]
    assert "opposite sides" in first
    assert "no position on record" in middle
    assert "Requests need judicial oversight." in middle
    assert "same side" in last
    assert content.index('<th scope="col">Meta</th>') < content.index('<th scope="col">Acme</th>')


def test_topics_of_the_same_name_are_one_subject(as_user, policy_user):
    """Without any tag, topics named alike (case, accents, punctuation aside) are matched across consultations."""
    organisation = OrganisationFactory(slug="iwf", name="IWF")
    old, new = _consultation("Old", _at(2023)), _consultation("New", _at(2026))
    _position(organisation, new, TopicFactory(consultation=new, name="access to user-data."), Stance.SUPPORTS, "Yes.")
    _position(organisation, old, TopicFactory(consultation=old, name="ACCESS to  User Data"), Stance.OPPOSES, "No.")
    _position(organisation, old, TopicFactory(consultation=old, name="Encryption"), Stance.NEUTRAL, "Maybe.")
    content = as_user(policy_user).get(URL, {"organisation": "iwf", "topic": "Access to user data"}).content.decode()
    rows = _rows(content)
    assert len(rows) == 2
    assert "Old" in rows[0] and "No." in rows[0]
    assert "New" in rows[1] and "Yes." in rows[1]
    assert "Maybe." not in content


def test_a_tag_brings_in_untagged_topics_of_the_same_name(as_user, policy_user):
    """Tagging one consultation's topic is enough: later topics of the same name are the same subject."""
    tag = TagFactory(name="Age assurance", slug="age-assurance")
    organisation = OrganisationFactory(slug="ngo")
    first, second = _consultation("First", _at(2024)), _consultation("Second", _at(2025))
    tagged = TopicFactory(consultation=first, name="Age verification")
    tagged.tags.add(tag)
    _position(organisation, first, tagged, Stance.SUPPORTS, "Tagged.")
    _position(
        organisation, second, TopicFactory(consultation=second, name="Age Verification"), Stance.OPPOSES, "Named."
    )
    content = as_user(policy_user).get(URL, {"organisation": "ngo", "tag": "age-assurance"}).content.decode()
    assert len(_rows(content)) == 2
    assert content.index("Tagged.") < content.index("Named.")


def test_only_positions_on_record_count(as_user, policy_user, user_data_history):
    """A draft of ours still in progress is not the organisation's position yet."""
    data = user_data_history
    early = data["consultations"][0]
    draft = DraftFactory(consultation=early, organisation=data["acme"])
    PositionFactory(response=draft, topic=early.topics.first(), stance=Stance.STRONGLY_SUPPORTS, quote="Draft words.")
    content = as_user(policy_user).get(URL, {"organisation": "acme", "tag": data["tag"].slug}).content.decode()
    assert "Draft words." not in content
    assert len(_rows(content)) == 2


def test_comparison_without_subject_shows_topics_both_addressed(as_user, policy_user, user_data_history):
    content = as_user(policy_user).get(URL, {"organisation": "meta", "compare_with": "acme"}).content.decode()
    assert len(_rows(content)) == 2
    assert "every topic both took a position on" in content


def test_bad_choices_are_explained_and_kept(as_user, policy_user, user_data_history):
    """The same organisation twice, both a tag and a name, or an unknown organisation: clear messages, no 500."""
    client = as_user(policy_user)
    page = client.get(URL, {"organisation": "meta", "compare_with": "meta"})
    assert page.status_code == 200
    assert "Choose another organisation to compare with." in page.content.decode()
    page = client.get(URL, {"organisation": "meta", "tag": "access-to-user-data", "topic": "Metadata"})
    assert "Choose a tag or type a topic name, not both." in page.content.decode()
    assert 'value="Metadata"' in page.content.decode()
    page = client.get(URL, {"organisation": "nobody"})
    assert page.status_code == 200
    assert "no coded position on record" in page.content.decode()
    assert "positions-table" not in page.content.decode()


def test_the_form_offers_topic_names_and_organisations_with_positions(as_user, policy_user, user_data_history):
    OrganisationFactory(name="Silent Org", slug="silent")
    content = as_user(policy_user).get(URL).content.decode()
    assert '<option value="Government access to data">' in content
    assert 'value="meta"' in content
    assert "Silent Org" not in content


def test_the_organisation_page_links_to_its_positions(as_user, policy_user, user_data_history):
    content = as_user(policy_user).get(reverse("stakeholders:organisation-detail", args=["meta"])).content.decode()
    assert f'href="{URL}?organisation=meta"' in content


def test_query_count_does_not_grow_with_the_history(as_user, policy_user, user_data_history):
    """Ten more consultations on the subject cost no extra query."""
    data = user_data_history
    client = as_user(policy_user)
    params = {"organisation": "meta", "compare_with": "acme", "tag": data["tag"].slug}
    client.get(URL, params)
    with CaptureQueriesContext(connection) as before:
        client.get(URL, params)
    for year in range(2010, 2020):
        consultation = _consultation(f"Older {year}", _at(year))
        topic = TopicFactory(consultation=consultation, name=f"Subject {year}")
        topic.tags.add(data["tag"])
        _position(data["meta"], consultation, topic, Stance.SUPPORTS)
        _position(data["acme"], consultation, topic, Stance.OPPOSES)
    with CaptureQueriesContext(connection) as after:
        page = client.get(URL, params)
    assert len(_rows(page.content.decode())) == 13
    assert len(after) == len(before)


def test_query_count_is_bounded(as_user, policy_user, user_data_history, django_assert_max_num_queries):
    client = as_user(policy_user)
    client.get(URL)
    # Seven are the session, the user, their roles and permissions and the unread notifications.
    with django_assert_max_num_queries(16):
        client.get(URL, {"organisation": "meta", "compare_with": "acme", "tag": "access-to-user-data"})


def test_topic_name_key_ignores_case_accents_punctuation_and_spacing():
    assert topic_name_key("Access to  User-Data.") == topic_name_key("access to user data") == "access to user data"
    assert topic_name_key("Accès aux données") == topic_name_key("acces aux DONNEES")
    topic = TopicFactory(name="Encryption, end to end")
    assert Topic.objects.get(pk=topic.pk).name_key == "encryption end to end"
    topic.name = "End-to-end encryption"
    topic.save(update_fields=["name"])
    assert Topic.objects.get(pk=topic.pk).name_key == "end to end encryption"


@pytest.mark.parametrize("user_fixture", ["policy_user", "reviewer_user", "admin_user"])
def test_every_role_sees_positions(request, as_user, user_fixture, user_data_history):
    page = as_user(request.getfixturevalue(user_fixture)).get(URL, {"organisation": "meta"})
    assert page.status_code == 200
    assert len(_rows(page.content.decode())) == 3


def test_outsider_is_refused_positions(as_user, outsider):
    assert as_user(outsider).get(URL).status_code == 403


def test_anonymous_visitor_is_sent_to_login_from_positions(client):
    page = client.get(URL)
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("accounts:login"))


def test_a_link_without_organisation_prefills_the_form(as_user, policy_user, user_data_history):
    """A tag or topic linked from a consultation's page is chosen in the form; nothing is refused yet."""
    content = as_user(policy_user).get(URL, {"tag": "access-to-user-data"}).content.decode()
    assert '<option value="access-to-user-data" selected>' in content
    assert "This field is required" not in content
    assert "positions-table" not in content
    content = as_user(policy_user).get(URL, {"topic": "Metadata"}).content.decode()
    assert 'value="Metadata"' in content


def test_an_organisation_alone_lists_every_position_it_took(as_user, policy_user, user_data_history):
    """From the organisation page: all its positions on record, oldest consultation first."""
    content = as_user(policy_user).get(URL, {"organisation": "meta"}).content.decode()
    assert len(_rows(content)) == 3
    assert "every topic" in content


def test_the_consultation_page_links_topics_and_their_tags_to_positions(as_user, policy_user, user_data_history):
    early = user_data_history["consultations"][0]
    content = as_user(policy_user).get(early.get_absolute_url()).content.decode()
    assert f'href="{URL}?tag=access-to-user-data"' in content
    assert f'href="{URL}?topic=Government%20access%20to%20data"' in content


def test_a_name_of_only_punctuation_matches_nothing_else(as_user, policy_user):
    """Names without letters or digits have no key; they are not all taken as one subject."""
    organisation = OrganisationFactory(slug="org")
    first, second = _consultation("First", _at(2024)), _consultation("Second", _at(2025))
    _position(organisation, first, TopicFactory(consultation=first, name="?"), Stance.SUPPORTS, "One.")
    _position(organisation, second, TopicFactory(consultation=second, name="—"), Stance.OPPOSES, "Two.")
    content = as_user(policy_user).get(URL, {"organisation": "org", "topic": "?"}).content.decode()
    assert "positions-empty" in content
    assert len(_rows(content)) == 0
