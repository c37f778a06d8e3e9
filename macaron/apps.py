import os
import sys

from django.apps import AppConfig


class MacaronConfig(AppConfig):
    name = "macaron"
    verbose_name = "Macaron platform"

    def ready(self) -> None:
        from macaron.embeddings import embedding_warm_up_register
        from macaron.text import language_detection_warm_up

        embedding_warm_up_register(language_detection_warm_up)
        # runserver (what `make run` starts) loads the embedding model at start-up, in the
        # background, so the first message does not wait for it. With autoreload, only in the
        # child that serves (RUN_MAIN); with --noreload, in the one process.
        if "runserver" in sys.argv and (
            os.environ.get("RUN_MAIN") == "true" or "--noreload" in sys.argv
        ):
            from macaron.embeddings import embedder_warm_up

            embedder_warm_up(background=True)
