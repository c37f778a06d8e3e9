"""The whole sub-agent story in a browser: build a tool from a sentence, preview it, change it
in words, install it, log from its page and from the companion's chat, watch the chart and
the goal ring, get a reminder, and see the memory it wrote used by another tool and by the
companion."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from subagents.models import Entry, Installation
from subagents.reminders import reminders_raise_due
from subagents.services import catalogue_install, catalogue_load
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def offline(settings):
    settings.LLM_BASE_URL = ""


def chat_send(page, text: str, count: int) -> None:
    page.fill("#composer-text", text)
    page.press("#composer-text", "Enter")
    page.wait_for_function(
        f"() => document.querySelectorAll('.chat-message.companion:not(.streaming)').length > {count}"
        " && document.querySelectorAll('.chat-message.companion.streaming').length === 0"
    )


def test_build_preview_change_install_log_remind_and_remember(live_server, page, password):
    catalogue_load()
    user = UserFactory(email="mio@example.org", display_name="Mio")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "mio@example.org")
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))

    # Build from a sentence; the preview is the real tool, nothing installed yet.
    page.click("a.button >> text=Build a tool")
    page.wait_for_url(f"{live_server.url}/tools/new/")
    page.fill("#id_request", "track my water, 8 glasses a day")
    page.get_by_role("button", name="Build it").click()
    preview = page.locator(".builder-preview")
    assert "Hydration" in preview.locator(".preview-name").inner_text()
    assert preview.locator("#goal-ring-0").get_attribute("data-ratio") == "0.0"
    page.wait_for_function("() => window.macaronCharts && Object.keys(window.macaronCharts).length")
    assert Installation.objects.count() == 0

    # Change it in words and see what changed.
    page.fill("#id_instruction", "add a reminder at 8pm")
    page.get_by_role("button", name="Change it").click()
    assert "20:00" in page.locator(".builder-changes").inner_text()
    assert any("20:00" in text for text in page.locator(".preview-reminder").all_inner_texts())
    page.get_by_role("button", name="Install").click()
    page.wait_for_selector(".message >> text=Installed.")
    [tool] = Installation.objects.filter(user=user)
    assert page.url == f"{live_server.url}/tools/{tool.id}/"

    # Log from the tool page: the ring and the chart move.
    ring = page.locator("#goal-ring-0")
    page.fill("#id_amount", "3")
    page.get_by_role("button", name="Log", exact=True).click()
    page.wait_for_selector(".message >> text=Logged.")
    assert ring.get_attribute("data-ratio") == "0.375"

    # Log from the companion's chat, with an undo there.
    page.click("nav >> text=Chat")
    page.get_by_role("button", name="New conversation").click()
    page.wait_for_url(re.compile(r"/chat/\d+/$"))
    chat_send(page, "log 2 glasses of water", 0)
    reply = page.locator(".chat-message.companion").last
    assert "Logged" in reply.locator(".bubble").inner_text()
    assert reply.locator(".routed-link", has_text="Undo").count() == 1
    assert Entry.objects.filter(installation=tool).count() == 2

    page.goto(f"{live_server.url}/tools/{tool.id}/")
    assert ring.get_attribute("data-ratio") == "0.625"
    page.wait_for_function("() => window.macaronCharts && window.macaronCharts[1]")
    assert page.evaluate("() => window.macaronCharts[1].data.datasets[0].data.at(-1)") == 5

    # Reach the goal: the tool writes a memory ("reached the daily water goal").
    page.fill("#id_amount", "3")
    page.get_by_role("button", name="Log", exact=True).click()
    page.wait_for_selector(".message >> text=Logged.")
    assert ring.get_attribute("data-ratio") == "1.0"

    # A reminder comes due (the beat task's service, run with a `now`).
    assert reminders_raise_due(now=timezone.now() + timedelta(days=1)) == 1
    page.goto(f"{live_server.url}/tools/")
    assert page.locator("nav .tools-count").inner_text() == "1"
    assert page.locator(".tool-reminder").count() == 1

    # Another tool that reads health sees the memory the hydration tool wrote.
    coffee = catalogue_install(user=user, slug="caffeine", language="en")
    page.goto(f"{live_server.url}/tools/{coffee.id}/")
    assert any(
        "water goal" in text for text in page.locator(".context-memories li").all_inner_texts()
    )

    # The companion remembers it too.
    page.click("nav >> text=Chat")
    page.get_by_role("button", name="New conversation").click()
    page.wait_for_url(re.compile(r"/chat/\d+/$"))
    chat_send(page, "Did I reach my daily water goal?", 0)
    answer = page.locator(".chat-message.companion").last
    assert answer.locator(".remembered-chip", has_text="water goal").count() >= 1

    # Home: today's tools with progress and a one-tap log.
    page.click("nav >> text=Home")
    card = page.locator(f".today-tool[data-tool='{tool.id}']")
    assert card.locator(".today-value").first.inner_text() == "8"
    card.locator(".quick-log").click()
    assert (
        page.locator(f".today-tool[data-tool='{tool.id}'] .today-value").first.inner_text() == "9"
    )
