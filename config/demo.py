"""Demo data: the ITU child-online-protection consultation of January 2016 and its
stakeholders, a few consultations closing in the coming weeks, and one user per role.

Every write is a get-or-create on a natural key, so seeding twice adds nothing.
Positions are summarised in our own words; no letter is quoted verbatim.
"""

import datetime
import secrets
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from consultations.models import Consultation, Invitation, Question, Tag, Topic
from responses.models import Answer, Channel, Position, Response, ResponseStatus, Stance
from stakeholders.models import Contact, Organisation, OrganisationKind

K = OrganisationKind

ORGANISATIONS = [
    # slug, name, kind, country, website
    ("itu", "International Telecommunication Union (ITU)", K.INTERGOVERNMENTAL, "CH", "https://www.itu.int"),
    ("facebook", "Facebook", K.COMPANY, "US", "https://about.meta.com"),
    ("ncmec", "National Center for Missing & Exploited Children (NCMEC)", K.NGO, "US", "https://www.missingkids.org"),
    ("weprotect", "WePROTECT Global Alliance", K.INTERGOVERNMENTAL, "GB", "https://www.weprotect.org"),
    (
        "ceop",
        "Child Exploitation and Online Protection Command (CEOP)",
        K.GOVERNMENT,
        "GB",
        "https://www.ceop.police.uk",
    ),
    ("iwf", "Internet Watch Foundation", K.NGO, "GB", "https://www.iwf.org.uk"),
    ("interpol", "Interpol", K.INTERGOVERNMENTAL, "FR", "https://www.interpol.int"),
    ("telefonica", "Telefónica", K.COMPANY, "ES", "https://www.telefonica.com"),
    ("google", "Google", K.COMPANY, "US", "https://about.google"),
    ("european-commission", "European Commission", K.GOVERNMENT, "BE", "https://commission.europa.eu"),
    ("ofcom", "Ofcom", K.REGULATOR, "GB", "https://www.ofcom.org.uk"),
    # The demo team's own organisation, on whose behalf it drafts responses.
    ("child-safety-policy-network", "Child Safety Policy Network (demo)", K.NGO, "GB", ""),
]

CONTACTS = [
    ("facebook", "Public Policy Team", "policy@facebook.example", "Public policy"),
    ("iwf", "Policy and Public Affairs", "policy@iwf.example", "Policy manager"),
    ("telefonica", "Regulatory Affairs", "regulatory@telefonica.example", "Head of regulatory affairs"),
    ("google", "Child Safety Public Policy", "childsafety@google.example", "Policy lead"),
]

COP_TOPICS = [
    ("multi-stakeholder-coordination", "Multi-stakeholder coordination"),
    ("aligning-global-initiatives", "Aligning global initiatives"),
    ("reporting-mechanisms", "Reporting mechanisms"),
    ("legislation-and-user-data", "Legislation and access to user data"),
    ("national-capacity-building", "National capacity building"),
]

COP_QUESTIONS = [
    (
        "1",
        "Which coordination model should the COP Results Framework adopt among governments, industry and civil society?",
    ),
    ("2", "How should the Framework relate to existing global initiatives against online child sexual abuse?"),
    ("3", "What should the Framework require of reporting mechanisms offered by online services?"),
    ("4", "Which national capacities should countries build first?"),
]

S = Stance

# organisation slug -> channel, received on, summary, {topic slug: (stance, summary)}
COP_RESPONSES = {
    "facebook": (
        Channel.LETTER,
        datetime.date(2016, 1, 29),
        "Backs a multi-stakeholder approach and consolidation of overlapping initiatives; asks for "
        "flexibility on reporting tools and warns against laws used for bulk metadata access or censorship.",
        {
            "multi-stakeholder-coordination": (
                S.SUPPORTS,
                "Wants governments, industry and NGOs to coordinate as equals.",
            ),
            "aligning-global-initiatives": (
                S.SUPPORTS,
                "Asks that overlapping global efforts be merged to avoid duplicated work.",
            ),
            "reporting-mechanisms": (
                S.OPPOSES,
                "Prefers flexibility per platform over prescriptive reporting mandates.",
            ),
            "legislation-and-user-data": (
                S.OPPOSES,
                "Objects to legislation that could open broad access to user metadata or censorship.",
            ),
            "national-capacity-building": (S.SUPPORTS, "Supports training and resources for national authorities."),
        },
    ),
    "iwf": (
        Channel.EMAIL,
        datetime.date(2016, 1, 27),
        "Supports common reporting standards and national hotlines; favours building capacity through existing hotline networks.",
        {
            "multi-stakeholder-coordination": (S.SUPPORTS, "Sees hotlines as a proven multi-stakeholder model."),
            "reporting-mechanisms": (
                S.STRONGLY_SUPPORTS,
                "Calls for every country to have a reporting route for abuse content.",
            ),
            "national-capacity-building": (
                S.STRONGLY_SUPPORTS,
                "Offers its hotline model to countries building capacity.",
            ),
        },
    ),
    "ncmec": (
        Channel.PORTAL,
        datetime.date(2016, 1, 30),
        "Supports standardised reporting and data sharing between hotlines and law enforcement.",
        {
            "reporting-mechanisms": (S.SUPPORTS, "Wants consistent report formats across services."),
            "legislation-and-user-data": (S.NEUTRAL, "Supports lawful access for investigations, with safeguards."),
            "aligning-global-initiatives": (S.SUPPORTS, "Favours alignment with WePROTECT's model national response."),
        },
    ),
    "telefonica": (
        Channel.LETTER,
        datetime.date(2016, 1, 31),
        "Supports coordination and capacity building; cautious about obligations on network operators.",
        {
            "multi-stakeholder-coordination": (
                S.SUPPORTS,
                "Supports industry participation in governance of the Framework.",
            ),
            "reporting-mechanisms": (S.NEUTRAL, "Open to reporting duties if they are proportionate for operators."),
            "legislation-and-user-data": (S.OPPOSES, "Warns against data retention duties beyond existing law."),
            "national-capacity-building": (S.SUPPORTS, "Offers awareness programmes in Latin America."),
        },
    ),
    "google": (
        Channel.PORTAL,
        datetime.date(2016, 1, 28),
        "Supports technology sharing and multi-stakeholder coordination; prefers voluntary industry measures.",
        {
            "multi-stakeholder-coordination": (S.STRONGLY_SUPPORTS, "Calls coordination the Framework's main value."),
            "aligning-global-initiatives": (S.SUPPORTS, "Supports a single map of global initiatives."),
            "reporting-mechanisms": (S.NEUTRAL, "Supports reporting tools but not one mandated design."),
        },
    ),
}


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)
    password: str = ""
    users: list[tuple[str, str]] = field(default_factory=list)

    def count(self, label: str, created: bool) -> None:
        self.created[label] = self.created.get(label, 0) + int(created)


def demo_password() -> str:
    """DEMO_PASSWORD, or a password generated once and kept in var/ so every run prints the same."""
    if settings.DEMO_PASSWORD:
        return settings.DEMO_PASSWORD
    path = Path(settings.BASE_DIR) / "var" / "demo-password"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    path.write_text(password + "\n")
    path.chmod(0o600)
    return password


@transaction.atomic
def seed_demo(*, today: datetime.datetime | None = None) -> SeedReport:
    now = today or timezone.now()
    report = SeedReport(password=demo_password())

    users = {}
    for username, role, first, last in [
        ("admin", Role.ADMIN, "Ada", "Admin"),
        ("policy", Role.POLICY_STAFF, "Pat", "Policy"),
        ("reviewer", Role.REVIEWER, "Rene", "Reviewer"),
    ]:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@consultrack.example"},
        )
        report.count("users", created)
        user.set_password(report.password)
        # Admins manage users in Django's admin, which needs is_staff.
        user.is_staff = role is Role.ADMIN
        user.save(update_fields=["password", "is_staff"])
        user.groups.add(Group.objects.get(name=role.value))
        users[username] = user
        report.users.append((username, role.label))

    orgs = {}
    for slug, name, kind, country, website in ORGANISATIONS:
        org, created = Organisation.objects.get_or_create(
            slug=slug, defaults={"name": name, "kind": kind, "country": country, "website": website}
        )
        report.count("organisations", created)
        orgs[slug] = org
    for slug, name, email, role in CONTACTS:
        _contact, created = Contact.objects.get_or_create(
            organisation=orgs[slug], email=email, defaults={"name": name, "role": role}
        )
        report.count("contacts", created)

    child_safety, _ = Tag.objects.get_or_create(
        slug="child-online-protection", defaults={"name": "Child online protection"}
    )
    user_data, _ = Tag.objects.get_or_create(slug="access-to-user-data", defaults={"name": "Access to user data"})

    geneva = zoneinfo.ZoneInfo("Europe/Zurich")
    cop, created = Consultation.objects.get_or_create(
        slug="itu-cwg-cop-results-framework-2016",
        defaults={
            "title": "COP Results Framework",
            "reference": "CWG-COP 2016/1",
            "issuer": orgs["itu"],
            "url": "https://www.itu.int/en/council/cwg-cop/Pages/default.aspx",
            "summary": "The ITU Council Working Group on Child Online Protection (CWG-COP) asks stakeholders "
            "how a results framework for child online protection should coordinate work, measure progress "
            "and build national capacity.",
            "opens_at": datetime.datetime(2015, 12, 1, 9, 0, tzinfo=geneva),
            "deadline": datetime.datetime(2016, 1, 31, 23, 59, tzinfo=geneva),
            "time_zone": "Europe/Zurich",
        },
    )
    report.count("consultations", created)
    if created:
        cop.tags.add(child_safety, user_data)
        cop.owners.add(users["policy"])

    topics = {}
    for order, (slug, name) in enumerate(COP_TOPICS, start=1):
        topic, created = Topic.objects.get_or_create(
            consultation=cop, slug=slug, defaults={"name": name, "order": order}
        )
        report.count("topics", created)
        topics[slug] = topic
    # The subject followed across consultations on the Positions page.
    topics["legislation-and-user-data"].tags.add(user_data)
    questions = []
    for order, (number, text) in enumerate(COP_QUESTIONS, start=1):
        question, created = Question.objects.get_or_create(
            consultation=cop, number=number, defaults={"text": text, "order": order}
        )
        report.count("questions", created)
        questions.append(question)
    for slug in ["facebook", "ncmec", "weprotect", "ceop", "iwf", "interpol", "telefonica", "google"]:
        _inv, created = Invitation.objects.get_or_create(consultation=cop, organisation=orgs[slug])
        report.count("invitations", created)

    for slug, (channel, received_on, summary, positions) in COP_RESPONSES.items():
        response, created = Response.objects.get_or_create(
            consultation=cop,
            organisation=orgs[slug],
            status=ResponseStatus.RECEIVED,
            defaults={"channel": channel, "received_on": received_on, "summary": summary, "owner": users["policy"]},
        )
        report.count("responses", created)
        for topic_slug, (stance, position_summary) in positions.items():
            _pos, created = Position.objects.get_or_create(
                response=response, topic=topics[topic_slug], defaults={"stance": stance, "summary": position_summary}
            )
            report.count("positions", created)
        _ans, created = Answer.objects.get_or_create(
            response=response, question=questions[0], defaults={"text": summary}
        )
        report.count("answers", created)

    # Consultations closing in the coming weeks, so that reminders and the home page have work.
    brussels = zoneinfo.ZoneInfo("Europe/Brussels")
    london = zoneinfo.ZoneInfo("Europe/London")
    upcoming = [
        (
            "ec-guidelines-protection-of-minors",
            "Guidelines on the protection of minors online",
            orgs["european-commission"],
            "Europe/Brussels",
            now - datetime.timedelta(days=30),
            (now + datetime.timedelta(days=6))
            .astimezone(brussels)
            .replace(hour=23, minute=59, second=0, microsecond=0),
            "The Commission seeks views on guidelines for online platforms on age assurance, default settings and reporting tools for minors.",
        ),
        (
            "ofcom-illegal-harms-codes-update",
            "Illegal harms codes of practice: proposed additional measures",
            orgs["ofcom"],
            "Europe/London",
            now - datetime.timedelta(days=10),
            (now + datetime.timedelta(days=20)).astimezone(london).replace(hour=17, minute=0, second=0, microsecond=0),
            "Ofcom consults on further measures for user-to-user services, including hash matching and crisis response protocols.",
        ),
        (
            "itu-cop-guidelines-industry-revision",
            "Revision of the COP guidelines for industry",
            orgs["itu"],
            "Europe/Zurich",
            now + datetime.timedelta(days=5),
            (now + datetime.timedelta(days=45)).astimezone(geneva).replace(hour=23, minute=59, second=0, microsecond=0),
            "ITU invites comments on a revised edition of its child online protection guidelines for industry.",
        ),
    ]
    for slug, title, issuer, zone, opens_at, deadline, summary in upcoming:
        consultation, created = Consultation.objects.get_or_create(
            slug=slug,
            defaults={
                "title": title,
                "issuer": issuer,
                "time_zone": zone,
                "opens_at": opens_at,
                "deadline": deadline,
                "summary": summary,
            },
        )
        report.count("consultations", created)
        if created:
            consultation.tags.add(child_safety)
            consultation.owners.add(users["policy"])
            for number, (topic_slug, name) in enumerate(COP_TOPICS[:3], start=1):
                Topic.objects.create(consultation=consultation, slug=topic_slug, name=name, order=number)

    # One draft of our own, so the review workflow has something to show.
    ec = Consultation.objects.get(slug="ec-guidelines-protection-of-minors")
    draft, created = Response.objects.get_or_create(
        consultation=ec,
        organisation=orgs["child-safety-policy-network"],
        status=ResponseStatus.DRAFT,
        defaults={
            "owner": users["policy"],
            "summary": "Our draft response on age assurance and reporting tools.",
            "body": "## Summary\n\nWe welcome the guidelines.\n\n## Reporting tools\n\nReporting must be one click away.",
        },
    )
    report.count("responses", created)
    if created:
        draft.reviewers.add(users["reviewer"])
    return report
