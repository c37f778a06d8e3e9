"""Visible: the staff console's policy versions and roll-back; the memory page says in words
why a memory was used."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from memory.learning.explain import memory_reasons
from memory.learning.policy import HAND
from memory.learning.registry import forget_cached_policy, global_policy
from memory.models import AuditEvent, GatingPolicy, MemorySource
from memory.retrieval.search import retrieve
from memory.services import memory_create, memory_feedback
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True))
    return client


def test_staff_see_versions_with_their_measured_effect(staff_client):
    page = staff_client.get(reverse("staff-policies")).content.decode()
    versions = list(GatingPolicy.objects.order_by("version"))
    assert [v.kind for v in versions] == ["hand", "learned"]
    assert sum(v.active for v in versions) == 1
    assert 'id="policy-1"' in page and 'id="policy-2"' in page
    learned = versions[1]
    hand_r10 = learned.effect["cv"]["hand"]["overall"]["recall@10"]
    assert f"{hand_r10:.3f} →" in page
    staff_client.get(reverse("staff-policies"))  # seeding is idempotent
    assert GatingPolicy.objects.count() == 2
    assert AuditEvent.objects.filter(action="staff_view", purpose__contains="staff").exists()


def test_roll_back_is_audited_and_reaches_reads(staff_client):
    staff_client.get(reverse("staff-policies"))
    response = staff_client.post(
        reverse("staff-policy-activate"), {"version": 1, "reason": "recall dropped in prod"}
    )
    assert response.status_code == 302
    assert GatingPolicy.objects.get(active=True).version == 1
    forget_cached_policy()
    assert global_policy().name == "v1:hand"
    assert (global_policy().weights == HAND.weights).all()
    event = AuditEvent.objects.get(action="scoring_policy")
    assert event.detail["version"] == 1 and "recall dropped" in event.purpose


@pytest.mark.parametrize(
    "data, status",
    [
        ({"version": 99, "reason": "x"}, 404),
        ({"version": "two", "reason": "x"}, 400),
        ({"version": 1, "reason": ""}, 400),
        ({"version": 1, "reason": "x" * 500}, 400),
        ({}, 400),
    ],
)
def test_bad_roll_back_input_is_refused_with_a_message(staff_client, data, status):
    staff_client.get(reverse("staff-policies"))
    active = GatingPolicy.objects.get(active=True).version
    response = staff_client.post(reverse("staff-policy-activate"), data)
    assert response.status_code == status
    page = response.content.decode()
    assert 'class="error"' in page or 'role="alert"' in page
    assert GatingPolicy.objects.get(active=True).version == active


def test_only_staff_reach_the_policies_and_posts_need_csrf(client):
    person = UserFactory()
    client.force_login(person)
    assert client.get(reverse("staff-policies")).status_code == 404
    assert (
        client.post(reverse("staff-policy-activate"), {"version": 1, "reason": "x"}).status_code
        == 404
    )
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(UserFactory(is_staff=True))
    response = strict.post(reverse("staff-policy-activate"), {"version": 1, "reason": "x"})
    assert response.status_code == 403
    assert not GatingPolicy.objects.filter(active=True, version=1).exists()


@pytest.mark.parametrize(
    "language, expected",
    [
        ("en", "You mentioned it twice and you liked it when I brought it up"),
        ("ja", "2回話してくれて"),
        ("ko", "두 번 말해 주었고"),
    ],
)
def test_the_memory_page_says_why_a_memory_was_used(client, user, language, expected):
    memory = memory_create(user=user, text="I adopted a grey cat called Pepper")
    MemorySource.objects.create(memory=memory, external_id="again")  # said a second time
    retrieve(user=user, query="Tell me about my cat", k=1)
    memory_feedback(user=user, memory_id=memory.id, signal="up")
    with translation.override(language):
        reasons = memory_reasons(user_id=user.id, memory_ids=[memory.id])
    assert expected in reasons[memory.id]
    client.force_login(user)
    page = client.get(reverse("memories"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Why I use it:" in page
    assert "You mentioned it twice and you liked it when I brought it up" in page


def test_a_memory_never_used_has_no_reason(user):
    memory = memory_create(user=user, text="I keep bees in the garden")
    assert memory_reasons(user_id=user.id, memory_ids=[memory.id]) == {}
    other = UserFactory()
    assert memory_reasons(user_id=other.id, memory_ids=[memory.id]) == {}


def test_with_little_said_by_the_person_the_reason_is_what_moved_it_up(user):
    cat = memory_create(user=user, text="I adopted a grey cat called Pepper")
    memory_create(user=user, text="I keep bees in the garden")
    retrieve(user=user, query="Tell me about my grey cat Pepper", k=1)
    reason = memory_reasons(user_id=user.id, memory_ids=[cat.id])[cat.id]
    assert reason[:1].isupper() and reason.endswith(".")
    assert any(
        words in reason
        for words in ("close in meaning", "shared words", "named someone", "recently")
    )
