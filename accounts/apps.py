from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from accounts.archive import ACCOUNTS_TRANSFER
        from accounts.hooks import eraser_register, transfer_register
        from accounts.services import demo_login_lines, user_credentials_erase
        from macaron.startup import startup_preparer_register

        startup_preparer_register(demo_login_lines)  # `make run` prints the demo login
        eraser_register("accounts", user_credentials_erase)
        transfer_register("accounts", ACCOUNTS_TRANSFER)
