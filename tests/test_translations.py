"""Japanese and Korean are complete: every catalog entry has a translation, the key pages show
no English from their templates or code, and the header's switcher changes the language (and
keeps it on a signed-in person's profile)."""

import html
import json
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from accounts.models import TIME_ZONE_CHOICES
from community.permissions import moderators_group
from macaron.timezones import COMMON_TIME_ZONES, zone_label
from memory.models import AuditEvent
from memory.services import conversation_create, memory_create
from subagents.services import entry_create, installation_create
from tests.community.factories import blueprint_factory, spec_factory
from tests.factories import UserFactory
from tests.subagents.specs import hydration

LOCALE = Path(settings.BASE_DIR) / "locale"
LANGUAGES = ("ja", "ko")
DOMAINS = ("django", "djangojs")


def po_entries(path: Path) -> list[dict]:
    """A .po file's entries: msgid, msgid_plural, msgstr (every form) and flags, the header
    and obsolete (#~) entries left out. Enough of the format for what makemessages writes."""
    entries: list[dict] = []
    current: dict | None = None
    key = ""
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if current is not None and current["msgid"]:
                entries.append(current)
            current = None
            continue
        if line.startswith("#~"):
            continue
        if current is None:
            current = {"msgid": "", "msgid_plural": "", "msgstr": {}, "flags": set()}
        if line.startswith("#,"):
            current["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            value = line[1:-1]
            if key.startswith("msgstr"):
                current["msgstr"][key] += value
            else:
                current[key] += value
        else:
            key, _, value = line.partition(" ")
            key = re.sub(r"\[(\d+)\]", r"[\1]", key)
            if key.startswith("msgctxt"):
                key = "msgctxt"
            value = value[1:-1]
            if key.startswith("msgstr"):
                current["msgstr"][key] = value
            else:
                current[key] = value
    return entries


def placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}", text))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("domain", DOMAINS)
def test_every_catalog_entry_is_translated(language, domain):
    path = LOCALE / language / "LC_MESSAGES" / f"{domain}.po"
    entries = po_entries(path)
    assert len(entries) > (500 if domain == "django" else 10)
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    empty = [e["msgid"] for e in entries if not all(e["msgstr"].values())]
    assert fuzzy == [] and empty == []
    # The same placeholders as the English, or the string cannot be interpolated.
    wrong = [
        e["msgid"]
        for e in entries
        if "python-format" in e["flags"] or "python-brace-format" in e["flags"]
        for text in e["msgstr"].values()
        if placeholders(text) != placeholders(e["msgid_plural"] or e["msgid"])
        and placeholders(text) != placeholders(e["msgid"])
    ]
    assert wrong == []
    compiled = path.with_suffix(".mo")
    assert compiled.stat().st_mtime >= path.stat().st_mtime - 1, "run compilemessages"


def test_the_parser_sees_an_empty_and_a_fuzzy_entry(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: ko\\n"\n\n'
        'msgid "Home"\nmsgstr "홈"\n\n'
        '#, fuzzy\nmsgid "Homes"\nmsgstr "홈"\n\n'
        'msgid "Chat"\nmsgstr ""\n\n'
        'msgid "one"\nmsgid_plural "many"\nmsgstr[0] ""\n',
        encoding="utf-8",
    )
    entries = {e["msgid"]: e for e in po_entries(po)}
    assert set(entries) == {"Home", "Homes", "Chat", "one"}
    assert entries["Homes"]["flags"] == {"fuzzy"}
    assert entries["Chat"]["msgstr"] == {"msgstr": ""}
    assert entries["one"]["msgstr"] == {"msgstr[0]": ""}


# Pages ----------------------------------------------------------------------------------------

TRANSLATE = re.compile(r'{% translate "((?:[^"\\]|\\.)+)"(?: context "[^"]+")?(?: as \w+)? %}')
BLOCK = re.compile(
    r"{% blocktranslate(?P<options>[^%]*)%}(?P<body>.*?){% endblocktranslate %}", re.S
)
VARIABLE = re.compile(r"{{ *(\w+) *}}")


OUR_TEMPLATES = Path(settings.BASE_DIR) / "templates"


def template_strings(origins: set[str]) -> set[str]:
    """The English of every {% translate %} without context in our templates a page used
    (blocks with variables, plural or context are checked through the catalog)."""
    found: set[str] = set()
    for origin in origins:
        if not origin.startswith(str(OUR_TEMPLATES)):
            continue
        source = Path(origin).read_text(encoding="utf-8")
        found.update(TRANSLATE.findall(source))
        for block in BLOCK.finditer(source):
            options, body = block["options"], block["body"]
            if "context" in options or "plural" in body or VARIABLE.search(body):
                continue
            if "trimmed" in options:
                body = " ".join(body.split())
            found.add(body)
    return {s for s in found if re.search(r"[A-Za-z]{3}", s)}


def visible_text(page: str) -> list[str]:
    """The text a reader sees: text nodes and the attributes read aloud or shown on hover."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    texts = [html.unescape(t).strip() for t in re.findall(r">([^<]+)<", page)]
    texts += [
        html.unescape(t).strip()
        for t in re.findall(r'\s(?:aria-label|title|placeholder|alt)="([^"]*)"', page)
    ]
    return [t for t in texts if t]


# Words that are the same in every language here: the product's name and technical tokens.
UNTRANSLATED_OK = re.compile(
    r"^(Macaron|API|JSON|CSV|ZIP|UTC|ID|URL|SVG|OK|Ctrl|Enter|Shift|English|MB|HH|MM|YYYY|DD)$"
)
WORD = re.compile(r"(?<![\w@./-])[A-Za-z][A-Za-z'’]+(?![\w@./-])")
ZONES = {label for _value, label in TIME_ZONE_CHOICES}


def strings_in(value) -> set[str]:
    """Every string in a spec: what its author wrote (names, labels, units, messages)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(strings_in(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(strings_in(v) for v in value)) if value else set()
    return set()


def english_words(text: str, data: set[str]) -> list[str]:
    """The English words of a shown text once the people's own data is taken out of it."""
    if text in ZONES:
        return []
    try:
        json.loads(text)
        return []  # a spec shown for editing: data
    except ValueError:
        pass
    for item in sorted(data, key=len, reverse=True):
        text = text.replace(item, " ")
    return [w for w in WORD.findall(text) if not UNTRANSLATED_OK.match(w)]


def english_left(
    rendered: dict[str, str], language: str, data: set[str] = frozenset()
) -> list[str]:
    """Text shown on the page in `language` exactly as in English that reads as English words
    (the people's own words here are Korean, or a tool spec's, which `data` lists)."""
    english = set(visible_text(rendered["en"]))
    left = [
        text
        for text in visible_text(rendered[language])
        if text in english and english_words(text, data)
    ]
    return sorted(set(left))


@pytest.fixture
def lived_in(db):
    """A person (also staff and a moderator) with a memory, a conversation, an installed tool
    with an entry and a published blueprint; their own words are Korean."""
    person = UserFactory(display_name="보라", is_staff=True)
    person.groups.add(moderators_group())
    memory = memory_create(user=person, text="녹차를 좋아해요")
    conversation = conversation_create(user=person, title="첫 대화")
    installation = installation_create(user=person, spec=hydration(), source="builder")
    entry = entry_create(user=person, installation_id=installation.id, values={"amount": 2})
    blueprint = blueprint_factory(
        author=person, title="물 마시기", description="물을 더 마셔요.", tags=("건강",)
    )
    return {
        "person": person,
        # A tool's spec is its author's words (here English), shown as written.
        "data": strings_in(hydration()) | strings_in(spec_factory()),
        "pages": [
            reverse("home"),
            reverse("chat"),
            reverse("chat-conversation", args=[conversation.id]),
            reverse("memories"),
            reverse("memory_edit", args=[memory.id]),
            reverse("tools"),
            reverse("tool-new"),
            reverse("tool", args=[installation.id]),
            reverse("tool-entry-edit", args=[entry.id]),
            reverse("community"),
            reverse("community-blueprint", args=[blueprint.slug]),
            reverse("community-edit", args=[blueprint.slug]),
            reverse("community-tree", args=[blueprint.slug]),
            reverse("community-collaborators", args=[blueprint.slug]),
            reverse("community-version-new", args=[blueprint.slug]),
            reverse("community-publish", args=[installation.id]),
            reverse("tool-install"),
            reverse("community-moderation"),
            reverse("profile"),
            reverse("tokens"),
            reverse("account_delete"),
            reverse("data"),
            reverse("access_log"),
            reverse("notifications"),
            reverse("staff-people"),
            reverse("staff-person", args=[person.id]),
            reverse("staff-audit"),
            reverse("staff-report"),
            reverse("staff-system"),
        ],
    }


def render(client, person, path: str, language: str):
    person.preferred_language = language
    person.save(update_fields=["preferred_language"])
    response = client.get(path)
    assert response.status_code == 200, path
    return response


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_key_pages_have_no_english_left(client, lived_in, language):
    person = lived_in["person"]
    client.force_login(person)
    problems: dict[str, list[str]] = {}
    for path in lived_in["pages"]:
        english = render(client, person, path, "en")
        local = render(client, person, path, language)
        page = local.content.decode()
        assert f'<html lang="{language}">' in page, path
        with translation.override(language):
            untranslated = [
                s
                for s in template_strings({t.origin.name for t in local.templates})
                if translation.gettext(s) == s and not UNTRANSLATED_OK.match(s)
            ]
        # The audit log's purposes are stored records (and searched by their beginning).
        data = lived_in["data"] | set(AuditEvent.objects.values_list("purpose", flat=True))
        left = english_left({"en": english.content.decode(), language: page}, language, data)
        if untranslated or left:
            problems[path] = untranslated + left
    assert problems == {}


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "url",
    [
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/community/",
        "/no-such-page/",
    ],
)
def test_visitor_pages_have_no_english_left(client, language, url):
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    local = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f'<html lang="{language}">' in local
    # Time zones are named by their IANA place names ("Auckland (UTC+13:00)") in every language.
    zones = {zone_label(name) for name in COMMON_TIME_ZONES}
    assert english_left({"en": english, language: local}, language, zones) == []


# The switcher ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_visitor_switches_to_korean_and_signs_up_in_it(client):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'action="{reverse("set_language")}"' in page
    assert '<button class="link" type="submit" name="language" value="ko" lang="ko">한국어' in page

    response = client.post(reverse("set_language"), {"language": "ko", "next": "/accounts/login/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ko"
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="ko">' in page and "<h1>로그인</h1>" in page

    client.post(
        reverse("signup"),
        {
            "email": "mina@example.com",
            "display_name": "Mina",
            "password": "a long enough passphrase 42",
            "password_confirm": "a long enough passphrase 42",
            "time_zone": "Asia/Seoul",
        },
    )
    from accounts.models import User

    assert User.objects.get(email="mina@example.com").preferred_language == "ko"


@pytest.mark.django_db
def test_a_signed_in_person_switches_and_the_profile_keeps_it(client):
    person = UserFactory(preferred_language="en")
    client.force_login(person)
    response = client.post(reverse("set_language"), {"language": "ja", "next": "/memories/"})
    assert response.status_code == 302 and response["Location"] == "/memories/"
    person.refresh_from_db()
    assert person.preferred_language == "ja"
    page = client.get("/memories/").content.decode()
    assert '<html lang="ja">' in page and "<h1>覚えていること</h1>" in page
    assert 'value="ja" lang="ja" aria-current="true" disabled>日本語' in page


@pytest.mark.django_db
def test_an_unknown_language_changes_nothing(client):
    person = UserFactory(preferred_language="ko")
    client.force_login(person)
    response = client.post(reverse("set_language"), {"language": "xx", "next": "/memories/"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.preferred_language == "ko"
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


@pytest.mark.django_db
def test_the_switcher_only_sends_back_to_this_site(client):
    response = client.post(
        reverse("set_language"), {"language": "ja", "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == "/"


# Live strings and formats --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "expected"), [("ja", "もう一度試す"), ("ko", "다시 시도")])
def test_the_javascript_catalog_speaks_the_language(client, language, expected):
    person = UserFactory(preferred_language=language)
    client.force_login(person)
    page = client.get("/chat/").content.decode()
    assert f'<script src="{reverse("javascript-catalog")}" defer></script>' in page
    catalog = client.get(reverse("javascript-catalog")).content.decode()
    assert json.dumps({"Try again": expected})[1:-1] in catalog  # Django's JSON, ASCII-escaped


def test_dates_and_numbers_follow_the_locale():
    template = Template(
        '{{ when|date:"DATE_FORMAT" }} · {{ when|date:"SHORT_DATE_FORMAT" }} · '
        '{{ at|date:"DATETIME_FORMAT" }} · {{ n|floatformat:"0g" }}'
    )
    context = Context({"when": date(2026, 11, 30), "at": datetime(2026, 11, 30, 14, 5), "n": 12345})
    rendered = {}
    for language in ("en", "ja", "ko"):
        with translation.override(language):
            rendered[language] = template.render(context)
    assert rendered == {
        "en": "Nov. 30, 2026 · 11/30/2026 · Nov. 30, 2026, 2:05 p.m. · 12,345",
        "ja": "2026年11月30日 · 2026/11/30 · 2026年11月30日14:05 · 12,345",
        "ko": "2026년 11월 30일 · 2026-11-30 · 2026년 11월 30일 2:05 오후 · 12,345",
    }


def test_the_base_template_uses_the_cjk_and_emoji_font_stack():
    css = (Path(settings.BASE_DIR) / "static" / "css" / "app.css").read_text(encoding="utf-8")
    for face in ("Noto Sans CJK JP", "Noto Sans CJK KR", "Noto Color Emoji", "Apple Color Emoji"):
        assert f'"{face}"' in css
    assert "html:lang(ko)" in css and "html:lang(ja)" in css


def test_onboarding_speaks_korean():
    from accounts import onboarding as quiz

    assert quiz.ui_text("ko")["title"] == "컴패니언을 만나 보세요"
    assert quiz.answer_memory("weekend", "brunch", "ko") == "내가 꿈꾸는 주말은 ‘친구들과 브런치’."
    opening = quiz.opening_message(
        companion_name="Mochi",
        person_name="보라",
        interests=["music"],
        gift=["meal-planner"],
        language="ko",
    )
    assert opening.startswith("보라님, 반가워요! 당신의 컴패니언, Mochi입니다.")
    assert "음악에 관심이 있으시군요." in opening and "식단 플래너" in opening
