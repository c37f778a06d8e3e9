from django.apps import AppConfig


class SubagentsConfig(AppConfig):
    name = "subagents"

    def ready(self) -> None:
        # Sub-agents tell the companion's router what they handle; memory never imports them.
        from accounts.hooks import eraser_register, transfer_register, welcome_installer_register
        from subagents.archive import SUBAGENTS_TRANSFER
        from subagents.intents import register_all
        from subagents.services import user_subagents_erase
        from subagents.welcome import welcome_gift_install

        register_all()
        # accounts → sub-agents: finishing onboarding installs the welcome gift's tools.
        welcome_installer_register(welcome_gift_install)
        eraser_register("subagents", user_subagents_erase)
        transfer_register("subagents", SUBAGENTS_TRANSFER)
