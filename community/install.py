"""The one place where an import becomes an installed sub-agent: a copy of the pinned version's
spec in the person's tools, whose source ("community:<slug>@<version>") lets the usage listener
count its use for the blueprint."""

from subagents.services import installation_create


def spec_with_reads(spec: dict, reads: list[str]) -> dict:
    """The spec reading only the consented memory domains (of those it asks for)."""
    asked = (spec.get("memory") or {}).get("reads") or []
    return {**spec, "memory": {**spec["memory"], "reads": [d for d in asked if d in reads]}}


def install_version(*, user, version, reads: list[str] | None = None):
    """Install the version's spec; `reads` (the consented memory domains) limits what the copy
    may read."""
    spec = version.spec if reads is None else spec_with_reads(version.spec, reads)
    return installation_create(
        user=user,
        spec=spec,
        source=f"community:{version.blueprint.slug}@{version.version}",
    )
