"""A visitor's first minute: the landing page, "Try the demo", and a lived-in product (the demo
account `make run` seeds), under the strict Content-Security-Policy."""

import re

import pytest

from accounts.selectors import demo_user
from community.models import Blueprint
from macaron.startup import startup_prepare
from tests.browser.test_csp import Watched

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_tries_the_demo_and_sees_the_product_working(
    live_server, page, settings, monkeypatch
):
    from subagents.services import catalogue_load

    catalogue_load()  # a transactional test starts without the catalogue the migration loads
    settings.DEMO_LOGIN = True
    monkeypatch.setenv("DEMO_EMAIL", "alex@demo.example")
    startup_prepare()  # what `make run` does before it starts the web server
    alex = demo_user()
    base = live_server.url
    watched = Watched(page)

    watched.visit(f"{base}/")
    assert page.locator("h1").inner_text() == "A companion that remembers you, privately."
    page.get_by_role("button", name="Try the demo").click()
    page.wait_for_url(f"{base}/")
    watched.assert_clean("home")
    assert page.locator(".hero h1").inner_text() == "Hello, Alex"
    card = page.locator(".companion-card")
    assert card.locator(".companion-name").inner_text() == alex.companion.name
    assert card.locator("svg.companion-avatar").is_visible()
    coming = page.locator(".home-upcoming li").all_inner_texts()  # reminders ahead, on home
    assert len(coming) == 3 and any("dentist" in line for line in coming)

    watched.visit(f"{base}/chat/")
    titles = page.locator(".conversation-title").all_inner_texts()
    assert len(titles) >= 10  # a month of conversations and the companion's welcome
    page.locator(".conversation-title", has_text="My sister Lena's birthday").click()
    page.wait_for_url(re.compile(r"/chat/\d+/$"))
    assert page.locator(".chat-message.user", has_text="My sister Lena's birthday").count() == 1
    assert page.locator(".chat-message.companion").count() >= 2  # each line answered

    watched.visit(f"{base}/memories/")
    peanuts = page.locator(".memory", has_text="allergic to peanuts").first
    assert peanuts.locator(".provenance", has_text="You told me this on").count() == 1

    watched.visit(f"{base}/notifications/")
    upcoming = page.locator(".notification-list.upcoming")
    assert upcoming.locator(".notification", has_text="Lena").count() == 1
    assert upcoming.locator(".notification", has_text="Lisbon").count() >= 1

    watched.visit(f"{base}/tools/")
    assert page.locator(".tool-card", has_text="Running log").count() == 1
    assert page.locator(".tool-card").count() >= 4

    fork = Blueprint.objects.get(author=alex)
    watched.visit(f"{base}/community/b/{fork.slug}/")
    assert fork.title in page.locator("h1").inner_text()
    assert fork.parent.title in page.content()  # forked from someone else's tool
