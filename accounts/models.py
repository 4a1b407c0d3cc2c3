import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role

TIME_ZONE_CHOICES = [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class User(AbstractUser):
    """A member of the policy team. Roles are Django groups (see accounts.roles)."""

    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        choices=TIME_ZONE_CHOICES,
        default="UTC",
        help_text=_("Dates and deadlines are shown to you in this zone."),
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        default="",
        help_text=_("Pages and e-mails are in this language. Blank: the browser's language."),
    )

    class Meta(AbstractUser.Meta):
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def roles(self) -> set[Role]:
        """The roles this user holds, from their groups (cached per instance)."""
        if not hasattr(self, "_roles_cache"):
            names = set(self.groups.values_list("name", flat=True))
            self._roles_cache = {role for role in Role if role.value in names}
        return self._roles_cache

    def has_role(self, *roles: Role) -> bool:
        return self.is_active and (self.is_superuser or bool(self.roles() & set(roles)))

    @property
    def is_team_member(self) -> bool:
        """True for anyone holding one of the three roles (or a superuser)."""
        return self.has_role(*Role)
