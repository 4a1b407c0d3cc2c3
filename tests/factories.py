import datetime
import hashlib
import io

import factory
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from consultations.models import Consultation, Invitation, Question, Topic
from responses.models import Answer, Channel, Position, Response, ResponseStatus, Stance
from stakeholders.models import Contact, Organisation, OrganisationKind

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def role(self, create, extracted: Role | None, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted.value))


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"organisation-{n}")
    kind = OrganisationKind.COMPANY
    country = "GB"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    email = factory.Sequence(lambda n: f"contact{n}@example.org")


class ConsultationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consultation

    title = factory.Sequence(lambda n: f"Consultation {n}")
    slug = factory.Sequence(lambda n: f"consultation-{n}")
    issuer = factory.SubFactory(OrganisationFactory)
    opens_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=10))
    deadline = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=10))


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    consultation = factory.SubFactory(ConsultationFactory)
    number = factory.Sequence(lambda n: str(n + 1))
    text = factory.Faker("sentence")
    order = factory.Sequence(lambda n: n)


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    consultation = factory.SubFactory(ConsultationFactory)
    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")
    order = factory.Sequence(lambda n: n)


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    consultation = factory.SubFactory(ConsultationFactory)
    organisation = factory.SubFactory(OrganisationFactory)


class ResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Response

    consultation = factory.SubFactory(ConsultationFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    status = ResponseStatus.RECEIVED
    channel = Channel.EMAIL
    received_on = factory.LazyFunction(lambda: timezone.localdate())
    summary = factory.Faker("sentence")


class AnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Answer

    response = factory.SubFactory(ResponseFactory)
    question = factory.SubFactory(QuestionFactory, consultation=factory.SelfAttribute("..response.consultation"))
    text = factory.Faker("paragraph")


class PositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Position

    response = factory.SubFactory(ResponseFactory)
    topic = factory.SubFactory(TopicFactory, consultation=factory.SelfAttribute("..response.consultation"))
    stance = Stance.SUPPORTS
    summary = factory.Faker("sentence")


# --- Stakeholders: organisation aliases and merges (issue 3, organisation pages) ---


class OrganisationAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "stakeholders.OrganisationAlias"

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Alias {n}")


# --- Received submissions: attachments and real documents (responses; helper h3) ---------------


def make_pdf(*paragraphs: str) -> bytes:
    """A real PDF whose pages carry `paragraphs` as text (one page per paragraph)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for paragraph in paragraphs or ("",):
        pdf.add_page()
        pdf.multi_cell(0, 8, paragraph)
    return bytes(pdf.output())


def make_scanned_pdf() -> bytes:
    """A real PDF with one page that is only an image, as a scanner makes: no text layer."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (400, 200), "white")
    ImageDraw.Draw(image).rectangle((20, 20, 380, 180), outline="black", width=4)
    png = io.BytesIO()
    image.save(png, format="PNG")
    pdf = FPDF()
    pdf.add_page()
    pdf.image(png, x=10, y=10, w=180)
    return bytes(pdf.output())


def make_png() -> bytes:
    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(png, format="PNG")
    return png.getvalue()


def make_docx(*paragraphs: str, table: list[list[str]] | None = None) -> bytes:
    """A real DOCX with `paragraphs`, then a table of `table` rows if given, then a closing paragraph."""
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
        document.add_paragraph("End of the table.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_odt(heading: str, *paragraphs: str, table: list[list[str]] | None = None) -> bytes:
    """A real ODT (OpenDocument text) with a heading, paragraphs and an optional table."""
    from odf.opendocument import OpenDocumentText
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import H, P

    document = OpenDocumentText()
    document.text.addElement(H(outlinelevel=1, text=heading))
    for paragraph in paragraphs:
        document.text.addElement(P(text=paragraph))
    if table:
        grid = Table(name="Table1")
        grid.addElement(TableColumn(numbercolumnsrepeated=len(table[0])))
        for row in table:
            table_row = TableRow()
            for value in row:
                cell = TableCell()
                cell.addElement(P(text=value))
                table_row.addElement(cell)
            grid.addElement(table_row)
        document.text.addElement(grid)
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


class AttachmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "responses.Attachment"

    class Params:
        data = b"A letter in plain text.\n"

    response = factory.SubFactory(ResponseFactory)
    file = factory.LazyAttribute(lambda a: ContentFile(a.data, name=a.original_name))
    original_name = "letter.txt"
    content_type = "text/plain"
    size = factory.LazyAttribute(lambda a: len(a.data))
    sha256 = factory.LazyAttribute(lambda a: hashlib.sha256(a.data).hexdigest())


# --- Consultation pages (tags) ---------------------------------------------------------------


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "consultations.Tag"
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Tag {n}")
    slug = factory.Sequence(lambda n: f"tag-{n}")


# --- Exports (response packs) ---------------------------------------------------------------------

MULTILINGUAL_ORGANISATIONS = [
    # name, slug, kind, country, answer to question 1
    (
        "Fédération française des télécoms",
        "federation-francaise-des-telecoms",
        "industry_association",
        "FR",
        "Nous soutenons une coordination multipartite, à condition qu'elle reste légère.",
    ),
    (
        "هيئة تنظيم الاتصالات",
        "hayat-tanzim-al-ittisalat",
        "regulator",
        "AE",
        "ندعم بناء القدرات الوطنية لحماية الأطفال على الإنترنت.",
    ),
    ("中国互联网协会", "internet-society-of-china", "industry_association", "CN", "我们支持建立统一的举报机制。"),
    ("Internet Watch Foundation", "iwf", "ngo", "GB", "Hotlines should be the backbone of national reporting."),
]


def make_pack_data(*, consultation=None) -> dict:
    """A consultation answered in French, Arabic, Chinese and English, with every stance used.

    Attachments are real files in the default storage (point MEDIA_ROOT at a temporary folder).
    Two of them share a name, and one has a name no file system would accept as is.
    """
    import hashlib

    from django.core.files.base import ContentFile

    from responses.models import Attachment

    consultation = consultation or ConsultationFactory(
        title="Consultation publique : protection des mineurs en ligne",
        slug="protection-des-mineurs",
        reference="CP-2026/7",
    )
    topics = [
        TopicFactory(consultation=consultation, name=name, slug=slug, order=order)
        for order, (name, slug) in enumerate(
            [("Coordination", "coordination"), ("Reporting", "reporting"), ("Data access", "data-access")], start=1
        )
    ]
    questions = [
        QuestionFactory(consultation=consultation, number=str(n), text=text, order=n)
        for n, text in enumerate(["Which coordination model?", "Which reporting duties?"], start=1)
    ]
    stances = [
        [Stance.STRONGLY_SUPPORTS, Stance.SUPPORTS, Stance.NEUTRAL],
        [Stance.OPPOSES, Stance.STRONGLY_OPPOSES, Stance.NOT_ADDRESSED],
        [Stance.SUPPORTS, None, Stance.OPPOSES],
        [None, Stance.STRONGLY_SUPPORTS, None],
    ]
    responses = []
    for index, (name, slug, kind, country, answer) in enumerate(MULTILINGUAL_ORGANISATIONS):
        organisation = OrganisationFactory(name=name, slug=slug, kind=kind, country=country)
        response = ResponseFactory(
            consultation=consultation,
            organisation=organisation,
            summary=f"Summary of {slug}",
            received_on=datetime.date(2026, 1, 10 + index),
        )
        for topic, stance in zip(topics, stances[index], strict=True):
            if stance:
                PositionFactory(
                    response=response,
                    topic=topic,
                    stance=stance,
                    summary=f"{slug} on {topic.slug}",
                    quote=f"« {answer} »",
                )
        AnswerFactory(response=response, question=questions[0], text=answer)
        if index % 2 == 0:
            AnswerFactory(response=response, question=questions[1], text=f"{slug} answers question 2.")
        responses.append(response)

    attachments = []
    for response, original_name, content in [
        (responses[0], "lettre.pdf", b"%PDF-1.4 first letter"),
        (responses[0], "Lettre.pdf", b"%PDF-1.4 second letter, same name but for case"),
        (responses[1], "../../رسالة: النهائية?.txt", "نص الرسالة".encode()),
        (responses[3], "iwf-response.docx", b"PK docx bytes"),
    ]:
        attachments.append(
            Attachment.objects.create(
                response=response,
                file=ContentFile(content, name="upload.bin"),
                original_name=original_name,
                content_type="application/octet-stream",
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
            )
        )
    return {
        "consultation": consultation,
        "topics": topics,
        "questions": questions,
        "responses": responses,
        "attachments": attachments,
    }


# --- Drafts under review: versions, comments, review requests, notifications (issue 4; helper h6) ---

DRAFT_BODY = (
    "## Summary\n\nWe welcome the framework and its focus on coordination.\n\n"
    "Reporting tools should stay flexible for each platform.\n\n"
    "National capacity building deserves more funding."
)


class DraftFactory(ResponseFactory):
    """One of our own responses, in the review workflow (status draft unless said otherwise)."""

    status = ResponseStatus.DRAFT
    channel = ""
    received_on = None
    owner = factory.SubFactory(UserFactory, role=Role.POLICY_STAFF)
    body = DRAFT_BODY


class ReviewRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "responses.ReviewRequest"

    response = factory.SubFactory(DraftFactory, status=ResponseStatus.IN_REVIEW)
    reviewer = factory.SubFactory(UserFactory, role=Role.REVIEWER)
    requested_by = factory.SelfAttribute("response.owner")
    due_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=3))
    for_version = factory.SelfAttribute("response.version")


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "responses.Comment"

    response = factory.SubFactory(DraftFactory)
    author = factory.SubFactory(UserFactory, role=Role.REVIEWER)
    body = factory.Faker("sentence")


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "notifications.Notification"

    recipient = factory.SubFactory(UserFactory, role=Role.POLICY_STAFF)
    kind = "comment"
    title = factory.Sequence(lambda n: f"Notification {n}")
    body = factory.Faker("sentence")
    url = "/"
