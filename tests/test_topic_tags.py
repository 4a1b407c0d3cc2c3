"""Tags on topics, typed in the consultation form's topic rows: how topics match across consultations."""

import pytest
from django.urls import reverse

from consultations.models import Tag
from tests.factories import ConsultationFactory, OrganisationFactory, TagFactory, TopicFactory
from tests.test_consultations_form import CREATE_URL, consultation_data, edit_data

pytestmark = pytest.mark.django_db


def test_tags_typed_on_a_topic_row_are_saved_and_new_ones_created(as_user, policy_user):
    """Existing tags are matched case-insensitively; unknown names become new tags."""
    existing = TagFactory(name="Access to user data", slug="access-to-user-data")
    data = consultation_data(
        OrganisationFactory(),
        topics=[
            {
                "name": "Metadata",
                "slug": "",
                "description": "",
                "order": "0",
                "tag_names": "access to USER data, Retention",
            },
            {"name": "Capacity", "slug": "", "description": "", "order": "1", "tag_names": ""},
        ],
    )
    assert as_user(policy_user).post(CREATE_URL, data).status_code == 302
    metadata, capacity = ConsultationFactory._meta.model.objects.get().topics.all()
    assert sorted(tag.name for tag in metadata.tags.all()) == ["Access to user data", "Retention"]
    assert existing in metadata.tags.all()
    assert not capacity.tags.exists()
    assert Tag.objects.filter(name="Retention").exists()


def test_the_edit_page_shows_topic_tags_and_a_change_replaces_them(as_user, policy_user):
    consultation = ConsultationFactory(time_zone="Europe/Zurich")
    topic = TopicFactory(consultation=consultation, name="Metadata", slug="metadata", order=0)
    topic.tags.add(TagFactory(name="Old tag", slug="old-tag"), TagFactory(name="Kept", slug="kept"))
    url = reverse("consultations:consultation-edit", args=[consultation.slug])
    page = as_user(policy_user).get(url).content.decode()
    assert 'value="Kept, Old tag"' in page
    assert '<datalist id="tag-names">' in page

    row = {"id": topic.pk, "name": "Metadata", "slug": "metadata", "description": "", "order": "0"}
    data = edit_data(consultation, questions=[], topics=[{**row, "tag_names": "kept,  New tag"}])
    assert as_user(policy_user).post(url, data).status_code == 302
    assert sorted(tag.name for tag in topic.tags.all()) == ["Kept", "New tag"]


def test_a_row_with_tags_but_no_name_is_refused_keeping_the_tags(as_user, policy_user):
    data = consultation_data(
        OrganisationFactory(),
        topics=[{"name": "", "slug": "", "description": "", "order": "0", "tag_names": "Encryption"}],
    )
    page = as_user(policy_user).post(CREATE_URL, data)
    assert page.status_code == 200
    assert 'value="Encryption"' in page.content.decode()
    assert not Tag.objects.filter(name="Encryption").exists()
