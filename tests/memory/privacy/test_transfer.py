"""Export and import (memory.transfer): the archive's shape, the round trip through a fresh
account, the single-use expiring link, the checks on an uploaded archive, the API's scoping,
the management commands and a real worker building and restoring through the API."""

import base64
import hashlib
import io
import json
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import onboarding_complete
from community.models import Import, Rating
from community.services import blueprint_import, rating_set, report_create, usage_record
from macaron.vault import cipher_for
from memory.episodes.compress import conversation_compress
from memory.ingest.schedule import reminder_schedule_for
from memory.models import AuditEvent, Episode, Memory, Message, TransferJob
from memory.services import (
    MessageIn,
    conversation_create,
    memory_create,
    memory_feedback,
    messages_ingest,
)
from memory.transfer.jobs import (
    archive_open,
    export_build,
    export_job_create,
    export_now,
    import_job_create,
    import_restore,
    transfers_expire,
)
from subagents.chat import tool_chat_send
from subagents.models import ChatMessage, Entry, Installation, ReminderFire
from subagents.services import entry_create, installation_create, routed_request_record
from tests.accounts.test_onboarding import ready_to_complete
from tests.community.factories import blueprint_factory
from tests.factories import UserFactory
from tests.subagents.images import image_bytes, picture
from tests.subagents.specs import every_type

START = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)
EXPORT = "/api/v1/me/export/"
IMPORT = "/api/v1/me/import/"
LINES = [
    "My sister Hana lives in Kyoto and teaches piano",
    "I am allergic to peanuts",
    "I love hiking near Lake Biwa when the autumn leaves turn red",
    "My favourite breakfast is miso soup with rice",
]


def photo_url() -> str:
    raw = image_bytes(picture((8, 6)), fmt="PNG")
    return f"data:image/png;base64,{base64.b64encode(raw).decode('ascii')}"


def person_with_everything() -> User:
    """A person with data in every section, made through the real services."""
    person = UserFactory(display_name="Mio", time_zone="Asia/Tokyo", preferred_language="en")
    ready_to_complete(person)
    onboarding_complete(user=person)  # companion, welcome tools, first conversation, memories
    conversation = conversation_create(user=person, title="Long talk")
    messages_ingest(
        user=person,
        conversation=conversation,
        messages=[
            MessageIn(
                text=f"{LINES[i % len(LINES)]} (day {i})",
                sent_at=START + timedelta(minutes=i),
                role=Message.Role.USER if i % 2 == 0 else Message.Role.COMPANION,
            )
            for i in range(34)
        ],
        schedule_compression=False,
    )
    assert conversation_compress(conversation_id=conversation.id) >= 1
    secret = memory_create(user=person, text="My bank PIN hint is the cat's birthday")
    Memory.objects.filter(pk=secret.pk).update(
        privacy=Memory.Privacy.SECRET, policy={"reauth_required": True}
    )
    dentist = memory_create(user=person, text="Dentist appointment tomorrow at 3pm")
    Memory.objects.filter(pk=dentist.pk).update(kind=Memory.Kind.PLAN)
    dentist.refresh_from_db()
    assert reminder_schedule_for(dentist) is not None
    memory_feedback(user=person, memory_id=dentist.id, signal="up")
    tool = installation_create(user=person, spec=every_type(), source="builder")
    entry_create(
        user=person,
        installation_id=tool.id,
        values={"count": 3, "note": "after the run", "pic": photo_url()},
        occurred_at=START.isoformat(),
    )
    tool_chat_send(user=person, installation_id=tool.id, text="count 2")
    ReminderFire.objects.create(
        installation=tool, user=person, reminder_index=0, slot_at=START, raised_at=START
    )
    routed_request_record(
        user=person, intent="build", text="a tool for my piano practice", preference_ids=[secret.id]
    )
    theirs = blueprint_factory(title="Tea log")
    blueprint_import(user=person, blueprint=theirs)
    rating_set(user=person, blueprint=theirs, value=4, comment="Lovely for tea")
    report_create(user=person, blueprint=theirs, reason="other", note="Typo in the title")
    usage_record(user_id=person.id, blueprint_id=theirs.id, kind="open")
    blueprint_factory(author=person, title="Piano practice")
    return person


def read_archive(data: bytes) -> tuple[dict, dict, dict[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(files.pop("manifest.json"))
    sections = {
        name: json.loads(files[entry["file"]]) for name, entry in manifest["sections"].items()
    }
    return manifest, sections, files


def restorable(manifest: dict, sections: dict) -> dict:
    return {
        name: value
        for name, value in sections.items()
        if manifest["sections"][name]["restored_on_import"]
    }


def built_export(user) -> bytes:
    return export_now(user=user).data


def imported(user, data: bytes) -> TransferJob:
    job = import_job_create(user=user, data=data)
    import_restore(job_id=str(job.public_id))
    job.refresh_from_db()
    return job


# The archive and the round trip ----------------------------------------------------------


@pytest.mark.django_db
def test_export_import_export_round_trips_every_section():
    person = person_with_everything()
    first = built_export(person)
    manifest, sections, files = read_archive(first)

    assert manifest["format"] == "macaron-export"
    assert manifest["version"] == 1
    expected = {
        "account", "profile", "companion", "onboarding", "conversations", "memories",
        "episodes", "reminders", "memory_feedback", "audit_log", "installations",
        "routed_requests", "publications", "community_imports", "ratings", "reports",
        "collaborations", "community_usage",
    }  # fmt: skip
    assert set(manifest["sections"]) == expected
    not_restored = {n for n, s in manifest["sections"].items() if not s["restored_on_import"]}
    assert not_restored == {
        "account", "audit_log", "publications", "reports", "collaborations", "community_usage"
    }  # fmt: skip
    for name, data in files.items():
        assert manifest["files"][name]["sha256"] == hashlib.sha256(data).hexdigest()
    assert set(manifest["files"]) == set(files)
    for name in expected - {"account", "profile", "companion", "onboarding", "collaborations"}:
        assert manifest["sections"][name]["count"] >= 1, name
    assert manifest["sections"]["collaborations"]["count"] == 0
    assert sections["account"]["email"] == person.email
    assert sections["profile"] == {
        "display_name": "Mio",
        "time_zone": "Asia/Tokyo",
        "preferred_language": "en",
    }
    secret = next(m for m in sections["memories"] if m["text"].startswith("My bank PIN"))
    assert (secret["privacy"], secret["policy"]) == ("secret", {"reauth_required": True})
    chatted = [m for m in sections["memories"] if m["provenance"] and m["provenance"][0]["message"]]
    assert chatted, "memories keep the message they came from"
    [tool] = [i for i in sections["installations"] if i["source"] == "builder"]
    photo = tool["entries"][0]["values"]["pic"]["photo_file"]
    assert photo.startswith("photos/") and files[photo].startswith(b"\x89PNG")
    assert sections["ratings"] == [
        {"blueprint": sections["ratings"][0]["blueprint"], "value": 4,
         "comment": "Lovely for tea", "created_at": sections["ratings"][0]["created_at"]}
    ]  # fmt: skip
    assert [p["title"] for p in sections["publications"]] == ["Piano practice"]
    assert sections["reports"][0]["note"] == "Typo in the title"

    fresh = UserFactory(email="mio.new@example.com")
    job = imported(fresh, first)
    assert job.status == TransferJob.Status.DONE, job.error
    assert job.progress == 1.0
    assert job.counts["memories"] == Memory.objects.filter(user=person).count()
    assert not Message.objects.filter(user=fresh, processed_at__isnull=True).exists()
    assert Episode.objects.filter(user=fresh).count() == Episode.objects.filter(user=person).count()
    assert Import.objects.get(user=fresh).installation.user_id == fresh.id
    assert Rating.objects.get(user=fresh).counts is True

    second_manifest, second, _ = read_archive(built_export(fresh))
    assert second["account"]["email"] == "mio.new@example.com"
    assert restorable(second_manifest, second) == restorable(manifest, sections)


@pytest.mark.django_db
def test_the_html_index_is_static_and_escaped():
    person = UserFactory(display_name="<script>alert(1)</script>")
    memory_create(user=person, text="I like <b>bold</b> tea & <script>x()</script>")
    _, _, files = read_archive(built_export(person))
    index = files["index.html"].decode()
    assert "<script" not in index
    assert "&lt;script&gt;x()&lt;/script&gt;" in index
    assert "I like &lt;b&gt;bold&lt;/b&gt; tea &amp;" in index


@pytest.mark.django_db
def test_the_stored_archive_is_encrypted_with_the_persons_key():
    person = UserFactory()
    memory_create(user=person, text="Zebra canary in the export file")
    job = export_job_create(user=person)
    export_build(job_id=str(job.public_id))
    job.refresh_from_db()
    stored = (Path(settings.DATA_TRANSFER_DIR) / job.file_name).read_bytes()
    assert b"Zebra" not in stored and not stored.startswith(b"PK")
    data = cipher_for(person.id).decrypt_bytes(stored, purpose="transfer-archive")
    assert data.startswith(b"PK")


@pytest.mark.django_db
def test_importing_twice_is_refused_and_retrying_the_task_restores_once():
    person = UserFactory()
    memory_create(user=person, text="I grow basil on the balcony")
    data = built_export(person)
    fresh = UserFactory()
    job = import_job_create(user=fresh, data=data)
    import_restore(job_id=str(job.public_id))
    import_restore(job_id=str(job.public_id))  # a retried task
    assert Memory.objects.filter(user=fresh).count() == 1
    with pytest.raises(Exception) as refused:
        import_job_create(user=fresh, data=data)
    assert refused.value.status_code == 409
    assert Memory.objects.filter(user=fresh).count() == 1


@pytest.mark.django_db
def test_a_malformed_section_fails_the_import_and_restores_nothing():
    person = UserFactory()
    memory_create(user=person, text="I grow basil on the balcony")
    manifest, sections, files = read_archive(built_export(person))
    sections["memories"][0]["privacy"] = "public-to-everyone"
    fresh = UserFactory()
    job = imported(fresh, rebuilt(manifest, sections, files))
    assert job.status == TransferJob.Status.FAILED
    assert job.error == "The archive could not be restored: its memory data is malformed."
    assert not Memory.objects.filter(user=fresh).exists()
    assert not Path(settings.DATA_TRANSFER_DIR, f"import-{job.public_id}.bin").exists()


# Checks on an uploaded archive -----------------------------------------------------------


def rebuilt(manifest: dict, sections: dict, files: dict[str, bytes], **changes) -> bytes:
    """An archive with edited sections and a manifest whose checksums match again."""
    content = dict(files)
    for name, value in sections.items():
        content[f"sections/{name}.json"] = json.dumps(value).encode()
    manifest = {**manifest, "files": {
        n: {"sha256": hashlib.sha256(d).hexdigest(), "bytes": len(d)} for n, d in content.items()
    }, **changes}  # fmt: skip
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        for name, data in content.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture
def small_archive(db) -> tuple[dict, dict, dict]:
    person = UserFactory()
    memory_create(user=person, text="I grow basil on the balcony")
    return read_archive(built_export(person))


def upload(client: APIClient, data: bytes):
    return client.post(IMPORT, {"archive": io.BytesIO(data)}, format="multipart")


@pytest.mark.django_db
def test_bad_archives_are_refused_with_a_useful_message(small_archive, settings):
    manifest, sections, files = small_archive
    client = APIClient()
    client.force_authenticate(UserFactory())
    tampered = dict(files)
    tampered["sections/memories.json"] = b"[]"
    cases = [
        (b"not a zip at all", "The file is not a readable ZIP archive."),
        (zip_of({"a.txt": b"x"}), "The archive holds an unexpected file: 'a.txt'."),
        (zip_of({"index.html": b"x"}), "The archive has no manifest.json: it is not a Macaron export."),
        (rebuilt(manifest, sections, files, version=2),
         "The archive's format version 2 is not supported (this Macaron reads version 1)."),
        (rebuilt(manifest, {}, files, format="other"),
         "manifest.json does not describe a Macaron export."),
        (rebuilt(manifest, sections, files)[:-40], "The file is not a readable ZIP archive."),
    ]  # fmt: skip
    for data, message in cases:
        response = upload(client, data)
        assert response.status_code == 400, message
        assert response.json()["error"]["message"] == message
    with zipfile.ZipFile(io.BytesIO(rebuilt(manifest, sections, files))) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    members["sections/memories.json"] = b"[]"  # changed after the checksums were written
    response = upload(client, zip_of(members))
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "sections/memories.json does not match its checksum in manifest.json: "
        "the archive was altered or damaged."
    )
    assert upload(client, b"").status_code == 400
    response = client.post(IMPORT, {}, format="multipart")
    assert (
        response.json()["error"]["message"]
        == "Attach the archive as the multipart field `archive`."
    )
    assert not TransferJob.objects.filter(kind=TransferJob.Kind.IMPORT).exists()


@pytest.mark.django_db
def test_zip_bombs_and_crowded_archives_are_refused_before_unpacking(small_archive, settings):
    manifest, sections, files = small_archive
    settings.DATA_IMPORT_MAX_UNPACKED_BYTES = 1024 * 1024
    bomb = zip_of({"manifest.json": b"{}", "sections/x.json": b"0" * (2 * 1024 * 1024)})
    assert len(bomb) < 10_000
    client = APIClient()
    client.force_authenticate(UserFactory())
    response = upload(client, bomb)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "The archive unpacks to more than 1 MB."
    settings.DATA_IMPORT_MAX_FILES = 3
    crowded = zip_of({f"photos/{i}.png": b"x" for i in range(4)} | {"manifest.json": b"{}"})
    assert upload(client, crowded).json()["error"]["message"] == (
        "The archive holds 5 files; at most 3 are accepted."
    )
    settings.DATA_IMPORT_MAX_BYTES = 100
    response = upload(client, rebuilt(manifest, sections, files))
    assert response.status_code == 413
    assert (
        not TransferJob.objects.exists()
        or not TransferJob.objects.filter(kind=TransferJob.Kind.IMPORT).exists()
    )


@pytest.mark.django_db
def test_a_header_that_lies_about_its_size_is_still_bounded(small_archive, settings):
    manifest, sections, files = small_archive
    data = rebuilt(manifest, sections, files)
    settings.DATA_IMPORT_MAX_UNPACKED_BYTES = sum(len(d) for d in files.values()) // 2 + 1
    with pytest.raises(Exception) as refused:
        archive_open(data)
    assert refused.value.status_code == 400


# The API ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_api_single_use_link_and_scoping():
    person = UserFactory()
    memory_create(user=person, text="I grow basil on the balcony")
    client = APIClient()
    client.force_authenticate(person)
    response = client.post(EXPORT)
    assert response.status_code == 202
    body = response.json()
    assert set(body) == {"id", "status", "progress"}
    assert (body["status"], body["progress"]) == ("pending", 0.0)
    export_build(job_id=body["id"])  # what the worker does

    status = client.get(f"{EXPORT}{body['id']}/").json()
    assert (status["status"], status["progress"]) == ("done", 1.0)
    link = status["download_url"]
    assert link.startswith("http://testserver/api/v1/me/export/")

    other = APIClient()
    other.force_authenticate(UserFactory())
    assert other.get(f"{EXPORT}{body['id']}/").status_code == 404
    assert other.get(link).status_code == 404
    assert APIClient().get(f"{EXPORT}{body['id']}/").status_code == 401
    assert APIClient().post(EXPORT).status_code == 401
    assert APIClient().post(IMPORT).status_code == 401

    newer = client.get(f"{EXPORT}{body['id']}/").json()["download_url"]
    stale = client.get(link)
    assert stale.status_code == 410
    assert "no longer valid" in stale.json()["error"]["message"]
    anonymous = APIClient()
    guessed = anonymous.get(newer.replace("token=", "token=x"))
    assert guessed.status_code == 401
    assert guessed.json()["error"]["message"] == (
        "Log in, or use the latest download link of the export."
    )
    assert anonymous.get(link).status_code == 401  # a replaced link proves nothing
    download = anonymous.get(newer)  # the link works on its own (opened in a browser)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    assert "attachment" in download["Content-Disposition"]
    _, sections, _ = read_archive(download.content)
    assert sections["memories"][0]["text"] == "I grow basil on the balcony"
    for again in (anonymous.get(newer), client.get(newer)):
        assert again.status_code == 410
        assert again.json()["error"]["message"] == (
            "This export was already downloaded; a download link works once. "
            "Start a new export to download your data again."
        )
    assert "download_url" not in client.get(f"{EXPORT}{body['id']}/").json()
    actions = list(
        AuditEvent.objects.filter(subject_user_id=person.id)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == ["export", "export_download"]


@pytest.mark.django_db
def test_an_expired_export_is_gone_and_its_file_deleted():
    person = UserFactory()
    client = APIClient()
    client.force_authenticate(person)
    job_id = client.post(EXPORT).json()["id"]
    export_build(job_id=job_id)
    link = client.get(f"{EXPORT}{job_id}/").json()["download_url"]
    job = TransferJob.objects.get(public_id=job_id)
    path = Path(settings.DATA_TRANSFER_DIR) / job.file_name
    assert path.exists()
    TransferJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(link).status_code == 410
    assert transfers_expire() == 1
    assert not path.exists()
    response = client.get(link)
    assert response.status_code == 410
    assert response.json()["error"]["message"] == "This export has expired; start a new export."


@pytest.mark.django_db
def test_import_api_and_someone_elses_job():
    person = UserFactory()
    memory_create(user=person, text="I grow basil on the balcony")
    data = built_export(person)
    fresh = UserFactory()
    client = APIClient()
    client.force_authenticate(fresh)
    response = upload(client, data)
    assert response.status_code == 202
    body = response.json()
    assert set(body) == {"id", "status", "progress"} and body["status"] == "pending"
    import_restore(job_id=body["id"])
    status = client.get(f"{IMPORT}{body['id']}/").json()
    assert (status["status"], status["progress"]) == ("done", 1.0)
    assert "download_url" not in status
    other = APIClient()
    other.force_authenticate(person)
    assert other.get(f"{IMPORT}{body['id']}/").status_code == 404
    assert client.get(f"{EXPORT}{body['id']}/").status_code == 404  # not an export
    assert client.get(f"{IMPORT}not-a-uuid/").status_code == 404
    audit = AuditEvent.objects.filter(subject_user_id=fresh.id, action="import")
    assert list(audit.order_by("id").values_list("purpose", flat=True)) == [
        "import requested",
        "import restored",
    ]


# Commands --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_user_and_import_user_commands(tmp_path):
    person = UserFactory(email="kai@example.com")
    memory_create(user=person, text="I grow basil on the balcony")
    out = tmp_path / "kai.zip"
    call_command("export_user", "--email", "KAI@example.com", "--out", str(out))
    _, sections, _ = read_archive(out.read_bytes())
    assert sections["memories"][0]["text"] == "I grow basil on the balcony"

    call_command("import_user", "--archive", str(out), "--email", "kai2@example.com")
    created = User.objects.get(email="kai2@example.com")
    assert not created.has_usable_password()
    assert Memory.objects.filter(user=created).count() == 1
    with pytest.raises(CommandError, match="already imported"):
        call_command("import_user", "--archive", str(out), "--email", "kai2@example.com")
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"nope")
    with pytest.raises(CommandError, match="not a readable ZIP"):
        call_command("import_user", "--archive", str(bad), "--email", "kai3@example.com")
    assert not User.objects.filter(email="kai3@example.com").exists()
    with pytest.raises(CommandError, match="No user"):
        call_command("export_user", "--email", "nobody@example.com", "--out", str(out))


# A real worker ---------------------------------------------------------------------------


def wait_done(client: APIClient, url: str) -> dict:
    deadline = time.monotonic() + 60
    progress = []
    while time.monotonic() < deadline:
        status = client.get(url).json()
        progress.append(status["progress"])
        if status["status"] in ("done", "failed"):
            assert progress == sorted(progress)
            return status
        time.sleep(0.2)
    raise AssertionError(f"{url} did not finish: {status}")


@pytest.mark.django_db(transaction=True)
def test_a_worker_builds_the_export_and_restores_the_import(celery_worker):
    person = UserFactory()
    memory_create(user=person, text="I grow basil on the balcony")
    tool = installation_create(user=person, spec=every_type(), source="builder")
    original = entry_create(
        user=person, installation_id=tool.id, values={"count": 2, "pic": photo_url()}
    )
    client = APIClient()
    client.force_authenticate(person)
    job_id = client.post(EXPORT).json()["id"]
    status = wait_done(client, f"{EXPORT}{job_id}/")
    assert status["status"] == "done"
    data = client.get(status["download_url"]).content

    fresh = UserFactory()
    other = APIClient()
    other.force_authenticate(fresh)
    import_id = upload(other, data).json()["id"]
    assert wait_done(other, f"{IMPORT}{import_id}/")["status"] == "done"
    assert Memory.objects.filter(user=fresh).count() == 1
    [restored] = Installation.objects.filter(user=fresh)
    [entry] = Entry.objects.filter(installation=restored)
    values = json.loads(cipher_for(fresh.id).decrypt(entry.values_ct))
    assert values == json.loads(cipher_for(person.id).decrypt(original.values_ct))
    assert values["pic"].startswith("data:image/png;base64,")
    assert ChatMessage.objects.filter(user=fresh).count() == 0


@pytest.mark.django_db
def test_an_export_that_cannot_be_written_fails_and_a_lost_one_does_not_block(tmp_path, settings):
    person = UserFactory()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.DATA_TRANSFER_DIR = str(blocker / "transfers")
    job = export_job_create(user=person)
    with pytest.raises(OSError):
        export_build(job_id=str(job.public_id))
    job.refresh_from_db()
    assert (job.status, job.error) == (
        "failed",
        "The export could not be built; please start a new one.",
    )

    lost = export_job_create(user=person)
    assert lost.pk != job.pk and export_job_create(user=person).pk == lost.pk
    TransferJob.objects.filter(pk=lost.pk).update(updated_at=timezone.now() - timedelta(hours=3))
    fresh = export_job_create(user=person)
    assert fresh.pk != lost.pk
    lost.refresh_from_db()
    assert (lost.status, lost.error) == ("failed", "The job did not finish; please start again.")
