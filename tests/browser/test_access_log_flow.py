import pytest

from memory.retrieval.search import retrieve
from memory.services import memory_create
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_person_finds_who_read_their_data(live_server, page):
    user = UserFactory(display_name="Tam", time_zone="UTC")
    memory_create(user=user, text="I drink green tea every morning")
    retrieve(user=user, query="what do I drink", purpose="companion")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", "not the password")
    page.click("button[type=submit]")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/accounts/profile/")
    page.click("text=Who read your data")
    page.wait_for_url(f"{live_server.url}/privacy/access/")

    summary = page.locator(".access-summary")
    assert summary.locator("text=Your companion read 1 memory to answer you today.").is_visible()
    assert summary.locator("text=Staff never read your data.").is_visible()
    rows = page.locator("table.access-log tbody tr")
    assert [rows.nth(i).get_attribute("class") for i in range(rows.count())] == [
        "access-login",
        "access-login_failed",
        "access-retrieve",
    ]
    assert rows.nth(1).locator("td").nth(1).inner_text() == "Someone"
    assert "I drink green tea" not in page.content()
