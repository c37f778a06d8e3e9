from django.apps import AppConfig


class SubagentsConfig(AppConfig):
    name = "subagents"
