"""The campaigns page, the decisions staff take on it, campaign lines on other pages, and the stance
matrix with campaigns collapsed."""

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from responses.campaigns import campaigns_recompute
from responses.models import Campaign, CampaignDetection, ExtractionStatus, Response, Stance
from tests.campaign_letters import labelled_letters
from tests.factories import (
    AttachmentFactory,
    ConsultationFactory,
    OrganisationFactory,
    PositionFactory,
    ResponseFactory,
    TopicFactory,
)
from tests.test_campaigns import FORM_LETTER, OTHER_LETTER

pytestmark = pytest.mark.django_db

READ, WRITE = "read", "write"
ALLOWED = {
    "policy_user": {READ, WRITE},
    "reviewer_user": {READ},
    "admin_user": {READ, WRITE},
    "outsider": set(),
}


@pytest.fixture
def setting():
    """A consultation with a campaign of three (a form letter) and a letter of its own."""
    consultation = ConsultationFactory(title="COP Results Framework", slug="cop")
    members = [
        ResponseFactory(consultation=consultation, organisation__name=name, summary=FORM_LETTER + f" {name}.")
        for name in ["Alpha Trust", "Beta League", "Gamma Forum"]
    ]
    alone = ResponseFactory(consultation=consultation, organisation__name="Delta Union", summary=OTHER_LETTER)
    campaigns_recompute(consultation_id=consultation.pk)
    return consultation, Campaign.objects.get(), members, alone


def _views(consultation, campaign, members) -> list[tuple[str, str, str, dict, str]]:
    slug, pk, member = consultation.slug, campaign.pk, {"response": members[1].pk}
    return [
        ("campaign-list", "get", reverse("responses:campaign-list", args=[slug]), {}, READ),
        ("campaign-recompute", "post", reverse("responses:campaign-recompute", args=[slug]), {}, WRITE),
        (
            "campaign-threshold",
            "post",
            reverse("responses:campaign-threshold", args=[slug]),
            {"similarity_threshold": "0.6"},
            WRITE,
        ),
        ("campaign-rename", "post", reverse("responses:campaign-rename", args=[pk]), {"name": "X"}, WRITE),
        ("campaign-confirm", "post", reverse("responses:campaign-confirm", args=[pk]), {}, WRITE),
        ("campaign-unconfirm", "post", reverse("responses:campaign-unconfirm", args=[pk]), {}, WRITE),
        ("campaign-representative", "post", reverse("responses:campaign-representative", args=[pk]), member, WRITE),
        ("campaign-split", "post", reverse("responses:campaign-split", args=[pk]), member, WRITE),
        (
            "response-allow-campaigns",
            "post",
            reverse("responses:response-allow-campaigns", args=[members[1].pk]),
            {},
            WRITE,
        ),
    ]


@pytest.mark.parametrize("user_fixture", list(ALLOWED))
def test_every_campaign_view_lets_in_exactly_the_right_roles(request, client, setting, user_fixture):
    """Every role reads the campaigns page; policy staff and admins decide; outsiders get 403."""
    client.force_login(request.getfixturevalue(user_fixture))
    with mock.patch("responses.tasks.recompute_campaigns.delay"):
        for name, method, url, data, kind in _views(*setting[:3]):
            response = getattr(client, method)(url, data)
            if kind in ALLOWED[user_fixture]:
                assert response.status_code in {200, 302}, (name, response.status_code)
                if response.status_code == 302:
                    assert "/accounts/login/" not in response["Location"], name
            else:
                assert response.status_code == 403, (name, response.status_code)


def test_anonymous_visitors_are_sent_to_login_from_every_campaign_view(client, setting):
    for name, method, url, data, _kind in _views(*setting[:3]):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("accounts:login")), name


def test_decisions_refuse_get(as_user, admin_user, setting):
    client = as_user(admin_user)
    for name, method, url, _data, _kind in _views(*setting[:3]):
        if method == "post":
            assert client.get(url).status_code == 405, name


def test_unknown_consultation_or_campaign_is_404(as_user, admin_user):
    client = as_user(admin_user)
    assert client.get(reverse("responses:campaign-list", args=["nope"])).status_code == 404
    assert client.post(reverse("responses:campaign-confirm", args=[999999])).status_code == 404


def test_campaigns_page_lists_size_representative_diff_and_members(as_user, reviewer_user, setting):
    consultation, campaign, members, _alone = setting
    page = as_user(reviewer_user).get(reverse("responses:campaign-list", args=[consultation.slug]))
    content = page.content.decode()
    assert page.status_code == 200
    assert "3 of 4 received responses in 1 campaign." in content
    assert "2 distinct submissions when each campaign counts once." in content
    assert "3 responses" in content
    assert f'data-testid="representative">{campaign.representative.organisation.name}<' in content
    assert 'data-testid="diff"' in content and "<ins" in content and "<del" in content
    for member in members:
        assert member.organisation.name in content
    assert "Delta Union" not in content
    # A reviewer reads; no decision is offered.
    assert "Confirm campaign" not in content and "Split out" not in content and "Recompute now" not in content


def test_compare_picks_the_member_shown_against_the_representative(as_user, policy_user, setting):
    consultation, campaign, members, _alone = setting
    other = next(m for m in members if m.pk != campaign.representative_id)
    url = reverse("responses:campaign-list", args=[consultation.slug])
    content = as_user(policy_user).get(url, {"compare": other.pk}).content.decode()
    assert f"How {other.organisation.name}\u2019s response differs from the representative" in content
    # Nonsense in the query string is ignored, never a 500.
    assert as_user(policy_user).get(url, {"compare": "x'", "page": "zz"}).status_code == 200


def test_staff_confirm_name_and_split_through_the_page(as_user, policy_user, setting):
    consultation, campaign, members, _alone = setting
    client = as_user(policy_user)
    response = client.post(reverse("responses:campaign-confirm", args=[campaign.pk]), {"name": "Safety coalition"})
    assert response.status_code == 302 and response["Location"].endswith(f"#campaign-{campaign.pk}")
    campaign.refresh_from_db()
    assert campaign.confirmed and campaign.name == "Safety coalition" and campaign.confirmed_by == policy_user
    split = next(m for m in members if m.pk != campaign.representative_id)
    client.post(reverse("responses:campaign-split", args=[campaign.pk]), {"response": split.pk})
    split.refresh_from_db()
    assert split.campaign is None and split.kept_out_of_campaigns
    page = client.get(reverse("responses:campaign-list", args=[consultation.slug])).content.decode()
    assert "Safety coalition" in page and "is split out of Safety coalition and will stay out" in page


def test_bad_member_and_bad_threshold_are_refused_with_a_message(as_user, policy_user, setting):
    consultation, campaign, _members, alone = setting
    client = as_user(policy_user)
    for data in [{"response": alone.pk}, {"response": "abc"}, {}]:
        response = client.post(reverse("responses:campaign-split", args=[campaign.pk]), data, follow=True)
        assert response.status_code == 200
        assert "That response is not (or no longer) part of this campaign." in response.content.decode()
    assert Campaign.objects.get().members.count() == 3
    response = client.post(
        reverse("responses:campaign-threshold", args=[consultation.slug]), {"similarity_threshold": "7"}, follow=True
    )
    assert "The similarity threshold was not changed" in response.content.decode()
    assert CampaignDetection.objects.get(consultation=consultation).similarity_threshold is None


def test_threshold_of_a_consultation_is_saved_and_recomputation_queued(
    as_user, policy_user, setting, django_capture_on_commit_callbacks
):
    consultation, *_rest = setting
    with (
        mock.patch("responses.tasks.recompute_campaigns.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        as_user(policy_user).post(
            reverse("responses:campaign-threshold", args=[consultation.slug]), {"similarity_threshold": "0.8"}
        )
    delay.assert_called_once_with(consultation.pk)
    assert CampaignDetection.objects.get(consultation=consultation).threshold == 0.8


def test_recompute_now_queues_a_run_at_once(as_user, admin_user, setting, django_capture_on_commit_callbacks):
    consultation, *_rest = setting
    with (
        mock.patch("responses.tasks.recompute_campaigns.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = as_user(admin_user).post(
            reverse("responses:campaign-recompute", args=[consultation.slug]), follow=True
        )
    delay.assert_called_once_with(consultation.pk)
    assert "recomputation pending" in response.content.decode()


def test_campaigns_page_query_count_does_not_grow_with_campaigns_and_members(
    as_user, reviewer_user, django_assert_max_num_queries
):
    """However many campaigns, members and files, the page takes the same handful of queries."""
    consultation = ConsultationFactory()
    client = as_user(reviewer_user)
    url = reverse("responses:campaign-list", args=[consultation.slug])

    def add_campaigns(count: int, size: int, seed: int) -> None:
        for letter in labelled_letters(seed=seed, campaign_sizes=(size,) * count, distinct=0):
            response = ResponseFactory(consultation=consultation, summary="")
            AttachmentFactory(response=response, extracted_text=letter.text, extraction_status=ExtractionStatus.DONE)

    add_campaigns(2, 3, seed=1)
    campaigns_recompute(consultation_id=consultation.pk)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add_campaigns(6, 8, seed=2)
    campaigns_recompute(consultation_id=consultation.pk)
    assert Campaign.objects.count() == 8
    with django_assert_max_num_queries(len(few.captured_queries)):
        content = client.get(url).content.decode()
    assert content.count('data-testid="campaign"') == 8


def test_consultation_page_says_how_many_responses_are_in_how_many_campaigns(as_user, reviewer_user, setting):
    consultation, *_rest = setting
    content = as_user(reviewer_user).get(reverse("consultations:consultation-detail", args=[consultation.slug]))
    text = content.content.decode()
    assert "3 responses in 1 campaign" in text
    assert f'href="{reverse("responses:campaign-list", args=[consultation.slug])}"' in text


def test_response_page_says_which_campaign_it_is_part_of(as_user, reviewer_user, setting):
    _consultation, campaign, members, alone = setting
    client = as_user(reviewer_user)
    content = client.get(reverse("responses:response-detail", args=[members[0].pk])).content.decode()
    assert f'#campaign-{campaign.pk}">Campaign {campaign.pk}</a> (3 responses)' in content
    assert (
        'data-testid="campaign-note"'
        not in client.get(reverse("responses:response-detail", args=[alone.pk])).content.decode()
    )


def test_collapsed_matrix_counts_each_campaign_once_through_its_representative(as_user, reviewer_user, setting):
    consultation, campaign, members, alone = setting
    topic = TopicFactory(consultation=consultation)
    representative = campaign.representative
    for member in members:
        stance = Stance.SUPPORTS if member.pk == representative.pk else Stance.OPPOSES
        PositionFactory(response=member, topic=topic, stance=stance)
    PositionFactory(response=alone, topic=topic, stance=Stance.OPPOSES)
    client = as_user(reviewer_user)
    url = reverse("responses:matrix", args=[consultation.slug])

    def counts(page) -> dict:
        return {stance: page.context["count_rows"][i][1][0] for i, stance in enumerate(Stance)}

    expanded = client.get(url)
    assert counts(expanded)[Stance.SUPPORTS] == 1 and counts(expanded)[Stance.OPPOSES] == 3
    assert len(expanded.context["rows"]) == 4

    collapsed = client.get(url, {"campaigns": "collapsed"})
    assert counts(collapsed)[Stance.SUPPORTS] == 1 and counts(collapsed)[Stance.OPPOSES] == 1
    assert [row["response"].pk for row in collapsed.context["rows"]] == sorted(
        [representative.pk, alone.pk], key=lambda pk: Response.objects.get(pk=pk).organisation.name
    )
    assert 'data-testid="campaign-badge">campaign of 3<' in collapsed.content.decode()


def test_collapsed_matrix_keeps_the_kind_filter(as_user, reviewer_user, setting):
    consultation, _campaign, _members, _alone = setting
    ResponseFactory(consultation=consultation, organisation=OrganisationFactory(kind="ngo"))
    page = as_user(reviewer_user).get(
        reverse("responses:matrix", args=[consultation.slug]), {"campaigns": "collapsed", "kind": "ngo"}
    )
    assert len(page.context["rows"]) == 1


def test_staff_let_a_split_response_join_a_campaign_again(
    as_user, policy_user, reviewer_user, setting, django_capture_on_commit_callbacks
):
    consultation, campaign, members, _alone = setting
    split = next(m for m in members if m.pk != campaign.representative_id)
    client = as_user(policy_user)
    client.post(reverse("responses:campaign-split", args=[campaign.pk]), {"response": split.pk})
    page = client.get(reverse("responses:response-detail", args=[split.pk])).content.decode()
    assert "Split out of a campaign by staff" in page and "Let it join a campaign again" in page
    assert (
        "Let it join a campaign again"
        not in as_user(reviewer_user).get(reverse("responses:response-detail", args=[split.pk])).content.decode()
    )

    client = as_user(policy_user)
    with (
        mock.patch("responses.tasks.recompute_campaigns.apply_async"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.post(reverse("responses:response-allow-campaigns", args=[split.pk]))
    campaigns_recompute(consultation_id=consultation.pk)
    split.refresh_from_db()
    assert not split.kept_out_of_campaigns and split.campaign_id == campaign.pk


def test_long_texts_are_compared_on_their_beginning(as_user, reviewer_user):
    consultation = ConsultationFactory()
    annex = " ".join(f"paragraph{n} of the annex." for n in range(3000))
    for name in ["Alpha", "Beta"]:
        response = ResponseFactory(consultation=consultation, summary=f"{FORM_LETTER} {name}")
        AttachmentFactory(response=response, extracted_text=annex, extraction_status=ExtractionStatus.DONE)
    campaigns_recompute(consultation_id=consultation.pk)
    content = as_user(reviewer_user).get(reverse("responses:campaign-list", args=[consultation.slug])).content
    assert "Long texts: their first 12,000 characters are compared." in content.decode()
