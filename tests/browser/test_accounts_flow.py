import pytest

from accounts.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_up_log_out_log_in_and_see_home(live_server, page):
    page.goto(f"{live_server.url}/accounts/signup/")
    page.fill("#id_email", "browser@example.org")
    page.fill("#id_display_name", "Bea")
    page.fill("#id_password", "chromium-headless-42")
    page.fill("#id_password_confirm", "chromium-headless-42")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/welcome/q/1/")
    page.click("text=Skip for now")
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == "Hello, Bea"
    assert User.objects.filter(email="browser@example.org").exists()

    page.click("text=Log out")
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "browser@example.org")
    page.fill("#id_password", "wrong-password")
    page.click("button[type=submit]")
    assert "do not match an account" in page.locator(".form-errors").inner_text()

    page.fill("#id_username", "browser@example.org")
    page.fill("#id_password", "chromium-headless-42")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == "Hello, Bea"
    assert page.locator("text=Nothing here yet").is_visible()


def test_signup_errors_show_inline(live_server, page):
    page.goto(f"{live_server.url}/accounts/signup/")
    page.fill("#id_email", "weak@example.org")
    page.fill("#id_password", "123")
    page.fill("#id_password_confirm", "123")
    page.click("button[type=submit]")
    assert "too short" in page.locator(".field.has-error .error").first.inner_text()
    assert not User.objects.filter(email="weak@example.org").exists()
