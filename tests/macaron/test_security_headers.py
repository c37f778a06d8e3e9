"""Security headers (macaron.security) on every page a person can see, anonymous or logged in,
and no inline script, event handler, javascript: URL or inline style — neither in the template
sources nor in the HTML the pages render. `json_script` blocks (type="application/json") are
data, never executed, so the policy allows them (tests/browser/test_csp.py shows it in Chromium).
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines

from accounts import onboarding as quiz
from accounts.services import api_token_create, onboarding_answer, onboarding_choose_interests
from memory.services import conversation_create, memory_create
from subagents.services import entry_create, installation_create
from tests.factories import UserFactory
from tests.subagents.specs import hydration

pytestmark = pytest.mark.django_db

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
ANONYMOUS_PAGES = [
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/accounts/password/reset/sent/",
    "/accounts/password/reset/complete/",
    "/api/docs/",
]


def assert_headers(response, where: str) -> None:
    assert response["Content-Security-Policy"] == POLICY, where
    permissions = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions.split(", "), (where, feature)
    assert response["Referrer-Policy"] == "same-origin", where
    assert response["X-Content-Type-Options"] == "nosniff", where
    assert response["X-Frame-Options"] == "DENY", where


class InlineCode(HTMLParser):
    """Collects what a strict policy would refuse in a page's HTML."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "script" and "src" not in values and values.get("type") != "application/json":
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style> block")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{name}= handler on <{tag}>")
            if name == "style":
                self.found.append(f"style= on <{tag}>")
            if value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"javascript: URL in {name}= on <{tag}>")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


@pytest.fixture
def person():
    person = UserFactory(display_name="Hana")
    for question in quiz.QUESTIONS:
        onboarding_answer(user=person, question_id=question.id, option_id=question.options[0].id)
    onboarding_choose_interests(user=person, interests=["food", "music"])
    return person


def person_pages(person) -> list[str]:
    tool = installation_create(user=person, spec=hydration(), source="builder")
    entry = entry_create(user=person, installation_id=tool.id, values={"amount": 2})
    conversation = conversation_create(user=person)
    memory = memory_create(user=person, text="I keep bees on the roof")
    api_token_create(user=person, name="laptop")
    return [
        "/",
        "/welcome/q/1/",
        "/welcome/q/10/",
        "/welcome/companion/",
        "/welcome/interests/",
        "/welcome/gift/",
        "/memories/",
        f"/memories/{memory.id}/edit/",
        "/chat/",
        f"/chat/{conversation.id}/",
        f"/chat/{conversation.id}/delete/",
        "/notifications/",
        "/tools/",
        "/tools/install/",
        f"/tools/{tool.id}/",
        f"/tools/entries/{entry.id}/edit/",
        "/accounts/profile/",
        "/accounts/tokens/",
        "/accounts/password/change/",
        "/accounts/password/change/done/",
    ]


@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_anonymous_pages_carry_the_headers_and_no_inline_code(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    assert_headers(response, path)
    assert inline_code(response.content.decode()) == [], path


def test_every_page_of_a_person_carries_the_headers_and_no_inline_code(client, person):
    client.force_login(person)
    for path in person_pages(person):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_headers(response, path)
        assert inline_code(response.content.decode()) == [], path


def test_redirects_errors_api_and_static_answers_carry_the_headers(client, user):
    assert_headers(client.get("/memories/"), "redirect to log in")
    assert_headers(client.get("/no/such/page/"), "404")
    assert_headers(client.get("/api/v1/me/"), "anonymous API call")
    assert_headers(client.get("/api/schema/"), "schema")
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"] == "application/javascript"
    client.force_login(user)
    assert_headers(client.get("/api/v1/me/"), "API call")


def test_the_browsable_api_has_no_inline_code(client, user):
    client.force_login(user)
    for path in ["/api/v1/me/", "/api/v1/subagents/installations/"]:
        response = client.get(path, HTTP_ACCEPT="text/html")
        assert response["Content-Type"] == "text/html; charset=utf-8", path
        assert_headers(response, path)
        assert inline_code(response.content.decode()) == [], path


def test_staff_admin_pages_run_under_the_same_policy(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    for path in ["/admin/", "/admin/accounts/user/", f"/admin/accounts/user/{staff.id}/change/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_headers(response, path)
        assert inline_code(response.content.decode()) == [], path


def test_json_script_blocks_are_data_and_pass_the_check():
    html = '<script id="views-data" type="application/json">{"views": []}</script>'
    assert inline_code(html) == []
    assert inline_code("<script>alert(1)</script>") == ["inline <script>"]
    assert inline_code('<a href=" JavaScript:go()" onclick="go()">x</a>') == [
        "javascript: URL in href= on <a>",
        "onclick= handler on <a>",
    ]
    assert inline_code('<div style="color: red"></div><style>p {}</style>') == [
        "style= on <div>",
        "<style> block",
    ]


# The template sources: what a render with other data might produce is caught here too.
INLINE_SCRIPT = re.compile(
    r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I
)
HANDLER = re.compile(r"<[a-z][^>]*?(?<![\w-])on[a-z]+\s*=", re.I | re.S)
STYLE = re.compile(r"<style\b|<[a-z][^>]*?(?<![\w-])style\s*=", re.I | re.S)
JAVASCRIPT_URL = re.compile(r"javascript:", re.I)


def template_files() -> list[Path]:
    roots = [Path(directory) for directory in engines["django"].engine.dirs]
    roots += [
        Path(settings.BASE_DIR) / app / "templates"
        for app in ("macaron", "accounts", "memory", "subagents", "community")
    ]
    return sorted(path for root in roots if root.is_dir() for path in root.rglob("*.html"))


def test_no_template_has_inline_script_handlers_or_styles():
    files = template_files()
    assert len(files) > 30  # templates/ really was found
    problems = [
        f"{path.relative_to(settings.BASE_DIR)}: {kind}"
        for path in files
        for kind, pattern in [
            ("inline <script>", INLINE_SCRIPT),
            ("on*= handler", HANDLER),
            ("inline style", STYLE),
            ("javascript: URL", JAVASCRIPT_URL),
        ]
        if pattern.search(path.read_text())
    ]
    assert problems == []


def test_the_static_check_recognises_what_it_refuses():
    assert INLINE_SCRIPT.search("<script>go()</script>")
    assert not INLINE_SCRIPT.search("<script src=\"{% static 'js/chat.js' %}\" defer></script>")
    assert HANDLER.search('<button type="button" onclick="go()">')
    assert not HANDLER.search('<option value="x" data-option="y">')
    assert STYLE.search('<span class="x" style="color: {{ c }}">')
    assert not STYLE.search('<div class="x" data-style="y">')
    assert JAVASCRIPT_URL.search('<a href="javascript:void(0)">')
