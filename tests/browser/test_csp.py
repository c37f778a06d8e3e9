"""The Content-Security-Policy in a real browser: no page breaks it (the browser reports every
refused inline script or style, eval, or outside connection as a console error and a
`securitypolicyviolation` event), and what the pages do with JavaScript still works — the chat
streams a reply, Chart.js draws, the companion's and the tools' colours are painted."""

import re

import pytest

from memory.services import conversation_create, memory_create
from subagents.services import entry_create, installation_create
from tests.factories import UserFactory
from tests.subagents.specs import hydration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Registered before any page script runs (through DevTools, so the policy does not apply to it).
WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""
# How many pixels of a canvas Chart.js has painted.
PAINTED = """(id) => {
  const canvas = document.getElementById(id);
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) painted += 1;
  return painted;
}"""


class Watched:
    """A page whose console and policy violations are recorded."""

    def __init__(self, page):
        self.page = page
        self.console: list[str] = []
        page.add_init_script(WATCH_VIOLATIONS)
        page.on(
            "console",
            lambda message: self.console.append(
                f"{message.type}: {message.text} ({message.location.get('url')})"
            ),
        )
        page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))

    def visit(self, url: str) -> None:
        response = self.page.goto(url)
        assert response is not None and response.status == 200, url
        assert "script-src 'self'" in response.headers["content-security-policy"]
        self.page.wait_for_load_state("load")
        self.assert_clean(url)

    def assert_clean(self, where: str) -> None:
        violations = self.page.evaluate("window.__cspViolations")
        policy = [line for line in self.console if "Content Security Policy" in line]
        errors = [
            line
            for line in self.console
            if line.startswith(("error", "pageerror"))
            and not line.endswith("/favicon.ico)")  # the admin pages name no icon
        ]
        assert (violations, policy, errors) == ([], [], []), where


def log_in(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))


def test_chat_and_a_tool_with_charts_run_under_the_policy(live_server, page, password):
    person = UserFactory(email="csp@example.org", display_name="Cas")
    tool = installation_create(user=person, spec=hydration(), source="builder")
    for amount, drink in [(3, "water"), (2, "tea"), (4, "water")]:
        entry_create(
            user=person, installation_id=tool.id, values={"amount": amount, "drink": drink}
        )
    conversation = conversation_create(user=person)
    watched = Watched(page)
    log_in(page, live_server.url, "csp@example.org", password)

    watched.visit(f"{live_server.url}/chat/{conversation.id}/")
    page.fill("#composer-text", "I started learning the cello last month")
    page.press("#composer-text", "Enter")  # fetch() + server-sent events: connect-src 'self'
    page.wait_for_selector(".chat-message.companion[data-message-id]", state="attached")
    assert page.locator(".chat-message.companion .bubble").inner_text().strip()
    watched.assert_clean("after a chat turn")

    watched.visit(f"{live_server.url}/tools/{tool.id}/")
    page.wait_for_function("() => window.macaronCharts && window.macaronCharts[1]")
    # Chart.js really painted the bar chart (view 1) and the pie (view 4) on their canvases.
    assert page.evaluate(PAINTED, "chart-1") > 500
    assert page.evaluate(PAINTED, "chart-4") > 500
    assert page.evaluate("() => window.macaronCharts[4].data.datasets[0].data") == [2, 1]
    # The spec's colour reached the chart through data-color (no style= attribute).
    assert (
        page.evaluate("() => window.macaronCharts[1].data.datasets[0].backgroundColor")
        == (hydration()["color"])
    )
    watched.assert_clean("tool page")

    watched.visit(f"{live_server.url}/tools/")
    card = page.locator(f"#tool-{tool.id}")
    red, green, blue = (int(hydration()["color"][i : i + 2], 16) for i in (1, 3, 5))
    assert card.evaluate("node => getComputedStyle(node).borderTopColor") == (
        f"rgb({red}, {green}, {blue})"
    )
    watched.assert_clean("my tools")


def test_every_page_a_person_or_staff_sees_runs_under_the_policy(live_server, page, password):
    staff = UserFactory(email="staff@example.org", is_staff=True, is_superuser=True)
    tool = installation_create(user=staff, spec=hydration(), source="builder")
    entry = entry_create(user=staff, installation_id=tool.id, values={"amount": 2})
    conversation = conversation_create(user=staff)
    memory = memory_create(user=staff, text="I keep bees in the garden")
    watched = Watched(page)
    for path in ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]:
        watched.visit(live_server.url + path)
    log_in(page, live_server.url, "staff@example.org", password)
    for path in [
        "/",
        "/welcome/q/1/",
        "/memories/",
        "/memories/?q=bees&more=1",
        f"/memories/{memory.id}/forget/",
        "/memories/trash/",
        "/chat/",
        f"/chat/{conversation.id}/",
        "/notifications/",
        "/privacy/access/",
        "/tools/",
        "/tools/install/",
        f"/tools/{tool.id}/",
        f"/tools/entries/{entry.id}/edit/",
        "/accounts/profile/",
        "/accounts/tokens/",
        "/data/",
        "/accounts/password/change/",
        # The staff console.
        "/staff/?q=staff",
        f"/staff/people/{staff.id}/",
        "/staff/audit/",
        "/staff/report/",
        "/staff/moderation/",
        "/staff/system/",
        # Django's admin runs under the same policy (its scripts are files; no exemption).
        "/admin/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{staff.id}/change/",
        "/admin/accounts/user/add/",
        # The browsable API (templates/rest_framework/api.html drops DRF's inline style).
        "/api/v1/me/",
        "/api/v1/subagents/installations/",
        # The API docs: Swagger UI's start-up script is served as a file (split view).
        "/api/docs/",
    ]:
        watched.visit(live_server.url + path)
    page.wait_for_selector(".swagger-ui .information-container", state="attached")
    watched.assert_clean("swagger ui after it rendered")
