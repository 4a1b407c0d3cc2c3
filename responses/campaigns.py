"""Campaigns: near-identical responses to one consultation, such as a form letter sent by many with
small edits, found and kept as staff decided.

Detection (pure functions, no database): each response's text (summary, body, answers and the text
extracted from its files) is normalised into words, cut into overlapping word 3-grams ("shingles"),
and summarised by a MinHash signature. Locality-sensitive hashing (datasketch's MinHashLSH) proposes
pairs likely to be similar without comparing every pair; each pair is then confirmed by the exact
Jaccard similarity of the two shingle sets against the threshold. Confirmed pairs are joined by
union-find into groups; a group of at least CAMPAIGN_MIN_SIZE responses is a campaign.

Staff decisions outlive recomputation: a confirmed campaign keeps its members (and gains new similar
responses) and its representative, two confirmed campaigns are never merged, a response split out of
a campaign is not grouped again, and a representative chosen by staff stays while it is a member.

The service functions below persist that; recomputation runs in Celery (responses.tasks), queued once
per burst of changes by `campaigns_schedule_recompute`.
"""

import datetime
import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from datasketch import MinHash, MinHashLSH
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from consultations.models import Consultation
from responses import matrix as stance_matrix
from responses.models import Answer, Attachment, Campaign, CampaignDetection, Response

logger = logging.getLogger(__name__)

SHINGLE_SIZE = 3
NUM_PERM = 128
# The same seed on every run: the same texts give the same signatures, so recomputation is idempotent.
SEED = 20160131
# Fewer words than this say too little to tell a form letter from a coincidence ("We support it.").
MIN_WORDS = 8
# LSH proposes pairs from a little below the threshold, so that few true pairs are missed by the
# estimate; the exact Jaccard similarity then decides.
LSH_MARGIN = 0.15
# A queued recomputation that has not started after this long was lost (a broker outage): queue again.
QUEUE_PATIENCE = datetime.timedelta(minutes=10)

_WORDS = re.compile(r"\w+")


class CampaignError(Exception):
    """A campaign decision that cannot be made as asked; nothing was changed."""


# --- Detection: pure functions ------------------------------------------------------------------


def normalise(text: str) -> list[str]:
    """The words of `text`, case-folded, accents and compatibility forms unified, punctuation dropped."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(char for char in text if not unicodedata.combining(char))
    return _WORDS.findall(text.casefold())


def shingles(words: list[str], size: int = SHINGLE_SIZE) -> frozenset[str]:
    """Overlapping word n-grams; a text shorter than `size` words is one shingle."""
    if len(words) < size:
        return frozenset([" ".join(words)]) if words else frozenset()
    return frozenset(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 0.0
    return len(a & b) / len(a | b)


def candidate_pairs(documents: Mapping[int, frozenset[str]], *, threshold: float) -> list[tuple[int, int]]:
    """Pairs (a, b) with a < b that MinHash LSH finds likely to be at least about `threshold` similar,
    in a stable order; without comparing every pair."""
    ids = sorted(doc_id for doc_id, shingle_set in documents.items() if shingle_set)
    if len(ids) < 2:
        return []
    signatures = MinHash.bulk(
        [[shingle.encode() for shingle in sorted(documents[doc_id])] for doc_id in ids], num_perm=NUM_PERM, seed=SEED
    )
    lsh = MinHashLSH(threshold=max(0.05, threshold - LSH_MARGIN), num_perm=NUM_PERM)
    for doc_id, signature in zip(ids, signatures, strict=True):
        lsh.insert(doc_id, signature)
    return [
        (doc_id, other)
        for doc_id, signature in zip(ids, signatures, strict=True)
        for other in sorted(lsh.query(signature))
        if other > doc_id
    ]


def similar_pairs(documents: Mapping[int, frozenset[str]], *, threshold: float) -> list[tuple[int, int, float]]:
    """Candidate pairs confirmed by their exact Jaccard similarity: (a, b, similarity), most similar first."""
    pairs = [(a, b, jaccard(documents[a], documents[b])) for a, b in candidate_pairs(documents, threshold=threshold)]
    return sorted([pair for pair in pairs if pair[2] >= threshold], key=lambda pair: (-pair[2], pair[0], pair[1]))


class UnionFind:
    """Disjoint sets of ids; each set may carry one tag (a confirmed campaign), and two sets with
    different tags are never joined."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}
        self.size: dict[int, int] = {}
        self.tag: dict[int, int | None] = {}

    def add(self, item: int) -> None:
        if item not in self.parent:
            self.parent[item], self.size[item], self.tag[item] = item, 1, None

    def find(self, item: int) -> int:
        self.add(item)
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: int, b: int) -> bool:
        """Join the sets of a and b; False if they carry different tags (and stay apart)."""
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return True
        tag_a, tag_b = self.tag[root_a], self.tag[root_b]
        if tag_a is not None and tag_b is not None and tag_a != tag_b:
            return False
        if (self.size[root_a], root_b) < (self.size[root_b], root_a):
            root_a, root_b = root_b, root_a
        self.parent[root_b] = root_a
        self.size[root_a] += self.size[root_b]
        self.tag[root_a] = tag_a if tag_a is not None else tag_b
        return True

    def groups(self) -> list[tuple[int | None, frozenset[int]]]:
        members: dict[int, set[int]] = defaultdict(set)
        for item in self.parent:
            members[self.find(item)].add(item)
        return [(self.tag[root], frozenset(items)) for root, items in members.items()]


@dataclass(frozen=True)
class ExistingCampaign:
    """A campaign as stored, with what staff decided about it."""

    id: int
    members: frozenset[int]
    confirmed: bool = False
    representative_id: int | None = None
    representative_chosen: bool = False


@dataclass(frozen=True)
class PlannedCampaign:
    """A campaign as it should be: an existing one (`campaign_id`) or a new one (None)."""

    campaign_id: int | None
    members: frozenset[int]
    representative_id: int


def plan_campaigns(
    documents: Mapping[int, frozenset[str]],
    *,
    threshold: float,
    existing: Iterable[ExistingCampaign] = (),
    kept_out: Iterable[int] = (),
    min_size: int = 2,
) -> list[PlannedCampaign]:
    """The campaigns of a consultation whose responses have these shingle sets (keyed by response id,
    lower ids logged earlier), honouring the staff decisions in `existing` and `kept_out`."""
    kept_out = set(kept_out)
    existing = list(existing)
    confirmed = [campaign for campaign in existing if campaign.confirmed]

    forest = UnionFind()
    for campaign in confirmed:
        members = sorted(campaign.members - kept_out)
        for member in members:
            forest.add(member)
            forest.union(members[0], member)
        if members:
            forest.tag[forest.find(members[0])] = campaign.id
    # How central each response is to its group: how many likely neighbours it has; the most central
    # one represents a group unless staff chose otherwise.
    centrality: dict[int, int] = defaultdict(int)
    candidates = [i for i in documents if i not in kept_out]
    for a, b in candidate_pairs({i: documents[i] for i in candidates}, threshold=threshold):
        centrality[a] += 1
        centrality[b] += 1
        # Already together: no need to measure (a large campaign has many such pairs).
        if forest.find(a) != forest.find(b) and jaccard(documents[a], documents[b]) >= threshold:
            forest.union(a, b)

    groups = [(tag, members) for tag, members in forest.groups() if len(members) >= (2 if tag else min_size)]
    by_id = {campaign.id: campaign for campaign in existing}
    taken: set[int] = {tag for tag, _members in groups if tag is not None}
    # Unconfirmed campaigns keep their identity (and name) through the group that overlaps them most.
    overlaps = sorted(
        (
            (len(members & campaign.members), campaign.id, index)
            for index, (tag, members) in enumerate(groups)
            if tag is None
            for campaign in existing
            if not campaign.confirmed and members & campaign.members
        ),
        key=lambda overlap: (-overlap[0], overlap[1], overlap[2]),
    )
    assigned: dict[int, int] = {}
    for _count, campaign_id, index in overlaps:
        if campaign_id in taken or index in assigned:
            continue
        assigned[index] = campaign_id
        taken.add(campaign_id)

    planned = []
    for index, (tag, members) in enumerate(groups):
        campaign_id = tag if tag is not None else assigned.get(index)
        campaign = by_id.get(campaign_id) if campaign_id is not None else None
        keeps_representative = campaign is not None and (campaign.confirmed or campaign.representative_chosen)
        if keeps_representative and campaign.representative_id in members:
            representative = campaign.representative_id
        else:
            representative = min(members, key=lambda member: (-centrality[member], member))
        planned.append(PlannedCampaign(campaign_id, members, representative))
    return sorted(planned, key=lambda plan: min(plan.members))


# --- Texts of responses --------------------------------------------------------------------------


def texts_queryset(responses) -> "Iterable[Response]":
    """`responses` with what document_text reads, in three queries whatever their number."""
    return responses.only("pk", "summary", "body", "campaign_id", "kept_out_of_campaigns").prefetch_related(
        Prefetch(
            "answers", queryset=Answer.objects.only("pk", "response_id", "text").order_by("question__order", "pk")
        ),
        Prefetch("attachments", queryset=Attachment.objects.only("pk", "response_id", "extracted_text")),
    )


def document_text(response: Response) -> str:
    """Everything the organisation wrote: summary, body, answers and the text of its files."""
    parts = [response.summary, response.body]
    parts += [answer.text for answer in response.answers.all()]
    parts += [attachment.extracted_text for attachment in response.attachments.all()]
    return "\n\n".join(part.strip() for part in parts if part and part.strip())


def document_shingles(text: str) -> frozenset[str]:
    words = normalise(text)
    return shingles(words) if len(words) >= MIN_WORDS else frozenset()


# --- Services: recomputation ---------------------------------------------------------------------


def detection_for(consultation: Consultation) -> CampaignDetection:
    CampaignDetection.objects.bulk_create([CampaignDetection(consultation=consultation)], ignore_conflicts=True)
    return CampaignDetection.objects.get(consultation=consultation)


def campaigns_schedule_recompute(*, consultation_id: int) -> None:
    """After the current transaction commits, mark the consultation's campaigns out of date and queue
    one recomputation, unless one is already waiting: a thousand changes in a burst queue one run."""
    transaction.on_commit(lambda: _queue_recompute(consultation_id), robust=True)


def _queue_recompute(consultation_id: int, *, now: datetime.datetime | None = None, delay: int | None = None) -> bool:
    from responses.tasks import recompute_campaigns

    now = now or timezone.now()
    CampaignDetection.objects.bulk_create([CampaignDetection(consultation_id=consultation_id)], ignore_conflicts=True)
    detection = CampaignDetection.objects.filter(consultation_id=consultation_id)
    detection.update(dirty_since=Coalesce("dirty_since", now))
    # The claim: only the change that finds no recomputation waiting queues one.
    claimed = detection.filter(Q(queued_at__isnull=True) | Q(queued_at__lt=now - QUEUE_PATIENCE)).update(queued_at=now)
    if claimed:
        countdown = settings.CAMPAIGN_RECOMPUTE_DELAY if delay is None else delay
        recompute_campaigns.apply_async(args=[consultation_id], countdown=countdown)
    return bool(claimed)


def campaigns_recompute_now(*, consultation: Consultation) -> None:
    """Staff asked: recompute as soon as a worker is free, whatever is already waiting."""
    from responses.tasks import recompute_campaigns

    detection_for(consultation)
    now = timezone.now()
    CampaignDetection.objects.filter(consultation=consultation).update(
        dirty_since=Coalesce("dirty_since", now), queued_at=now
    )
    transaction.on_commit(lambda: recompute_campaigns.delay(consultation.pk), robust=True)


@receiver(post_delete, sender=Response, dispatch_uid="campaigns_member_deleted")
def _member_deleted(sender, instance: Response, **kwargs) -> None:
    """A member deleted (in the admin) may leave its campaign too small or without a representative."""
    if instance.campaign_id is not None:
        campaigns_schedule_recompute(consultation_id=instance.consultation_id)


@dataclass
class RecomputeResult:
    campaigns: int = 0
    grouped: int = 0
    created: int = 0
    removed: int = 0
    moved: int = 0


def campaigns_recompute(*, consultation_id: int) -> RecomputeResult | None:
    """Find the campaigns of one consultation again and store them; None if the consultation is gone.

    One transaction, holding the consultation's detection row, so that two runs (or a run and a staff
    decision) take turns. Running it twice on the same responses changes nothing the second time.
    """
    started = timezone.now()
    consultation = Consultation.objects.filter(pk=consultation_id).first()
    if consultation is None:
        return None
    detection_for(consultation)
    # Release the claim first: a change made while this run reads will queue a run of its own.
    CampaignDetection.objects.filter(consultation=consultation).update(queued_at=None)
    with transaction.atomic():
        detection = CampaignDetection.objects.select_for_update().get(consultation=consultation)
        responses = list(texts_queryset(Response.objects.received().filter(consultation=consultation)))
        documents = {response.pk: document_shingles(document_text(response)) for response in responses}
        stored = list(Campaign.objects.of(consultation))
        members: dict[int, set[int]] = defaultdict(set)
        for response in responses:
            if response.campaign_id is not None:
                members[response.campaign_id].add(response.pk)
        existing = [
            ExistingCampaign(
                id=campaign.pk,
                members=frozenset(members[campaign.pk]),
                confirmed=campaign.confirmed,
                representative_id=campaign.representative_id,
                representative_chosen=campaign.representative_chosen,
            )
            for campaign in stored
        ]
        plan = plan_campaigns(
            documents,
            threshold=detection.threshold,
            existing=existing,
            kept_out={response.pk for response in responses if response.kept_out_of_campaigns},
            min_size=settings.CAMPAIGN_MIN_SIZE,
        )
        result = _apply_plan(consultation, plan, stored, responses)
        _matrix_changed(consultation.pk)
        finished = timezone.now()
        CampaignDetection.objects.filter(pk=detection.pk).update(computed_at=finished)
        CampaignDetection.objects.filter(pk=detection.pk, dirty_since__lte=started).update(dirty_since=None)
    logger.info(
        "Campaigns of consultation %s: %d campaigns of %d responses (%d new, %d removed, %d responses moved)",
        consultation_id,
        result.campaigns,
        result.grouped,
        result.created,
        result.removed,
        result.moved,
    )
    return result


def _apply_plan(
    consultation: Consultation, plan: list[PlannedCampaign], stored: list[Campaign], responses: list[Response]
) -> RecomputeResult:
    result = RecomputeResult(campaigns=len(plan), grouped=sum(len(p.members) for p in plan))
    by_id = {campaign.pk: campaign for campaign in stored}
    wanted: dict[int, int | None] = {response.pk: None for response in responses}
    for planned in plan:
        campaign = by_id.get(planned.campaign_id) if planned.campaign_id is not None else None
        if campaign is None:
            campaign = Campaign.objects.create(consultation=consultation, representative_id=planned.representative_id)
            result.created += 1
        elif campaign.representative_id != planned.representative_id:
            campaign.representative_id = planned.representative_id
            if campaign.representative_chosen:
                # The chosen one left the campaign; the new one is detection's choice.
                campaign.representative_chosen = False
            campaign.save(update_fields=["representative", "representative_chosen", "updated_at"])
        for member in planned.members:
            wanted[member] = campaign.pk
    kept = {wanted_id for wanted_id in wanted.values() if wanted_id is not None}
    moves: dict[int | None, list[int]] = defaultdict(list)
    for response in responses:
        if response.campaign_id != wanted[response.pk]:
            moves[wanted[response.pk]].append(response.pk)
            result.moved += 1
    for campaign_id, response_ids in moves.items():
        Response.objects.filter(pk__in=response_ids).update(campaign_id=campaign_id)
    gone = [campaign.pk for campaign in stored if campaign.pk not in kept]
    if gone:
        result.removed = len(gone)
        Campaign.objects.filter(pk__in=gone).delete()
    return result


# --- Services: staff decisions -------------------------------------------------------------------


def _matrix_changed(consultation_id: int) -> None:
    """The collapsed stance matrix counts campaigns through their representatives: renew its cached counts."""
    transaction.on_commit(lambda: stance_matrix.forget(consultation_id))


def _lock(campaign: Campaign) -> Campaign:
    """Take the consultation's detection row, so that a decision and a recomputation take turns."""
    detection_for(campaign.consultation)
    CampaignDetection.objects.select_for_update().get(consultation_id=campaign.consultation_id)
    locked = Campaign.objects.filter(pk=campaign.pk).first()
    if locked is None:
        raise CampaignError(_("This campaign no longer exists: the campaigns were recomputed meanwhile."))
    return locked


@transaction.atomic
def campaign_confirm(*, campaign: Campaign, by, name: str = "") -> Campaign:
    """Staff confirm the group: it keeps its members and representative from now on (and may grow)."""
    locked = _lock(campaign)
    locked.confirmed = True
    locked.confirmed_by = by
    locked.confirmed_at = timezone.now()
    if name.strip():
        locked.name = name.strip()[:200]
    locked.save(update_fields=["confirmed", "confirmed_by", "confirmed_at", "name", "updated_at"])
    return locked


@transaction.atomic
def campaign_unconfirm(*, campaign: Campaign) -> Campaign:
    """Hand the group back to detection, which may reshape it on the next recomputation."""
    locked = _lock(campaign)
    locked.confirmed = False
    locked.confirmed_by = None
    locked.confirmed_at = None
    locked.save(update_fields=["confirmed", "confirmed_by", "confirmed_at", "updated_at"])
    return locked


@transaction.atomic
def campaign_rename(*, campaign: Campaign, name: str) -> Campaign:
    locked = _lock(campaign)
    locked.name = name.strip()[:200]
    locked.save(update_fields=["name", "updated_at"])
    return locked


@transaction.atomic
def campaign_split_member(*, campaign: Campaign, response: Response) -> Campaign | None:
    """Take a response out of the campaign for good: detection will not group it again. A campaign
    left with fewer than two members is dissolved (None is returned)."""
    locked = _lock(campaign)
    if not Response.objects.filter(pk=response.pk, campaign=locked).update(campaign=None, kept_out_of_campaigns=True):
        raise CampaignError(_("This response is not (or no longer) part of the campaign."))
    _matrix_changed(locked.consultation_id)
    remaining = list(locked.members.order_by("pk").values_list("pk", flat=True))
    if len(remaining) < 2:
        locked.members.update(campaign=None)
        locked.delete()
        return None
    if locked.representative_id not in remaining:
        locked.representative_id = remaining[0]
        locked.representative_chosen = False
        locked.save(update_fields=["representative", "representative_chosen", "updated_at"])
    return locked


@transaction.atomic
def response_allow_campaigns(*, response: Response) -> bool:
    """Undo a split: detection may group the response again, from its next recomputation (queued now).
    False if it was not kept out."""
    if not Response.objects.filter(pk=response.pk, kept_out_of_campaigns=True).update(kept_out_of_campaigns=False):
        return False
    campaigns_schedule_recompute(consultation_id=response.consultation_id)
    return True


@transaction.atomic
def campaign_choose_representative(*, campaign: Campaign, response: Response) -> Campaign:
    """Staff choose the response that stands for the campaign; recomputation keeps it."""
    locked = _lock(campaign)
    if not locked.members.filter(pk=response.pk).exists():
        raise CampaignError(_("Only a member of the campaign can represent it."))
    _matrix_changed(locked.consultation_id)
    locked.representative = response
    locked.representative_chosen = True
    locked.save(update_fields=["representative", "representative_chosen", "updated_at"])
    return locked


@transaction.atomic
def campaign_set_threshold(*, consultation: Consultation, threshold: float | None) -> CampaignDetection:
    """This consultation's own similarity threshold (None: the installation's default); recomputes."""
    detection_for(consultation)
    detection = CampaignDetection.objects.select_for_update().get(consultation=consultation)
    detection.similarity_threshold = threshold
    detection.save(update_fields=["similarity_threshold"])
    campaigns_recompute_now(consultation=consultation)
    return detection


# --- Reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignSummary:
    responses: int
    in_campaigns: int
    campaigns: int

    @property
    def distinct(self) -> int:
        """Responses counted once per campaign: those outside campaigns, plus one per campaign."""
        return self.responses - self.in_campaigns + self.campaigns


def campaign_summary(consultation: Consultation) -> CampaignSummary:
    """How many received responses there are, how many belong to campaigns, and how many campaigns."""
    received = Response.objects.received().filter(consultation=consultation)
    counts = received.aggregate(
        total=Count("pk"),
        grouped=Count("pk", filter=Q(campaign__isnull=False)),
        campaigns=Count("campaign", distinct=True),
    )
    return CampaignSummary(counts["total"], counts["grouped"], counts["campaigns"])


def campaign_sizes(consultation: Consultation) -> dict[int, int]:
    return dict(Campaign.objects.of(consultation).with_size().values_list("pk", "size"))
