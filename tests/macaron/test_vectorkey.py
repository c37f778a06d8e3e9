import numpy as np
import pytest

from macaron.vault import cipher_for
from macaron.vectorkey import _rotation, vector_key, vector_keys_forget
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def unit(rng, n: int) -> np.ndarray:
    vectors = rng.normal(size=(n, 384))
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_a_rotation_is_orthogonal_and_derived_from_the_data_key_alone():
    cipher = cipher_for(UserFactory().id)
    rotation = _rotation(cipher.vector_seed, 384)
    vector_keys_forget()  # rebuilt from the key, not remembered

    assert np.abs(rotation @ rotation.T - np.eye(384)).max() < 1e-12
    assert np.array_equal(_rotation(cipher.vector_seed, 384), rotation)
    assert np.abs(np.diag(rotation)).max() < 0.3  # nowhere near the identity


def test_cosine_between_a_persons_vectors_is_unchanged():
    cipher = cipher_for(UserFactory().id)
    vectors = unit(np.random.default_rng(5), 20)

    keyed = vector_key(cipher, vectors)

    assert keyed.shape == (20, 384) and keyed.dtype == np.float32
    assert np.allclose(keyed @ keyed.T, vectors @ vectors.T, atol=1e-5)
    assert np.allclose(vector_key(cipher, vectors[3]), keyed[3])  # one vector or a matrix


def test_two_people_have_different_rotations():
    one, two = cipher_for(UserFactory().id), cipher_for(UserFactory().id)
    vectors = unit(np.random.default_rng(6), 50)

    cosines = np.sum(vector_key(one, vectors) * vector_key(two, vectors), axis=1)

    assert one.vector_seed != two.vector_seed
    assert np.abs(cosines).max() < 0.3
