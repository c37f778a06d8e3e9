import pytest

from accounts.models import User
from macaron.startup import startup_prepare

pytestmark = pytest.mark.django_db


def test_runstack_preparers_come_from_the_apps(monkeypatch):
    """macaron never imports accounts: AccountsConfig.ready registers the demo login."""
    monkeypatch.setenv("DEMO_EMAIL", "demo@example.org")
    monkeypatch.setenv("DEMO_PASSWORD", "demo-pass-2026")
    assert startup_prepare() == ["Demo login: demo@example.org / demo-pass-2026"]
    assert User.objects.get(email="demo@example.org").check_password("demo-pass-2026")
    assert startup_prepare() == ["Demo login: demo@example.org / demo-pass-2026"]
    assert User.objects.filter(email="demo@example.org").count() == 1
