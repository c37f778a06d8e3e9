import base64
import os
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from macaron.vault import (
    VaultError,
    cipher_for,
    key_rotation_status,
    master_key,
    master_key_rotate,
)
from memory.models import Conversation, DataKey, Memory, Message
from memory.retrieval.search import retrieve
from memory.services import MessageIn, conversation_create, memory_create, messages_ingest
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SENT = datetime(2024, 3, 4, 9, 30, tzinfo=UTC)


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def wrapped_keys() -> dict[int, tuple[bytes, str]]:
    return {
        row.user_id: (bytes(row.wrapped_key), row.master_key_id) for row in DataKey.objects.all()
    }


def ciphertexts() -> dict[tuple[str, int], bytes]:
    blobs = {("message", m.id): bytes(m.text_ct) for m in Message.objects.all()}
    blobs |= {("memory", m.id): bytes(m.text_ct) for m in Memory.objects.all()}
    blobs |= {("conversation", c.id): bytes(c.title_ct) for c in Conversation.objects.all()}
    return blobs


def populate(user, n: int) -> dict[tuple[str, int], str]:
    """Messages, derived memories, a stated memory and a titled conversation; their texts."""
    conversation = conversation_create(user=user, title=f"Trip {n} 旅行")
    stored = messages_ingest(
        user=user,
        conversation=conversation,
        messages=[
            MessageIn(text=f"I am allergic to peanuts, says person {n}", sent_at=SENT),
            MessageIn(text="私の犬の名前はポチです 🐶", sent_at=SENT + timedelta(minutes=1)),
        ],
        schedule_compression=False,
    )
    stated = memory_create(user=user, text=f"My locker code is {n}4{n}7")
    cipher = cipher_for(user.id)
    texts = {("message", m.id): cipher.decrypt(m.text_ct) for m in stored}
    texts |= {("memory", m.id): cipher.decrypt(m.text_ct) for m in Memory.objects.filter(user=user)}
    texts[("conversation", conversation.id)] = f"Trip {n} 旅行"
    assert texts[("memory", stated.id)] == f"My locker code is {n}4{n}7"
    return texts


def decrypt_all(users) -> dict[tuple[str, int], str]:
    texts = {}
    for user in users:
        cipher = cipher_for(user.id)
        for m in Message.objects.filter(user=user):
            texts[("message", m.id)] = cipher.decrypt(m.text_ct)
        for m in Memory.objects.filter(user=user):
            texts[("memory", m.id)] = cipher.decrypt(m.text_ct)
        for c in Conversation.objects.filter(user=user):
            texts[("conversation", c.id)] = cipher.decrypt(c.title_ct)
    return texts


# Ciphers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["I am allergic to peanuts", "私の犬の名前はポチです", "생일 축하해 🎂🎉", "", "a" * 10_000],
)
def test_encrypt_decrypt_round_trip(user, text):
    cipher = cipher_for(user.id)

    blob = cipher.encrypt(text)

    assert cipher.decrypt(blob) == text
    assert cipher.decrypt(memoryview(blob)) == text
    assert cipher_for(user.id).decrypt(blob) == text  # a fresh cipher from the stored key


def test_ciphertext_differs_each_time_and_hides_the_text(user):
    cipher = cipher_for(user.id)

    first, second = cipher.encrypt("I live in Boston"), cipher.encrypt("I live in Boston")

    assert first != second
    assert first[:1] == b"\x01"
    assert b"Boston" not in first
    assert cipher.decrypt(first) == cipher.decrypt(second) == "I live in Boston"


def test_one_data_key_per_person_created_on_first_use(user):
    assert not DataKey.objects.filter(user=user).exists()

    cipher_for(user.id)
    cipher_for(user.id)

    row = DataKey.objects.get(user=user)
    assert row.master_key_id == "dev"
    assert len(bytes(row.wrapped_key)) == 12 + 32 + 16  # nonce + data key + tag


def test_blob_of_one_person_does_not_decrypt_for_another(user):
    other = UserFactory()
    blob = cipher_for(user.id).encrypt("my bank PIN is 8812")

    with pytest.raises(VaultError, match="does not belong to this person"):
        cipher_for(other.id).decrypt(blob)


def test_blob_is_bound_to_the_user_id_not_only_the_key(user):
    """AAD binding: even the right key refuses a blob claimed for another user id."""
    cipher = cipher_for(user.id)
    blob = cipher.encrypt("my bank PIN is 8812")
    rebound = type(cipher)(user_id=user.id + 1, _aead=cipher._aead, index_key=cipher.index_key)

    with pytest.raises(VaultError):
        rebound.decrypt(blob)


def test_tampered_or_unknown_version_ciphertext_is_refused(user):
    cipher = cipher_for(user.id)
    blob = bytearray(cipher.encrypt("I live in Boston"))
    tampered = bytes(blob[:-1] + bytes([blob[-1] ^ 1]))
    unknown_version = b"\x02" + bytes(blob[1:])

    with pytest.raises(VaultError, match="altered"):
        cipher.decrypt(tampered)
    with pytest.raises(VaultError, match="version"):
        cipher.decrypt(unknown_version)


def test_blind_tokens_are_deterministic_per_person_and_differ_between_people(user):
    other = UserFactory()
    mine, again, theirs = cipher_for(user.id), cipher_for(user.id), cipher_for(other.id)

    assert mine.blind_token("peanut") == again.blind_token("peanut")
    assert mine.blind_token("peanut") != theirs.blind_token("peanut")
    assert mine.blind_token("peanut") != mine.blind_token("peanuts")
    assert -(2**63) <= mine.blind_token("peanut") < 2**63
    assert mine.keyed_hash("home") == again.keyed_hash("home") != theirs.keyed_hash("home")


@pytest.mark.parametrize(
    "encoded",
    [
        "not base64 at all!",
        base64.b64encode(os.urandom(16)).decode(),
        base64.b64encode(os.urandom(33)).decode(),
        base64.b64encode(os.urandom(32)).decode()[:-4] + "****",
    ],
)
def test_master_key_must_be_base64_of_32_bytes(encoded):
    with pytest.raises(VaultError, match="base64 of exactly 32 bytes"):
        master_key(encoded)


# Rotation ----------------------------------------------------------------------------------


def test_rotation_rewraps_every_key_and_leaves_ciphertext_byte_identical(settings):
    users = [UserFactory() for _ in range(3)]
    texts = {}
    for n, person in enumerate(users):
        texts |= populate(person, n)
    before_ct, before_keys = ciphertexts(), wrapped_keys()
    assert len(before_keys) == 3
    old, new = settings.MASTER_KEY, new_key()

    rotated = master_key_rotate(old_key=old, new_key=new, new_key_id="2025-06")

    assert rotated == 3
    after_keys = wrapped_keys()
    assert set(after_keys) == set(before_keys)
    for user_id, (wrapped, key_id) in after_keys.items():
        assert key_id == "2025-06"
        assert wrapped != before_keys[user_id][0]
    assert ciphertexts() == before_ct
    # Processes still on the old key can no longer unwrap anything.
    with pytest.raises(VaultError, match="does not unwrap"):
        cipher_for(users[0].id)

    settings.MASTER_KEY, settings.MASTER_KEY_ID = new, "2025-06"
    assert decrypt_all(users) == texts
    result = retrieve(user=users[1], query="Which food allergy do I have?", k=5)
    assert "I am allergic to peanuts, says person 1" in [item.text for item in result.items]
    assert ciphertexts() == before_ct


def test_rotation_with_the_wrong_old_key_changes_nothing(settings):
    users = [UserFactory() for _ in range(3)]
    texts = {}
    for n, person in enumerate(users):
        texts |= populate(person, n)
    before_ct, before_keys = ciphertexts(), wrapped_keys()

    with pytest.raises(VaultError, match="old master key does not unwrap"):
        master_key_rotate(old_key=new_key(), new_key=new_key(), new_key_id="2025-06")

    assert wrapped_keys() == before_keys
    assert ciphertexts() == before_ct
    assert decrypt_all(users) == texts


def test_rotation_fails_midway_and_rolls_back_keys_already_rewrapped(settings):
    """The first two keys unwrap with the old key; the third was wrapped under another key."""
    users = [UserFactory() for _ in range(3)]
    old = settings.MASTER_KEY
    for person in users[:2]:
        cipher_for(person.id)
    settings.MASTER_KEY = new_key()  # a process configured with a different key
    cipher_for(users[2].id)
    before_keys = wrapped_keys()

    with pytest.raises(VaultError, match=f"user {users[2].id}"):
        master_key_rotate(old_key=old, new_key=new_key(), new_key_id="k2")

    assert wrapped_keys() == before_keys


@pytest.mark.parametrize(
    ("new", "key_id", "message"),
    [
        ("not base64 at all!", "k2", "base64 of exactly 32 bytes"),
        (base64.b64encode(b"short").decode(), "k2", "base64 of exactly 32 bytes"),
        (None, "", "key id must be 1 to 64"),
        (None, "x" * 65, "key id must be 1 to 64"),
        ("same", "k2", "same as the old one"),
    ],
)
def test_rotation_refuses_bad_arguments_and_changes_nothing(settings, user, new, key_id, message):
    cipher_for(user.id)
    before_keys = wrapped_keys()
    new = settings.MASTER_KEY if new == "same" else (new or new_key())

    with pytest.raises(VaultError, match=message):
        master_key_rotate(old_key=settings.MASTER_KEY, new_key=new, new_key_id=key_id)

    assert wrapped_keys() == before_keys


def test_rotation_refuses_to_reuse_the_old_key_id_for_a_new_key(settings, user):
    cipher_for(user.id)
    before_keys = wrapped_keys()

    with pytest.raises(VaultError, match="already names another master key"):
        master_key_rotate(old_key=settings.MASTER_KEY, new_key=new_key(), new_key_id="dev")

    assert wrapped_keys() == before_keys


def test_second_rotation_run_rewraps_only_stragglers(settings):
    """A process still on the old key creates a data key after the rotation; a rerun fixes it."""
    first, second, late = UserFactory(), UserFactory(), UserFactory()
    blob = {
        person.id: cipher_for(person.id).encrypt(f"note {person.id}") for person in (first, second)
    }
    old, new = settings.MASTER_KEY, new_key()
    assert master_key_rotate(old_key=old, new_key=new, new_key_id="k2") == 2
    blob[late.id] = cipher_for(late.id).encrypt("note late")  # still configured with `old`

    settings.MASTER_KEY_ID = "k2"
    assert key_rotation_status() == {
        "current_key_id": "k2",
        "keys_by_master_key_id": {"dev": 1, "k2": 2},
        "total": 3,
        "stale": 1,
        "all_current": False,
    }
    settings.MASTER_KEY = new
    assert master_key_rotate(old_key=old, new_key=new, new_key_id="k2") == 1
    assert master_key_rotate(old_key=old, new_key=new, new_key_id="k2") == 0

    assert key_rotation_status()["all_current"] is True
    assert cipher_for(late.id).decrypt(blob[late.id]) == "note late"
    assert cipher_for(first.id).decrypt(blob[first.id]) == f"note {first.id}"


def test_key_rotation_status(settings):
    assert key_rotation_status() == {
        "current_key_id": "dev",
        "keys_by_master_key_id": {},
        "total": 0,
        "stale": 0,
        "all_current": True,
    }
    for _ in range(2):
        cipher_for(UserFactory().id)
    assert key_rotation_status()["keys_by_master_key_id"] == {"dev": 2}
    assert key_rotation_status()["all_current"] is True

    master_key_rotate(old_key=settings.MASTER_KEY, new_key=new_key(), new_key_id="k2")

    assert key_rotation_status() == {
        "current_key_id": "dev",
        "keys_by_master_key_id": {"k2": 2},
        "total": 2,
        "stale": 2,
        "all_current": False,
    }
    settings.MASTER_KEY_ID = "k2"
    assert key_rotation_status()["stale"] == 0
    assert key_rotation_status()["all_current"] is True


# Commands ----------------------------------------------------------------------------------


def test_rotate_master_key_command(settings):
    users = [UserFactory() for _ in range(3)]
    texts = {}
    for n, person in enumerate(users):
        texts |= populate(person, n)
    before_ct = ciphertexts()
    new, out = new_key(), StringIO()

    call_command("rotate_master_key", "--new-key", new, "--new-key-id", "2025-06", stdout=out)

    output = out.getvalue()
    assert "Re-wrapped 3 data keys under master key id '2025-06' (3 in total)." in output
    assert "set MASTER_KEY to the new key and MASTER_KEY_ID=2025-06" in output
    assert new not in output  # the secret is not echoed
    assert {key_id for _, key_id in wrapped_keys().values()} == {"2025-06"}
    settings.MASTER_KEY, settings.MASTER_KEY_ID = new, "2025-06"
    assert decrypt_all(users) == texts
    assert ciphertexts() == before_ct


def test_rotate_master_key_command_with_explicit_old_key(settings):
    person = UserFactory()
    blob = cipher_for(person.id).encrypt("hello 世界")
    old = settings.MASTER_KEY
    settings.MASTER_KEY = new_key()  # the command must use --old-key, not settings
    new = new_key()

    call_command(
        "rotate_master_key",
        "--new-key",
        new,
        "--new-key-id",
        "k2",
        "--old-key",
        old,
        stdout=StringIO(),
    )

    settings.MASTER_KEY = new
    assert cipher_for(person.id).decrypt(blob) == "hello 世界"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--old-key", new_key()], "old master key does not unwrap"),
        (["--new-key", "bm90LWEta2V5"], "base64 of exactly 32 bytes"),
        (["--old-key", "%%%"], "base64 of exactly 32 bytes"),
    ],
)
def test_rotate_master_key_command_refuses_a_bad_key_and_changes_nothing(settings, args, message):
    users = [UserFactory() for _ in range(3)]
    texts = {}
    for n, person in enumerate(users):
        texts |= populate(person, n)
    before_ct, before_keys = ciphertexts(), wrapped_keys()
    options = {"--new-key": new_key(), "--new-key-id": "k2"}
    options.update(dict(zip(args[::2], args[1::2], strict=True)))

    with pytest.raises(CommandError, match=message):
        call_command(
            "rotate_master_key", *[x for pair in options.items() for x in pair], stdout=StringIO()
        )

    assert wrapped_keys() == before_keys
    assert ciphertexts() == before_ct
    assert decrypt_all(users) == texts
