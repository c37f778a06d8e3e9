"""The "Your data" page without a browser: in English and Japanese, the export button, and an
import form that explains a refused archive."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from memory.models import TransferJob
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/data/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post("/data/export/").status_code == 302
    assert not TransferJob.objects.exists()


def test_the_page_speaks_english_and_japanese(client):
    client.force_login(UserFactory(preferred_language="en"))
    html = client.get("/data/").content.decode()
    assert "<h1>Your data</h1>" in html
    assert "Export my data" in html and "Import an archive" in html
    assert '<script src="/static/js/data.js" defer></script>' in html
    client.force_login(UserFactory(preferred_language="ja"))
    html = client.get("/data/").content.decode()
    assert "<h1>あなたのデータ</h1>" in html
    assert "データをエクスポート" in html and "アーカイブをインポート" in html


def test_export_button_starts_one_job_and_shows_its_progress(client):
    person = UserFactory()
    client.force_login(person)
    response = client.post("/data/export/")
    assert response.status_code == 302 and response["Location"] == "/data/"
    client.post("/data/export/")  # a double click: the job under way is reused
    job = TransferJob.objects.get(user=person)
    assert (job.kind, job.status) == ("export", "pending")
    html = client.get("/data/").content.decode()
    assert f'data-transfer-url="/api/v1/me/export/{job.public_id}/"' in html
    assert "Your export has started." in html


def test_a_refused_archive_is_explained_next_to_the_field(client):
    client.force_login(UserFactory())
    bad = SimpleUploadedFile("mine.zip", b"not a zip", "application/zip")
    response = client.post("/data/import/", {"archive": bad})
    assert response.status_code == 400
    assert "The file is not a readable ZIP archive." in response.content.decode()
    response = client.post("/data/import/", {"archive": io.BytesIO(b"")})
    assert response.status_code == 400
    assert not TransferJob.objects.exists()


def test_a_refused_archive_is_explained_in_japanese(client):
    client.force_login(UserFactory(preferred_language="ja"))
    bad = SimpleUploadedFile("mine.zip", b"not a zip", "application/zip")
    response = client.post("/data/import/", {"archive": bad})
    assert response.status_code == 400
    assert "このファイルは読み取れるZIPアーカイブではありません。" in response.content.decode()
