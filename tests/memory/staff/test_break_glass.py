"""Break-glass: staff read one item of a person only with a reason; the read is audited and
the person is shown it on their memories page; secret memories are refused (a policy denial)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from macaron.errors import NotFound, PermissionDenied
from macaron.vault import cipher_for
from memory.ingest.write import conversation_create
from memory.models import AuditEvent, Memory, Message
from memory.privacy.audit import AuditAction
from memory.privacy.policies import PolicyFacts, Reader, ReaderKind, may_read
from memory.services import memory_create, memory_update
from memory.staff.services import break_glass_read
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True)


def _read(client, person, **data):
    fields = {"read-kind": "memory", "read-reason": "", "read-item_id": ""}
    fields.update({f"read-{k}": v for k, v in data.items()})
    return client.post(reverse("staff-person-read", args=[person.pk]), fields)


def test_a_read_needs_a_reason_is_audited_and_shown_to_the_person(client, staff):
    person = UserFactory()
    memory = memory_create(user=person, text="I keep my spare key under the blue pot")
    client.force_login(staff)

    refused = _read(client, person, item_id=memory.pk)
    assert refused.status_code == 400
    assert "blue pot" not in refused.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.BREAK_GLASS.value).exists()

    shown = _read(client, person, item_id=memory.pk, reason="ticket 7: the person asked")
    assert shown.status_code == 200
    assert shown["Cache-Control"] == "no-store"
    assert "I keep my spare key under the blue pot" in shown.content.decode()
    event = AuditEvent.objects.get(action=AuditAction.BREAK_GLASS.value)
    assert (event.actor_id, event.subject_user_id, event.memory_ids) == (
        staff.pk,
        person.pk,
        [memory.pk],
    )
    assert event.purpose == "break-glass: ticket 7: the person asked"
    assert "blue pot" not in str(event.detail)

    client.force_login(person)
    page = client.get(reverse("memories")).content.decode()
    assert 'id="staff-reads"' in page
    assert "ticket 7: the person asked" in page


def test_a_message_can_be_read_too(staff):
    person = UserFactory()
    now = timezone.now()
    message = Message.objects.create(
        user=person,
        conversation=conversation_create(user=person),
        role=Message.Role.USER,
        text_ct=cipher_for(person.pk).encrypt("please call my sister"),
        sent_at=now,
        processed_at=now,
    )
    read = break_glass_read(
        staff=staff, person_id=person.pk, kind="message", item_id=message.pk, reason="ticket 9"
    )
    assert read.text == "please call my sister"
    event = AuditEvent.objects.get(action=AuditAction.BREAK_GLASS.value)
    assert event.detail == {"kind": "message", "message_id": message.pk, "reason": "ticket 9"}
    with pytest.raises(NotFound):
        break_glass_read(
            staff=staff, person_id=staff.pk, kind="message", item_id=message.pk, reason="x"
        )


def test_other_peoples_items_and_secret_memories(staff):
    alice, bob = UserFactory(), UserFactory()
    secret = memory_create(user=alice, text="my PIN is 4711", privacy=Memory.Privacy.SECRET)
    with pytest.raises(NotFound):
        break_glass_read(
            staff=staff, person_id=bob.pk, kind="memory", item_id=secret.pk, reason="r"
        )
    with pytest.raises(PermissionDenied):
        break_glass_read(
            staff=staff, person_id=alice.pk, kind="memory", item_id=secret.pk, reason="r"
        )
    denial = AuditEvent.objects.get(action=AuditAction.POLICY_DENY.value)
    assert (denial.subject_user_id, denial.memory_ids) == (alice.pk, [secret.pk])
    assert not AuditEvent.objects.filter(action=AuditAction.BREAK_GLASS.value).exists()
    with pytest.raises(PermissionDenied):
        break_glass_read(
            staff=bob, person_id=alice.pk, kind="memory", item_id=secret.pk, reason="r"
        )


def test_the_person_sees_no_notice_without_a_read(client):
    person = UserFactory()
    client.force_login(person)
    assert 'id="staff-reads"' not in client.get(reverse("memories")).content.decode()


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("ja", "スタッフがあなたの記憶を1件閲覧しました。理由：「ticket 4」"),
        ("ko", "열람했습니다. 사유: “ticket 4”"),
    ],
)
def test_the_notice_speaks_the_persons_language(client, staff, language, words):
    person = UserFactory(preferred_language=language)
    memory = memory_create(user=person, text="a note")
    break_glass_read(
        staff=staff, person_id=person.pk, kind="memory", item_id=memory.pk, reason="ticket 4"
    )
    client.force_login(person)
    assert words in client.get(reverse("memories")).content.decode()


def test_break_glass_is_judged_by_may_read_with_the_staff_reader(staff):
    person = UserFactory()
    private = memory_create(user=person, text="I see Dr Ito on Tuesdays", privacy="private")
    guarded = memory_create(user=person, text="My bike lock is 2231")
    memory_update(user=person, memory_id=guarded.id, policy={"reauth_required": True})
    expired = memory_create(user=person, text="The gate code is 9090")
    memory_update(user=person, memory_id=expired.id, policy={"expires_at": "2001-01-01"})

    facts = PolicyFacts(id=1, privacy="secret", policy={}, created_at=timezone.now())
    assert may_read(facts, Reader(kind=ReaderKind.STAFF)).reason == "staff"
    assert may_read(facts, Reader(kind=ReaderKind.STAFF, break_glass=True)).reason == "secret"

    def read(memory):
        return break_glass_read(
            staff=staff, person_id=person.pk, kind="memory", item_id=memory.pk, reason="ticket 9"
        )

    assert read(private).text == "I see Dr Ito on Tuesdays"
    assert read(guarded).text == "My bike lock is 2231"  # a reason stands in for the step-up
    with pytest.raises(NotFound):
        read(expired)
    denial = AuditEvent.objects.get(action=AuditAction.POLICY_DENY.value)
    assert (denial.memory_ids, denial.detail["reason"]) == ([expired.pk], "expired")
    assert AuditEvent.objects.filter(action=AuditAction.BREAK_GLASS.value).count() == 2
