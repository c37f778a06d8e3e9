from django.apps import AppConfig


class MemoryConfig(AppConfig):
    name = "memory"

    def ready(self) -> None:
        # Hooks that let a lower layer reach a higher one without importing it.
        from accounts.hooks import security_recorder_register, welcome_installer_register
        from macaron.vault import rotation_listener_register
        from memory.companion.onboarding import welcome_install
        from memory.episodes.tasks import compression_schedule
        from memory.ingest.hooks import conversation_grew_register
        from memory.privacy.security import key_rotation_record, security_record

        welcome_installer_register(welcome_install)  # accounts → memory: finishing onboarding
        conversation_grew_register(compression_schedule)  # ingest → episodes: compression
        security_recorder_register(security_record)  # accounts → memory: security events
        rotation_listener_register(key_rotation_record)  # macaron → memory: key rotations
