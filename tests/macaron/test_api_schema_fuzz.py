"""Schemathesis against /api/schema/: every operation of the live app, bounded, deterministic
examples, and the checks that the schema is true to the API: no server error, only documented
status codes and content types, response bodies that match their schemas.

The schema is loaded from the running Django app over WSGI, in process, on the test database.
Each example calls as a real person with a real API token, issued fresh for the example so an
operation that revokes tokens (log out everywhere, DELETE a token) cannot lock out the next one.
Operations that end the caller's account (DELETE /api/v1/me/) or all their tokens run as a
separate, throwaway person."""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.services import api_token_create
from tests.factories import UserFactory

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# Ends the caller: run as a throwaway person, never the shared one.
DESTRUCTIVE = {("DELETE", "/api/v1/me/"), ("POST", "/api/v1/auth/logout-everywhere/")}


from macaron.wsgi import application  # noqa: E402  (after the imports Django needs first)

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture(autouse=True)
def _requests_keep_the_test_connection(db):
    """As Django's test client does: a request must not close the test's database connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def person(db):
    return UserFactory()


@schema.parametrize()
@settings(
    max_examples=5,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_its_schema(case, person):
    caller = person
    if (case.method.upper(), case.path) in DESTRUCTIVE:
        caller = UserFactory()
    token = api_token_create(user=caller, name="fuzz").secret
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
