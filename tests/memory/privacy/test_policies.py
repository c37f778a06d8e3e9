"""Policy binding: one `may_read` for every reader, defaults by domain, API step-up."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import api_token_create
from memory.models import AuditEvent, Memory
from memory.privacy.policies import PolicyFacts, Reader, ReaderKind, may_read
from memory.retrieval.search import retrieve
from memory.services import memory_create, memory_update
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/memories/"
STEP_UP = "/api/v1/me/step-up/"


def facts(privacy="normal", policy=None, age=timedelta(0)) -> PolicyFacts:
    return PolicyFacts(id=1, privacy=privacy, policy=policy or {}, created_at=timezone.now() - age)


COMPANION = Reader(kind=ReaderKind.COMPANION)
SUBAGENT = Reader(kind=ReaderKind.SUBAGENT, subagent_id=7)
PERSON = Reader(kind=ReaderKind.PERSON)
STEPPED_UP = Reader(kind=ReaderKind.PERSON, stepped_up=True)


@pytest.mark.parametrize(
    ("item", "reader", "allowed", "reason"),
    [
        (facts(), COMPANION, True, ""),
        (
            facts(policy={"share_with_companion": False}),
            COMPANION,
            False,
            "not_shared_with_companion",
        ),
        (facts("secret"), COMPANION, False, "not_shared_with_companion"),
        (facts(), SUBAGENT, True, ""),
        (facts("private"), SUBAGENT, False, "not_shared_with_subagents"),
        (facts("private", {"share_with_subagents": True}), SUBAGENT, True, ""),
        (
            facts(policy={"share_with_subagents": False}),
            SUBAGENT,
            False,
            "not_shared_with_subagents",
        ),
        (
            facts("secret", {"share_with_subagents": True}),
            SUBAGENT,
            False,
            "not_shared_with_subagents",
        ),
        (facts(policy={"reauth_required": True}), PERSON, False, "step_up_required"),
        (facts(policy={"reauth_required": True}), STEPPED_UP, True, ""),
        (facts("secret"), Reader(kind=ReaderKind.EXPORT), False, "step_up_required"),
        (facts(), Reader(kind=ReaderKind.STAFF), False, "staff"),
        (
            facts(policy={"retention_days": 30}, age=timedelta(days=31)),
            STEPPED_UP,
            False,
            "expired",
        ),
        (facts(policy={"retention_days": 30}, age=timedelta(days=29)), STEPPED_UP, True, ""),
        (facts(policy={"expires_at": "2001-01-01T00:00:00+00:00"}), STEPPED_UP, False, "expired"),
    ],
)
def test_may_read_decides_for_every_reader(item, reader, allowed, reason):
    decision = may_read(item, reader)
    assert (decision.allowed, decision.reason) == (allowed, reason)


def test_health_and_finance_memories_are_sensitive_by_default_and_changeable():
    person = UserFactory()
    health = memory_create(user=person, text="My doctor changed my blood pressure medication")
    money = memory_create(user=person, text="My salary goes to the savings bank account")
    plain = memory_create(user=person, text="I play guitar on Sundays")
    chosen = memory_create(user=person, text="I take a vitamin pill daily", privacy="normal")

    assert (health.privacy, money.privacy, plain.privacy, chosen.privacy) == (
        "private",
        "private",
        "normal",
        "normal",
    )
    memory_update(user=person, memory_id=health.id, privacy="normal")
    assert Memory.objects.get(pk=health.id).privacy == "normal"


def test_companion_retrieval_leaves_out_unshared_and_secret_memories_and_audits_it():
    person = UserFactory()
    shared = memory_create(user=person, text="My cat Miso likes tuna", privacy="normal")
    hidden = memory_create(user=person, text="My cat Miso hates the vet", privacy="normal")
    memory_update(user=person, memory_id=hidden.id, policy={"share_with_companion": False})
    secret = memory_create(user=person, text="My cat Miso was found in a bin", privacy="secret")

    result = retrieve(user=person, query="What about my cat Miso?", k=10, purpose="companion")

    assert [item.id for item in result.items] == [shared.id]
    denied = AuditEvent.objects.get(action="policy_deny")
    assert (denied.purpose, sorted(denied.memory_ids)) == (
        "companion",
        sorted([hidden.id, secret.id]),
    )
    assert "Miso" not in str(denied.detail)


def test_subagent_retrieval_only_sees_what_is_shared_with_subagents():
    person = UserFactory()
    shared = memory_create(user=person, text="I run 5 km in the park", privacy="normal")
    unshared = memory_create(user=person, text="I run slowly in the park", privacy="normal")
    memory_update(user=person, memory_id=unshared.id, policy={"share_with_subagents": False})
    # health by default: private, but says it is shared, so an injury still shapes a tool
    sensitive = memory_create(user=person, text="I run with knee pain in the park")
    chosen = memory_create(
        user=person, text="I run with a heart monitor in the park", privacy="private"
    )

    result = retrieve(user=person, query="running in the park", k=10, purpose="subagent")

    assert (sensitive.privacy, sensitive.policy) == ("private", {"share_with_subagents": True})
    assert (chosen.privacy, chosen.policy) == ("private", {})
    assert {item.id for item in result.items} == {shared.id, sensitive.id}
    # the companion still sees them all
    companion = retrieve(user=person, query="running in the park", k=10, purpose="companion")
    assert {item.id for item in companion.items} == {
        shared.id,
        unshared.id,
        sensitive.id,
        chosen.id,
    }


@pytest.mark.parametrize(
    ("policy", "field"),
    [
        ({"share_with_companion": "no"}, "share_with_companion"),
        ({"retention_days": 0}, "retention_days"),
        ({"retention_days": True}, "retention_days"),
        ({"retention_days": 99_999}, "retention_days"),
    ],
)
def test_new_rules_are_validated(policy, field):
    person = UserFactory()
    memory = memory_create(user=person, text="I like green tea")
    client = APIClient()
    client.force_authenticate(person)

    response = client.patch(f"{LIST}{memory.id}/", {"policy": policy}, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]["policy"][0]


# Step-up over the API -------------------------------------------------------------------


@pytest.fixture
def locked_setup():
    person = UserFactory()
    memory = memory_create(user=person, text="My bank PIN hint is the dog's birthday")
    memory_update(user=person, memory_id=memory.id, policy={"reauth_required": True})
    issued = api_token_create(user=person, name="phone")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    return person, memory, issued.token, client


def test_detail_needs_a_step_up_that_expires(locked_setup, settings):
    _person, memory, token, client = locked_setup
    url = f"{LIST}{memory.id}/"

    refused = client.get(url)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "step_up_required"
    assert "PIN" not in refused.content.decode()
    assert AuditEvent.objects.filter(action="policy_deny", memory_ids=[memory.id]).exists()

    stepped = client.post(STEP_UP, {"password": PASSWORD}, format="json")
    assert stepped.status_code == 200
    assert client.get(url).json()["text"] == "My bank PIN hint is the dog's birthday"

    stale = timezone.now() - timedelta(minutes=settings.STEP_UP_MINUTES, seconds=1)
    ApiToken.objects.filter(pk=token.pk).update(step_up_at=stale)
    assert client.get(url).status_code == 403


def test_list_shows_a_locked_item_redacted_until_step_up(locked_setup):
    _person, memory, _token, client = locked_setup

    [item] = client.get(LIST).json()["results"]
    assert (item["id"], item["locked"], item["text"]) == (memory.id, True, "")

    client.post(STEP_UP, {"password": PASSWORD}, format="json")
    [item] = client.get(LIST).json()["results"]
    assert (item["locked"], item["text"]) == (False, "My bank PIN hint is the dog's birthday")


def test_lowering_protection_needs_the_step_up_too(locked_setup):
    _person, memory, _token, client = locked_setup

    response = client.patch(
        f"{LIST}{memory.id}/", {"policy": {"reauth_required": False}}, format="json"
    )

    assert response.status_code == 403
    assert Memory.objects.get(pk=memory.id).policy == {"reauth_required": True}


def test_step_up_is_per_token(locked_setup):
    person, memory, _token, client = locked_setup
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=person).secret}")

    client.post(STEP_UP, {"password": PASSWORD}, format="json")

    assert other.get(f"{LIST}{memory.id}/").status_code == 403


def test_wrong_password_is_400_and_counts_toward_lockout(locked_setup, settings):
    _person, _memory, token, client = locked_setup

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(STEP_UP, {"password": "not-it"}, format="json")
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_password"
    locked_out = client.post(STEP_UP, {"password": "not-it"}, format="json")

    assert locked_out.status_code in (403, 429)
    assert client.post(STEP_UP, {"password": PASSWORD}, format="json").status_code != 200
    assert ApiToken.objects.get(pk=token.pk).step_up_at is None


def test_step_up_validates_its_input(locked_setup):
    _, _, _, client = locked_setup
    assert client.post(STEP_UP, {}, format="json").status_code == 400
    assert client.post(STEP_UP, {"password": "x", "extra": 1}, format="json").status_code == 400
    assert APIClient().post(STEP_UP, {"password": PASSWORD}, format="json").status_code in (
        401,
        403,
    )
