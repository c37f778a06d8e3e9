"""Tests: real Postgres (embedded or DATABASE_URL), a real Redis broker for worker tests."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_BROKER_URL = env("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
CELERY_RESULT_BACKEND = env("TEST_CELERY_RESULT_BACKEND", "redis://127.0.0.1:6379/14")
MASTER_KEY = "dGVzdC1tYXN0ZXIta2V5LTMyLWJ5dGVzLWxvbmchISE="
AXES_FAILURE_LIMIT = 3
MASTER_KEYRING_FILE = env(
    "TEST_MASTER_KEYRING_FILE",
    str(BASE_DIR / "var" / "test-keyring.json"),  # noqa: F405
)
DATA_TRANSFER_DIR = env("TEST_DATA_TRANSFER_DIR", str(BASE_DIR / "var" / "test-transfers"))  # noqa: F405
