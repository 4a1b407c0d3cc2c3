"""The three roles exist as groups, made by a migration, with the permissions each needs."""

import pytest
from django.contrib.auth.models import Group

from accounts.roles import Role

pytestmark = pytest.mark.django_db


def perms(role: Role) -> set[str]:
    group = Group.objects.get(name=role.value)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def test_groups_are_created_by_migration():
    assert set(Group.objects.values_list("name", flat=True)) >= {"Policy staff", "Reviewer", "Admin"}


def test_policy_staff_create_and_edit_but_cannot_review_or_export():
    granted = perms(Role.POLICY_STAFF)
    assert {"consultations.add_consultation", "responses.change_response", "stakeholders.add_organisation"} <= granted
    assert "responses.review_response" not in granted
    assert "exports.add_exportjob" not in granted
    assert "consultations.delete_consultation" not in granted


def test_reviewers_read_and_comment_only():
    granted = perms(Role.REVIEWER)
    assert {"responses.view_response", "responses.add_comment", "responses.review_response"} <= granted
    assert not any(p.split(".")[1].startswith(("change_", "delete_")) for p in granted)
    assert "responses.add_response" not in granted


def test_admins_hold_everything_else_too():
    granted = perms(Role.ADMIN)
    assert perms(Role.POLICY_STAFF) <= granted
    assert {"exports.add_exportjob", "accounts.change_user", "responses.reopen_response"} <= granted


def test_user_has_role_follows_groups(policy_user, outsider):
    assert policy_user.has_role(Role.POLICY_STAFF)
    assert not policy_user.has_role(Role.ADMIN)
    assert not outsider.is_team_member
