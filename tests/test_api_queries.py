"""API lists cost the same number of queries whatever the number of rows on the page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api_helpers import token_client
from tests.factories import (
    AnswerFactory,
    AttachmentFactory,
    CommentFactory,
    ConsultationFactory,
    ContactFactory,
    OrganisationAliasFactory,
    PositionFactory,
    QuestionFactory,
    TopicFactory,
)


def one_consultation():
    consultation = ConsultationFactory()
    QuestionFactory(consultation=consultation)
    TopicFactory(consultation=consultation)


def one_response():
    position = PositionFactory()
    AnswerFactory(response=position.response)
    AttachmentFactory(response=position.response)


MAKERS = {
    "/api/v1/organisations/": lambda: OrganisationAliasFactory(),
    "/api/v1/contacts/": lambda: ContactFactory(),
    "/api/v1/consultations/": one_consultation,
    "/api/v1/responses/": one_response,
    "/api/v1/attachments/": lambda: AttachmentFactory(),
    "/api/v1/comments/": lambda: CommentFactory(),
}


@pytest.mark.parametrize("path", list(MAKERS))
def test_a_list_costs_the_same_for_two_rows_as_for_eight(admin_user, settings, tmp_path, path):
    settings.MEDIA_ROOT = tmp_path
    api = token_client(admin_user)
    api.get(path)  # the token and the user's permissions, cached per request, are looked up alike each time

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(path).status_code == 200
        return len(queries)

    for _ in range(2):
        MAKERS[path]()
    with_two = count()
    for _ in range(6):
        MAKERS[path]()
    assert count() == with_two
    assert with_two <= 12
