"""E-mails are rendered from subject, text and HTML templates by one helper."""

import pytest
from django.core import mail

from notifications.emails import render_email, send_email


@pytest.fixture
def email_templates(tmp_path, settings):
    folder = tmp_path / "emails"
    folder.mkdir()
    (folder / "greeting_subject.txt").write_text("Hello\n{{ name }}\n")
    (folder / "greeting.txt").write_text("Dear {{ name }}, see {{ site_url }}.")
    (folder / "greeting.html").write_text(
        '{% extends "emails/base.html" %}{% block content %}<p>Dear {{ name }}</p>{% endblock %}'
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]},
    ]
    return folder


def test_subject_is_one_line_and_html_is_escaped(email_templates, settings):
    """A name with a newline or markup cannot break the subject line or inject HTML."""
    settings.SITE_URL = "https://consultrack.example.org"
    rendered = render_email("greeting", {"name": "Ada\nBcc: x@example.org <b>"})
    assert "\n" not in rendered.subject
    assert rendered.subject == "Hello Ada Bcc: x@example.org <b>"
    assert "https://consultrack.example.org" in rendered.text
    assert "&lt;b&gt;" in rendered.html and "<b>" not in rendered.html


def test_send_email_sends_text_and_html(email_templates, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    send_email("greeting", {"name": "Ada"}, to=["ada@example.org"], headers={"List-Unsubscribe": "<https://x/u>"})
    (message,) = mail.outbox
    assert message.to == ["ada@example.org"]
    assert message.subject == "Hello Ada"
    assert message.body.startswith("Dear Ada, see http")
    assert message.alternatives[0][1] == "text/html"
    assert "Dear Ada" in message.alternatives[0][0]
    assert message.extra_headers["List-Unsubscribe"] == "<https://x/u>"
