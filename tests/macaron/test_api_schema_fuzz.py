"""Schemathesis against /api/schema/: every operation of the live app, bounded, deterministic
examples, and every check schemathesis has: no server error; only documented status codes,
content types and headers; response bodies that match their schemas; schema-valid requests
accepted and schema-violating ones refused; unsupported methods answered 405 with `Allow`;
missing credentials refused (`checks=None`: all the checks enabled in the config, which is all
of them). Two caveats: max_response_time runs only when a limit is configured, and none is,
because the shared machine's load, not the API, would decide it; use_after_free,
ensure_resource_availability and object_level_authorization compare a response with earlier
ones of a stateful scenario, so on these single examples they run but rarely have anything to
compare.

A schema-valid request may still be refused for what no schema can say: a wrong password, a
weak one, an archive or a spec that does not check out, a state the person is not in yet.
REFUSED_VALID lists those operations, each with the statuses it answers such a request and why;
every other operation must accept every schema-valid request.

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
from schemathesis.config import SchemathesisConfig

from accounts.services import api_token_create
from tests.factories import UserFactory

ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]  # schemathesis's default

# (method, path): statuses beyond ACCEPTED that a schema-valid request may get, and why.
REFUSED_VALID = {
    ("POST", "/api/v1/auth/signup/"): (["400"], "a password too short, common or like the e-mail"),
    ("POST", "/api/v1/auth/token/"): (["400"], "an e-mail and password of no account"),
    ("POST", "/api/v1/me/step-up/"): (["400"], "a wrong password"),
    ("DELETE", "/api/v1/me/"): (["400"], "a wrong password or e-mail confirmation"),
    ("POST", "/api/v1/me/import/"): (["400", "413"], "a file that is no Macaron export"),
    ("POST", "/api/v1/onboarding/answers/"): (["400"], "an option of another question"),
    ("POST", "/api/v1/onboarding/complete/"): (["400"], "questions or interests still open"),
    ("PATCH", "/api/v1/companion/"): (["400"], "a name of spaces or unprintable letters"),
    ("PATCH", "/api/v1/conversations/{conversation_id}/"): (["400"], "a title of only spaces"),
    ("PATCH", "/api/v1/me/"): (["400"], "a display name with unprintable characters"),
    ("POST", "/api/v1/subagents/build"): (["400"], "an empty request, or not a lifestyle tool"),
    ("PATCH", "/api/v1/subagents/installations/{installation_id}/settings/"): (
        ["400"],
        "a goal or reminder number the tool does not have, a target of 0",
    ),
    ("GET", "/api/v1/memories/"): (["400"], "until before since, or the calendar's first/last day"),
}
SPEC_REFUSALS = (["400", "413"], "a spec, values or listing that the sub-agent format refuses")
for operation in [
    ("POST", "/api/v1/subagents/installations/"),
    ("POST", "/api/v1/subagents/revise"),
    ("POST", "/api/v1/community/blueprints/"),
    ("POST", "/api/v1/community/blueprints/{slug}/fork/"),
    ("POST", "/api/v1/community/blueprints/{slug}/versions/"),
]:
    REFUSED_VALID[operation] = SPEC_REFUSALS

CONFIG = SchemathesisConfig.from_dict(
    {
        "operations": [
            {
                "include-name": f"{method} {path}",  # one filter: two would be either/or
                "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED + extra}},
            }
            for (method, path), (extra, _why) in REFUSED_VALID.items()
        ]
    }
)

# Ends the caller: run as a throwaway person, never the shared one.
DESTRUCTIVE = {("DELETE", "/api/v1/me/"), ("POST", "/api/v1/auth/logout-everywhere/")}


from macaron.wsgi import application  # noqa: E402  (after the imports Django needs first)

schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)


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
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=None)
