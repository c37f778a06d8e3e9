"""The one place where an import becomes an installed sub-agent.

For now it only validates the pinned version's spec. At merge it becomes:

    from subagents.services import installation_create
    spec_validate(version.spec)
    installation_create(user=user, spec=version.spec, source=f"community:{version.blueprint.slug}@{version.version}")
"""

from subagents.spec import spec_validate


def install_version(*, user, version) -> None:
    spec_validate(version.spec)
