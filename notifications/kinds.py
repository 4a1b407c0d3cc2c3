"""The kinds of notification users may mute e-mail for.

notifications knows nothing of the apps that send them: each app registers its kinds, with a label
people understand, from its AppConfig.ready(). The settings page lists what is registered.
"""

from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass(frozen=True)
class Kind:
    key: str
    label: str | Promise
    help_text: str | Promise = ""


_registry: dict[str, Kind] = {}


def register_kind(key: str, label: str | Promise, help_text: str | Promise = "") -> None:
    """Make a kind known (registering the same key again replaces its label)."""
    _registry[key] = Kind(key, label, help_text)


def registered_kinds() -> list[Kind]:
    return list(_registry.values())


def label_for(key: str) -> str:
    kind = _registry.get(key)
    return str(kind.label) if kind else key
