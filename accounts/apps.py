from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from accounts.services import demo_login_lines
        from macaron.startup import startup_preparer_register

        startup_preparer_register(demo_login_lines)  # `make run` prints the demo login
