import re

import pytest

from accounts.models import Companion, Onboarding

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def catalogue():
    """The welcome gift installs catalogue tools; a transactional test starts without the
    catalogue the migration loads, so load it before the page waits on onboarding."""
    from subagents.services import catalogue_load

    catalogue_load()


def test_sign_up_take_the_test_pick_interests_and_meet_the_companion(live_server, page):
    page.goto(f"{live_server.url}/accounts/signup/")
    page.fill("#id_email", "onboard@example.org")
    page.fill("#id_display_name", "Bea")
    page.fill("#id_password", "chromium-headless-42")
    page.fill("#id_password_confirm", "chromium-headless-42")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/welcome/q/1/")

    for number in range(1, 11):
        assert page.locator(".quiz-progress p").inner_text() == f"Question {number} / 10"
        options = page.locator("button.quiz-option")
        assert options.count() == 4
        options.nth(number % 4).click()
        if number < 10:
            page.wait_for_url(f"{live_server.url}/welcome/q/{number + 1}/")
    page.wait_for_url(f"{live_server.url}/welcome/companion/")

    companion = Companion.objects.get(user__email="onboard@example.org")
    assert page.locator(".companion-name").inner_text() == companion.name
    assert page.locator(".companion-traits .chip").count() == 3
    # The colour travels in data-color; static/js/page.js paints it (no style= under the CSP).
    swatch = page.locator(".companion-swatch")
    assert swatch.get_attribute("data-color") == companion.colour
    red, green, blue = (int(companion.colour[i : i + 2], 16) for i in (1, 3, 5))
    assert swatch.evaluate("node => getComputedStyle(node).backgroundColor") == (
        f"rgb({red}, {green}, {blue})"
    )
    page.fill("#id_name", "Dumpling")
    page.click("text=Looks good, continue")
    page.wait_for_url(f"{live_server.url}/welcome/interests/")

    page.click("text=See my welcome gift")  # nothing picked: refused inline
    assert "Pick 1 to 5" in page.locator("#id_interests-error").inner_text()
    page.check("text=food & cooking")
    page.check("text=music")
    page.click("text=See my welcome gift")
    page.wait_for_url(f"{live_server.url}/welcome/gift/")

    gifts = page.locator(".gift-name")
    assert gifts.all_inner_texts() == ["Meal planner", "Practice log", "Recipe box"]
    page.click("text=Meet Dumpling")
    page.wait_for_url(re.compile(rf"^{re.escape(live_server.url)}/(chat/)?$"))

    onboarding = Onboarding.objects.get(user__email="onboard@example.org")
    assert onboarding.completed_at is not None
    assert onboarding.welcome_gift == ["meal-planner", "practice-log", "recipe-box"]

    page.goto(f"{live_server.url}/")
    card = page.locator(".companion-card")
    assert card.locator(".companion-name").inner_text() == "Dumpling"
    assert card.locator(".companion-traits .chip").count() == 3
    assert page.locator("text=Nothing here yet").count() == 0
