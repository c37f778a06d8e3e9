"""The newcomer's journey, in the browser, with the default offline provider: twelve turns
about allergies, a friend's birthday next month, a trip, work, a hobby and a fact said in
Japanese; questions about each. What is stored is exactly what the person said about
themselves, each question's reply holds the answer, and the reminders land on the right days
in the person's time zone. (The rest of the journey: the Japanese and Korean pages without
English in tests/test_translations.py, the lived-in demo in tests/browser/test_demo_flow.py.)"""

import re
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from accounts.models import Companion
from macaron.vault import cipher_for
from memory.models import Memory, Message, Reminder
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZONE = ZoneInfo("Asia/Tokyo")
MONTHS = "January February March April May June July August September October November December"


def next_month_18th(today: date) -> date:
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first.replace(day=18)


def send(page, text: str) -> str:
    """Send one message and return the companion's reply once it is stored."""
    replies = page.locator(".chat-message.companion[data-message-id]")
    before = replies.count()
    page.fill("#composer-text", text)
    page.press("#composer-text", "Enter")
    page.wait_for_selector(
        f".chat-message.companion[data-message-id] >> nth={before}", state="attached"
    )
    return replies.nth(before).locator(".bubble").inner_text()


def processed(user, timeout: float = 60) -> None:
    """Store-first: wait until the worker has turned every message into memories."""
    pending = Message.objects.filter(user=user, role=Message.Role.USER, processed_at__isnull=True)
    deadline = time.monotonic() + timeout
    while pending.exists():
        assert time.monotonic() < deadline, "the worker did not process the messages"
        time.sleep(0.2)


def test_a_newcomer_tells_asks_and_is_reminded(live_server, page, password, celery_worker):
    user = UserFactory(email="newcomer@example.org", display_name="Noa")
    user.time_zone = "Asia/Tokyo"
    user.save(update_fields=["time_zone"])
    companion = Companion(user=user, colour="#e07a5f", traits=["warm", "curious", "playful"])
    companion.name = "Pip"
    companion.save()
    today = datetime.now(ZONE).date()
    birthday = next_month_18th(today)
    month = MONTHS.split()[birthday.month - 1]

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "newcomer@example.org")
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))
    page.goto(f"{live_server.url}/chat/")
    page.get_by_role("button", name="New conversation").click()
    page.wait_for_url(re.compile(r"/chat/\d+/$"))

    statements = [
        "Hi Pip! I'm allergic to peanuts and shellfish.",
        f"My friend Mina's birthday is next month, on {month} 18th.",
        "I'm flying to Lisbon for a trip in two weeks.",
        "I work as a nurse at the city hospital.",
        "My hobby is playing the cello on weekends.",
        "私は猫を二匹飼っています。",
        "Log 2 glasses of water",
    ]
    for text in statements:
        assert send(page, text).strip()
    processed(user)

    questions = [
        ("What am I allergic to?", ["peanuts"]),
        ("When is Mina's birthday?", [f"{month} 18", f"18 {month}"]),
        ("Where am I going on my trip?", ["Lisbon"]),
        ("What do I do for work?", ["nurse"]),
        ("What is my hobby?", ["cello"]),
    ]
    for question, answers in questions:
        reply = send(page, question)
        first_sentence = re.split(r"(?<=[.!?])\s", reply.strip())[0]
        assert any(answer in first_sentence for answer in answers), (question, reply)
    reply = send(page, "How many cats do I have?")
    assert "猫" in reply, reply

    processed(user)
    cipher = cipher_for(user.id)
    stored = [
        cipher.decrypt(memory.text_ct)
        for memory in Memory.objects.filter(user=user, kind__in=["fact", "plan", "event"])
    ]
    joined = " | ".join(stored)
    for fact in ["peanuts", "Mina", "Lisbon", "nurse", "cello", "猫"]:
        assert fact in joined, (fact, stored)
    for noise in ["Hi Pip", "?", "glasses of water"]:
        assert noise not in joined, (noise, stored)
    assert len(stored) == 6, stored

    due_days = sorted(
        reminder.due_at.astimezone(ZONE).date() for reminder in Reminder.objects.filter(user=user)
    )
    assert birthday - timedelta(days=1) in due_days
    trip = today + timedelta(days=14)
    assert any(abs((day - (trip - timedelta(days=1))).days) <= 7 for day in due_days), due_days
