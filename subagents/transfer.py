"""Memory transfer: entries write memories through the memory facade per the spec's hooks, and a
sub-agent reads context only from the domains its spec allows, with the `subagent` purpose so
each memory's privacy policy applies (private, secret and `share_with_subagents: false`
memories never reach it)."""

import re
from dataclasses import dataclass

from memory.retrieval import Filters, RetrievedMemory, retrieve
from memory.services import memory_create, memory_update
from subagents.values import value_display

PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]{0,39})\}")
MEMORY_SOURCE = "subagent"  # memory.models.Memory.Source.SUBAGENT
CONTEXT_K = 5


def provenance(installation) -> str:
    """The external id a sub-agent's memories carry: which installed tool wrote them."""
    return f"subagent:{installation.id}"


def template_fill(template: str, *, spec: dict, values: dict) -> str:
    fields = {item["key"]: item for item in spec["fields"]}

    def replace(match: re.Match) -> str:
        key = match[1]
        if key not in fields or key not in values:
            return ""
        return value_display(values[key], fields[key])

    return re.sub(r"\s{2,}", " ", PLACEHOLDER.sub(replace, template)).strip()


def _matches(write: dict, values: dict) -> bool:
    match = write.get("match")
    if not match:
        return True
    value = values.get(match["field"])
    wanted = match["equals"]
    if isinstance(value, list):
        return wanted in value
    if isinstance(value, int | float) and isinstance(wanted, int | float):
        return float(value) == float(wanted)
    if isinstance(value, str) and isinstance(wanted, str):
        return value.casefold() == wanted.casefold()
    return value == wanted


@dataclass(frozen=True)
class MemoryWrite:
    """A memory an entry's hooks ask for: its text and the domain it belongs to."""

    text: str
    domain: str | None


def memory_writes_due(
    *, spec: dict, values: dict, first_entry: bool, goals_newly_met: set[str]
) -> list[MemoryWrite]:
    """The memories the spec's hooks ask for after an entry (no database, no embedding: decided
    inside the entry's transaction, written by `memory_writes_apply` after it commits).

    `goals_newly_met` holds the field keys of goals this entry made met in their period.
    """
    due: list[MemoryWrite] = []
    for write in spec["memory"]["writes"]:
        when = write["when"]
        if when == "first_entry" and not first_entry:
            continue
        if when == "goal_met" and not goals_newly_met:
            continue
        if not _matches(write, values):
            continue
        text = template_fill(write["template"], spec=spec, values=values)
        if not text:
            continue
        domain = write.get("domain") or (spec["domains"][0] if spec["domains"] else None)
        due.append(MemoryWrite(text=text, domain=domain))
    return due


def memory_writes_apply(
    *, user, installation, entry_id: int, writes: list[MemoryWrite]
) -> list[int]:
    """Write the memories an entry's hooks asked for; returns their ids. Run with no
    transaction open: each memory is embedded first, then written in its own short one."""
    written: list[int] = []
    for write in writes:
        memory = memory_create(
            user=user,
            text=write.text,
            source=MEMORY_SOURCE,
            external_id=provenance(installation),
            entry_id=entry_id,
        )
        if write.domain and write.domain not in memory.domains:
            memory_update(user=user, memory_id=memory.id, domains=[*memory.domains, write.domain])
        written.append(memory.id)
    return written


def subagent_context(
    *,
    user,
    spec: dict,
    query: str | None = None,
    k: int = CONTEXT_K,
    installation_id: int | None = None,
) -> list[RetrievedMemory]:
    """The person's memories this sub-agent may see, most useful first (none when its spec
    reads no domain). The audit log names the installation that read them."""
    reads = spec["memory"]["reads"]
    if not reads:
        return []
    query = (query or "").strip() or f"{spec['name']}. {spec['description']}"
    result = retrieve(
        user=user,
        query=query[:500],
        k=k,
        purpose="subagent",
        filters=Filters(domains=list(reads)),
        reader={"installation_id": installation_id} if installation_id is not None else None,
    )
    return result.items
