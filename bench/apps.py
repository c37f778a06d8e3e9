from django.apps import AppConfig


class BenchAppConfig(AppConfig):
    """The synthetic scale benchmark (`manage.py memory_bench`, `make bench`): outside the
    memory app, above every other app; no models."""

    name = "bench"
