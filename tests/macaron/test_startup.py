import pytest

from accounts.models import User
from macaron.startup import startup_prepare

pytestmark = pytest.mark.django_db


def test_runstack_preparers_come_from_the_apps(monkeypatch):
    """macaron never imports the apps: AccountsConfig.ready registers the demo login, memory
    and sub-agents the demo person's month, CommunityConfig.ready the demo community, each
    idempotent (a second start adds nothing and says so)."""
    monkeypatch.setenv("DEMO_EMAIL", "demo@example.org")
    monkeypatch.setenv("DEMO_PASSWORD", "demo-pass-2026")
    first = startup_prepare()
    assert first[0] == "Demo login: demo@example.org / demo-pass-2026"
    assert [line.split(":")[0] for line in first] == [
        "Demo login",
        "Demo conversations",
        "Demo tools",
        "Demo community",
    ]
    assert "(0 new)" not in first[3]
    assert User.objects.get(email="demo@example.org").check_password("demo-pass-2026")
    again = startup_prepare()
    assert again[0] == first[0]
    assert len(again) == 2 and again[1].endswith("(0 new).")
    assert User.objects.filter(email="demo@example.org").count() == 1
