import httpx
import pytest

from accounts.models import ApiToken
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_use_revoke_a_token_and_log_out_everywhere(live_server, page):
    user = UserFactory(display_name="Tam")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/accounts/profile/")
    page.click("text=API tokens and sessions")
    page.wait_for_url(f"{live_server.url}/accounts/tokens/")
    assert page.locator("text=You have no API tokens.").is_visible()
    page.fill("#id_name", "my script")
    page.click("text=Create a token")
    secret = page.locator("#new-token-secret").inner_text()
    assert secret.startswith("mac_")
    me = httpx.get(f"{live_server.url}/api/v1/me/", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.json()["email"] == user.email

    page.goto(f"{live_server.url}/accounts/tokens/")  # the secret is never shown again
    assert page.locator("#new-token-secret").count() == 0
    assert page.locator(".token", has_text="my script").is_visible()
    page.locator(".token", has_text="my script").locator("button", has_text="Revoke").click()
    assert page.locator(".messages", has_text="Token revoked.").is_visible()
    me = httpx.get(f"{live_server.url}/api/v1/me/", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 401

    page.click("button:has-text('Log out everywhere')")
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    page.goto(f"{live_server.url}/memories/")
    page.wait_for_url(f"{live_server.url}/accounts/login/?next=/memories/")
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 0
