from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "community"

    def ready(self) -> None:
        from accounts.hooks import (
            eraser_register,
            publication_counter_register,
            transfer_register,
        )
        from community.archive import COMMUNITY_TRANSFER
        from community.seed import community_seed_lines
        from community.services import published_count, usage_listen, user_community_erase
        from community.views import tool_panel
        from macaron.startup import startup_preparer_register
        from subagents.panels import tool_panel_register

        usage_listen()
        tool_panel_register(tool_panel)
        startup_preparer_register(community_seed_lines)
        eraser_register("community", user_community_erase)
        publication_counter_register(published_count)
        transfer_register("community", COMMUNITY_TRANSFER)
