"""The one way to send e-mail: a subject, a text and an HTML template rendered from one context.

An e-mail named `review_requested` lives in templates/emails/ as review_requested_subject.txt,
review_requested.txt and review_requested.html (which extends emails/base.html).
"""

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.backends.django import DjangoTemplates
from django.template.loader import render_to_string
from django.utils import translation


@lru_cache(maxsize=4)
def _plain_text_engine(dirs: tuple[str, ...]) -> DjangoTemplates:
    """The project's templates without HTML autoescaping: subjects and text bodies are not HTML."""
    return DjangoTemplates(
        {"NAME": "email-text", "DIRS": list(dirs), "APP_DIRS": True, "OPTIONS": {"autoescape": False}}
    )


def _render_text(template_name: str, context: dict) -> str:
    dirs = tuple(str(d) for d in settings.TEMPLATES[0]["DIRS"])
    return _plain_text_engine(dirs).get_template(template_name).render(context)


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render_email(name: str, context: dict, *, language: str | None = None) -> RenderedEmail:
    context = {"site_url": settings.SITE_URL, **context}
    with translation.override(language or settings.LANGUAGE_CODE):
        # A subject is one line: newlines in it would be a header injection, so fold them.
        subject = " ".join(_render_text(f"emails/{name}_subject.txt", context).split())
        text = _render_text(f"emails/{name}.txt", context)
        html = render_to_string(f"emails/{name}.html", context)
    return RenderedEmail(subject=subject, text=text, html=html)


def send_email(
    name: str,
    context: dict,
    *,
    to: list[str],
    headers: dict[str, str] | None = None,
    language: str | None = None,
) -> None:
    """Render e-mail `name` and send it now. Raises on SMTP failure: callers (tasks) retry."""
    rendered = render_email(name, context, language=language)
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        headers=headers or {},
    )
    message.attach_alternative(rendered.html, "text/html")
    message.send()
