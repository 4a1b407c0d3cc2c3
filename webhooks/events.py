"""The events a webhook may subscribe to.

webhooks knows nothing of the apps that emit events: each app registers its events, with a label
people understand, from its AppConfig.ready(), as apps register notification kinds.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Event:
    key: str
    label: str | Promise
    help_text: str | Promise = ""


_registry: dict[str, Event] = {}


def register_event(key: str, label: str | Promise, help_text: str | Promise = "") -> None:
    """Make an event known (registering the same key again replaces its label)."""
    _registry[key] = Event(key, label, help_text)


def registered_events() -> list[Event]:
    return sorted(_registry.values(), key=lambda event: event.key)


def event_choices() -> list[tuple[str, str | Promise]]:
    return [(event.key, event.label) for event in registered_events()]


def label_for(key: str) -> str:
    if key == "ping":
        return str(_("Test delivery"))
    event = _registry.get(key)
    return str(event.label) if event else key
