import base64
import dataclasses
import os
import threading
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from macaron import vault
from macaron.keyring import (
    key_decode,
    keyring_path,
    keyring_state,
    master_key_get,
    master_key_rotation_request,
    root_key_add,
    root_keys_retire,
)
from macaron.vault import (
    VaultError,
    cipher_for,
    key_rotation_status,
    master_key,
    master_key_rotate,
    master_key_rotate_if_due,
)
from memory.models import Conversation, DataKey, Memory, Message
from memory.retrieval.search import retrieve
from memory.services import MessageIn, conversation_create, memory_create, messages_ingest
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_keyring(settings, tmp_path):
    """Each test gets its own keyring file."""
    settings.MASTER_KEYRING_FILE = str(tmp_path / "keyring.json")


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


def test_one_data_key_per_person_created_on_first_use():
    user = UserFactory(display_name="")  # a display name is sealed, which needs the key
    assert not DataKey.objects.filter(user=user).exists()

    cipher_for(user.id)
    cipher_for(user.id)

    row = DataKey.objects.get(user=user)
    assert row.master_key_id == keyring_state().active  # wrapped by the keyring's active key
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
    rebound = dataclasses.replace(cipher, user_id=user.id + 1)

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
    assert mine.keyed_hash("home", purpose="client_id") != mine.keyed_hash("home")
    assert mine.blind_tokens(["tea", "green", "tea"]) == sorted(
        {mine.blind_token("green"), mine.blind_token("tea")}
    )


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

rotation_db = pytest.mark.django_db(transaction=True)


def legacy_data_key(user) -> bytes:
    """A data key wrapped directly by the root (MASTER_KEY_ID), as before the keyring existed."""
    data_key = os.urandom(32)
    DataKey.objects.create(
        user=user, wrapped_key=vault._wrap(master_key(), data_key, user.id), master_key_id="dev"
    )
    return data_key


def unwraps_with_anything_held(wrapped: bytes, user_id: int) -> bool:
    """Does this wrapped data key open with the root or any key the keyring still holds?"""
    state = keyring_state()
    keys = [master_key()] + [master_key_get(key_id) for key_id in state.keys]
    for key in keys:
        try:
            vault._unwrap(key, wrapped, user_id)
        except VaultError:
            continue
        return True
    return False


@rotation_db
def test_rotation_rewraps_every_key_destroys_the_old_master_key_and_keeps_ciphertext():
    users = [UserFactory() for _ in range(3)]
    texts = {}
    for n, person in enumerate(users):
        texts |= populate(person, n)
    legacy = UserFactory(display_name="")  # a name would be sealed under a new data key
    legacy_key = legacy_data_key(legacy)
    before_ct, before_keys = ciphertexts(), wrapped_keys()
    old_id = keyring_state().active
    assert {key_id for _, key_id in before_keys.values()} == {old_id, "dev"}

    rotation = master_key_rotate(batch_size=2)

    assert rotation.resumed is False
    assert rotation.rewrapped == 4
    assert rotation.destroyed == [old_id]
    state = keyring_state()
    assert state.active == rotation.key_id != old_id
    assert list(state.keys) == [rotation.key_id] and state.rotating is False
    after_keys = wrapped_keys()
    assert {key_id for _, key_id in after_keys.values()} == {rotation.key_id}
    for user_id, (wrapped, _) in before_keys.items():
        assert after_keys[user_id][0] != wrapped
        if user_id != legacy.id:  # old copies (WAL, backups) no longer open with anything held
            assert not unwraps_with_anything_held(wrapped, user_id)
    assert ciphertexts() == before_ct
    assert decrypt_all(users) == texts
    assert vault._unwrap(master_key_get(rotation.key_id), after_keys[legacy.id][0], legacy.id) == (
        legacy_key
    )
    result = retrieve(user=users[1], query="Which food allergy do I have?", k=5)
    assert "I am allergic to peanuts, says person 1" in [item.text for item in result.items]
    assert key_rotation_status()["all_current"] is True


@rotation_db
def test_rotation_interrupted_midway_resumes_where_it_stopped(settings):
    # Data keys in id order: two people's, the stray one, then two more (made on first use:
    # these have no display name, which would be sealed under a key at once).
    users = [UserFactory() for _ in range(2)] + [UserFactory(display_name="") for _ in range(2)]
    blobs = {person.id: cipher_for(person.id).encrypt(f"note {person.id}") for person in users[:2]}
    first_id = keyring_state().active
    # A data key no held key opens (say, restored from elsewhere) stops the run in batch 2.
    stray = UserFactory(display_name="")  # its only data key is the one made below
    DataKey.objects.create(
        user=stray,
        wrapped_key=vault._wrap(os.urandom(32), os.urandom(32), stray.id),
        master_key_id=first_id,
    )
    blobs |= {person.id: cipher_for(person.id).encrypt(f"note {person.id}") for person in users[2:]}

    with pytest.raises(VaultError, match=f"user {stray.id}.*rerun to resume"):
        master_key_rotate(batch_size=2)

    state = keyring_state()
    assert state.rotating is True and first_id in state.keys  # nothing destroyed yet
    progress = key_rotation_status()["keys_by_master_key_id"]
    assert progress == {first_id: 3, state.active: 2}  # the committed batches stay done
    DataKey.objects.filter(user=stray).delete()

    rotation = master_key_rotate(batch_size=2)

    assert rotation.resumed is True and rotation.key_id == state.active
    assert rotation.rewrapped == 2 and rotation.destroyed == [first_id]
    assert {person.id: cipher_for(person.id).decrypt(blobs[person.id]) for person in users} == {
        person.id: f"note {person.id}" for person in users
    }


@rotation_db
def test_scheduled_rotation_runs_only_when_an_erasure_asked_for_it():
    person = UserFactory()
    blob = cipher_for(person.id).encrypt("hello 世界")
    assert master_key_rotate_if_due() is None

    master_key_rotation_request()
    assert keyring_state().rotation_due is True
    rotation = master_key_rotate_if_due()

    assert rotation is not None and rotation.rewrapped == 1
    assert keyring_state().rotation_due is False
    assert master_key_rotate_if_due() is None
    assert cipher_for(person.id).decrypt(blob) == "hello 世界"


def test_rotation_refuses_to_run_inside_a_transaction(user):
    cipher_for(user.id)
    before = wrapped_keys()

    with pytest.raises(VaultError, match="outside a transaction"):
        master_key_rotate()

    assert wrapped_keys() == before


def test_keyring_file_is_private_and_holds_no_raw_key(user):
    cipher_for(user.id)
    path = keyring_path()

    assert path.stat().st_mode & 0o777 == 0o600
    raw = master_key_get(keyring_state().active)
    assert raw is not None
    contents = path.read_bytes()
    assert raw not in contents and base64.b64encode(raw) not in contents
    assert not [p.name for p in path.parent.iterdir() if p.name.endswith((".tmp", ".old"))]


def test_root_key_rotation_without_downtime(settings, user):
    blob = cipher_for(user.id).encrypt("hello 世界")
    old_root, new_root = settings.MASTER_KEY, new_key()

    assert root_key_add(new_root=key_decode(new_root)) == 1
    assert cipher_for(user.id).decrypt(blob) == "hello 世界"  # processes on the old root
    settings.MASTER_KEY = new_root  # restarted with the new root
    assert cipher_for(user.id).decrypt(blob) == "hello 世界"
    assert root_keys_retire() == 1

    settings.MASTER_KEY = old_root
    with pytest.raises(VaultError, match="not in the keyring"):
        cipher_for(user.id)


def test_key_rotation_status(user):
    cipher_for(user.id)
    cipher_for(UserFactory().id)
    active = keyring_state().active

    status = key_rotation_status()

    assert status["current_key_id"] == active
    assert status["keys_by_master_key_id"] == {active: 2}
    assert status["total"] == 2 and status["stale"] == 0 and status["all_current"] is True
    assert status["rotating"] is False and status["rotation_due"] is False


# Commands ----------------------------------------------------------------------------------


@rotation_db
def test_rotate_master_key_command_reads_the_new_key_from_stdin(monkeypatch):
    users = [UserFactory() for _ in range(3)]
    texts = {}
    for n, person in enumerate(users):
        texts |= populate(person, n)
    before_ct = ciphertexts()
    new, out = new_key(), StringIO()
    monkeypatch.setattr("sys.stdin", StringIO(new + "\n"))

    call_command("rotate_master_key", "--stdin", stdout=out)

    output = out.getvalue()
    active = keyring_state().active
    assert f"Started rotation to master key {active}: re-wrapped 3 data keys" in output
    assert new not in output  # the secret is not echoed
    assert master_key_get(active) == key_decode(new)
    assert {key_id for _, key_id in wrapped_keys().values()} == {active}
    assert decrypt_all(users) == texts
    assert ciphertexts() == before_ct


@rotation_db
def test_rotate_master_key_command_reads_the_environment(monkeypatch):
    person = UserFactory()
    blob = cipher_for(person.id).encrypt("hello")
    new = new_key()
    monkeypatch.setenv("MACARON_NEW_MASTER_KEY", new)

    call_command("rotate_master_key", stdout=StringIO())

    assert master_key_get(keyring_state().active) == key_decode(new)
    assert cipher_for(person.id).decrypt(blob) == "hello"


@rotation_db
@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--new-key", "x"], "", "unrecognized arguments"),  # never on the command line
        (["--stdin"], "bm90LWEta2V5\n", "base64 of exactly 32 bytes"),
        (["--root"], "", "Give the new key on stdin"),
    ],
)
def test_rotate_master_key_command_refuses_bad_input_and_changes_nothing(
    monkeypatch, args, stdin, message
):
    users = [UserFactory() for _ in range(2)]
    texts = {}
    for n, person in enumerate(users):
        texts |= populate(person, n)
    before_ct, before_keys, before_state = ciphertexts(), wrapped_keys(), keyring_state()
    monkeypatch.setattr("sys.stdin", StringIO(stdin))
    monkeypatch.delenv("MACARON_NEW_MASTER_KEY", raising=False)
    monkeypatch.delenv("MACARON_NEW_ROOT_KEY", raising=False)

    with pytest.raises(CommandError, match=message):
        call_command("rotate_master_key", *args, stdout=StringIO())

    assert wrapped_keys() == before_keys
    assert ciphertexts() == before_ct
    assert keyring_state() == before_state
    assert decrypt_all(users) == texts


@rotation_db
def test_rotation_under_traffic_new_and_existing_people_keep_working(monkeypatch):
    """Between the rotation's batches another connection reads existing people's data and a
    new person gets a data key: everything still decrypts, and the new key ends under the
    active master key before the old one is destroyed."""
    users = [UserFactory() for _ in range(4)]
    blobs = {person.id: cipher_for(person.id).encrypt(f"note {person.id}") for person in users}
    newcomers: list[int] = []
    reads: list[str] = []
    original = vault._rewrap_batch

    def traffic() -> None:
        try:
            for person in users:
                reads.append(cipher_for(person.id).decrypt(blobs[person.id]))
            newcomer = UserFactory()
            blobs[newcomer.id] = cipher_for(newcomer.id).encrypt("newcomer")
            newcomers.append(newcomer.id)
        finally:
            connection.close()

    def batch_with_traffic(**kwargs):
        done = original(**kwargs)
        worker = threading.Thread(target=traffic)
        worker.start()
        worker.join()
        return done

    monkeypatch.setattr(vault, "_rewrap_batch", batch_with_traffic)
    old_id = keyring_state().active

    rotation = master_key_rotate(batch_size=1)

    assert rotation.destroyed == [old_id]
    assert len(newcomers) >= 4 and len(reads) == 4 * len(newcomers)
    assert set(reads) == {f"note {person.id}" for person in users}
    assert {key_id for _, key_id in wrapped_keys().values()} == {rotation.key_id}
    for user_id in newcomers:
        assert cipher_for(user_id).decrypt(blobs[user_id]) == "newcomer"
    for person in users:
        assert cipher_for(person.id).decrypt(blobs[person.id]) == f"note {person.id}"
