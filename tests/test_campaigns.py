"""Campaigns: near-identical responses grouped by shingling, MinHash LSH and union-find; staff
decisions survive recomputation; recomputation is queued once per burst of changes."""

import datetime
from unittest import mock

import pytest
from django.utils import timezone

from responses import campaigns, services
from responses.campaigns import (
    ExistingCampaign,
    UnionFind,
    campaigns_recompute,
    campaigns_schedule_recompute,
    document_shingles,
    plan_campaigns,
    similar_pairs,
)
from responses.models import Campaign, CampaignDetection, ExtractionStatus, Response
from tests.campaign_letters import labelled_letters, pairwise_precision_recall
from tests.factories import (
    AnswerFactory,
    AttachmentFactory,
    ConsultationFactory,
    DraftFactory,
    QuestionFactory,
    ResponseFactory,
)

FORM_LETTER = (
    "We urge the Working Group to keep a multi-stakeholder model of coordination, to align the global "
    "initiatives so that no work is duplicated, and to leave each platform the flexibility to design its "
    "own reporting mechanism. Legislation must never be used to gain broad access to user metadata."
)
OTHER_LETTER = (
    "Our association represents small providers. National capacity building matters most to us, and "
    "we ask for funding of hotlines in developing countries, training for police and teachers alike."
)


def _letter(consultation, text: str, **kwargs) -> Response:
    return ResponseFactory(consultation=consultation, summary=text, **kwargs)


def _groups(consultation) -> set[frozenset[int]]:
    grouped: dict[int, set[int]] = {}
    for pk, campaign_id in Response.objects.filter(consultation=consultation, campaign__isnull=False).values_list(
        "pk", "campaign_id"
    ):
        grouped.setdefault(campaign_id, set()).add(pk)
    return {frozenset(members) for members in grouped.values()}


# --- Detection -----------------------------------------------------------------------------------


def test_normalised_shingles_ignore_case_accents_and_punctuation():
    """Two texts differing only in case, accents and punctuation have the same shingles."""
    assert document_shingles("Dear Sir, we SUPPORT the régulation fully; it is good and fair.") == (
        document_shingles("dear sir we support the regulation fully it is good and fair")
    )


def test_a_few_words_are_not_enough_to_join_a_campaign():
    """Texts too short to tell a form letter from a coincidence have no shingles and are left alone."""
    assert document_shingles("We support it.") == frozenset()


def test_similar_pairs_are_confirmed_by_exact_jaccard_similarity():
    """LSH proposes pairs; only those at least as similar as the threshold are kept, most similar first."""
    documents = {
        1: document_shingles(FORM_LETTER),
        2: document_shingles(FORM_LETTER.replace("urge", "ask")),
        3: document_shingles(OTHER_LETTER),
    }
    pairs = similar_pairs(documents, threshold=0.5)
    assert [(a, b) for a, b, _ in pairs] == [(1, 2)]
    assert 0.5 <= pairs[0][2] < 1


def test_union_find_never_joins_sets_of_two_confirmed_campaigns():
    forest = UnionFind()
    forest.union(1, 2)
    forest.tag[forest.find(1)] = 10
    forest.union(3, 4)
    forest.tag[forest.find(3)] = 20
    assert forest.union(2, 3) is False
    assert forest.union(4, 5) is True
    assert sorted((tag, sorted(members)) for tag, members in forest.groups()) == [(10, [1, 2]), (20, [3, 4, 5])]


def test_detection_finds_labelled_form_letters_with_high_pairwise_precision_and_recall():
    """On 219 generated letters (7 edited form letters sent 2 to 45 times, 90 letters of their own, all on
    the same subject), grouping pairs agrees with the labels: precision and recall at least 0.95."""
    letters = labelled_letters(seed=11)
    assert len(letters) >= 200
    plan = plan_campaigns({i: document_shingles(letter.text) for i, letter in enumerate(letters)}, threshold=0.5)
    predicted: list[int | None] = [None] * len(letters)
    for number, planned in enumerate(plan):
        for member in planned.members:
            predicted[member] = number
    precision, recall = pairwise_precision_recall([letter.campaign for letter in letters], predicted)
    assert precision >= 0.95
    assert recall >= 0.95


@pytest.mark.django_db
def test_recomputation_groups_stored_responses_from_summary_answers_and_files():
    """The stored pipeline on 219 responses whose text sits in the summary, an answer or an extracted file:
    pairwise precision and recall at least 0.95, and every campaign has a representative among its members."""
    consultation = ConsultationFactory()
    question = QuestionFactory(consultation=consultation)
    letters = labelled_letters(seed=3)
    responses = []
    for index, letter in enumerate(letters):
        where = index % 3
        response = ResponseFactory(consultation=consultation, summary=letter.text if where == 0 else "")
        if where == 1:
            AnswerFactory(response=response, question=question, text=letter.text)
        elif where == 2:
            AttachmentFactory(response=response, extracted_text=letter.text, extraction_status=ExtractionStatus.DONE)
        responses.append(response)

    result = campaigns_recompute(consultation_id=consultation.pk)

    campaign_of = dict(Response.objects.filter(consultation=consultation).values_list("pk", "campaign_id"))
    precision, recall = pairwise_precision_recall(
        [letter.campaign for letter in letters], [campaign_of[response.pk] for response in responses]
    )
    assert precision >= 0.95
    assert recall >= 0.95
    assert result.campaigns == Campaign.objects.of(consultation).count() == 7
    for campaign in Campaign.objects.of(consultation):
        assert campaign.members.filter(pk=campaign.representative_id).exists()


@pytest.mark.django_db
def test_recomputation_is_idempotent():
    """A second run on the same responses creates, removes and moves nothing."""
    consultation = ConsultationFactory()
    for letter in labelled_letters(seed=5, campaign_sizes=(6, 4), distinct=5):
        _letter(consultation, letter.text)
    first = campaigns_recompute(consultation_id=consultation.pk)
    before = (_groups(consultation), set(Campaign.objects.values_list("pk", "representative_id")))
    second = campaigns_recompute(consultation_id=consultation.pk)
    assert first.created == 2
    assert (second.created, second.removed, second.moved) == (0, 0, 0)
    assert (_groups(consultation), set(Campaign.objects.values_list("pk", "representative_id"))) == before


@pytest.mark.django_db
def test_drafts_of_our_own_are_not_grouped():
    """Only received submissions form campaigns; our own drafts stay outside."""
    consultation = ConsultationFactory()
    received = _letter(consultation, FORM_LETTER)
    DraftFactory(consultation=consultation, body=FORM_LETTER)
    campaigns_recompute(consultation_id=consultation.pk)
    received.refresh_from_db()
    assert received.campaign is None
    assert not Campaign.objects.exists()


@pytest.mark.django_db
def test_unconfirmed_campaign_keeps_its_identity_and_name_while_its_members_change():
    consultation = ConsultationFactory()
    first = [_letter(consultation, FORM_LETTER + f" Signed {n}.") for n in range(3)]
    campaigns_recompute(consultation_id=consultation.pk)
    campaign = Campaign.objects.get()
    Campaign.objects.filter(pk=campaign.pk).update(name="Child safety coalition")
    newcomer = _letter(consultation, FORM_LETTER + " Signed late.")
    campaigns_recompute(consultation_id=consultation.pk)
    campaign.refresh_from_db()
    assert campaign.name == "Child safety coalition"
    assert set(campaign.members.values_list("pk", flat=True)) == {r.pk for r in [*first, newcomer]}


@pytest.mark.django_db
def test_campaign_that_is_no_longer_found_is_removed():
    consultation = ConsultationFactory()
    a, b = _letter(consultation, FORM_LETTER), _letter(consultation, FORM_LETTER + " Thanks.")
    campaigns_recompute(consultation_id=consultation.pk)
    assert Campaign.objects.count() == 1
    Response.objects.filter(pk=b.pk).update(summary=OTHER_LETTER)
    campaigns_recompute(consultation_id=consultation.pk)
    assert not Campaign.objects.exists()
    assert not Response.objects.filter(pk__in=[a.pk, b.pk], campaign__isnull=False).exists()


# --- Staff decisions outlive recomputation ---------------------------------------------------------


@pytest.fixture
def found(db):
    """A consultation with one campaign of four found automatically, and one letter of its own."""
    consultation = ConsultationFactory()
    members = [_letter(consultation, FORM_LETTER + f" From supporter number {n}.") for n in range(4)]
    alone = _letter(consultation, OTHER_LETTER)
    campaigns_recompute(consultation_id=consultation.pk)
    return consultation, Campaign.objects.get(), members, alone


def test_confirmed_campaign_keeps_members_and_representative_and_admits_new_similar_responses(found, policy_user):
    consultation, campaign, members, _alone = found
    chosen = members[2]
    campaigns.campaign_choose_representative(campaign=campaign, response=chosen)
    campaigns.campaign_confirm(campaign=campaign, by=policy_user, name="Coalition letter")
    # A stricter threshold would no longer group the letters; the confirmed campaign holds them anyway.
    CampaignDetection.objects.filter(consultation=consultation).update(similarity_threshold=0.99)
    newcomer = _letter(consultation, FORM_LETTER + " From supporter number 1.")
    campaigns_recompute(consultation_id=consultation.pk)
    campaign.refresh_from_db()
    assert campaign.confirmed and campaign.confirmed_by == policy_user and campaign.name == "Coalition letter"
    assert campaign.representative_id == chosen.pk
    assert set(campaign.members.values_list("pk", flat=True)) == {m.pk for m in members} | {newcomer.pk}


def test_split_member_stays_out_after_recomputation(found):
    consultation, campaign, members, _alone = found
    remaining = campaigns.campaign_split_member(campaign=campaign, response=members[0])
    assert remaining is not None and remaining.members.count() == 3
    campaigns_recompute(consultation_id=consultation.pk)
    members[0].refresh_from_db()
    assert members[0].campaign is None and members[0].kept_out_of_campaigns
    assert Campaign.objects.get().members.count() == 3


def test_splitting_the_representative_out_hands_the_role_to_another_member(found):
    _consultation, campaign, _members, _alone = found
    representative = campaign.representative
    remaining = campaigns.campaign_split_member(campaign=campaign, response=representative)
    assert remaining.representative_id not in (None, representative.pk)
    assert remaining.members.filter(pk=remaining.representative_id).exists()


def test_splitting_down_to_one_member_dissolves_the_campaign(found):
    _consultation, campaign, members, _alone = found
    for member in members[:2]:
        campaigns.campaign_split_member(campaign=campaign, response=member)
    assert campaigns.campaign_split_member(campaign=campaign, response=members[2]) is None
    assert not Campaign.objects.exists()
    assert not Response.objects.filter(campaign__isnull=False).exists()


def test_splitting_a_response_that_is_not_a_member_is_refused(found):
    _consultation, campaign, _members, alone = found
    with pytest.raises(campaigns.CampaignError):
        campaigns.campaign_split_member(campaign=campaign, response=alone)
    with pytest.raises(campaigns.CampaignError):
        campaigns.campaign_choose_representative(campaign=campaign, response=alone)


def test_chosen_representative_survives_recomputation_of_an_unconfirmed_campaign(found):
    consultation, campaign, members, _alone = found
    campaigns.campaign_choose_representative(campaign=campaign, response=members[3])
    campaigns_recompute(consultation_id=consultation.pk)
    campaign.refresh_from_db()
    assert (campaign.representative_id, campaign.representative_chosen) == (members[3].pk, True)


def test_two_confirmed_campaigns_are_never_merged_by_a_bridging_response():
    """A response similar to members of two confirmed campaigns joins one of them; they stay two."""
    a, b, bridge = (
        document_shingles(FORM_LETTER),
        document_shingles(FORM_LETTER + " " + FORM_LETTER.upper()),
        document_shingles(FORM_LETTER + " thanks"),
    )
    plan = plan_campaigns(
        {1: a, 2: a, 3: b, 4: b, 5: bridge},
        threshold=0.5,
        existing=[
            ExistingCampaign(id=10, members=frozenset({1, 2}), confirmed=True, representative_id=1),
            ExistingCampaign(id=20, members=frozenset({3, 4}), confirmed=True, representative_id=3),
        ],
    )
    by_id = {planned.campaign_id: planned.members for planned in plan}
    assert set(by_id) == {10, 20}
    assert {1, 2} <= by_id[10] and {3, 4} <= by_id[20]
    assert len(by_id[10] & by_id[20]) == 0


# --- Queued once per burst of changes --------------------------------------------------------------


@pytest.mark.django_db
def test_a_burst_of_changes_queues_one_recomputation(django_capture_on_commit_callbacks, settings):
    """A thousand changes to one consultation's responses (an import, say) queue one delayed run."""
    settings.CAMPAIGN_RECOMPUTE_DELAY = 30
    consultation = ConsultationFactory()
    with (
        mock.patch("responses.tasks.recompute_campaigns.apply_async") as apply_async,
        django_capture_on_commit_callbacks(execute=True),
    ):
        for _ in range(1000):
            campaigns_schedule_recompute(consultation_id=consultation.pk)
    apply_async.assert_called_once_with(args=[consultation.pk], countdown=30)
    detection = CampaignDetection.objects.get(consultation=consultation)
    assert detection.dirty_since is not None and detection.queued_at is not None


@pytest.mark.django_db
def test_a_change_after_the_run_started_queues_another(django_capture_on_commit_callbacks):
    consultation = ConsultationFactory()
    with mock.patch("responses.tasks.recompute_campaigns.apply_async") as apply_async:
        with django_capture_on_commit_callbacks(execute=True):
            campaigns_schedule_recompute(consultation_id=consultation.pk)
        campaigns_recompute(consultation_id=consultation.pk)
        assert CampaignDetection.objects.get(consultation=consultation).is_pending is False
        with django_capture_on_commit_callbacks(execute=True):
            campaigns_schedule_recompute(consultation_id=consultation.pk)
    assert apply_async.call_count == 2


@pytest.mark.django_db
def test_a_lost_recomputation_is_queued_again_after_a_while():
    consultation = ConsultationFactory()
    now = timezone.now()
    with mock.patch("responses.tasks.recompute_campaigns.apply_async") as apply_async:
        assert campaigns._queue_recompute(consultation.pk, now=now) is True
        assert campaigns._queue_recompute(consultation.pk, now=now + datetime.timedelta(minutes=1)) is False
        assert campaigns._queue_recompute(consultation.pk, now=now + datetime.timedelta(minutes=11)) is True
    assert apply_async.call_count == 2


@pytest.mark.django_db
def test_logging_editing_coding_importing_and_extraction_each_schedule_a_recomputation(policy_user):
    """Every save path of received responses asks for the consultation's campaigns to be recomputed."""
    consultation = ConsultationFactory()
    with mock.patch("responses.services.campaigns_schedule_recompute") as schedule:
        response = services.response_log_received(
            consultation=consultation,
            organisation=ResponseFactory().organisation,
            channel="email",
            received_on=None,
            summary=FORM_LETTER,
            logged_by=policy_user,
        )
        services.response_update_details(
            response=response, expected_version=1, channel="letter", received_on=None, summary=OTHER_LETTER
        )
        services.response_code(response=response, expected_version=2, answers={}, positions={})
        attachment = AttachmentFactory(response=response, data=FORM_LETTER.encode())
        services.attachment_extract_text(attachment_id=attachment.pk)
    assert schedule.call_args_list == [mock.call(consultation_id=consultation.pk)] * 4


@pytest.mark.django_db
def test_the_task_recomputes_and_tolerates_a_deleted_consultation():
    from responses.tasks import recompute_campaigns

    consultation = ConsultationFactory()
    _letter(consultation, FORM_LETTER)
    _letter(consultation, FORM_LETTER + " Best.")
    assert recompute_campaigns.apply(args=[consultation.pk]).get()["campaigns"] == 1
    assert recompute_campaigns.apply(args=[999999]).get() is None


@pytest.mark.django_db
def test_importing_a_thousand_submissions_queues_one_recomputation(
    as_user, policy_user, settings, tmp_path, django_capture_on_commit_callbacks
):
    """An import of 1,000 rows (form letters among them) queues a single recomputation, which groups them."""
    from tests.test_import_submissions import confirm, preview_of
    from tests.test_importing import csv_bytes

    settings.MEDIA_ROOT = tmp_path
    consultation = ConsultationFactory()
    letters = labelled_letters(seed=9, campaign_sizes=(120, 80), distinct=800)
    rows = [["Organisation", "Kind", "Summary"]]
    rows += [[f"Supporter {n}", "Individual", letter.text] for n, letter in enumerate(letters)]
    client = as_user(policy_user)
    preview_url = preview_of(client, consultation, csv_bytes(rows))
    with (
        mock.patch("responses.tasks.recompute_campaigns.apply_async") as apply_async,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert confirm(client, consultation, preview_url, mode="all").status_code == 302
    assert Response.objects.filter(consultation=consultation).count() == 1000
    apply_async.assert_called_once_with(args=[consultation.pk], countdown=settings.CAMPAIGN_RECOMPUTE_DELAY)
    result = campaigns_recompute(consultation_id=consultation.pk)
    assert (result.campaigns, result.grouped) == (2, 200)


@pytest.mark.django_db
def test_deleting_a_member_recomputes_its_campaign(django_capture_on_commit_callbacks):
    """A representative deleted in the admin: the campaign is recomputed, and dissolved when one is left."""
    consultation = ConsultationFactory()
    _letter(consultation, FORM_LETTER)
    _letter(consultation, FORM_LETTER + " Thanks.")
    campaigns_recompute(consultation_id=consultation.pk)
    campaign = Campaign.objects.get()
    with (
        mock.patch("responses.tasks.recompute_campaigns.apply_async") as apply_async,
        django_capture_on_commit_callbacks(execute=True),
    ):
        campaign.representative.delete()
    apply_async.assert_called_once()
    campaign.refresh_from_db()
    assert campaign.representative is None
    campaigns_recompute(consultation_id=consultation.pk)
    assert not Campaign.objects.exists()
