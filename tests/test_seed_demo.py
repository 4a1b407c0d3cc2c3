"""seed_demo loads the ITU example and demo users, and a second run adds nothing."""

import io

import pytest
from django.core.management import call_command

from accounts.models import User
from consultations.models import Consultation, Topic
from responses.models import Position, Response
from stakeholders.models import Organisation

pytestmark = pytest.mark.django_db

MODELS = [User, Organisation, Consultation, Topic, Response, Position]


def run_seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_loads_the_itu_consultation(settings):
    settings.DEMO_PASSWORD = "demo-pass-123"
    output = run_seed()

    cop = Consultation.objects.get(slug="itu-cwg-cop-results-framework-2016")
    assert cop.issuer.name.startswith("International Telecommunication Union")
    assert cop.deadline_in_issuer_zone.strftime("%Y-%m-%d %H:%M") == "2016-01-31 23:59"
    assert set(cop.topics.values_list("slug", flat=True)) == {
        "multi-stakeholder-coordination",
        "aligning-global-initiatives",
        "reporting-mechanisms",
        "legislation-and-user-data",
        "national-capacity-building",
    }
    assert cop.questions.count() >= 3
    facebook = Response.objects.get(consultation=cop, organisation__slug="facebook")
    assert facebook.positions.get(topic__slug="reporting-mechanisms").stance == "opposes"
    for slug in ["facebook", "ncmec", "weprotect", "ceop", "iwf", "interpol", "telefonica", "google"]:
        org = Organisation.objects.get(slug=slug)
        assert org.kind and org.country
    assert Consultation.objects.open().count() >= 2, "consultations closing in the coming weeks"

    for username, group in [("admin", "Admin"), ("policy", "Policy staff"), ("reviewer", "Reviewer")]:
        user = User.objects.get(username=username)
        assert user.groups.filter(name=group).exists()
        assert user.check_password("demo-pass-123")
        assert f"{username}" in output
    assert "demo-pass-123" in output


def test_seed_demo_twice_adds_nothing(settings):
    settings.DEMO_PASSWORD = "demo-pass-123"
    run_seed()
    counts = {model: model.objects.count() for model in MODELS}
    output = run_seed()
    assert {model: model.objects.count() for model in MODELS} == counts
    assert "nothing new" in output
