import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "macaron.settings.local")
application = get_wsgi_application()

from macaron.embeddings import embedder_warm_up  # noqa: E402  (needs settings configured)

embedder_warm_up(background=True)  # loaded at start-up, not on the first message
