"""Who gets what, for every URL the project defines: the table tests/test_permission_matrix.py checks.

One entry per URL pattern, keyed by its namespaced name (or, for an unnamed pattern, its route):
the status code each kind of user gets for GET and for an empty POST. The columns:

- anon: not signed in (302 means sent to the login page);
- outsider: signed in, holding no role (403 means refused);
- policy, reviewer, admin: the three roles of accounts/roles.py.

A 200 on an empty POST is a form shown again with its errors; 405 is a method the page does not take;
404 means the object is not this user's (a notification, an export job) or the test's made-up token is
unknown. "args" names the world object (tests/test_permission_matrix.py, fixture `world`) whose
attribute fills a URL argument, where DEFAULT_ARGS does not.

Adding a URL? Run `pytest tests/test_permission_matrix.py -k every_url`: it prints the line to add.
"""

ANON, OUTSIDER, POLICY, REVIEWER, ADMIN = "anon", "outsider", "policy", "reviewer", "admin"
ROLES = (ANON, OUTSIDER, POLICY, REVIEWER, ADMIN)

# URL argument -> world object attribute ("object.attribute") or world value, unless an entry's "args" says.
DEFAULT_ARGS = {
    "slug": "consultation.slug",
    "consultation_slug": "consultation.slug",
    "pk": "response.pk",
    "token": "import_token",
    "fmt": "fmt",
    "number": "number",
    "app_label": "app_label",
}


def codes(anon: int, outsider: int, policy: int, reviewer: int, admin: int) -> dict[str, int]:
    return {ANON: anon, OUTSIDER: outsider, POLICY: policy, REVIEWER: reviewer, ADMIN: admin}


# The usual rows, named.
TEAM = codes(302, 403, 200, 200, 200)  # every role sees it
EDITORS = codes(302, 403, 200, 403, 200)  # policy staff and admins
ADMINS = codes(302, 403, 403, 403, 200)  # admins only
TEAM_REDIRECT = codes(302, 403, 302, 302, 302)  # every role; done, then sent on
EDITORS_REDIRECT = codes(302, 403, 302, 403, 302)
EDITORS_NOT_FOUND = codes(302, 403, 404, 403, 404)  # policy staff and admins, but not this object or token
WRONG_METHOD = codes(302, 405, 405, 405, 405)  # signed in, the method is refused before the role is checked
EDITORS_WRONG_METHOD = codes(302, 403, 405, 403, 405)  # the role is checked first, then the method
ALL_REDIRECT = codes(302, 302, 302, 302, 302)
ADMIN_SITE = codes(302, 302, 302, 302, 200)  # Django admin: staff accounts only, others sent to its login
ADMIN_SITE_FORBIDDEN = codes(302, 302, 302, 302, 403)  # Django admin, a model or action admins may not touch
ADMIN_SITE_WRONG_METHOD = codes(302, 302, 302, 302, 405)

PRESETS = {
    name: value
    for name, value in list(globals().items())
    if name.isupper() and isinstance(value, dict) and set(value) == set(ROLES)
}


def row_source(row: dict[str, int]) -> str:
    for name, preset in PRESETS.items():
        if row == preset:
            return name
    return "codes(" + ", ".join(f"{role}={row[role]}" for role in ROLES) + ")"


def entry_source(entry: dict) -> str:
    """The Python text of a matrix entry, as the failure messages print it."""
    return "{" + ", ".join(f'"{method}": {row_source(entry[method])}' for method in ("GET", "POST")) + "}"


# URL argument -> its source, for the URLs where DEFAULT_ARGS does not fit.
ARGS: dict[str, dict[str, str]] = {
    "stakeholders:contact-edit": {"pk": "contact.pk"},
    "stakeholders:contact-delete": {"pk": "contact.pk"},
    "stakeholders:organisation-detail": {"slug": "organisation.slug"},
    "stakeholders:organisation-edit": {"slug": "organisation.slug"},
    "stakeholders:organisation-merge": {"slug": "organisation.slug"},
    "stakeholders:contact-create": {"slug": "organisation.slug"},
    "consultations:invitation-delete": {"pk": "invitation.pk"},
    "responses:attachment-download": {"pk": "attachment.pk"},
    "responses:attachment-retry": {"pk": "attachment.pk"},
    "responses:draft-edit": {"pk": "draft.pk"},
    "responses:version-list": {"pk": "draft.pk"},
    "responses:version-diff": {"pk": "draft.pk"},
    "responses:version-restore": {"pk": "draft.pk"},
    "responses:review-request": {"pk": "draft.pk"},
    "responses:review-decide": {"pk": "draft.pk"},
    "responses:comment-add": {"pk": "draft.pk"},
    "responses:comment-resolve": {"pk": "comment.pk"},
    "responses:comment-reopen": {"pk": "comment.pk"},
    "responses:response-submit": {"pk": "draft.pk"},
    "responses:response-reopen": {"pk": "draft.pk"},
    "responses:response-audit": {"pk": "draft.pk"},
    "notifications:notification-open": {"pk": "notification.pk"},
    "notifications:notification-read": {"pk": "notification.pk"},
    "exports:job-detail": {"pk": "job.pk"},
    "exports:job-download": {"pk": "job.pk"},
    "exports:job-cancel": {"pk": "job.pk"},
    "exports:job-retry": {"pk": "job.pk"},
    "reminders:calendar-feed": {"token": "calendar_token"},
    "reminders:unsubscribe": {"token": "unsubscribe_token"},
}

# Pages anonymous visitors may open (anything else answering them 200 fails a test).
PUBLIC: set[str] = {
    "accounts:login",
    "admin:login",
    # Reached by a secret token in the address: the calendar app and the mail client have no session.
    "reminders:calendar-feed",
    "reminders:unsubscribe",
}

# One line per URL: keep it so (ruff format would wrap the long ones).
# fmt: off
MATRIX: dict[str, dict] = {
    "home": {"GET": TEAM, "POST": WRONG_METHOD},
    "accounts:login": {"GET": codes(anon=200, outsider=302, policy=302, reviewer=302, admin=302), "POST": codes(anon=200, outsider=302, policy=302, reviewer=302, admin=302)},
    "accounts:logout": {"GET": WRONG_METHOD, "POST": ALL_REDIRECT},
    "accounts:password-change": {"GET": codes(anon=302, outsider=200, policy=200, reviewer=200, admin=200), "POST": codes(anon=302, outsider=200, policy=200, reviewer=200, admin=200)},
    "accounts:password-change-done": {"GET": codes(anon=302, outsider=200, policy=200, reviewer=200, admin=200), "POST": WRONG_METHOD},
    "accounts:two-factor": {"GET": codes(anon=302, outsider=200, policy=200, reviewer=200, admin=200), "POST": codes(anon=302, outsider=200, policy=200, reviewer=200, admin=200)},
    "accounts:two-factor-verify": {"GET": ALL_REDIRECT, "POST": ALL_REDIRECT},
    "accounts:two-factor-disable": {"GET": WRONG_METHOD, "POST": ALL_REDIRECT},
    "stakeholders:organisation-list": {"GET": TEAM, "POST": WRONG_METHOD},
    "stakeholders:organisation-create": {"GET": EDITORS, "POST": EDITORS},
    "stakeholders:contact-edit": {"GET": EDITORS, "POST": EDITORS},
    "stakeholders:contact-delete": {"GET": EDITORS, "POST": EDITORS_REDIRECT},
    "stakeholders:organisation-detail": {"GET": TEAM, "POST": WRONG_METHOD},
    "stakeholders:organisation-edit": {"GET": EDITORS, "POST": EDITORS},
    "stakeholders:organisation-merge": {"GET": EDITORS, "POST": EDITORS},
    "stakeholders:contact-create": {"GET": EDITORS, "POST": EDITORS},
    "stakeholders:organisation-import": {"GET": EDITORS, "POST": EDITORS},
    "stakeholders:organisation-import-template": {"GET": EDITORS, "POST": EDITORS_WRONG_METHOD},
    "stakeholders:organisation-import-preview": {"GET": EDITORS_NOT_FOUND, "POST": EDITORS_NOT_FOUND},
    "stakeholders:organisation-import-confirm": {"GET": EDITORS_WRONG_METHOD, "POST": EDITORS_NOT_FOUND},
    "stakeholders:organisation-import-cancel": {"GET": EDITORS_WRONG_METHOD, "POST": EDITORS_NOT_FOUND},
    "consultations:consultation-list": {"GET": TEAM, "POST": WRONG_METHOD},
    "consultations:consultation-create": {"GET": EDITORS, "POST": EDITORS},
    "consultations:consultation-detail": {"GET": TEAM, "POST": WRONG_METHOD},
    "consultations:consultation-edit": {"GET": EDITORS, "POST": EDITORS},
    "consultations:invitation-create": {"GET": WRONG_METHOD, "POST": EDITORS},
    "consultations:invitation-delete": {"GET": WRONG_METHOD, "POST": EDITORS_REDIRECT},
    "responses:response-list": {"GET": TEAM, "POST": WRONG_METHOD},
    "responses:response-create": {"GET": EDITORS, "POST": EDITORS},
    "responses:organisation-search": {"GET": TEAM, "POST": WRONG_METHOD},
    "responses:response-detail": {"GET": TEAM, "POST": WRONG_METHOD},
    "responses:response-edit": {"GET": EDITORS, "POST": EDITORS},
    "responses:response-code": {"GET": WRONG_METHOD, "POST": EDITORS},
    "responses:response-text": {"GET": TEAM, "POST": WRONG_METHOD},
    "responses:attachment-add": {"GET": WRONG_METHOD, "POST": EDITORS},
    "responses:attachment-download": {"GET": TEAM, "POST": WRONG_METHOD},
    "responses:attachment-retry": {"GET": WRONG_METHOD, "POST": EDITORS_REDIRECT},
    "responses:matrix": {"GET": TEAM, "POST": WRONG_METHOD},
    "responses:draft-create": {"GET": EDITORS, "POST": EDITORS},
    "responses:draft-preview": {"GET": WRONG_METHOD, "POST": EDITORS},
    "responses:draft-edit": {"GET": EDITORS, "POST": EDITORS},
    "responses:version-list": {"GET": TEAM, "POST": WRONG_METHOD},
    "responses:version-diff": {"GET": TEAM, "POST": WRONG_METHOD},
    "responses:version-restore": {"GET": WRONG_METHOD, "POST": EDITORS_REDIRECT},
    "responses:review-request": {"GET": EDITORS, "POST": EDITORS},
    "responses:review-decide": {"GET": WRONG_METHOD, "POST": TEAM_REDIRECT},
    "responses:comment-add": {"GET": WRONG_METHOD, "POST": codes(anon=302, outsider=403, policy=200, reviewer=302, admin=200)},
    "responses:comment-resolve": {"GET": WRONG_METHOD, "POST": TEAM_REDIRECT},
    "responses:comment-reopen": {"GET": WRONG_METHOD, "POST": TEAM_REDIRECT},
    "responses:response-submit": {"GET": EDITORS_REDIRECT, "POST": EDITORS_REDIRECT},
    "responses:response-reopen": {"GET": codes(anon=302, outsider=403, policy=403, reviewer=403, admin=302), "POST": codes(anon=302, outsider=403, policy=403, reviewer=403, admin=302)},
    "responses:response-audit": {"GET": TEAM, "POST": WRONG_METHOD},
    "responses:my-work": {"GET": TEAM, "POST": WRONG_METHOD},
    "responses:audit-list": {"GET": ADMINS, "POST": WRONG_METHOD},
    "responses:response-import": {"GET": EDITORS, "POST": EDITORS},
    "responses:response-import-template": {"GET": EDITORS, "POST": EDITORS_WRONG_METHOD},
    "responses:response-import-preview": {"GET": EDITORS_NOT_FOUND, "POST": EDITORS_NOT_FOUND},
    "responses:response-import-confirm": {"GET": EDITORS_WRONG_METHOD, "POST": EDITORS_NOT_FOUND},
    "responses:response-import-cancel": {"GET": EDITORS_WRONG_METHOD, "POST": EDITORS_NOT_FOUND},
    "notifications:notification-list": {"GET": TEAM, "POST": WRONG_METHOD},
    "notifications:notification-read-all": {"GET": WRONG_METHOD, "POST": TEAM_REDIRECT},
    "notifications:notification-settings": {"GET": TEAM, "POST": TEAM},
    "notifications:notification-open": {"GET": WRONG_METHOD, "POST": codes(anon=302, outsider=403, policy=302, reviewer=404, admin=404)},
    "notifications:notification-read": {"GET": WRONG_METHOD, "POST": codes(anon=302, outsider=403, policy=302, reviewer=404, admin=404)},
    "exports:job-list": {"GET": ADMINS, "POST": WRONG_METHOD},
    "exports:consultation-job-list": {"GET": ADMINS, "POST": WRONG_METHOD},
    "exports:job-create": {"GET": ADMINS, "POST": ADMINS},
    "exports:job-detail": {"GET": ADMINS, "POST": WRONG_METHOD},
    "exports:job-download": {"GET": ADMINS, "POST": WRONG_METHOD},
    "exports:job-cancel": {"GET": WRONG_METHOD, "POST": codes(anon=302, outsider=403, policy=403, reviewer=403, admin=302)},
    "exports:job-retry": {"GET": WRONG_METHOD, "POST": codes(anon=302, outsider=403, policy=403, reviewer=403, admin=302)},
    "reminders:log-list": {"GET": ADMINS, "POST": WRONG_METHOD},
    "reminders:watch": {"GET": WRONG_METHOD, "POST": TEAM_REDIRECT},
    "reminders:calendar-settings": {"GET": TEAM, "POST": TEAM_REDIRECT},
    "reminders:calendar-regenerate": {"GET": WRONG_METHOD, "POST": TEAM_REDIRECT},
    "reminders:calendar-feed": {"GET": codes(anon=200, outsider=200, policy=200, reviewer=200, admin=200), "POST": codes(anon=405, outsider=405, policy=405, reviewer=405, admin=405)},
    "reminders:unsubscribe": {"GET": codes(anon=200, outsider=200, policy=200, reviewer=200, admin=200), "POST": codes(anon=200, outsider=200, policy=200, reviewer=200, admin=200)},
    "set_language": {"GET": ALL_REDIRECT, "POST": ALL_REDIRECT},
    "admin:index": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:login": {"GET": codes(anon=200, outsider=200, policy=200, reviewer=200, admin=302), "POST": codes(anon=200, outsider=200, policy=200, reviewer=200, admin=200)},
    "admin:logout": {"GET": ADMIN_SITE_WRONG_METHOD, "POST": ALL_REDIRECT},
    "admin:password_change": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:password_change_done": {"GET": ADMIN_SITE, "POST": ADMIN_SITE_WRONG_METHOD},
    "admin:autocomplete": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_WRONG_METHOD},
    "admin:jsi18n": {"GET": ADMIN_SITE, "POST": ADMIN_SITE_WRONG_METHOD},
    "admin:view_on_site": {"GET": ALL_REDIRECT, "POST": ALL_REDIRECT},
    "admin:auth_group_changelist": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:auth_group_add": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin:auth_group_history": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:auth_group_delete": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin:auth_group_change": {"GET": ADMIN_SITE, "POST": ADMIN_SITE_FORBIDDEN},
    "admin/auth/group/<path:object_id>/": {"GET": ALL_REDIRECT, "POST": ALL_REDIRECT},
    "admin:auth_user_password_change": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:accounts_user_changelist": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:accounts_user_add": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:accounts_user_history": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:accounts_user_delete": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin:accounts_user_change": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin/accounts/user/<path:object_id>/": {"GET": ALL_REDIRECT, "POST": ALL_REDIRECT},
    "admin:notifications_notification_changelist": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin:notifications_notification_add": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin:notifications_notification_history": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin:notifications_notification_delete": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin:notifications_notification_change": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin/notifications/notification/<path:object_id>/": {"GET": ALL_REDIRECT, "POST": ALL_REDIRECT},
    "admin:notifications_emailmute_changelist": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin:notifications_emailmute_add": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin:notifications_emailmute_history": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin:notifications_emailmute_delete": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin:notifications_emailmute_change": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin/notifications/emailmute/<path:object_id>/": {"GET": ALL_REDIRECT, "POST": ALL_REDIRECT},
    "admin:stakeholders_organisation_simple_history": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:stakeholders_organisation_changelist": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:stakeholders_organisation_add": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:stakeholders_organisation_history": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:stakeholders_organisation_delete": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:stakeholders_organisation_change": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin/stakeholders/organisation/<path:object_id>/": {"GET": ALL_REDIRECT, "POST": ALL_REDIRECT},
    "admin:stakeholders_contact_changelist": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:stakeholders_contact_add": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:stakeholders_contact_history": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:stakeholders_contact_delete": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:stakeholders_contact_change": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin/stakeholders/contact/<path:object_id>/": {"GET": ALL_REDIRECT, "POST": ALL_REDIRECT},
    "admin:stakeholders_organisationalias_changelist": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:stakeholders_organisationalias_add": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:stakeholders_organisationalias_history": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:stakeholders_organisationalias_delete": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:stakeholders_organisationalias_change": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin/stakeholders/organisationalias/<path:object_id>/": {"GET": ALL_REDIRECT, "POST": ALL_REDIRECT},
    "admin:stakeholders_organisationmerge_changelist": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:stakeholders_organisationmerge_add": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin:stakeholders_organisationmerge_history": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:stakeholders_organisationmerge_delete": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin:stakeholders_organisationmerge_change": {"GET": ADMIN_SITE, "POST": ADMIN_SITE_FORBIDDEN},
    "admin/stakeholders/organisationmerge/<path:object_id>/": {"GET": ALL_REDIRECT, "POST": ALL_REDIRECT},
    "admin:consultations_consultation_simple_history": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:consultations_consultation_changelist": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:consultations_consultation_add": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:consultations_consultation_history": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:consultations_consultation_delete": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:consultations_consultation_change": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin/consultations/consultation/<path:object_id>/": {"GET": ALL_REDIRECT, "POST": ALL_REDIRECT},
    "admin:consultations_tag_changelist": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:consultations_tag_add": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:consultations_tag_history": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:consultations_tag_delete": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:consultations_tag_change": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin/consultations/tag/<path:object_id>/": {"GET": ALL_REDIRECT, "POST": ALL_REDIRECT},
    "admin:consultations_question_changelist": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:consultations_question_add": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:consultations_question_history": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:consultations_question_delete": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:consultations_question_change": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin/consultations/question/<path:object_id>/": {"GET": ALL_REDIRECT, "POST": ALL_REDIRECT},
    "admin:consultations_topic_changelist": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:consultations_topic_add": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:consultations_topic_history": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:consultations_topic_delete": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:consultations_topic_change": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin/consultations/topic/<path:object_id>/": {"GET": ALL_REDIRECT, "POST": ALL_REDIRECT},
    "admin:consultations_invitation_changelist": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:consultations_invitation_add": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:consultations_invitation_history": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:consultations_invitation_delete": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:consultations_invitation_change": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin/consultations/invitation/<path:object_id>/": {"GET": ALL_REDIRECT, "POST": ALL_REDIRECT},
    "admin:responses_response_simple_history": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:responses_response_changelist": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:responses_response_add": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:responses_response_history": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:responses_response_delete": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:responses_response_change": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin/responses/response/<path:object_id>/": {"GET": ALL_REDIRECT, "POST": ALL_REDIRECT},
    "admin:responses_position_simple_history": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:responses_position_changelist": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:responses_position_add": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:responses_position_history": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:responses_position_delete": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:responses_position_change": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin/responses/position/<path:object_id>/": {"GET": ALL_REDIRECT, "POST": ALL_REDIRECT},
    "admin:responses_attachment_changelist": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:responses_attachment_add": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:responses_attachment_history": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:responses_attachment_delete": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:responses_attachment_change": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin/responses/attachment/<path:object_id>/": {"GET": ALL_REDIRECT, "POST": ALL_REDIRECT},
    "admin:responses_comment_changelist": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:responses_comment_add": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:responses_comment_history": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:responses_comment_delete": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:responses_comment_change": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin/responses/comment/<path:object_id>/": {"GET": ALL_REDIRECT, "POST": ALL_REDIRECT},
    "admin:exports_exportjob_changelist": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:exports_exportjob_add": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin:exports_exportjob_history": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:exports_exportjob_delete": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:exports_exportjob_change": {"GET": ADMIN_SITE, "POST": ALL_REDIRECT},
    "admin/exports/exportjob/<path:object_id>/": {"GET": ALL_REDIRECT, "POST": ALL_REDIRECT},
    "admin:reminders_reminderlog_changelist": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin:reminders_reminderlog_add": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin:reminders_reminderlog_history": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin:reminders_reminderlog_delete": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin:reminders_reminderlog_change": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin/reminders/reminderlog/<path:object_id>/": {"GET": ALL_REDIRECT, "POST": ALL_REDIRECT},
    "admin:reminders_reminderpreference_changelist": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin:reminders_reminderpreference_add": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin:reminders_reminderpreference_history": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin:reminders_reminderpreference_delete": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin:reminders_reminderpreference_change": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin/reminders/reminderpreference/<path:object_id>/": {"GET": ALL_REDIRECT, "POST": ALL_REDIRECT},
    "admin:axes_accessattempt_changelist": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:axes_accessattempt_add": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin:axes_accessattempt_history": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:axes_accessattempt_delete": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:axes_accessattempt_change": {"GET": ADMIN_SITE, "POST": ADMIN_SITE_FORBIDDEN},
    "admin/axes/accessattempt/<path:object_id>/": {"GET": ALL_REDIRECT, "POST": ALL_REDIRECT},
    "admin:axes_accesslog_changelist": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:axes_accesslog_add": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin:axes_accesslog_history": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:axes_accesslog_delete": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin:axes_accesslog_change": {"GET": ADMIN_SITE, "POST": ADMIN_SITE_FORBIDDEN},
    "admin/axes/accesslog/<path:object_id>/": {"GET": ALL_REDIRECT, "POST": ALL_REDIRECT},
    "admin:axes_accessfailurelog_changelist": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin:axes_accessfailurelog_add": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin:axes_accessfailurelog_history": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin:axes_accessfailurelog_delete": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin:axes_accessfailurelog_change": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin/axes/accessfailurelog/<path:object_id>/": {"GET": ALL_REDIRECT, "POST": ALL_REDIRECT},
    "admin:otp_totp_totpdevice_changelist": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:otp_totp_totpdevice_add": {"GET": ADMIN_SITE_FORBIDDEN, "POST": ADMIN_SITE_FORBIDDEN},
    "admin:otp_totp_totpdevice_history": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:otp_totp_totpdevice_delete": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin:otp_totp_totpdevice_change": {"GET": ADMIN_SITE, "POST": ADMIN_SITE_FORBIDDEN},
    "admin/otp_totp/totpdevice/<path:object_id>/": {"GET": ALL_REDIRECT, "POST": ALL_REDIRECT},
    "admin:app_list": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
    "admin/(?P<url>.*)$": {"GET": codes(anon=302, outsider=302, policy=302, reviewer=302, admin=404), "POST": codes(anon=302, outsider=302, policy=302, reviewer=302, admin=404)},
}
# fmt: on
