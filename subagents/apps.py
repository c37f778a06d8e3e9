from django.apps import AppConfig


class SubagentsConfig(AppConfig):
    name = "subagents"

    def ready(self) -> None:
        # Sub-agents tell the companion's router what they handle; memory never imports them.
        from accounts.hooks import (
            eraser_register,
            purger_register,
            step_up_guard_register,
            transfer_register,
            welcome_installer_register,
        )
        from macaron.startup import startup_preparer_register
        from memory.privacy.access_log import reader_namer_register
        from subagents.archive import SUBAGENTS_TRANSFER
        from subagents.demo import demo_tools_lines
        from subagents.intents import register_all
        from subagents.policies import entries_purge_expired, entries_step_up_guarded
        from subagents.selectors import installation_names
        from subagents.services import user_subagents_erase
        from subagents.welcome import welcome_gift_install

        register_all()
        # accounts → sub-agents: finishing onboarding installs the welcome gift's tools.
        welcome_installer_register(welcome_gift_install)
        startup_preparer_register(demo_tools_lines)  # `make run`: the demo's weeks of entries
        eraser_register("subagents", user_subagents_erase)
        transfer_register("subagents", SUBAGENTS_TRANSFER)
        reader_namer_register(installation_names)  # memory's access log names the tools
        # memory's beat purge and export judge entries by the same policies as memories
        purger_register("entry", entries_purge_expired)
        step_up_guard_register("entry", entries_step_up_guarded)
