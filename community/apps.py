from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "community"

    def ready(self) -> None:
        from accounts.hooks import eraser_register
        from community.services import usage_listen, user_community_erase

        usage_listen()
        eraser_register("community", user_community_erase)
