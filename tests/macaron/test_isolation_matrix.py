"""Generated isolation matrix: every URL pattern of the project (pages and API, walked from the
root resolver) with each verb, as anonymous, as another person and as the owner, with the ids
of objects that belong to the owner.

anonymous: 401 (API), a redirect to the login page (pages), or 404/405;
another person: 403/404/405 on the owner's objects, and never a trace of the owner's data;
the owner: never a 5xx.
A pattern added later fails `test_every_pattern_is_classified` until it is listed here."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import api_token_create
from community.models import Blueprint
from memory.services import conversation_create, memory_create
from memory.transfer.jobs import export_job_create
from subagents.chat import tool_chat_send
from subagents.services import entry_create, installation_create
from tests.community.factories import blueprint_factory
from tests.factories import UserFactory
from tests.subagents.specs import hydration

pytestmark = pytest.mark.django_db

VERBS = ("get", "post", "put", "patch", "delete")
CANARY = "zq-canary-7f3a1c"

# Open to anyone, on purpose.
PUBLIC = {
    "healthz": "liveness probe for the load balancer, no data",
    "api/schema/": "the OpenAPI schema is public documentation",
    "api/docs/": "Swagger UI over the public schema",
    "": "the home page: the landing page for visitors, the dashboard once logged in",
    "accounts/login/": "the login page",
    "accounts/logout/": "logs out whoever calls it, nobody's data",
    "accounts/restore/": "keeps an account scheduled for deletion: asks for its password",
    "accounts/password/reset/": "asks for an e-mail; answers the same whether it exists",
    "accounts/password/reset/sent/": "a static confirmation",
    "accounts/password/reset/<uidb64>/<token>/": "the link from the e-mail; the token is the key",
    "accounts/password/reset/complete/": "a static confirmation",
    "accounts/signup/": "the sign-up page",
    "accounts/language/": "the language switcher: sets the visitor's language cookie, no data",
    "jsi18n/": "the interface's translated JS strings, the same for everyone",
    "api/v1/auth/signup/": "sign-up, answers the same whether or not the e-mail exists",
    "api/v1/auth/token/": "log in for a token",
    "community/": "public listing of published blueprints",
    "community/b/<slug:slug>/": "a published blueprint's page (private ones answer 404)",
    "community/b/<slug:slug>/tree/": "a published blueprint's lineage tree (private: 404)",
    "api/v1/community/blueprints/": "public listing of published blueprints",
    "api/v1/community/recommendations/": "recommendations from a sentence, public blueprints",
    "api/v1/community/blueprints/<slug:slug>/": "a published blueprint (private ones: 404)",
    "api/v1/community/blueprints/<slug:slug>/lineage/": "its lineage (private ones: 404)",
    "api/v1/community/blueprints/<slug:slug>/versions/": "its versions (private ones: 404)",
}
# Page forms that answer someone else's id by redirecting to the caller's own list with "No such
# ...", as they answer an id nobody has (post-redirect-get).
REDIRECTS_BACK = {"accounts/tokens/<int:token_id>/revoke/": "/accounts/tokens/"}
# Parts of the Django admin: staff only, behind the admin's own login (tested by Django).
ADMIN_PREFIX = "admin/"


def patterns(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route != ADMIN_PREFIX:
                yield from patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route


@pytest.fixture
def owner_world():
    owner = UserFactory(display_name=f"Owner {CANARY}")
    memory = memory_create(user=owner, text=f"My secret is {CANARY}")
    conversation = conversation_create(user=owner, title=f"About {CANARY}")
    installation = installation_create(user=owner, spec=hydration(), source="builder")
    entry = entry_create(user=owner, installation_id=installation.id, values={"amount": 2})
    chat = tool_chat_send(user=owner, installation_id=installation.id, text="drank 2 glasses")
    token = api_token_create(user=owner, name="owner's").token
    blueprint = blueprint_factory(author=owner, visibility=Blueprint.Visibility.PRIVATE)
    export = export_job_create(user=owner)
    ids = {
        "memory_id": memory.id,
        "conversation_id": conversation.id,
        "installation_id": installation.id,
        "entry_id": entry.id,
        "message_id": chat.reply.id,
        "token_id": token.id,
        "job_id": export.public_id,
        "person_id": owner.id,  # the staff console's page about a person (staff only)
        "slug": blueprint.slug,
        "number": 1,  # an onboarding question, the same for everyone
        "uidb64": "MQ",
        "token": "set-password",
        # No object of these kinds is made here; an id nobody owns checks the 404 path.
        "reminder_id": 2_000_000_001,
        "fire_id": 2_000_000_002,
        "report_id": 2_000_000_003,
    }
    return owner, ids


def fill(route: str, ids: dict) -> str:
    path = route
    for name, value in ids.items():
        for converter in ("int", "slug", "uuid"):
            path = path.replace(f"<{converter}:{name}>", str(value))
        path = path.replace(f"<{name}>", str(value))
    assert "<" not in path, f"no owner object for {route}: add it to owner_world"
    return "/" + path


def call(client, verb: str, url: str):
    return getattr(client, verb)(url, {}, content_type="application/json")


def broken(route: str, response) -> bool:
    """A 5xx is a bug, except the health probe's 503, which is its answer when a part is down."""
    return response.status_code >= 500 and not (route == "healthz" and response.status_code == 503)


def refused(route: str, response) -> bool:
    """How another person's call on the owner's object may end: 403/404/405; a 400 from input
    validation that runs before the lookup (the same answer as for an id nobody has, so it
    reveals nothing); or, for a page form, a redirect back to their own list with a message."""
    if response.status_code in (403, 404, 405):
        return True
    if response.status_code == 400 and route.startswith("api/"):
        return response.json()["error"]["code"] == "invalid"
    return route in REDIRECTS_BACK and response["Location"] == REDIRECTS_BACK[route]


def test_every_pattern_is_classified(owner_world):
    _, ids = owner_world
    for route in patterns():
        fill(route, ids)  # every parameter has an owner object
    assert set(PUBLIC) <= set(patterns()), set(PUBLIC) - set(patterns())


def test_isolation_matrix(owner_world):
    owner, ids = owner_world
    problems = []
    for route in patterns():
        url = fill(route, ids)
        is_api = route.startswith("api/v1/")
        public = route in PUBLIC
        has_owner_object = not public and "<" in route and "<int:number>" not in route
        # Fresh for each pattern: a row may log them out everywhere or schedule their deletion.
        other = UserFactory()
        for verb in VERBS:
            anonymous = call(APIClient() if is_api else Client(), verb, url)
            if not public:
                if is_api:
                    ok = anonymous.status_code in (401, 404, 405)
                else:
                    ok = anonymous.status_code in (404, 405) or (
                        anonymous.status_code == 302
                        and anonymous["Location"].startswith("/accounts/login/")
                    )
                if not ok:
                    problems.append(("anonymous", verb, url, anonymous.status_code))
            elif broken(route, anonymous):
                problems.append(("anonymous", verb, url, anonymous.status_code))

            live = ApiToken.objects.filter(pk=ids["token_id"], revoked_at__isnull=True)
            was_live = live.exists()
            stranger = APIClient() if is_api else Client()
            stranger.force_login(other)
            answer = call(stranger, verb, url)
            if (
                CANARY in answer.content.decode(errors="replace")
                or broken(route, answer)
                or (has_owner_object and not refused(route, answer))
            ):
                problems.append(("other", verb, url, answer.status_code))
            if was_live and not live.exists():
                problems.append(("other revoked the owner's token", verb, url))

            mine = APIClient() if is_api else Client()
            mine.force_login(owner)
            if verb != "delete":  # the owner's deletes would remove the objects later rows need
                answer = call(mine, verb, url)
                if broken(route, answer):
                    problems.append(("owner", verb, url, answer.status_code))
    assert problems == []
