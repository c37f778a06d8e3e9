from django.apps import AppConfig


class MacaronConfig(AppConfig):
    name = "macaron"
    verbose_name = "Macaron platform"
