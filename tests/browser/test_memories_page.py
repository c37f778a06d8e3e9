import re

import pytest

from macaron.vault import cipher_for
from memory.models import Memory
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_remember_search_pin_and_forget(live_server, page, password):
    user = UserFactory(email="mina@example.org", display_name="Mina")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "mina@example.org")
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.click("nav >> text=Memories")
    page.wait_for_url(f"{live_server.url}/memories/")
    assert page.locator("h1").inner_text() == "What I remember"
    assert page.locator("text=I do not remember anything about you yet.").is_visible()

    for text in ["I am allergic to peanuts", "My sister lives in Lisbon"]:
        page.fill("#id_new-text", text)
        page.get_by_role("button", name="Remember this").click()
        page.wait_for_selector(".message >> text=I will remember that")
    assert page.locator(".memory-text").all_inner_texts() == [
        "My sister lives in Lisbon",
        "I am allergic to peanuts",
    ]
    memory = Memory.objects.get(user=user, domains=["health"])
    assert cipher_for(user.id).decrypt(memory.text_ct) == "I am allergic to peanuts"

    page.fill("#id_q", "peanut allergy")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/memories/\?q=peanut\+allergy"))
    assert page.locator(".memory-text").first.inner_text() == "I am allergic to peanuts"

    card = page.locator(f"#memory-{memory.id}")
    card.get_by_role("button", name="Pin", exact=True).click()
    page.wait_for_selector(".message >> text=Pinned")
    assert page.url.endswith("/memories/?q=peanut+allergy&domain=&since=&until=")
    card = page.locator(f"#memory-{memory.id}")
    assert "pinned" in card.get_attribute("class")
    assert card.get_by_role("button", name="Unpin", exact=True).is_visible()
    memory.refresh_from_db()
    assert memory.pinned is True

    # Forget asks first; Undo brings it back.
    card.get_by_role("link", name="Forget", exact=True).click()
    page.wait_for_url(re.compile(rf"/memories/{memory.id}/forget/\?next="))
    assert page.locator("h1").inner_text() == "Forget this memory?"
    assert page.locator(".forget-confirm .memory-text").inner_text() == "I am allergic to peanuts"
    page.get_by_role("button", name="Forget", exact=True).click()
    page.wait_for_selector(".message >> text=Moved 1 memory to the trash.")
    assert page.url.endswith("/memories/?q=peanut+allergy&domain=&since=&until=")
    assert page.locator(f"#memory-{memory.id}").count() == 0
    memory.refresh_from_db()
    assert memory.forgotten_at is not None

    page.locator("#undo").get_by_role("button", name="Undo").click()
    page.wait_for_selector(".message >> text=Restored 1 memory.")
    assert page.locator(f"#memory-{memory.id} .memory-text").inner_text() == (
        "I am allergic to peanuts"
    )
    assert page.locator("#undo").count() == 0
    memory.refresh_from_db()
    assert memory.forgotten_at is None

    # Forget again, then restore it from the trash page.
    page.locator(f"#memory-{memory.id}").get_by_role("link", name="Forget", exact=True).click()
    page.get_by_role("button", name="Forget", exact=True).click()
    page.wait_for_selector(".message >> text=Moved 1 memory to the trash.")
    page.click("#trash-link")
    page.wait_for_url(f"{live_server.url}/memories/trash/")
    trashed = page.locator(f"#trashed-{memory.id}")
    assert trashed.locator(".memory-text").inner_text() == "I am allergic to peanuts"
    assert trashed.locator(".days-left").inner_text() == "Erased for good in 29 days"
    trashed.get_by_role("button", name="Restore").click()
    page.wait_for_selector(".message >> text=Restored 1 memory.")
    assert page.locator("text=The trash is empty.").is_visible()
    assert Memory.objects.filter(user=user, forgotten_at__isnull=True).count() == 2
