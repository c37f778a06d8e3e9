import pytest

from accounts.erasure import erasures_due_execute
from accounts.models import ErasureRequest, User
from community.models import Blueprint
from tests.community.factories import blueprint_factory
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_delete_the_account_from_settings_then_change_ones_mind(live_server, page, settings):
    settings.ACCOUNT_DELETION_GRACE_DAYS = 7
    person = UserFactory(display_name="Noa")
    blueprint = blueprint_factory(author=person, title="Stretch breaks")
    base = live_server.url
    log_in(page, base, person.email)
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/accounts/profile/")
    page.click("text=Delete my account")
    page.wait_for_url(f"{base}/accounts/delete/")
    assert page.locator("text=It is erased after 7 days.").is_visible()
    assert page.locator("text=You published 1 sub-agent in the community.").is_visible()
    # A wrong confirmation is refused next to the field, nothing happens.
    page.fill("#id_password", PASSWORD)
    page.fill("#id_confirm", "not-my-address@example.org")
    page.check("input[name=published][value=keep]")
    page.click("button:has-text('Delete my account')")
    assert page.locator("#id_confirm-error").is_visible()
    assert not ErasureRequest.objects.exists()

    page.fill("#id_password", PASSWORD)
    page.fill("#id_confirm", person.email)
    page.check("input[name=published][value=keep]")
    page.click("button:has-text('Delete my account')")
    assert page.locator("#deletion-status").is_visible()
    assert "Your account will be erased on" in page.locator("#deletion-status").inner_text()
    person.refresh_from_db()
    assert person.is_active is False
    assert ErasureRequest.objects.get(subject_id=person.id).keep_published is True
    page.goto(f"{base}/memories/")  # logged out
    page.wait_for_url(f"{base}/accounts/login/?next=/memories/")

    # Logging in during the grace period offers to keep the account.
    log_in(page, base, person.email)
    page.wait_for_url(f"{base}/accounts/restore/")
    assert page.locator("h1", has_text="Your account is scheduled for deletion").is_visible()
    assert "It will be erased on" in page.locator("#deletion-status").inner_text()
    page.click("button:has-text('Keep my account')")
    page.wait_for_url(f"{base}/")
    assert page.locator(".messages", has_text="Your account will not be deleted.").is_visible()
    person.refresh_from_db()
    assert person.is_active is True
    assert erasures_due_execute() == 0
    assert Blueprint.objects.get(pk=blueprint.pk).author_id == person.id


def test_grace_zero_erases_at_once_from_the_settings_page(live_server, page, settings):
    settings.ACCOUNT_DELETION_GRACE_DAYS = 0
    person = UserFactory()
    person_id = person.id
    base = live_server.url
    log_in(page, base, person.email)
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/accounts/delete/")
    assert page.locator("text=Your account is erased at once.").is_visible()
    page.fill("#id_password", PASSWORD)
    page.fill("#id_confirm", person.email.upper())  # the address, whatever its case
    page.click("button:has-text('Delete my account')")
    assert page.locator("h1", has_text="Your account is deleted").is_visible()
    assert not User.objects.filter(pk=person_id).exists()
    log_in(page, base, person.email)
    assert page.locator("text=That e-mail and password do not match an account.").is_visible()
