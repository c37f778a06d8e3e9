from django.apps import AppConfig


class SubagentsConfig(AppConfig):
    name = "subagents"

    def ready(self) -> None:
        # Sub-agents tell the companion's router what they handle; memory never imports them.
        from accounts.hooks import eraser_register
        from subagents.intents import register_all
        from subagents.services import user_subagents_erase

        register_all()
        eraser_register("subagents", user_subagents_erase)
