"""Fill what 0007 added from the rows already stored, in batches:

- `Message.client_key`: the keyed hash of each plaintext `client_id` (dropped by 0009);
- the conversation search's blind index (`search_tokens`, `title_tokens`);
- the chat history's display state: "remembered" chips from the "used" reward events, and the
  routed badge (intent, encrypted buttons, preferences) from the chat-route audit events.

Old audit events are left as they were (the audit log is append-only).
"""

import json

from django.db import migrations

BATCH = 1000


def _cipher(ciphers: dict, user_id: int):
    from macaron.vault import cipher_for

    if user_id not in ciphers:
        ciphers[user_id] = cipher_for(user_id)
    return ciphers[user_id]


def client_keys(apps, schema_editor):
    Message = apps.get_model("memory", "Message")
    ciphers: dict = {}
    rows = Message.objects.filter(client_id__isnull=False, client_key__isnull=True)
    last = 0
    while batch := list(rows.filter(pk__gt=last).order_by("pk").only("pk", "user_id", "client_id")[:BATCH]):
        for row in batch:
            cipher = _cipher(ciphers, row.user_id)
            row.client_key = cipher.keyed_hash(row.client_id, purpose="client_id")
        Message.objects.bulk_update(batch, ["client_key"])
        last = batch[-1].pk


def search_index(apps, schema_editor):
    from memory.ingest.conversation_index import conversation_index_fill

    conversation_index_fill(
        batch_size=BATCH,
        message_model=apps.get_model("memory", "Message"),
        conversation_model=apps.get_model("memory", "Conversation"),
    )


def _replies(Message, pairs: set[tuple[int, int]]) -> set[int]:
    """The (message id, owner id) pairs that are existing companion replies of that owner."""
    ids = {message_id for message_id, _ in pairs}
    found = Message.objects.filter(pk__in=ids, role="companion").values_list("pk", "user_id")
    return {pk for pk, user_id in found if (pk, user_id) in pairs}


def used_chips(apps, schema_editor):
    Message = apps.get_model("memory", "Message")
    RewardEvent = apps.get_model("memory", "RewardEvent")
    ReplyMemory = apps.get_model("memory", "ReplyMemory")
    events = RewardEvent.objects.filter(signal="used", features__has_key="message_id")
    last = 0
    while batch := list(
        events.filter(pk__gt=last).order_by("pk").values_list("pk", "user_id", "memory_id", "features")[:BATCH]
    ):
        last = batch[-1][0]
        replies = _replies(Message, {(int(f["message_id"]), user_id) for _, user_id, _, f in batch})
        ReplyMemory.objects.bulk_create(
            [
                ReplyMemory(
                    message_id=int(features["message_id"]),
                    memory_id=memory_id,
                    kind="used",
                    rank=int(features.get("rank") or 0),
                )
                for _, _, memory_id, features in batch
                if int(features["message_id"]) in replies
            ],
            ignore_conflicts=True,
        )


def routed_badges(apps, schema_editor):
    Message = apps.get_model("memory", "Message")
    Memory = apps.get_model("memory", "Memory")
    AuditEvent = apps.get_model("memory", "AuditEvent")
    ReplyMemory = apps.get_model("memory", "ReplyMemory")
    ciphers: dict = {}
    events = AuditEvent.objects.filter(action="chat_route", detail__has_key="message_id")
    last = 0
    while batch := list(
        events.filter(pk__gt=last)
        .order_by("pk")
        .values_list("pk", "subject_user_id", "memory_ids", "detail")[:BATCH]
    ):
        last = batch[-1][0]
        replies = _replies(Message, {(int(d["message_id"]), user_id) for _, user_id, _, d in batch})
        wanted = {memory_id for _, _, memory_ids, _ in batch for memory_id in memory_ids}
        owners = dict(Memory.objects.filter(pk__in=wanted).values_list("pk", "user_id"))
        chips = []
        for _, user_id, memory_ids, detail in batch:
            message_id = int(detail["message_id"])
            if message_id not in replies:
                continue
            links = json.dumps(list(detail.get("links", ())))
            Message.objects.filter(pk=message_id).update(
                routed_intent=str(detail.get("intent", ""))[:64],
                routed_links_ct=_cipher(ciphers, user_id).encrypt(links),
            )
            chips += [
                ReplyMemory(message_id=message_id, memory_id=memory_id, kind="preference", rank=rank)
                for rank, memory_id in enumerate(memory_ids)
                if owners.get(memory_id) == user_id
            ]
        ReplyMemory.objects.bulk_create(chips, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("memory", "0007_conversation_blind_index"),
    ]

    operations = [
        migrations.RunPython(client_keys, migrations.RunPython.noop),
        migrations.RunPython(search_index, migrations.RunPython.noop),
        migrations.RunPython(used_chips, migrations.RunPython.noop),
        migrations.RunPython(routed_badges, migrations.RunPython.noop),
    ]
