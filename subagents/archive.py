"""The sub-agents part of export and import: installed tools with their specs, settings,
entries (photos as files of the archive), tool chats and raised reminders, and the requests
the companion routed here. Restoring re-validates specs and entry values as if they were new
(a photo is re-cleaned), but does not run memory hooks: the memories they wrote come back with
the memory section."""

import base64
import json
from collections import defaultdict
from typing import Any

from accounts.archive import at, iso, stamps_restore, text, when
from accounts.hooks import ExportContext, ImportContext, Transfer
from macaron.timezones import user_zone
from macaron.vault import cipher_for
from memory.privacy.policies import NORMAL, validate_policy
from subagents.models import ChatMessage, Entry, Installation, ReminderFire, RoutedRequest
from subagents.services import ENTRY_LEVELS, installation_create, installation_settings_update
from subagents.spec import spec_validate
from subagents.values import DATA_URL, entry_values_clean

CHAT_TEXT_MAX = 20_000
PHOTO_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
PHOTO_TYPES = {extension: mime for mime, extension in PHOTO_EXTENSIONS.items()}


def _photos_out(ctx: ExportContext, values: dict) -> dict:
    """Photos (data URLs) become files of the archive: {"photo_file": "photos/3.png"}."""
    out = {}
    for key, value in values.items():
        match = DATA_URL.match(value) if isinstance(value, str) else None
        mime = value[5 : value.find(";")] if match else ""
        if match and mime in PHOTO_EXTENSIONS:
            raw = base64.b64decode(match[1])
            out[key] = {"photo_file": ctx.file_add("photos", raw, PHOTO_EXTENSIONS[mime])}
        else:
            out[key] = value
    return out


def _photos_in(ctx: ImportContext, values: Any) -> Any:
    if not isinstance(values, dict):
        raise ValueError("Entry values must be an object.")
    out = {}
    for key, value in values.items():
        if isinstance(value, dict):
            name = value.get("photo_file")
            data = ctx.files.get(name) if isinstance(name, str) else None
            if data is None or not isinstance(name, str):
                raise ValueError("An entry names a photo the archive lacks.")
            mime = PHOTO_TYPES.get(name.rsplit(".", 1)[-1], "image/png")
            value = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
        out[key] = value
    return out


def subagents_export(ctx: ExportContext) -> dict[str, Any]:
    user = ctx.user
    cipher = cipher_for(user.id)
    entries: dict[int, list[dict]] = defaultdict(list)
    for e in Entry.objects.filter(user=user).order_by("id"):
        values = json.loads(cipher.decrypt(e.values_ct))
        entries[e.installation_id].append(
            {
                "ref": ctx.ref("entry", e.id),
                "occurred_at": iso(e.occurred_at),
                "values": _photos_out(ctx, values),
                "client_token": e.client_token,
                "privacy": e.privacy,
                "policy": e.policy,
                "created_at": iso(e.created_at),
            }
        )
    chats: dict[int, list[dict]] = defaultdict(list)
    for m in ChatMessage.objects.filter(user=user).order_by("id"):
        chats[m.installation_id].append(
            {
                "role": m.role,
                "text": cipher.decrypt(m.text_ct),
                "entry": ctx.ref("entry", m.entry_id),
                "created_at": iso(m.created_at),
            }
        )
    fires: dict[int, list[dict]] = defaultdict(list)
    for f in ReminderFire.objects.filter(user=user).order_by("id"):
        fires[f.installation_id].append(
            {
                "reminder_index": f.reminder_index,
                "slot_at": iso(f.slot_at),
                "raised_at": iso(f.raised_at),
                "dismissed_at": iso(f.dismissed_at),
                "acted_at": iso(f.acted_at),
            }
        )
    installations = [
        {
            "ref": ctx.ref("installation", i.id),
            "spec": json.loads(cipher.decrypt(i.spec_ct)),
            "source": i.source,
            "client_token": i.client_token,
            "paused": i.paused,
            "settings": i.settings,
            "installed_at": iso(i.installed_at),
            "uninstalled_at": iso(i.uninstalled_at),
            "previous_spec": (
                json.loads(cipher.decrypt(i.previous_spec_ct))
                if i.previous_spec_ct is not None
                else None
            ),
            "previous_source": i.previous_source,
            "entries": entries.get(i.id, []),
            "chat": chats.get(i.id, []),
            "reminders_raised": fires.get(i.id, []),
        }
        for i in Installation.objects.filter(user=user).order_by("id")
    ]
    routed = [
        {
            "intent": r.intent,
            "text": cipher.decrypt(r.text_ct),
            "preferences": [ctx.ref("memory", i) for i in r.preference_ids],
            "created_at": iso(r.created_at),
        }
        for r in RoutedRequest.objects.filter(user=user).order_by("id")
    ]
    return {"installations": installations, "routed_requests": routed}


def _restore_installation(ctx: ImportContext, item: dict, cipher, zone) -> None:
    user = ctx.user
    spec = spec_validate(item.get("spec"))
    installation = installation_create(
        user=user,
        spec=spec,
        source=text(item.get("source"), limit=120),
        client_token=text(item.get("client_token", ""), limit=64),
        now=at(item.get("installed_at")),
    )
    ctx.remember("installation", item.get("ref"), installation.id)
    settings = item.get("settings") or {}
    if not isinstance(settings, dict):
        raise ValueError("A tool's settings must be an object.")
    installation_settings_update(
        user=user,
        installation_id=installation.id,
        goals=settings.get("goals"),
        reminders=settings.get("reminders"),
        paused=item.get("paused") is True,
    )
    previous = item.get("previous_spec")
    Installation.objects.filter(pk=installation.pk).update(
        uninstalled_at=when(item.get("uninstalled_at")),
        previous_spec_ct=(
            cipher.encrypt(json.dumps(spec_validate(previous), ensure_ascii=False))
            if previous is not None
            else None
        ),
        previous_source=text(item.get("previous_source", ""), limit=120),
    )
    entries, stamps = [], []
    for e in item.get("entries", []):
        values = entry_values_clean(spec=spec, values=_photos_in(ctx, e.get("values")), zone=zone)
        entries.append(
            Entry(
                installation=installation,
                user=user,
                occurred_at=at(e.get("occurred_at")),
                values_ct=cipher.encrypt(json.dumps(values, ensure_ascii=False)),
                client_token=text(e.get("client_token", ""), limit=64),
                privacy=e.get("privacy") if e.get("privacy") in ENTRY_LEVELS else NORMAL,
                policy=validate_policy(e.get("policy", {})),
            )
        )
        stamps.append(at(e.get("created_at")))
    stored = Entry.objects.bulk_create(entries)
    for e, row in zip(item.get("entries", []), stored, strict=True):
        ctx.remember("entry", e.get("ref"), row.id)
    stamps_restore(Entry, "created_at", {r.id: at for r, at in zip(stored, stamps, strict=True)})
    chat, chat_stamps = [], []
    for m in item.get("chat", []):
        if m.get("role") not in ChatMessage.Role.values:
            raise ValueError("A tool chat message has an unknown role.")
        chat.append(
            ChatMessage(
                installation=installation,
                user=user,
                role=m["role"],
                text_ct=cipher.encrypt(text(m.get("text"), limit=CHAT_TEXT_MAX)),
                entry_id=ctx.new_id("entry", m.get("entry")),
            )
        )
        chat_stamps.append(at(m.get("created_at")))
    stored_chat = ChatMessage.objects.bulk_create(chat)
    stamps_restore(
        ChatMessage,
        "created_at",
        {r.id: at for r, at in zip(stored_chat, chat_stamps, strict=True)},
    )
    ReminderFire.objects.bulk_create(
        [
            ReminderFire(
                installation=installation,
                user=user,
                reminder_index=int(f.get("reminder_index")),
                slot_at=at(f.get("slot_at")),
                raised_at=at(f.get("raised_at")),
                dismissed_at=when(f.get("dismissed_at")),
                acted_at=when(f.get("acted_at")),
            )
            for f in item.get("reminders_raised", [])
        ]
    )


def subagents_restore(ctx: ImportContext) -> None:
    user = ctx.user
    cipher = cipher_for(user.id)
    zone = user_zone(user)
    installations = ctx.section("installations")
    for item in installations:
        _restore_installation(ctx, item, cipher, zone)
    routed, stamps = [], []
    for r in ctx.section("routed_requests"):
        preferences = [ctx.new_id("memory", ref) for ref in r.get("preferences", [])]
        routed.append(
            RoutedRequest(
                user=user,
                intent=text(r.get("intent"), limit=40),
                text_ct=cipher.encrypt(text(r.get("text"), limit=CHAT_TEXT_MAX)),
                preference_ids=[i for i in preferences if i is not None],
            )
        )
        stamps.append(at(r.get("created_at")))
    stored = RoutedRequest.objects.bulk_create(routed)
    stamps_restore(
        RoutedRequest, "created_at", {r.id: at for r, at in zip(stored, stamps, strict=True)}
    )
    ctx.counts["installations"] = len(installations)
    ctx.counts["entries"] = len(ctx.ids.get("entry", {}))


SUBAGENTS_TRANSFER = Transfer(export=subagents_export, restore=subagents_restore)
