"""The consultation page: deadline in two zones, questions and topics in order, invitations and responses."""

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from consultations.models import Invitation
from responses.models import Channel, ResponseStatus
from tests.factories import (
    ConsultationFactory,
    InvitationFactory,
    OrganisationFactory,
    QuestionFactory,
    ResponseFactory,
    TagFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def detail_url(consultation) -> str:
    return reverse("consultations:consultation-detail", args=[consultation.slug])


@pytest.fixture
def cop():
    """The ITU consultation of January 2016: deadline 31 Jan 23:59 in Geneva (22:59 UTC)."""
    return ConsultationFactory(
        title="COP Results Framework",
        slug="cop",
        reference="CWG-COP 2016/1",
        url="https://www.itu.int/en/council/cwg-cop/",
        summary="How should a results framework coordinate work?",
        issuer=OrganisationFactory(name="ITU"),
        time_zone="Europe/Zurich",
        opens_at=datetime.datetime(2015, 12, 1, 8, 0, tzinfo=datetime.UTC),
        deadline=datetime.datetime(2016, 1, 31, 22, 59, tzinfo=datetime.UTC),
    )


def test_deadline_is_shown_in_the_issuer_zone_and_the_viewer_zone(as_user, policy_user, cop):
    """Issuer Europe/Zurich, viewer Asia/Tokyo: the same instant, both clocks named."""
    policy_user.time_zone = "Asia/Tokyo"
    policy_user.save(update_fields=["time_zone"])
    with time_machine.travel(datetime.datetime(2016, 1, 20, 12, 0, tzinfo=datetime.UTC), tick=False):
        content = as_user(policy_user).get(detail_url(cop)).content.decode()
    assert "31 Jan 2016, 23:59</time> (Europe/Zurich)" in content
    assert "1 Feb 2016, 07:59</time> (Asia/Tokyo)" in content
    assert "11 days left" in content
    assert "badge text-bg-success" in content  # open


def test_a_closed_consultation_says_how_many_days_ago(as_user, policy_user, cop):
    with time_machine.travel(datetime.datetime(2016, 2, 3, 12, 0, tzinfo=datetime.UTC), tick=False):
        content = as_user(policy_user).get(detail_url(cop)).content.decode()
    assert "closed 3 days ago" in content
    assert ">Closed</span>" in content


def test_on_deadline_day_the_page_says_it_closes_today(as_user, policy_user, cop):
    with time_machine.travel(datetime.datetime(2016, 1, 31, 9, 0, tzinfo=datetime.UTC), tick=False):
        content = as_user(policy_user).get(detail_url(cop)).content.decode()
    assert "closes today" in content


def test_the_page_shows_summary_reference_url_issuer_tags_and_owners(as_user, reviewer_user, cop):
    cop.tags.add(TagFactory(name="Child online protection"))
    cop.owners.add(UserFactory(username="pat", first_name="Pat", last_name="Policy"))
    content = as_user(reviewer_user).get(detail_url(cop)).content.decode()
    for text in [
        "COP Results Framework",
        "CWG-COP 2016/1",
        'href="https://www.itu.int/en/council/cwg-cop/"',
        "ITU",
        "How should a results framework coordinate work?",
        "Child online protection",
        "Pat Policy",
        "1 Dec 2015, 09:00 (Europe/Zurich)",
    ]:
        assert text in content


def test_questions_and_topics_are_listed_in_their_order(as_user, policy_user, cop):
    QuestionFactory(consultation=cop, number="2", text="Second question", order=1)
    QuestionFactory(consultation=cop, number="1", text="First question", order=0)
    TopicFactory(consultation=cop, name="Later topic", order=5)
    TopicFactory(consultation=cop, name="Earlier topic", order=2)
    content = as_user(policy_user).get(detail_url(cop)).content.decode()
    assert content.index("First question") < content.index("Second question")
    assert content.index("Earlier topic") < content.index("Later topic")


def test_invitations_are_marked_responded_or_not_yet(as_user, policy_user, cop):
    """An invited organisation has responded once it has a response to this consultation, not to another."""
    facebook = OrganisationFactory(name="Facebook")
    interpol = OrganisationFactory(name="Interpol")
    iwf = OrganisationFactory(name="Internet Watch Foundation")
    for organisation in (facebook, interpol, iwf):
        InvitationFactory(consultation=cop, organisation=organisation)
    ResponseFactory(consultation=cop, organisation=facebook)
    ResponseFactory(organisation=interpol)  # to another consultation

    response = as_user(policy_user).get(detail_url(cop))
    marks = {invitation.organisation.name: invitation.responded for invitation in response.context["invitations"]}
    assert marks == {"Facebook": True, "Interpol": False, "Internet Watch Foundation": False}
    content = response.content.decode()
    assert content.count('data-testid="responded"') == 1
    assert content.count('data-testid="not-responded"') == 2


def test_responses_are_listed_with_organisation_status_channel_and_date(as_user, policy_user, cop):
    ResponseFactory(
        consultation=cop,
        organisation=OrganisationFactory(name="Telefónica"),
        status=ResponseStatus.RECEIVED,
        channel=Channel.LETTER,
        received_on=datetime.date(2016, 1, 31),
    )
    ResponseFactory(organisation=OrganisationFactory(name="Elsewhere Ltd"))
    content = as_user(policy_user).get(detail_url(cop)).content.decode()
    table = content[content.index('id="responses-heading"') : content.index("</table>")]
    assert "Telefónica" in table
    assert "Received" in table
    assert "Letter" in table
    assert "31 Jan 2016" in table
    assert "Elsewhere Ltd" not in table


def test_an_unknown_slug_is_a_404(as_user, policy_user):
    assert as_user(policy_user).get("/consultations/no-such-thing/").status_code == 404


def test_policy_staff_invite_an_organisation(as_user, policy_user, cop):
    google = OrganisationFactory(name="Google")
    url = reverse("consultations:invitation-create", args=[cop.slug])
    response = as_user(policy_user).post(url, {"organisation": google.pk, "note": "Asked at the forum"})
    assert response.status_code == 302
    assert response["Location"] == detail_url(cop)
    invitation = Invitation.objects.get()
    assert (invitation.consultation, invitation.organisation, invitation.note) == (cop, google, "Asked at the forum")


def test_inviting_twice_is_a_clear_message_not_an_error_page(as_user, policy_user, cop):
    """A duplicate invitation is refused on the organisation field, on the page and through htmx."""
    google = OrganisationFactory(name="Google")
    InvitationFactory(consultation=cop, organisation=google)
    url = reverse("consultations:invitation-create", args=[cop.slug])
    client = as_user(policy_user)

    page = client.post(url, {"organisation": google.pk})
    assert page.status_code == 200
    assert "Google is already invited." in page.content.decode()
    assert "<html" in page.content.decode()

    fragment = client.post(url, {"organisation": google.pk}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.content.decode().lstrip().startswith('<section id="invitations"')
    assert "Google is already invited." in fragment.content.decode()
    assert Invitation.objects.count() == 1


def test_inviting_through_htmx_returns_the_updated_panel(as_user, policy_user, cop):
    google = OrganisationFactory(name="Google")
    url = reverse("consultations:invitation-create", args=[cop.slug])
    response = as_user(policy_user).post(url, {"organisation": google.pk}, headers={"HX-Request": "true"})
    content = response.content.decode()
    assert content.lstrip().startswith('<section id="invitations"')
    assert "Google is invited." in content
    assert 'data-testid="not-responded"' in content


def test_the_invitation_type_ahead_marks_organisations_already_invited_and_offers_the_others(as_user, policy_user, cop):
    """Matches are listed, names starting with the text first; one already invited is shown, not choosable."""
    invited = OrganisationFactory(name="Already Invited")
    InvitationFactory(consultation=cop, organisation=invited)
    free = OrganisationFactory(name="Not Invited Yet")
    OrganisationFactory(name="Someone else")
    url = reverse("consultations:invitation-options", args=[cop.slug])
    content = as_user(policy_user).get(url, {"organisation_query": "invited"}).content.decode()
    buttons = re.findall(r"<button[^>]*data-org-id=\"(\d+)\"[^>]*>", content)
    assert buttons == [str(invited.pk), str(free.pk)]
    assert re.search(rf'data-org-id="{invited.pk}"[^>]*disabled', content)
    assert not re.search(rf'data-org-id="{free.pk}"[^>]*disabled', content)
    assert content.count("already invited") == 1
    nothing = as_user(policy_user).get(url, {"organisation_query": "zzz"}).content.decode()
    assert "No organisation matches “zzz”." in nothing


def test_the_consultation_page_offers_the_type_ahead_not_a_list_of_every_organisation(as_user, policy_user, cop):
    OrganisationFactory(name="Not Invited Yet")
    content = as_user(policy_user).get(detail_url(cop)).content.decode()
    assert "Not Invited Yet" not in content
    assert f'data-hx-get="{reverse("consultations:invitation-options", args=[cop.slug])}"' in content
    assert 'type="hidden" name="organisation"' in content


def test_inviting_without_choosing_an_organisation_is_a_field_error(as_user, policy_user, cop):
    response = as_user(policy_user).post(reverse("consultations:invitation-create", args=[cop.slug]), {})
    assert response.status_code == 200
    assert response.context["invitation_form"].errors["organisation_query"] == [
        "Choose the organisation from the list."
    ]


def test_policy_staff_withdraw_an_invitation(as_user, policy_user, cop):
    invitation = InvitationFactory(consultation=cop, organisation=OrganisationFactory(name="Interpol"))
    url = reverse("consultations:invitation-delete", args=[cop.slug, invitation.pk])
    response = as_user(policy_user).post(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "The invitation of Interpol was withdrawn." in response.content.decode()
    assert not Invitation.objects.exists()


def test_an_invitation_of_another_consultation_cannot_be_withdrawn_through_this_one(as_user, policy_user, cop):
    other = InvitationFactory()
    url = reverse("consultations:invitation-delete", args=[cop.slug, other.pk])
    assert as_user(policy_user).post(url).status_code == 404
    assert Invitation.objects.filter(pk=other.pk).exists()


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def test_query_count_does_not_grow_with_invitations_responses_questions_or_topics(as_user, policy_user, cop):
    client = as_user(policy_user)

    def add_one_of_each(number: int) -> None:
        organisation = OrganisationFactory()
        InvitationFactory(consultation=cop, organisation=organisation)
        ResponseFactory(consultation=cop, organisation=organisation)
        QuestionFactory(consultation=cop, number=str(number))
        TopicFactory(consultation=cop)
        cop.tags.add(TagFactory())
        cop.owners.add(UserFactory())

    add_one_of_each(1)
    client.get(detail_url(cop))
    with_one = _queries(client, detail_url(cop))
    for number in range(2, 7):
        add_one_of_each(number)
    assert _queries(client, detail_url(cop)) == with_one


def test_list_and_page_carry_no_inline_script(as_user, policy_user, cop):
    """Scripts come from files only and no on* attributes are used, so a strict CSP can apply."""
    import re

    InvitationFactory(consultation=cop)
    client = as_user(policy_user)
    for url in [reverse("consultations:consultation-list"), detail_url(cop)]:
        content = client.get(url).content
        assert all(b"src=" in tag for tag in re.findall(rb"<script\b[^>]*>", content))
        assert not re.search(rb"\son[a-z]+=", content)


def test_user_strings_on_the_page_are_escaped(as_user, policy_user):
    consultation = ConsultationFactory(title="<i>t</i>", summary="<script>x</script>")
    InvitationFactory(consultation=consultation, organisation=OrganisationFactory(name="<b>org</b>"))
    content = as_user(policy_user).get(detail_url(consultation)).content
    assert b"<script>x</script>" not in content and b"<b>org</b>" not in content and b"<i>t</i>" not in content
    assert b"&lt;b&gt;org&lt;/b&gt;" in content
