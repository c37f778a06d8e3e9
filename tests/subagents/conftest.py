import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english_by_default():
    """Pages activate the person's language in this thread; service messages are asserted in
    English unless a test asks otherwise."""
    with translation.override("en"):
        yield
