"""The three roles of DESIGN.md as Django groups, and the permissions each holds.

The groups are made and kept in step by data migrations that call sync_roles();
a migration that adds a permission to a role calls it again.
"""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    POLICY_STAFF = "Policy staff"
    REVIEWER = "Reviewer"
    ADMIN = "Admin"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.POLICY_STAFF: _("Policy staff"),
    Role.REVIEWER: _("Reviewer"),
    Role.ADMIN: _("Admin"),
}

# app label -> models whose content the team works on.
DOMAIN_MODELS = {
    "stakeholders": ["organisation", "contact", "organisationalias"],
    "consultations": ["consultation", "question", "topic", "invitation", "tag"],
    "responses": ["response", "answer", "position", "attachment", "comment"],
}

_STAFF_DELETABLE = {
    "organisationalias",
    "contact",
    "question",
    "topic",
    "invitation",
    "answer",
    "position",
    "attachment",
}


def _codenames_for(role: Role) -> set[tuple[str, str]]:
    perms: set[tuple[str, str]] = set()
    for app_label, model_names in DOMAIN_MODELS.items():
        for model in model_names:
            perms.add((app_label, f"view_{model}"))
            if role is Role.REVIEWER:
                continue
            perms.add((app_label, f"add_{model}"))
            perms.add((app_label, f"change_{model}"))
            if role is Role.ADMIN or model in _STAFF_DELETABLE:
                perms.add((app_label, f"delete_{model}"))
    if role is Role.REVIEWER:
        perms |= {("responses", "add_comment"), ("responses", "review_response")}
    if role is Role.ADMIN:
        perms |= {
            ("responses", "review_response"),
            ("responses", "reopen_response"),
            ("exports", "view_exportjob"),
            ("exports", "add_exportjob"),
            ("exports", "change_exportjob"),
            ("exports", "delete_exportjob"),
            ("stakeholders", "view_organisationmerge"),
            ("accounts", "view_user"),
            ("accounts", "add_user"),
            ("accounts", "change_user"),
            ("auth", "view_group"),
            # Sign-in security: see and lift lockouts (django-axes), remove a lost authenticator (django-otp).
            ("axes", "view_accessattempt"),
            ("axes", "delete_accessattempt"),
            ("axes", "view_accesslog"),
            ("otp_totp", "view_totpdevice"),
            ("otp_totp", "delete_totpdevice"),
        }
    return perms


ROLE_PERMISSIONS: dict[Role, set[tuple[str, str]]] = {role: _codenames_for(role) for role in Role}


def sync_roles(apps) -> None:
    """Create the role groups and set exactly the permissions ROLE_PERMISSIONS names.

    Meant for data migrations, where `apps` is the historical registry, and for tests that
    flush the database, with the live one. Permissions are normally made after migrations
    run, so they are created here first.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        # create_permissions skips apps without a models module, which historical apps lack.
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, wanted in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role.value)
        permissions = []
        for app_label, codename in sorted(wanted):
            try:
                permissions.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
            except Permission.DoesNotExist:
                raise LookupError(f"Role {role.value!r} names a missing permission {app_label}.{codename}") from None
        group.permissions.set(permissions)
