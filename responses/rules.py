"""Who may do what to our drafts, in one place.

Each `refusal_to_*` returns None when the user may act, or a translated sentence saying why not.
Services raise that sentence as a TransitionError; pages use the same rules to show only the buttons
that would work.
"""

from django.utils.translation import gettext as _

from accounts.roles import Role
from responses.models import Attachment, Comment, Response, ResponseStatus

EDITORS = (Role.POLICY_STAFF, Role.ADMIN)
DECIDERS = (Role.REVIEWER, Role.ADMIN)
# Statuses in which a review can be asked for (again, or from more reviewers).
REVIEWABLE = {ResponseStatus.DRAFT, ResponseStatus.CHANGES_REQUESTED, ResponseStatus.IN_REVIEW}


def is_editor(user) -> bool:
    return user.is_authenticated and user.has_role(*EDITORS)


def is_admin(user) -> bool:
    return user.is_authenticated and user.has_role(Role.ADMIN)


def is_requested_reviewer(user, response: Response) -> bool:
    return user.is_authenticated and response.review_requests.filter(reviewer=user).exists()


def _outside_workflow(response: Response) -> str | None:
    if response.is_received:
        return _("This is a submission received from outside: it is not drafted or reviewed here.")
    return None


def refusal_to_edit(user, response: Response) -> str | None:
    if reason := _outside_workflow(response):
        return reason
    if not is_editor(user):
        return _("Only policy staff and admins edit drafts.")
    if response.is_locked:
        return _("This response was submitted and is locked. Only an admin can reopen it.")
    return None


def refusal_to_request_review(user, response: Response) -> str | None:
    if reason := refusal_to_edit(user, response):
        return reason
    if response.status not in REVIEWABLE:
        return _("An approved response goes to submission, not back to review; edit it to review it again.")
    return None


def refusal_to_decide(user, response: Response) -> str | None:
    if reason := _outside_workflow(response):
        return reason
    if not (is_admin(user) or (user.has_role(*DECIDERS) and is_requested_reviewer(user, response))):
        return _("Only a reviewer asked to review this draft, or an admin, can approve it or request changes.")
    if response.owner_id is not None and response.owner_id == user.pk:
        return _("You wrote this draft: someone else must review it.")
    if response.status != ResponseStatus.IN_REVIEW:
        return _("Decisions are taken while a draft is in review; this one is “%(status)s”.") % {
            "status": response.get_status_display()
        }
    return None


def refusal_to_comment(user, response: Response) -> str | None:
    if reason := _outside_workflow(response):
        return reason
    if response.is_locked:
        return _("Comments are closed: the response was submitted.")
    if is_editor(user) or is_admin(user):
        return None
    if user.has_role(Role.REVIEWER) and is_requested_reviewer(user, response):
        return None
    return _("Only the team drafting it and the reviewers asked to review it can comment on this draft.")


def refusal_to_resolve(user, comment: Comment) -> str | None:
    if comment.parent_id is not None:
        return _("Threads are resolved from their first comment.")
    return refusal_to_comment(user, comment.response)


def refusal_to_submit(user, response: Response) -> str | None:
    if reason := _outside_workflow(response):
        return reason
    if not is_editor(user):
        return _("Only policy staff and admins submit responses.")
    if response.status == ResponseStatus.SUBMITTED:
        return _("This response is already submitted.")
    if response.status != ResponseStatus.APPROVED:
        return _("Only an approved response can be submitted; this one is “%(status)s”.") % {
            "status": response.get_status_display()
        }
    return None


def refusal_to_reopen(user, response: Response) -> str | None:
    if reason := _outside_workflow(response):
        return reason
    if not is_admin(user):
        return _("Only an admin can reopen a submitted response.")
    if response.status != ResponseStatus.SUBMITTED:
        return _("Only a submitted response can be reopened.")
    return None


# Deleting puts a response or file in the deleted items, from which an admin restores it until it is purged.
# Policy staff may take back only what they put in themselves, while it is still theirs to change.
DELETABLE_BY_OWNER = {ResponseStatus.RECEIVED, *REVIEWABLE}


def refusal_to_delete(user, response: Response) -> str | None:
    if response.is_deleted:
        return _("This response is already deleted.")
    if is_admin(user):
        return None
    if not is_editor(user):
        return _("Only policy staff and admins delete responses.")
    if response.owner_id != user.pk:
        return _("Only an admin can delete a response someone else logged or drafted.")
    if response.status not in DELETABLE_BY_OWNER:
        return _("Only an admin can delete a response once it is approved or submitted.")
    return None


def refusal_to_delete_attachment(user, attachment: Attachment) -> str | None:
    if attachment.is_deleted:
        return _("This file is already deleted.")
    if is_admin(user):
        return None
    if not is_editor(user):
        return _("Only policy staff and admins delete files.")
    if attachment.uploaded_by_id != user.pk:
        return _("Only an admin can delete a file someone else added.")
    if attachment.response.is_locked:
        return _("This response was submitted and is locked. Only an admin can reopen it.")
    return None


def refusal_to_restore(user) -> str | None:
    if not is_admin(user):
        return _("Only an admin can restore deleted items.")
    return None
