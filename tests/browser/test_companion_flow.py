"""The companion end to end: sign up, the personality test, the companion, interests, the gift,
then a chat (offline provider) that remembers a fact, hands a request to a sub-agent and takes
feedback on what it remembered."""

import re

import pytest

from accounts.models import Companion
from memory.models import Message, RewardEvent
from subagents.models import RoutedRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def catalogue():
    """The welcome gift installs catalogue tools; a transactional test starts without the
    catalogue the migration loads, so load it before the page waits on onboarding."""
    from subagents.services import catalogue_load

    catalogue_load()


EMAIL = "lena.friend@example.org"
FACT = "My sister Lena lives in Lisbon and I am allergic to peanuts"
TURNS = [FACT, "I had a lovely day at the beach", "log 2 glasses of water"]
QUESTION = "What do you know about my allergies?"


def send(page, text: str, replies_before: int):
    page.fill("#composer-text", text)
    page.press("#composer-text", "Enter")
    # The reply streams into a bubble that gets its id once it is stored.
    page.wait_for_selector(
        f".chat-message.companion[data-message-id] >> nth={replies_before}", state="attached"
    )
    return page.locator(".chat-message.companion").nth(replies_before)


def test_sign_up_meet_the_companion_and_chat_with_memory(live_server, page, celery_worker):
    page.goto(f"{live_server.url}/accounts/signup/")
    page.fill("#id_email", EMAIL)
    page.fill("#id_display_name", "Mia")
    page.fill("#id_password", "chromium-headless-42")
    page.fill("#id_password_confirm", "chromium-headless-42")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/welcome/q/1/")

    for number in range(1, 11):  # every question of the personality test
        assert page.locator(".quiz-progress p").inner_text() == f"Question {number} / 10"
        page.locator("button.quiz-option").nth((number * 3) % 4).click()
        if number < 10:
            page.wait_for_url(f"{live_server.url}/welcome/q/{number + 1}/")
    page.wait_for_url(f"{live_server.url}/welcome/companion/")

    name = Companion.objects.get(user__email=EMAIL).name
    assert name
    assert page.locator(".companion-name").inner_text() == name
    page.click("text=Looks good, continue")
    page.wait_for_url(f"{live_server.url}/welcome/interests/")

    page.check("text=food & cooking")
    page.click("text=See my welcome gift")
    page.wait_for_url(f"{live_server.url}/welcome/gift/")
    assert page.locator(".gift-name").count() == 3
    page.click(f"text=Meet {name}")
    page.wait_for_url(re.compile(rf"^{re.escape(live_server.url)}/chat/\d+/$"))  # the first one

    page.goto(f"{live_server.url}/chat/")
    page.get_by_role("button", name="New conversation").click()
    page.wait_for_url(re.compile(r"/chat/\d+/$"))
    assert name in page.locator("#composer-text").get_attribute("placeholder")
    page.evaluate("window.sameDocument = true")  # replies arrive without a reload

    replies = [send(page, text, count) for count, text in enumerate(TURNS)]
    assert all(reply.locator(".bubble").inner_text().strip() for reply in replies)
    assert replies[0].locator(".routed-badge").count() == 0
    assert replies[1].locator(".routed-badge").count() == 0
    badge = replies[2].locator(".routed-badge")
    assert badge.inner_text() == "→ log_entry"
    assert (
        replies[2]
        .locator(".bubble")
        .inner_text()
        .startswith("You don't have a tool for this yet. Hydration log would fit")
    )
    # The gift (meal planner, recipes, mood) has no water tool: one tap installs one.
    assert replies[2].locator(".routed-link", has_text="Install Hydration log").count() == 1
    assert RoutedRequest.objects.get(user__email=EMAIL).intent == "log_entry"

    answer = send(page, QUESTION, 3)
    assert answer.locator(".routed-badge").count() == 0
    chip = answer.locator(".remembered-chip", has_text="peanuts").first
    assert "remembered" in chip.inner_text()
    chip.locator("summary").click()
    assert "peanuts" in chip.locator(".remembered-text").inner_text()
    chip.get_by_role("button", name="Not helpful").click()
    page.wait_for_selector(".remembered-chip[data-feedback=down]")
    assert page.evaluate("window.sameDocument") is True

    memory_id = int(chip.get_attribute("data-memory-id"))
    event = RewardEvent.objects.get(user__email=EMAIL, signal="down")
    assert event.memory_id == memory_id
    conversation_id = int(re.search(r"/chat/(\d+)/$", page.url).group(1))
    roles = Message.objects.filter(conversation_id=conversation_id).order_by("sent_at", "id")
    assert [m.role for m in roles] == ["user", "companion"] * 4

    # After a reload the sub-agent badge is still on its reply, and only there.
    page.reload()
    assert page.locator(".routed-badge").all_inner_texts() == ["→ log_entry"]
