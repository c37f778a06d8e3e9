from django.apps import AppConfig


class SubagentsConfig(AppConfig):
    name = "subagents"

    def ready(self) -> None:
        # Sub-agents tell the companion's router what they handle; memory never imports them.
        from subagents.intents import register_all

        register_all()
