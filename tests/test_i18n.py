"""The interface speaks the person's language: Japanese for preferred_language "ja" (or a
visitor whose browser asks for it), English otherwise."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CATALOG = Path(settings.BASE_DIR) / "locale" / "ja" / "LC_MESSAGES"


def page_for(client, language: str, path: str) -> str:
    client.force_login(UserFactory(preferred_language=language, display_name="Bea"))
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("path", ["/", "/chat/", "/memories/"])
def test_japanese_user_sees_japanese_navigation(client, path):
    html = page_for(client, "ja", path)
    for label in ("ホーム", "記憶", "チャット", "ログアウト"):
        assert f">{label}</" in html
    assert 'aria-label="お知らせ' in html
    assert "Log out" not in html
    assert ">Memories</a>" not in html


@pytest.mark.parametrize("path", ["/", "/chat/", "/memories/"])
def test_english_user_sees_english_navigation(client, path):
    html = page_for(client, "en", path)
    for label in ("Home", "Memories", "Chat", "Log out"):
        assert f">{label}</" in html
    assert 'aria-label="Notifications' in html
    assert "ログアウト" not in html


def test_japanese_pages_translate_their_own_text(client):
    client.force_login(UserFactory(preferred_language="ja", display_name="Bea"))
    home = client.get("/").content.decode()
    assert "こんにちは、Beaさん" in home
    assert "まだ何もありません" in home
    chat = client.get("/chat/").content.decode()
    assert "新しい会話" in chat
    assert "まだ会話はありません。" in chat
    memories = client.get("/memories/").content.decode()
    assert "<h1>覚えていること</h1>" in memories
    assert "記憶0件" in memories


def test_english_pages_keep_their_text(client):
    client.force_login(UserFactory(preferred_language="en", display_name="Bea"))
    assert "Hello, Bea" in client.get("/").content.decode()
    chat = client.get("/chat/").content.decode()
    assert "New conversation" in chat
    memories = client.get("/memories/").content.decode()
    assert "<h1>What I remember</h1>" in memories
    assert "0 memories" in memories


def test_flash_messages_follow_the_language(client):
    client.force_login(UserFactory(preferred_language="ja"))
    response = client.post(
        "/memories/", {"new-text": "I love green tea", "new-privacy": "normal"}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == ["わかりました。覚えておきますね。"]


def test_visitor_asking_for_japanese_gets_a_japanese_login_page(client):
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "<h1>ログイン</h1>" in html
    assert "パスワードをお忘れですか？" in html
    assert ">新規登録</a>" in html


def test_visitor_without_a_preference_gets_english(client):
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>Log in</h1>" in html
    assert "Forgot your password?" in html


def test_catalog_is_complete_and_compiled():
    po = (CATALOG / "django.po").read_text(encoding="utf-8")
    assert "#, fuzzy" not in po
    entries = po.split("\n\n")[1:]
    assert entries
    for entry in entries:
        # A translation on the msgstr line, or continued on the lines after an empty one.
        assert re.search(r'^msgstr(\[0\])? (?:"(?!")|""\n"(?!"))', entry, re.M), entry
    assert (CATALOG / "django.mo").stat().st_size > 0


def test_dates_use_the_japanese_order():
    from django.utils import translation

    with translation.override("ja"):
        assert translation.pgettext("date format", "j F Y") == "Y年n月j日"
    with translation.override("en"):
        assert translation.pgettext("date format", "j F Y") == "j F Y"


def test_onboarding_and_reminder_data_come_from_the_catalog():
    """One translation system: the Japanese of data shown per person is in django.po."""
    from accounts import onboarding as quiz
    from memory.companion.onboarding import CONVERSATION_TITLE
    from memory.companion.reminders import SECRET_TEXT

    assert quiz.ui_text("ja")["title"] == "相棒に会おう"
    assert quiz.ui_text("en")["title"] == "Meet your companion"
    assert quiz.ui_text("fr")["title"] == "Meet your companion"
    assert quiz.GIFTS_BY_SLUG["meal-planner"].name["ja"] == "献立プランナー"
    assert (
        quiz.answer_memory("weekend", "brunch", "ja")
        == "理想の週末には「友だちとブランチ」を選んだ。"
    )
    assert CONVERSATION_TITLE["ja"].format(name="Mochi") == "Mochiからのあいさつ"
    assert SECRET_TEXT["ja"] == "秘密にしておくように言われたこと"
