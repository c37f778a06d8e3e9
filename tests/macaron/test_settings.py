import os
import subprocess
import sys

from django.conf import settings

from tests.conftest import ROOT


def base_env() -> dict:
    env = dict(os.environ)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for Playwright in tests only
    return env


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base_env(), "DATABASE_URL": settings.DATABASE_URL, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="macaron.settings.production",
        SECRET_KEY="p" * 20 + "roduction-secret-with-enough-entropy-7f3k9x2q",
        MASTER_KEY="cHJvZHVjdGlvbi1tYXN0ZXIta2V5LTMyLWJ5dGVzISE=",
        ALLOWED_HOSTS="macaron.example.org",
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    result = run_manage(
        "check", DJANGO_SETTINGS_MODULE="macaron.settings.production", SECRET_KEY=""
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_development_default_has_debug_and_console_email():
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DEBUG, settings.EMAIL_BACKEND)",
        DJANGO_SETTINGS_MODULE="macaron.settings.local",
    )
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.strip().splitlines()[-1]
        == "True django.core.mail.backends.console.EmailBackend"
    )


def test_an_unknown_reranker_is_refused_at_start_up():
    result = run_manage("check", RERANKER="cross-encoder")
    assert result.returncode != 0
    assert "RERANKER must be late-interaction or off" in result.stderr
