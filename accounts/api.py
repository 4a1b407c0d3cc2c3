"""The API's permissions: the same roles, and the permissions the roles hold, as the pages.

Every API view needs a signed-in team member (outsiders, signed in with no role, get 403; anonymous
callers 401). Reading needs the model's `view_` permission, creating `add_`, changing `change_`,
deleting `delete_`: the permissions accounts.roles grants each role. A view may name the roles
that alone may use it (`required_roles`), as the pages do with role_required.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.permissions import BasePermission, DjangoModelPermissions


def _team_member(user) -> bool:
    return bool(user and user.is_authenticated and user.is_team_member)


class TeamMember(BasePermission):
    """Signed in and holding a role (the API documentation and schema)."""

    message = _("You need a role in the team (Policy staff, Reviewer or Admin) to use the API.")

    def has_permission(self, request, view) -> bool:
        return _team_member(request.user)


class RolePermissions(DjangoModelPermissions):
    """A team member holding the model permission the method needs (and one of the view's roles, if it names any)."""

    message = _("Your role does not allow this.")
    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }

    def has_permission(self, request, view) -> bool:
        if not _team_member(request.user):
            return False
        roles = getattr(view, "required_roles", None)
        if roles and not request.user.has_role(*roles):
            return False
        if roles and getattr(view, "roles_suffice", False):
            # Pages such as the reminder history are open to a role, not to a model permission.
            return True
        # A view may say which model's permissions an action needs (an upload to a response adds an attachment).
        if model := getattr(view, "permission_model", None):
            perms = self.get_required_permissions(request.method, model)
            return request.user.has_perms(perms)
        return super().has_permission(request, view)


# Errors the API's views raise, beyond DRF's own; config.api_errors puts every error in one shape.


class Conflict(APIException):
    """The request clashes with the state of the resource (a duplicate, a step the workflow refuses)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The request conflicts with the current state of the resource.")
    default_code = "conflict"

    def __init__(self, detail=None, code=None, *, current=None) -> None:
        super().__init__(detail, code)
        # The resource as it is now, for a client to merge against and try again.
        self.current = current


class PreconditionFailed(Conflict):
    """If-Match named a version that is no longer current."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("The resource changed since you read it.")
    default_code = "precondition_failed"


class PreconditionRequired(APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = _("Say which version you are changing: send If-Match with the ETag you read, or a version field.")
    default_code = "precondition_required"


def etag_for(version: int) -> str:
    return f'"{version}"'


def expected_version(request, body_version: int | None) -> tuple[int, bool]:
    """The version a change starts from, and whether it came from If-Match (else from the body).

    Raises PreconditionRequired when the request names none.
    """
    header = request.headers.get("If-Match", "").strip()
    if header:
        tag = header.split(",")[0].strip()
        tag = tag.removeprefix("W/").strip('"')
        if not tag.isdigit():
            raise PreconditionFailed(_('If-Match must be an ETag this API gave you, such as "3".'))
        return int(tag), True
    if body_version is None:
        raise PreconditionRequired
    return body_version, False
