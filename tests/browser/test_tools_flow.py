import json
import re

import pytest

from subagents.models import Entry, Installation
from tests.factories import UserFactory
from tests.subagents.specs import hydration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_install_log_and_watch_the_chart_and_the_goal_ring(live_server, page, password):
    UserFactory(email="rin@example.org", display_name="Rin")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "rin@example.org")
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))

    page.click("nav >> text=My tools")
    page.wait_for_url(f"{live_server.url}/tools/")
    assert page.locator("text=No tools yet.").is_visible()
    page.click("text=Install a tool")
    page.fill("#id_spec", json.dumps(hydration(color="not a colour")))
    page.get_by_role("button", name="Install").click()
    assert "$.color" in page.locator(".form-errors, .field .error").first.inner_text()
    assert Installation.objects.count() == 0

    page.fill("#id_spec", json.dumps(hydration()))
    page.get_by_role("button", name="Install").click()
    page.wait_for_selector(".message >> text=Installed.")
    assert page.locator("h1").inner_text().endswith("Hydration log")
    ring = page.locator("#goal-ring-0")
    assert ring.get_attribute("data-ratio") == "0.0"
    # Chart.js drew the bar chart from our own static files.
    page.wait_for_function("() => window.macaronCharts && window.macaronCharts[1]")
    assert page.evaluate("() => window.macaronCharts[1].data.datasets[0].data.at(-1)") == 0

    page.fill("#id_amount", "3")
    page.select_option("#id_drink", "tea")
    page.get_by_role("button", name="Log", exact=True).click()
    page.wait_for_selector(".message >> text=Logged.")
    assert ring.get_attribute("data-ratio") == "0.375"
    assert page.evaluate("() => window.macaronCharts[1].data.datasets[0].data.at(-1)") == 3

    page.fill("#id_amount", "50")
    page.get_by_role("button", name="Log", exact=True).click()
    assert page.locator("#id_amount-error").inner_text() == "Enter a value between 1 and 20."

    page.fill("#id_amount", "5")
    page.get_by_role("button", name="Log", exact=True).click()
    page.wait_for_selector(".message >> text=Logged.")
    assert ring.get_attribute("data-ratio") == "1.0"
    assert "Goal met" in ring.inner_text()
    assert page.evaluate("() => window.macaronCharts[1].data.datasets[0].data.at(-1)") == 8
    assert page.locator(".entry").count() == 2
    assert Entry.objects.count() == 2

    page.locator(".entry").first.get_by_role("button", name="Delete").click()
    page.wait_for_selector(".message >> text=Entry deleted.")
    assert ring.get_attribute("data-ratio") == "0.375"


def test_a_workout_logged_in_words_shows_in_the_meal_planner(live_server, page, password):
    from datetime import timedelta

    from django.utils import timezone

    from subagents.reminders import reminders_raise_due
    from subagents.services import installation_create
    from tests.subagents.specs import meal_planner, workout

    user = UserFactory(email="kai@example.org", display_name="Kai")
    workouts = installation_create(user=user, spec=workout(), source="catalogue:workouts")
    planner = installation_create(user=user, spec=meal_planner(), source="catalogue:meals")
    water = installation_create(
        user=user, spec=hydration(), source="builder", now=timezone.now() - timedelta(days=2)
    )
    assert reminders_raise_due() == 1
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "kai@example.org")
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))

    assert page.locator("nav .tools-count").inner_text() == "1"
    page.click("nav >> text=My tools")
    reminder = page.locator(".tool-reminder")
    assert "Time for a glass of water" in reminder.inner_text()
    reminder.get_by_role("button", name="Log now").click()
    page.wait_for_url(f"{live_server.url}/tools/{water.id}/")
    assert page.locator("nav .tools-count").count() == 0

    page.goto(f"{live_server.url}/tools/{planner.id}/")
    assert page.locator(".context-memories li").count() == 0

    page.goto(f"{live_server.url}/tools/{workouts.id}/")
    page.fill(".tool-chat-form input[name=text]", "strength 45 minutes")
    page.get_by_role("button", name="Send").click()
    page.wait_for_selector(".chat-line.tool >> text=Logged: Type strength, Duration 45 min.")
    assert page.locator(".entry").count() == 1

    page.goto(f"{live_server.url}/tools/{planner.id}/")
    assert page.locator(".context-memories li").all_inner_texts() == ["started strength training"]

    page.goto(f"{live_server.url}/tools/{workouts.id}/")
    page.locator(".chat-line.tool").get_by_role("button", name="Undo").click()
    page.wait_for_selector(".chat-line.tool >> text=Undone.")
    assert page.locator(".entry").count() == 0
    assert Entry.objects.filter(installation=workouts).count() == 0
