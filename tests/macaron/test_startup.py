import pytest

from accounts.models import User
from macaron.startup import startup_prepare

pytestmark = pytest.mark.django_db


def test_runstack_preparers_come_from_the_apps(monkeypatch):
    """macaron never imports the apps: AccountsConfig.ready registers the demo login and
    CommunityConfig.ready the demo community, each idempotent."""
    monkeypatch.setenv("DEMO_EMAIL", "demo@example.org")
    monkeypatch.setenv("DEMO_PASSWORD", "demo-pass-2026")
    first = startup_prepare()
    assert first[0] == "Demo login: demo@example.org / demo-pass-2026"
    assert first[1].startswith("Demo community: ") and "(0 new)" not in first[1]
    assert User.objects.get(email="demo@example.org").check_password("demo-pass-2026")
    again = startup_prepare()
    assert again[0] == first[0]
    assert again[1].endswith("(0 new).")
    assert User.objects.filter(email="demo@example.org").count() == 1
