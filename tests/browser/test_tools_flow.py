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
