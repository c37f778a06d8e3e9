from django.apps import AppConfig


class MemoryConfig(AppConfig):
    name = "memory"

    def ready(self) -> None:
        # Hooks that let a lower layer reach a higher one without importing it.
        from accounts.hooks import (
            account_eraser_register,
            eraser_register,
            security_recorder_register,
            transfer_register,
            welcome_installer_register,
        )
        from macaron.embeddings import embedding_warm_up_register
        from macaron.startup import startup_preparer_register
        from macaron.vault import rotation_listener_register
        from memory.companion.demo import demo_conversations_lines
        from memory.companion.onboarding import welcome_install
        from memory.companion.router import router_warm_up
        from memory.episodes.tasks import compression_schedule
        from memory.ingest.hooks import conversation_grew_register
        from memory.privacy.erasure import user_erase
        from memory.privacy.security import key_rotation_record, security_record
        from memory.retrieval.domains import domain_prototypes_warm_up
        from memory.retrieval.languages import language_centroids_warm_up
        from memory.transfer.jobs import user_transfers_erase
        from memory.transfer.sections import MEMORY_TRANSFER

        welcome_installer_register(welcome_install)  # accounts → memory: finishing onboarding
        startup_preparer_register(demo_conversations_lines)  # `make run`: the demo's month
        conversation_grew_register(compression_schedule)  # ingest → episodes: compression
        account_eraser_register(user_erase)  # accounts' erasure workflow → crypto-shredding
        transfer_register("memory", MEMORY_TRANSFER)  # export and import
        eraser_register("transfers", user_transfers_erase)  # archive files under var/
        security_recorder_register(security_record)  # accounts → memory: security events
        rotation_listener_register(key_rotation_record)  # macaron → memory: key rotations
        # Built with the embedding model when a process starts, not on the first message.
        embedding_warm_up_register(domain_prototypes_warm_up)
        embedding_warm_up_register(router_warm_up)
        embedding_warm_up_register(language_centroids_warm_up)
