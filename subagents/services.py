"""State changes of sub-agents (keyword-only, typed): installs, settings, entries.

Every function takes the acting person and scopes every lookup by them; a refused action
changes nothing (one transaction each). Specs and entry values are encrypted with the person's
vault cipher.
"""

import json
import re
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.hooks import ErasureOptions
from macaron.errors import Conflict, DomainError, NotFound
from macaron.timezones import user_zone
from macaron.vault import cipher_for
from memory.privacy.policies import (
    NORMAL,
    SECRET,
    SENSITIVE,
    PolicyFacts,
    default_policy,
    default_privacy,
    validate_policy,
)
from subagents.builder import build, revise
from subagents.builder.build import BuildResult
from subagents.builder.diff import spec_diff as _spec_diff
from subagents.models import (
    CatalogueBlueprint,
    ChatMessage,
    Entry,
    Installation,
    ReminderFire,
    RoutedRequest,
)
from subagents.reminders import installation_schedule_refresh
from subagents.selectors import (
    goals_effective,
    goals_status,
    installation_get,
    installation_spec,
    reminders_effective,
)
from subagents.spec import spec_validate
from subagents.transfer import memory_writes_apply, memory_writes_due
from subagents.upgrade import migration_plan, values_migrate
from subagents.usage import usage_emit
from subagents.values import EntryError, entry_values_clean

SOURCE = re.compile(
    r"^(builder|catalogue:[a-z0-9][a-z0-9_-]{0,80}|community:[a-z0-9][a-z0-9_-]{0,80}@\d{1,6}\.\d{1,6}\.\d{1,6})$"
)
CLIENT_TOKEN = re.compile(r"^[A-Za-z0-9_-]{0,64}$")
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
FUTURE_SLACK = timedelta(days=1)


def routed_request_record(
    *, user, intent: str, text: str, preference_ids: list[int]
) -> RoutedRequest:
    """Keep a request the companion routed here, encrypted, until its sub-agent exists."""
    return RoutedRequest.objects.create(
        user=user,
        intent=intent,
        text_ct=cipher_for(user.id).encrypt(text),
        preference_ids=list(preference_ids),
    )


def _client_token(token: str) -> str:
    token = (token or "").strip()
    if not CLIENT_TOKEN.match(token):
        raise DomainError(
            _("The client token must be up to 64 letters, digits, - or _."),
            fields={"client_token": [_("Invalid token.")]},
        )
    return token


# Installations -----------------------------------------------------------------------------


def installation_create(
    *, user, spec: Any, source: str, client_token: str = "", now: datetime | None = None
) -> Installation:
    """Install a spec for the person (validated first; SpecError names the JSON path).

    Idempotent per client token: a double submit with the same token returns the first
    installation instead of installing twice.
    """
    spec = spec_validate(spec)
    if not isinstance(source, str) or not SOURCE.match(source):
        raise DomainError(
            'The source must be "builder", "catalogue:<slug>" or "community:<slug>@<version>".',
            fields={"source": [_("Unknown source.")]},
        )
    token = _client_token(client_token)
    if token:
        existing = Installation.objects.filter(user=user, client_token=token).first()
        if existing is not None:
            return existing
    cipher = cipher_for(user.id)
    now = now or timezone.now()
    try:
        with transaction.atomic():
            installation = Installation.objects.create(
                user=user,
                spec_ct=cipher.encrypt(json.dumps(spec, ensure_ascii=False)),
                spec_version=spec["spec_version"],
                source=source,
                client_token=token,
                installed_at=now,
            )
            installation_schedule_refresh(
                installation=installation,
                reminders=reminders_effective(installation, spec),
                now=now,
            )
            return installation
    except IntegrityError:  # the same token raced in from a second request
        return Installation.objects.get(user=user, client_token=token)


def catalogue_install(
    *,
    user,
    slug: str,
    language: str | None = None,
    client_token: str = "",
    now: datetime | None = None,
) -> Installation:
    """Install a catalogue blueprint as it is, in the person's language (`language`, else their
    preferred one). Idempotent per client token, like `installation_create`."""
    from subagents.builder.adapt import localise
    from subagents.selectors import catalogue_blueprint_get

    if not CatalogueBlueprint.objects.exists():
        catalogue_load()
    blueprint = catalogue_blueprint_get(slug=slug)
    language = (language or getattr(user, "preferred_language", "") or "en").split("-")[0]
    return installation_create(
        user=user,
        spec=localise(blueprint.spec, language),
        source=f"catalogue:{blueprint.slug}",
        client_token=client_token,
        now=now,
    )


def _goal_overrides(spec: dict, goals: dict) -> dict[str, float]:
    if not isinstance(goals, dict):
        raise DomainError(
            _("goals must map goal numbers to targets."),
            fields={"goals": [_("Invalid.")]},
        )
    clean: dict[str, float] = {}
    for index, target in goals.items():
        position = int(index) if str(index).isdigit() else -1
        if not 0 <= position < len(spec["goals"]):
            raise DomainError(
                _("There is no goal %(n)s.") % {"n": index},
                fields={"goals": [_("No goal %(n)s.") % {"n": index}]},
            )
        if isinstance(target, bool) or not isinstance(target, int | float):
            try:
                target = float(str(target).replace(",", "."))
            except ValueError:
                raise DomainError(
                    _("A goal target must be a number."),
                    fields={"goals": [_("A goal target must be a number.")]},
                ) from None
        if not 0 < target <= 1_000_000_000:
            raise DomainError(
                _("A goal target must be greater than 0."),
                fields={"goals": [_("A goal target must be greater than 0.")]},
            )
        clean[str(position)] = float(target)
    return clean


def _reminder_overrides(spec: dict, reminders: dict) -> dict[str, list[str]]:
    if not isinstance(reminders, dict):
        raise DomainError(
            _("reminders must map reminder numbers to times."),
            fields={"reminders": [_("Invalid.")]},
        )
    clean: dict[str, list[str]] = {}
    for index, times in reminders.items():
        position = int(index) if str(index).isdigit() else -1
        if not 0 <= position < len(spec["reminders"]):
            raise DomainError(
                _("There is no reminder %(n)s.") % {"n": index},
                fields={"reminders": [_("No reminder %(n)s.") % {"n": index}]},
            )
        if isinstance(times, str):
            times = [part.strip() for part in times.split(",") if part.strip()]
        if (
            not isinstance(times, list)
            or not 1 <= len(times) <= 12
            or not all(isinstance(t, str) and HHMM.match(t) for t in times)
        ):
            raise DomainError(
                _("Reminder times must be 1 to 12 times as HH:MM."),
                fields={"reminders": [_("Reminder times must be 1 to 12 times as HH:MM.")]},
            )
        clean[str(position)] = sorted(set(times))
    return clean


def installation_settings_update(
    *,
    user,
    installation_id: int,
    goals: dict | None = None,
    reminders: dict | None = None,
    paused: bool | None = None,
) -> Installation:
    """Change the person's goal targets ({goal index: target}), reminder times
    ({reminder index: ["HH:MM", ...]}) and pause; everything is checked before anything
    changes."""
    with transaction.atomic():
        installation = _locked(user=user, installation_id=installation_id)
        spec = installation_spec(installation)
        settings = dict(installation.settings or {})
        if goals is not None:
            settings["goals"] = {**settings.get("goals", {}), **_goal_overrides(spec, goals)}
        if reminders is not None:
            settings["reminders"] = {
                **settings.get("reminders", {}),
                **_reminder_overrides(spec, reminders),
            }
        if paused is not None and not isinstance(paused, bool):
            raise DomainError(
                _("paused must be true or false."), fields={"paused": [_("Invalid.")]}
            )
        installation.settings = settings
        if paused is not None:
            installation.paused = paused
        installation.save(update_fields=["settings", "paused", "updated_at"])
        # New times (or a resume) count from now: nothing missed while paused is raised.
        installation_schedule_refresh(
            installation=installation, reminders=reminders_effective(installation, spec)
        )
    return installation


def installation_pause(*, user, installation_id: int, paused: bool = True) -> Installation:
    """Pause (or resume) a tool's reminders."""
    return installation_settings_update(user=user, installation_id=installation_id, paused=paused)


def installation_uninstall(*, user, installation_id: int, now: datetime | None = None):
    """Uninstall: the tool leaves "My tools" and its reminders stop; its entries are kept until
    the person deletes them (`installation_entries_delete`). Idempotent."""
    with transaction.atomic():
        installation = _locked(user=user, installation_id=installation_id)
        if installation.uninstalled_at is None:
            installation.uninstalled_at = now or timezone.now()
            installation.save(update_fields=["uninstalled_at", "updated_at"])
            ReminderFire.objects.filter(
                installation=installation, dismissed_at__isnull=True
            ).update(dismissed_at=installation.uninstalled_at)
            usage_emit(installation=installation, kind="uninstall")
    return installation


def installation_entries_delete(*, user, installation_id: int) -> int:
    """Delete every entry of an uninstalled tool (and the tool itself); returns the count."""
    with transaction.atomic():
        installation = _locked(user=user, installation_id=installation_id)
        if installation.uninstalled_at is None:
            raise Conflict(_("Uninstall the tool before deleting all of its entries."))
        count, _details = Entry.objects.filter(installation=installation).delete()
        installation.delete()
    return count


def _locked(*, user, installation_id: int) -> Installation:
    installation_get(user=user, installation_id=installation_id)  # NotFound for others' ids
    return Installation.objects.select_for_update().get(user=user, pk=installation_id)


# Entries -----------------------------------------------------------------------------------


def _occurred_at(value: Any, zone, now: datetime) -> datetime:
    if value in (None, ""):
        return now
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise EntryError(
                _("When: enter a date and time as YYYY-MM-DDTHH:MM."),
                fields={"occurred_at": [_("Enter a date and time as YYYY-MM-DDTHH:MM.")]},
            ) from None
    if not isinstance(value, datetime):
        raise EntryError(_("When: not a date and time."), fields={"occurred_at": [_("Invalid.")]})
    if timezone.is_naive(value):
        value = value.replace(tzinfo=zone)
    if value > now + FUTURE_SLACK or value.year < 1900:
        raise EntryError(
            _("When: the time is out of range (not in the future)."),
            fields={"occurred_at": [_("The time is out of range.")]},
        )
    return value


def _newly_met(before: dict, after: dict, goals: list[dict]) -> set[str]:
    return {
        goal["field"]
        for goal in goals
        if after.get(goal["index"]) and not before.get(goal["index"])
    }


def entry_create(
    *,
    user,
    installation_id: int,
    values: Any,
    occurred_at: datetime | str | None = None,
    client_token: str = "",
    now: datetime | None = None,
) -> Entry:
    """Log an entry: every value checked against its field (EntryError names each refused
    field) and stored encrypted in one transaction; the memories the spec's hooks ask for are
    written after it commits (they are embedded, which never happens inside a transaction).
    Idempotent per client token (a double submit logs once)."""
    now = now or timezone.now()
    token = _client_token(client_token)
    zone = user_zone(user)
    with transaction.atomic():
        installation = _locked(user=user, installation_id=installation_id)
        if installation.uninstalled_at is not None:
            raise Conflict(_("This tool is uninstalled; install it again to log entries."))
        if token:
            existing = Entry.objects.filter(installation=installation, client_token=token).first()
            if existing is not None:
                return existing
        spec = installation_spec(installation)
        clean = entry_values_clean(spec=spec, values=values, zone=zone)
        moment = _occurred_at(occurred_at, zone, now)
        hooks = spec["memory"]["writes"]
        wants_goals = any(write["when"] == "goal_met" for write in hooks)
        before = goals_status(installation=installation, spec=spec, now=now) if wants_goals else {}
        first = not Entry.objects.filter(installation=installation).exists()
        entry = Entry.objects.create(
            installation=installation,
            user=user,
            occurred_at=moment,
            values_ct=cipher_for(user.id).encrypt(json.dumps(clean, ensure_ascii=False)),
            client_token=token,
            privacy=default_privacy(spec["domains"]),
            policy=default_policy(default_privacy(spec["domains"])),
        )
        newly_met: set[str] = set()
        if wants_goals:
            after = goals_status(installation=installation, spec=spec, now=now)
            newly_met = _newly_met(before, after, goals_effective(installation, spec))
        due = memory_writes_due(
            spec=spec, values=clean, first_entry=first, goals_newly_met=newly_met
        )
    # After commit: memory_create embeds, and no embedding runs inside a transaction or a lock.
    memory_writes_apply(user=user, installation=installation, entry_id=entry.id, writes=due)
    usage_emit(installation=installation, kind="entry")
    return entry


def entry_update(
    *,
    user,
    entry_id: int,
    values: Any,
    occurred_at: datetime | str | None = None,
    now: datetime | None = None,
) -> Entry:
    """Replace an entry's values (and time); checked like a new entry. Memory hooks do not run
    again (the memory written for the entry stays, the person edits it on the memories page)."""
    now = now or timezone.now()
    zone = user_zone(user)
    with transaction.atomic():
        entry = Entry.objects.select_for_update().filter(user=user, pk=entry_id).first()
        if entry is None:
            raise NotFound(_("No such entry."))
        spec = installation_spec(Installation.objects.get(pk=entry.installation_id))
        clean = entry_values_clean(spec=spec, values=values, zone=zone)
        if occurred_at not in (None, ""):
            entry.occurred_at = _occurred_at(occurred_at, zone, now)
        entry.values_ct = cipher_for(user.id).encrypt(json.dumps(clean, ensure_ascii=False))
        entry.save(update_fields=["values_ct", "occurred_at", "updated_at"])
    return entry


def entry_delete(*, user, entry_id: int) -> None:
    """Delete one of the person's entries; someone else's id is NotFound."""
    deleted, _details = Entry.objects.filter(user=user, pk=entry_id).delete()
    if not deleted:
        raise NotFound(_("No such entry."))


def tool_opened(*, user, installation_id: int) -> Installation:
    """The person opened a tool's page: usage for the apps that listen."""
    installation = installation_get(user=user, installation_id=installation_id)
    usage_emit(installation=installation, kind="open")
    return installation


# Builder and catalogue -------------------------------------------------------------------


def catalogue_load() -> dict[str, int]:
    """Re-sync the CatalogueBlueprint table with the shipped files (idempotent)."""
    from subagents.catalogue import catalogue_sync_into

    return catalogue_sync_into(CatalogueBlueprint)  # embeds, then writes in a transaction


def spec_build(*, request: str, language: str | None = None, user=None) -> BuildResult:
    """One or two sentences → a valid spec (LLM when configured, else the adapted catalogue
    blueprint), shaped by the person's shareable memories when `user` is given. Raises
    BuildRefused (400) for requests that are not a lifestyle tool."""
    return build.spec_build(request=request, language=language, user=user)


def spec_revise(
    *, spec: dict, instruction: str, language: str | None = None, user=None
) -> BuildResult:
    """The spec changed as the words ask ("use ml", "add a reminder at 8pm", "make it
    vegetarian"), validated, with `changes` = spec_diff(old, new). SpecError for an invalid
    spec, RevisionUnclear when no change could be read."""
    return revise.spec_revise(spec=spec, instruction=instruction, language=language, user=user)


def spec_diff(old: dict, new: dict) -> list[dict]:
    """Readable changes between two specs: [{path, change, old?, new?, text}]."""
    return _spec_diff(old, new)


# Upgrades ----------------------------------------------------------------------------------


def _settings_kept(settings_: dict, spec: dict) -> dict:
    """Goal and reminder overrides that still point at something in the new spec."""
    kept: dict = {}
    for part, items in (("goals", spec["goals"]), ("reminders", spec["reminders"])):
        values = {k: v for k, v in (settings_.get(part) or {}).items() if int(k) < len(items)}
        if values:
            kept[part] = values
    return kept


def _entries_migrate(*, installation: Installation, old_spec: dict, new_spec: dict, cipher) -> int:
    plan = migration_plan(old_spec, new_spec)
    entries = list(Entry.objects.select_for_update().filter(installation=installation))
    for entry in entries:
        values = json.loads(cipher.decrypt(entry.values_ct))
        entry.values_ct = cipher.encrypt(
            json.dumps(values_migrate(values, old_spec, new_spec, plan), ensure_ascii=False)
        )
    Entry.objects.bulk_update(entries, ["values_ct"], batch_size=500)
    return len(entries)


def _spec_switch(
    *, installation: Installation, spec: dict, source: str, keep_previous: bool, now: datetime
) -> Installation:
    cipher = cipher_for(installation.user_id)
    old_spec = installation_spec(installation, cipher)
    _entries_migrate(installation=installation, old_spec=old_spec, new_spec=spec, cipher=cipher)
    if keep_previous:
        installation.previous_spec_ct = installation.spec_ct
        installation.previous_source = installation.source
    else:
        installation.previous_spec_ct = None
        installation.previous_source = ""
    installation.spec_ct = cipher.encrypt(json.dumps(spec, ensure_ascii=False))
    installation.spec_version = spec["spec_version"]
    installation.source = source
    installation.settings = _settings_kept(installation.settings or {}, spec)
    installation._spec = spec  # type: ignore[attr-defined]
    installation.save()
    installation_schedule_refresh(
        installation=installation, reminders=reminders_effective(installation, spec), now=now
    )
    return installation


def installation_upgrade(
    *, user, installation_id: int, spec: Any, source: str, now: datetime | None = None
) -> Installation:
    """Move an installed tool to a new spec (a newer published version) keeping every entry:
    renamed fields follow, known unit changes are converted, removed fields are archived inside
    each entry's values (subagents.upgrade). The spec before stays for `installation_rollback`."""
    spec = spec_validate(spec)
    if not isinstance(source, str) or not SOURCE.match(source):
        raise DomainError(_("Unknown source."), fields={"source": [_("Unknown source.")]})
    with transaction.atomic():
        installation = _locked(user=user, installation_id=installation_id)
        if installation.uninstalled_at is not None:
            raise Conflict(_("This tool is uninstalled."))
        return _spec_switch(
            installation=installation,
            spec=spec,
            source=source,
            keep_previous=True,
            now=now or timezone.now(),
        )


def installation_rollback(*, user, installation_id: int, now: datetime | None = None):
    """Back to the spec before the last upgrade, entries migrated back (archived values
    restored). Conflict when there is nothing to roll back to."""
    with transaction.atomic():
        installation = _locked(user=user, installation_id=installation_id)
        if not installation.previous_spec_ct:
            raise Conflict(_("This tool has no earlier version to go back to."))
        cipher = cipher_for(installation.user_id)
        previous = json.loads(cipher.decrypt(bytes(installation.previous_spec_ct)))
        return _spec_switch(
            installation=installation,
            spec=previous,
            source=installation.previous_source,
            keep_previous=False,
            now=now or timezone.now(),
        )


# Erasure ----------------------------------------------------------------------------------


def user_subagents_erase(user, options: ErasureOptions) -> dict[str, int]:
    """The eraser for sub-agents: the person's installations with their entries, chats,
    reminder fires and routed requests (their encrypted values die with the data key too)."""
    counts = {
        "chat_messages": ChatMessage.objects.filter(user=user).delete()[0],
        "entries": Entry.objects.filter(user=user).delete()[0],
        "reminder_fires": ReminderFire.objects.filter(user=user).delete()[0],
        "routed_requests": RoutedRequest.objects.filter(user=user).delete()[0],
    }
    counts["installations"] = Installation.objects.filter(user=user).delete()[0]
    return counts


ENTRY_LEVELS = (NORMAL, SENSITIVE, SECRET)


def entry_policy_facts(entry: Entry) -> PolicyFacts:
    """What memory.privacy.policies.may_read judges an entry by (memory never imports us)."""
    return PolicyFacts(
        id=entry.id, privacy=entry.privacy, policy=dict(entry.policy), created_at=entry.created_at
    )


def entry_policy_update(
    *, user, entry_id: int, privacy: str | None = None, policy: dict | None = None
) -> Entry:
    """The person changes an entry's privacy level or rules (validated like a memory's)."""
    if privacy is not None and privacy not in ENTRY_LEVELS:
        raise DomainError(
            _("Unknown privacy level; use one of %(levels)s.")
            % {"levels": ", ".join(ENTRY_LEVELS)},
            fields={"privacy": [_("Unknown level.")]},
        )
    clean = validate_policy(policy) if policy is not None else None
    with transaction.atomic():
        entry = Entry.objects.select_for_update().filter(user=user, pk=entry_id).first()
        if entry is None:
            raise NotFound(_("No such entry."))
        if privacy is not None:
            entry.privacy = privacy
        if clean is not None:
            entry.policy = clean
        entry.save(update_fields=["privacy", "policy", "updated_at"])
    return entry


def entry_change(
    *,
    user,
    entry_id: int,
    values: Any = None,
    occurred_at: datetime | str | None = None,
    privacy: str | None = None,
    policy: dict | None = None,
) -> None:
    """A partial change of an entry (values, level, rules) in one transaction: a refused part
    leaves the entry as it was. A locked entry is the caller's to refuse before (step-up)."""
    with transaction.atomic():
        if privacy is not None or policy is not None:
            entry_policy_update(user=user, entry_id=entry_id, privacy=privacy, policy=policy)
        if values is not None:
            entry_update(user=user, entry_id=entry_id, values=values, occurred_at=occurred_at)
