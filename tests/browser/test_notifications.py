import re

import pytest
from django.utils import timezone

from memory.companion.reminders import reminders_raise_due
from memory.models import Reminder
from memory.services import MessageIn, conversation_create, messages_ingest
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PARTY = "My friend Sam's birthday party is next Friday"


def test_a_raised_reminder_rings_the_bell_and_can_be_dismissed(live_server, page, password):
    user = UserFactory(email="noa@example.org", display_name="Noa", time_zone="Asia/Tokyo")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "noa@example.org")
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))
    assert page.locator("nav .bell-count").count() == 0

    conversation = conversation_create(user=user)
    messages_ingest(
        user=user,
        conversation=conversation,
        messages=[MessageIn(text=PARTY, sent_at=timezone.now())],
    )
    reminder = Reminder.objects.get(user=user)
    assert reminders_raise_due(now=reminder.due_at) == 1

    page.goto(f"{live_server.url}/")
    assert page.locator("nav .bell-count").inner_text() == "1"

    page.click("nav .bell")
    page.wait_for_url(f"{live_server.url}/notifications/")
    card = page.locator(f"#notification-{reminder.id}")
    assert card.locator(".notification-text").inner_text().startswith(f"Don't forget: {PARTY} — ")

    card.get_by_role("button", name="Dismiss").click()
    page.wait_for_selector(".message >> text=Dismissed.")
    assert page.locator(f"#notification-{reminder.id}").count() == 0
    assert page.locator("text=Nothing to remind you of right now.").is_visible()
    assert page.locator("nav .bell-count").count() == 0
    assert Reminder.objects.get(pk=reminder.pk).state == Reminder.State.DISMISSED
