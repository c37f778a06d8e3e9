import re

import pytest

from macaron.vault import cipher_for
from memory.models import Conversation, Message, RewardEvent
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TURNS = [
    "I am allergic to peanuts and I love hiking",
    "My sister Aiko lives in Lisbon",
    "I started learning the cello last month",
]
QUESTION = "what do you remember about my allergies?"


def send(page, text: str, replies_before: int) -> None:
    page.fill("#composer-text", text)
    page.press("#composer-text", "Enter")
    # The reply streams into a bubble that gets its id once it is stored.
    page.wait_for_selector(
        f".chat-message.companion[data-message-id] >> nth={replies_before}", state="attached"
    )


def test_chat_streams_remembers_and_takes_feedback(live_server, page, password, celery_worker):
    user = UserFactory(email="kai@example.org", display_name="Kai")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "kai@example.org")
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))

    page.click("nav >> text=Chat")
    page.wait_for_url(f"{live_server.url}/chat/")
    assert page.locator("text=No conversations yet.").is_visible()
    page.get_by_role("button", name="New conversation").click()
    page.wait_for_url(re.compile(r"/chat/\d+/$"))
    conversation = Conversation.objects.get(user=user)
    page.evaluate("window.sameDocument = true")  # replies arrive without a reload

    page.press("#composer-text", "Enter")
    assert page.locator("#chat-error").inner_text().strip() == "Write something first."

    assert page.locator("h1").inner_text() == "New conversation"
    for count, text in enumerate(TURNS):
        send(page, text, count)
        if count == 0:  # the first message names the conversation, without a reload
            assert page.locator("h1").inner_text() == "I am allergic to peanuts and I love…"
        assert page.locator(".chat-message.user .bubble").nth(count).inner_text() == text
    assert page.locator(".chat-message.companion").count() == 3
    assert page.locator("#chat-error").is_hidden()

    send(page, QUESTION, 3)
    reply = page.locator(".chat-message.companion").nth(3)
    assert reply.locator(".bubble").inner_text().strip()
    chip = reply.locator(".remembered-chip", has_text="peanuts").first
    assert "remembered" in chip.inner_text()
    chip.locator("summary").click()
    assert "peanuts" in chip.locator(".remembered-text").inner_text()
    chip.get_by_role("button", name="Not helpful").click()
    page.wait_for_selector(".remembered-chip[data-feedback=down]")
    assert page.evaluate("window.sameDocument") is True

    memory_id = int(chip.get_attribute("data-memory-id"))
    event = RewardEvent.objects.get(user=user, signal="down")
    assert event.memory_id == memory_id
    assert RewardEvent.objects.filter(user=user, memory_id=memory_id, signal="used").exists()

    cipher = cipher_for(user.id)
    rows = Message.objects.filter(conversation=conversation).order_by("sent_at", "id")
    assert [m.role for m in rows] == ["user", "companion"] * 4
    assert [cipher.decrypt(m.text_ct) for m in rows if m.role == "user"] == [*TURNS, QUESTION]
    assert all(m.client_id for m in rows)

    # After a reload the conversation, and what was remembered, are still there.
    page.reload()
    assert page.locator(".chat-message").count() == 8
    assert page.locator(".remembered-chip", has_text="peanuts").count() >= 1
    assert page.locator("h1").inner_text() == "I am allergic to peanuts and I love…"
