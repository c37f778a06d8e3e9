import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "macaron.settings.local")

app = Celery("macaron")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _warm_up(**kwargs) -> None:
    """Each worker process loads the embedding model when it starts, not on its first task."""
    from macaron.embeddings import embedder_warm_up

    embedder_warm_up()
