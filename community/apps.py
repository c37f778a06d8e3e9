from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "community"

    def ready(self) -> None:
        from community.services import usage_listen
        from community.views import tool_panel
        from subagents.panels import tool_panel_register

        usage_listen()
        tool_panel_register(tool_panel)
