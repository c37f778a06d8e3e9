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
    # The picture is an SVG in the companion's colour (fill attributes: no style= under the
    # CSP), its face drawn by the strongest trait.
    avatar = page.locator(".companion-card svg.companion-avatar")
    assert avatar.get_attribute("data-personality").split("-")[0] == companion.traits[0]
    assert avatar.locator(f'[fill="{companion.colour}"]').count() == 1
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
    # While the welcome is made, static/js/meet.js shows its steps (recorded by a listener
    # that runs after meet.js's own, in sessionStorage, which survives the navigation).
    assert page.locator(".meet-progress li").count() == 3
    assert not page.locator(".meet-progress").is_visible()
    page.evaluate(
        """() => document.querySelector("[data-meet-form]").addEventListener("submit", () => {
            const panel = document.querySelector(".meet-progress");
            const button = document.querySelector(".gift-meet button.meet");
            sessionStorage.setItem("meet", !panel.hidden && button.disabled ? "shown" : "no");
        })"""
    )
    page.click("text=Meet Dumpling")
    page.wait_for_url(re.compile(rf"^{re.escape(live_server.url)}/chat/\d+/$"))

    onboarding = Onboarding.objects.get(user__email="onboard@example.org")
    assert page.url.endswith(f"/chat/{onboarding.first_conversation_id}/")  # inside it
    assert page.evaluate("() => sessionStorage.getItem('meet')") == "shown"
    opening = page.locator(".chat-message.companion").first.inner_text()
    assert opening.startswith("Hi Bea, I'm Dumpling!")
    assert onboarding.completed_at is not None
    assert onboarding.welcome_gift == ["meal-planner", "practice-log", "recipe-box"]

    page.goto(f"{live_server.url}/")
    card = page.locator(".companion-card")
    assert card.locator(".companion-name").inner_text() == "Dumpling"
    assert card.locator(".companion-traits .chip").count() == 3
    assert page.locator("text=Nothing here yet").count() == 0
