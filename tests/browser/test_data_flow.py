"""A person exports their data from the "Your data" page (a real worker builds it while the
progress bar moves), downloads it once, and imports it into a new account."""

import io
import zipfile

import pytest

from memory.models import Memory
from memory.services import memory_create
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, user) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_export_download_once_and_import_into_a_new_account(
    live_server, page, celery_worker, tmp_path
):
    person = UserFactory()
    memory_create(user=person, text="I grow basil on the balcony")
    log_in(page, live_server, person)
    page.goto(f"{live_server.url}/accounts/profile/")
    page.click("text=Your data")
    page.wait_for_url(f"{live_server.url}/data/")
    page.click("#export-start")
    page.wait_for_url(f"{live_server.url}/data/")
    link = page.locator("#export-download")
    link.wait_for(state="visible", timeout=60_000)
    assert page.locator(".transfer-status").first.inner_text() == "Your export is ready."
    assert page.locator("progress").first.get_attribute("value") == "1"
    with page.expect_download() as download:
        link.click()
    archive = tmp_path / "export.zip"
    download.value.save_as(archive)
    with zipfile.ZipFile(io.BytesIO(archive.read_bytes())) as opened:
        assert {"manifest.json", "index.html", "sections/memories.json"} <= set(opened.namelist())

    again = page.request.get(link.get_attribute("href"))
    assert again.status == 410

    page.context.clear_cookies()
    fresh = UserFactory()
    log_in(page, live_server, fresh)
    page.goto(f"{live_server.url}/data/")
    page.set_input_files("#id_archive", str(archive))
    page.click("#import-start")
    page.wait_for_url(f"{live_server.url}/data/")
    page.locator(".transfer-status", has_text="Your archive was imported.").wait_for(timeout=60_000)
    assert Memory.objects.filter(user=fresh).count() == 1
