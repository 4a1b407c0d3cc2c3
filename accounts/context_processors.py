from django.http import HttpRequest

from accounts.roles import Role


def roles(request: HttpRequest) -> dict:
    """Expose the user's roles to templates, so menus show only what a role may use."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user_roles": set()}
    return {
        "user_roles": {role.name for role in Role if user.has_role(role)},
    }
