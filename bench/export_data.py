"""Synthetic consultations for the response-pack benchmark: N responses, each with positions,
answers and now and then an attachment, in French, Arabic, Chinese and English.

Rows are written with bulk_create in slices, so generating 5,000 responses takes seconds.
Idempotent per slug: a consultation that already exists is left as it is.
"""

import hashlib
import random

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from consultations.models import Consultation, Question, Topic
from responses.models import Answer, Attachment, Channel, Position, Response, ResponseStatus, Stance
from stakeholders.models import Organisation, OrganisationKind

NAMES = [
    "Fédération européenne des éditeurs",
    "هيئة تنظيم الاتصالات",
    "中国互联网协会",
    "Child Safety Network",
    "Asociación de Internautas",
]
PARAGRAPHS = [
    "Nous soutenons une coordination multipartite, à condition qu'elle reste légère et transparente. ",
    "ندعم بناء القدرات الوطنية لحماية الأطفال على الإنترنت، مع احترام الخصوصية. ",
    "我们支持建立统一的举报机制并呼吁加强国际合作。 ",
    "Reporting duties should be proportionate to the size of the service and its risks. ",
]
SLICE = 1000


def generate(
    *, slug: str, responses: int, topics: int = 8, questions: int = 6, attachment_every: int = 10
) -> Consultation:
    existing = Consultation.objects.filter(slug=slug).first()
    if existing:
        return existing
    rng = random.Random(slug)  # noqa: S311  (benchmark data, not security)
    now = timezone.now()
    with transaction.atomic():
        issuer, _ = Organisation.objects.get_or_create(
            slug="bench-issuer", defaults={"name": "Benchmark issuer", "kind": OrganisationKind.GOVERNMENT}
        )
        consultation = Consultation.objects.create(
            title=f"Benchmark consultation ({responses} responses)",
            slug=slug,
            issuer=issuer,
            opens_at=now - timezone.timedelta(days=60),
            deadline=now - timezone.timedelta(days=1),
        )
        topic_rows = Topic.objects.bulk_create(
            Topic(consultation=consultation, name=f"Topic {n}", slug=f"topic-{n}", order=n) for n in range(topics)
        )
        question_rows = Question.objects.bulk_create(
            Question(
                consultation=consultation, number=str(n + 1), text=f"Question {n + 1}: " + PARAGRAPHS[n % 4], order=n
            )
            for n in range(questions)
        )
        kinds = [k for k, _label in OrganisationKind.choices]
        stances = [s for s, _label in Stance.choices]
        for start in range(0, responses, SLICE):
            count = min(SLICE, responses - start)
            organisations = Organisation.objects.bulk_create(
                Organisation(
                    name=f"{NAMES[i % len(NAMES)]} {i}",
                    slug=f"{slug}-org-{i}",
                    kind=kinds[i % len(kinds)],
                    country=["FR", "AE", "CN", "GB", "ES"][i % 5],
                )
                for i in range(start, start + count)
            )
            response_rows = Response.objects.bulk_create(
                Response(
                    consultation=consultation,
                    organisation=organisation,
                    status=ResponseStatus.RECEIVED,
                    channel=Channel.EMAIL,
                    received_on=(now - timezone.timedelta(days=rng.randint(2, 50))).date(),
                    summary=PARAGRAPHS[rng.randrange(4)] * 2,
                )
                for organisation in organisations
            )
            Position.objects.bulk_create(
                Position(
                    response=response,
                    topic=topic,
                    stance=rng.choice(stances),
                    summary=PARAGRAPHS[rng.randrange(4)][:200],
                    quote=PARAGRAPHS[rng.randrange(4)],
                )
                for response in response_rows
                for topic in topic_rows
                if rng.random() < 0.7
            )
            Answer.objects.bulk_create(
                Answer(response=response, question=question, text=PARAGRAPHS[rng.randrange(4)] * rng.randint(2, 6))
                for response in response_rows
                for question in question_rows
                if rng.random() < 0.8
            )
            for index, response in enumerate(response_rows, start=start):
                if index % attachment_every:
                    continue
                content = (PARAGRAPHS[index % 4] * 200).encode()
                Attachment.objects.create(
                    response=response,
                    file=ContentFile(content, name="letter.txt"),
                    original_name=f"letter {index}.txt",
                    content_type="text/plain",
                    size=len(content),
                    sha256=hashlib.sha256(content).hexdigest(),
                )
    return consultation
