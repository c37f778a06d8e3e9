"""Erasure that reaches the disk (issue 8, point 7).

The person's ciphertexts and wrapped data key are collected before erasure. After erasure and a
master-key rotation, the raw files of the embedded cluster (heap, WAL, everything under
`SHOW data_directory`, after a CHECKPOINT) and a pg_dump are searched for those exact bytes; any
copy found must not decrypt with a key the deployment can still obtain (the root key, every key
in the keyring, every data key it can unwrap).
"""

import os
import subprocess
from pathlib import Path

import pgserver
import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client

from accounts.hooks import registered_erasers
from accounts.models import ApiToken
from accounts.services import api_token_create
from community.models import Blueprint
from community.services import blueprint_fork
from macaron import vault
from macaron.keyring import keyring_path, keyring_state, master_key_get
from macaron.vault import VaultError, master_key, master_key_rotate
from memory.companion.chat import chat_reply, chat_turn_start, conversation_start
from memory.models import Conversation, DataKey, Memory, Message
from memory.services import memory_create, user_erase
from subagents.models import Entry, Installation
from subagents.services import entry_create, installation_create
from tests.community.factories import blueprint_factory, listing_factory
from tests.factories import UserFactory
from tests.subagents.specs import hydration

PG_DUMP = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pg_dump"


@pytest.fixture(autouse=True)
def own_keyring(settings, tmp_path):
    settings.MASTER_KEYRING_FILE = str(tmp_path / "keys" / "keyring.json")


def sql(statement: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement)
        return cursor.fetchall() if cursor.description else []


def raw_cluster_bytes() -> list[tuple[str, bytes]]:
    """Every file of the cluster's data directory, after forcing dirty pages to disk."""
    sql("CHECKPOINT")
    [(data_directory,)] = sql("SHOW data_directory")
    files = []
    for root, _dirs, names in os.walk(data_directory):
        for name in names:
            path = Path(root) / name
            if not path.is_file():  # sockets, fifos
                continue
            try:
                files.append((str(path), path.read_bytes()))
            except OSError:
                continue
    return files


def dump_text(tmp_path: Path) -> str:
    db = connection.settings_dict
    out = tmp_path / "dump.sql"
    command = [str(PG_DUMP), "--no-owner", "-U", db["USER"], "-d", db["NAME"], "-f", str(out)]
    if db["HOST"]:
        command += ["-h", db["HOST"]]
    if db["PORT"]:
        command += ["-p", str(db["PORT"])]
    env = {**os.environ, "PGPASSWORD": db["PASSWORD"] or ""}
    completed = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert completed.returncode == 0, completed.stderr
    return out.read_text(encoding="utf-8")


def held_master_keys() -> list[bytes]:
    """Every key-encrypting key the deployment can obtain: the root and the keyring's keys."""
    keys = [master_key()]
    for key_id in keyring_state().keys:
        key = master_key_get(key_id)
        assert key is not None
        keys.append(key)
    return keys


def held_data_keys() -> list[bytes]:
    masters = held_master_keys()
    data_keys = []
    for row in DataKey.objects.all():
        for key in masters:
            try:
                data_keys.append(vault._unwrap(key, row.wrapped_key, row.user_id))
            except VaultError:
                continue
    return data_keys


def unwraps(wrapped: bytes, user_id: int) -> bytes | None:
    for key in held_master_keys():
        try:
            return vault._unwrap(key, wrapped, user_id)
        except VaultError:
            continue
    return None


def decrypts(blob: bytes, user_id: int, data_keys: list[bytes]) -> bool:
    for data_key in data_keys:
        try:
            vault._cipher(user_id, data_key).decrypt(blob)
        except VaultError:
            continue
        return True
    return False


def found_in(blob: bytes, files: list[tuple[str, bytes]], dump: str) -> list[str]:
    where = [path for path, content in files if blob in content]
    if blob.hex() in dump:
        where.append("pg_dump")
    return where


def person_blobs(user_id: int) -> list[bytes]:
    blobs = [bytes(m.text_ct) for m in Message.objects.filter(user_id=user_id)]
    blobs += [bytes(m.text_ct) for m in Memory.objects.filter(user_id=user_id)]
    blobs += [bytes(c.title_ct) for c in Conversation.objects.filter(user_id=user_id) if c.title_ct]
    blobs += [bytes(e.values_ct) for e in Entry.objects.filter(user_id=user_id)]
    blobs += [bytes(i.spec_ct) for i in Installation.objects.filter(user_id=user_id)]
    return blobs


@pytest.mark.django_db(transaction=True)
def test_after_erasure_and_rotation_nothing_on_disk_decrypts(tmp_path):
    assert {"accounts", "subagents", "community"} <= set(registered_erasers())
    person, bystander = UserFactory(), UserFactory()
    canary = "Zebra-canary-7F3A91 my safe code is 4412"
    # Through chat, the memory API path and a sub-agent entry.
    conversation = conversation_start(user=person)
    chat_reply(chat_turn_start(user=person, conversation_id=conversation.id, text=canary))
    memory_create(user=person, text=f"Remember: {canary}")
    installation = installation_create(user=person, spec=hydration(), source="builder")
    entry_create(
        user=person, installation_id=installation.id, values={"amount": "3", "note": canary}
    )
    # A published blueprint that someone forked: the lineage must survive the erasure.
    published = blueprint_factory(author=person)
    fork = blueprint_fork(
        user=bystander, blueprint=published, listing=listing_factory(title="Mine"), confirmed=True
    )
    # Sign-in traces: an API token, a session, a failed-login record.
    api_token_create(user=person, name="laptop")
    Client().force_login(person)
    AccessAttempt.objects.create(
        username=person.email, ip_address="10.0.0.1", user_agent="t", failures_since_start=1
    )
    kept_blob = memory_create(user=bystander, text="My cat is called Miso").text_ct
    wrapped = bytes(DataKey.objects.get(user=person).wrapped_key)
    blobs = person_blobs(person.id)
    assert len(blobs) >= 5
    person_id = person.id
    sessions_before = Session.objects.count()

    counts = user_erase(user=person, reason="erasure request")

    assert counts["accounts.api_tokens"] == 1 and counts["accounts.sessions"] == 1
    assert counts["accounts.login_records"] == 2  # the failed attempt and the login's AccessLog
    assert counts["subagents.entries"] == 1 and counts["subagents.installations"] == 1
    assert counts["community.blueprints_removed"] == 1  # the person did not choose to keep it
    assert not ApiToken.objects.filter(user_id=person_id).exists()
    assert Session.objects.count() == sessions_before - 1
    assert not AccessAttempt.objects.filter(username=person.email).exists()
    assert not AccessLog.objects.filter(username=person.email).exists()
    published.refresh_from_db()
    fork.refresh_from_db()
    assert published.author_id is None and published.is_removed
    assert fork.parent_id == published.id and fork.root_id == published.id
    assert keyring_state().rotation_due is True

    # Before the rotation the old master key is still held: a copy of the wrapped data key left
    # in the WAL would open. This is what erasure alone (the old behaviour) leaves behind.
    files = raw_cluster_bytes()
    wal_copies = [path for path, content in files if wrapped in content]
    assert wal_copies, "the scan must see the wrapped key's old copies (WAL) to prove anything"
    assert unwraps(wrapped, person_id) is not None
    # The data-key table's heap was rewritten by the erasure (VACUUM FULL).
    [(heap,)] = sql(f"SELECT pg_relation_filepath('{DataKey._meta.db_table}')")
    assert not [p for p in wal_copies if p.endswith(heap)]

    rotation = master_key_rotate()

    assert rotation.destroyed and keyring_state().rotation_due is False
    files = raw_cluster_bytes()
    dump = dump_text(tmp_path)
    data_keys = held_data_keys()
    assert len(data_keys) == DataKey.objects.count() == 1  # the bystander's, still readable
    assert decrypts(bytes(kept_blob), bystander.id, data_keys)
    assert found_in(wrapped, files, dump), "copies remain on disk (WAL); they must be useless"
    assert unwraps(wrapped, person_id) is None
    found_any = False
    for blob in blobs:
        if found_in(blob, files, dump):
            found_any = True
            assert not decrypts(blob, person_id, data_keys)
    assert found_any  # dead tuples / WAL still hold ciphertext: it is unreadable
    assert canary.encode() not in b"".join(content for _, content in files)
    assert canary not in dump
    # The keyring file holds only the new key; no old copy of it is left beside it.
    assert list(keyring_state().keys) == [rotation.key_id]
    assert sorted(p.name for p in keyring_path().parent.iterdir()) == [
        ".keyring.json.lock",
        "keyring.json",
    ]
    assert not Blueprint.objects.filter(author_id=person_id).exists()
