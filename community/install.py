"""The one place where an import becomes an installed sub-agent: a copy of the pinned version's
spec in the person's tools, whose source ("community:<slug>@<version>") lets the usage listener
count its use for the blueprint."""

from subagents.services import installation_create


def install_version(*, user, version) -> None:
    installation_create(
        user=user,
        spec=version.spec,
        source=f"community:{version.blueprint.slug}@{version.version}",
    )
