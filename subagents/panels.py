"""Panels other apps add to a tool's page (community: "a new version is available", "Share
with the community"). Subagents never imports those apps: they register a provider from their
AppConfig.ready; a provider gets the request and the installation and returns a panel
{"template": ..., "context": {...}} or None."""

from collections.abc import Callable

ToolPanel = Callable[..., dict | None]
tool_panels: list[ToolPanel] = []


def tool_panel_register(provider: ToolPanel) -> None:
    if provider not in tool_panels:
        tool_panels.append(provider)


def tool_panels_for(*, request, installation) -> list[dict]:
    panels = (provider(request=request, installation=installation) for provider in tool_panels)
    return [panel for panel in panels if panel]
