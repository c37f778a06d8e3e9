"""The erasure workflow: a person deletes their account (grace period, cancel by logging in),
staff erase a person on request with a reason, the same through the API, and the beat job."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.erasure import (
    account_deletion_request,
    erasure_request_create,
    erasure_request_execute,
    erasures_due_execute,
)
from accounts.models import ApiToken, ErasureRequest
from accounts.services import api_token_create
from community.services import blueprint_fork
from macaron.errors import DomainError
from memory.models import AuditEvent, Memory
from memory.services import memory_create
from subagents.services import installation_create
from tests.community.factories import blueprint_factory, listing_factory
from tests.factories import PASSWORD, UserFactory
from tests.subagents.specs import hydration

User = get_user_model()
# Rows that may name an erased person's id: the record that they were erased.
RECORDS = {("memory", "auditevent"), ("accounts", "erasurerequest")}


def rows_naming(person_id: int) -> dict[str, int]:
    """Every row that still points at the person: foreign keys to the user and user_id columns."""
    found: dict[str, int] = {}
    for model in apps.get_models():
        if (model._meta.app_label, model._meta.model_name) in RECORDS:
            continue
        for field in model._meta.concrete_fields:
            related = getattr(field.remote_field, "model", None)
            if related is User or field.column in {"user_id", "subject_user_id"}:
                n = model._default_manager.filter(**{field.attname: person_id}).count()
                if n:
                    found[f"{model._meta.label}.{field.name}"] = n
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.columns "
            "WHERE column_name = 'user_id' AND table_schema = 'public'"
        )
        for (table,) in cursor.fetchall():
            if table in {"memory_auditevent", "accounts_erasurerequest"}:
                continue
            cursor.execute(f'SELECT count(*) FROM "{table}" WHERE user_id = %s', [person_id])
            (n,) = cursor.fetchone()
            if n:
                found[table] = n
    return found


def person_with_data():
    person = UserFactory()
    memory_create(user=person, text="I am allergic to peanuts")
    installation_create(user=person, spec=hydration(), source="builder")
    api_token_create(user=person, name="laptop")
    return person


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def delete_page_post(client: Client, user, **extra):
    data = {"password": PASSWORD, "confirm": user.email, **extra}
    return client.post("/accounts/delete/", data)


# A person deletes their account ----------------------------------------------------------------


@pytest.mark.django_db
def test_the_settings_page_explains_and_asks_about_published_sub_agents(settings):
    settings.ACCOUNT_DELETION_GRACE_DAYS = 7
    person = UserFactory()
    client = logged_in(person)
    assert 'href="/accounts/delete/"' in client.get("/accounts/profile/").content.decode()
    page = client.get("/accounts/delete/").content.decode()
    assert "It is erased after 7 days." in page
    assert 'name="published"' not in page  # nothing published: no choice to make
    blueprint_factory(author=person)
    page = client.get("/accounts/delete/").content.decode()
    assert "You published 1 sub-agent in the community." in page
    assert 'name="published"' in page and 'value="keep"' in page and 'value="remove"' in page


@pytest.mark.django_db
def test_wrong_password_or_confirmation_changes_nothing(settings):
    settings.ACCOUNT_DELETION_GRACE_DAYS = 0
    person = UserFactory()
    client = logged_in(person)
    response = delete_page_post(client, person, password="not-it")
    assert response.status_code == 400
    assert "That is not your password." in response.content.decode()
    response = delete_page_post(client, person, confirm="someone@else.org")
    assert response.status_code == 400
    assert "Type your e-mail address exactly to confirm." in response.content.decode()
    person.refresh_from_db()
    assert person.is_active and not ErasureRequest.objects.exists()
    assert client.get("/accounts/profile/").status_code == 200  # still logged in


@pytest.mark.django_db(transaction=True)
def test_grace_zero_erases_at_once_leaving_only_anonymised_community_items(settings):
    settings.ACCOUNT_DELETION_GRACE_DAYS = 0
    person, bystander = person_with_data(), UserFactory()
    kept = blueprint_factory(author=person, title="Water")
    private = blueprint_factory(author=person, title="Sleep diary", visibility="private")
    fork = blueprint_fork(
        user=bystander, blueprint=kept, listing=listing_factory(title="Mine"), confirmed=True
    )
    theirs = memory_create(user=bystander, text="My cat is called Miso")
    person_id = person.id
    client = Client()
    log_in = {"username": person.email, "password": PASSWORD}
    assert client.post("/accounts/login/", log_in).status_code == 302  # real login: axes logs it
    assert AccessLog.objects.filter(username=person.email).exists()

    # The person keeps their published sub-agent for the community (not the private one).
    response = delete_page_post(client, person, published="keep")

    assert response.status_code == 200
    assert "Your account is deleted" in response.content.decode()
    assert not User.objects.filter(pk=person_id).exists()
    assert rows_naming(person_id) == {}
    kept.refresh_from_db()
    private.refresh_from_db()
    assert kept.author_id is None and not kept.is_removed and kept.title == "Water"
    assert private.author_id is None and private.is_removed and private.title == ""
    fork.refresh_from_db()
    assert fork.parent_id == kept.id and fork.author_id == bystander.id
    assert Memory.objects.filter(pk=theirs.pk).exists()
    [request] = ErasureRequest.objects.all()
    assert request.state == "done" and request.user_id is None and request.subject_id == person_id
    assert request.counts["community.blueprints_anonymised"] == 1
    assert request.counts["community.blueprints_removed"] == 1
    assert request.counts["accounts.api_tokens"] == 1
    [audit] = AuditEvent.objects.filter(subject_user_id=person_id, action="erase")
    assert audit.purpose == "account deleted by the person" and audit.actor is None
    assert client.get("/accounts/profile/").status_code == 302  # logged out
    for model in (AccessAttempt, AccessLog, AccessFailureLog):  # sign-in traces
        assert not model.objects.filter(username=person.email).exists()
    assert not [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id")]


@pytest.mark.django_db
def test_grace_n_deactivates_and_the_beat_job_erases_only_after_n_days(settings):
    settings.ACCOUNT_DELETION_GRACE_DAYS = 3
    person = person_with_data()
    person_id = person.id
    client = logged_in(person)
    token = api_token_create(user=person, name="script")
    api = Client(headers={"Authorization": f"Bearer {token.secret}"})
    assert api.get("/api/v1/me/").status_code == 200
    asked_at = timezone.now()

    response = delete_page_post(client, person)

    assert response.status_code == 200
    assert "Your account is scheduled for deletion" in response.content.decode()
    person.refresh_from_db()
    assert person.is_active is False
    assert not ApiToken.objects.filter(user=person, revoked_at__isnull=True).exists()
    assert api.get("/api/v1/me/").status_code == 401  # the token is refused
    assert client.get("/accounts/profile/").status_code == 302
    [request] = ErasureRequest.objects.filter(subject_id=person_id)
    assert request.state == "pending" and request.origin == "person"
    assert asked_at + timedelta(days=3) <= request.due_at <= timezone.now() + timedelta(days=3)
    # Logging in is refused: the right password leads to the page that offers to cancel.
    response = Client().post("/accounts/login/", {"username": person.email, "password": PASSWORD})
    assert response.status_code == 302 and response.url == "/accounts/restore/"

    assert erasures_due_execute(now=request.due_at - timedelta(minutes=1)) == 0
    assert User.objects.filter(pk=person_id).exists()
    assert Memory.objects.filter(user_id=person_id).exists()

    assert erasures_due_execute(now=request.due_at + timedelta(minutes=1)) == 1
    assert not User.objects.filter(pk=person_id).exists()
    assert rows_naming(person_id) == {}
    request.refresh_from_db()
    assert request.state == "done" and request.executed_at is not None
    # Idempotent: the job running again changes nothing.
    assert erasures_due_execute(now=request.due_at + timedelta(days=1)) == 0
    assert erasure_request_execute(request_id=request.pk).state == "done"


@pytest.mark.django_db
def test_logging_in_during_the_grace_period_can_cancel_the_deletion(settings):
    settings.ACCOUNT_DELETION_GRACE_DAYS = 7
    person = person_with_data()
    account_deletion_request(user=person, password=PASSWORD, confirmation=person.email)
    visitor = Client()
    # A wrong password says nothing about the deletion.
    response = visitor.post("/accounts/login/", {"username": person.email, "password": "nope"})
    assert response.status_code == 200
    assert "do not match an account" in response.content.decode()
    assert visitor.get("/accounts/restore/").status_code == 302

    response = visitor.post(
        "/accounts/login/", {"username": person.email, "password": PASSWORD}, follow=True
    )
    page = response.content.decode()
    assert "Your account is scheduled for deletion" in page and "Keep my account" in page
    person.refresh_from_db()
    assert person.is_active is False  # seeing the page changes nothing

    response = visitor.post("/accounts/restore/")

    assert response.status_code == 302 and response.url == "/"
    person.refresh_from_db()
    assert person.is_active is True
    assert visitor.get("/accounts/profile/").status_code == 200
    assert ErasureRequest.objects.get(subject_id=person.id).state == "cancelled"
    assert erasures_due_execute(now=timezone.now() + timedelta(days=30)) == 0
    assert User.objects.filter(pk=person.id).exists()
    assert Memory.objects.filter(user=person).exists()
    # The restore offer was used up; the person can delete again later.
    assert Client().get("/accounts/restore/").status_code == 302


@pytest.mark.django_db
def test_a_second_deletion_while_one_is_pending_is_refused(settings):
    settings.ACCOUNT_DELETION_GRACE_DAYS = 7
    staff, person = UserFactory(is_staff=True), UserFactory()
    erasure_request_create(staff=staff, user=person, reason="ticket 7")
    with pytest.raises(DomainError) as refused:
        account_deletion_request(user=person, password=PASSWORD, confirmation=person.email)
    assert refused.value.code == "erasure_pending"
    person.refresh_from_db()
    assert person.is_active and ErasureRequest.objects.count() == 1


# The API -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_delete_me_schedules_the_deletion(settings, api):
    settings.ACCOUNT_DELETION_GRACE_DAYS = 7
    person = UserFactory()
    token = api_token_create(user=person, name="script")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token.secret}")

    response = api.delete(
        "/api/v1/me/", {"password": "wrong", "confirm": person.email}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["password"] == ["That is not your password."]
    response = api.delete("/api/v1/me/", {"confirm": person.email}, format="json")
    assert response.status_code == 400 and "password" in response.json()["error"]["fields"]
    assert not ErasureRequest.objects.exists()

    response = api.delete(
        "/api/v1/me/",
        {"password": PASSWORD, "confirm": person.email, "keep_published": True},
        format="json",
    )

    assert response.status_code == 202
    request = ErasureRequest.objects.get(subject_id=person.id)
    assert response.json()["state"] == "pending"
    assert response.json()["scheduled_for"] == request.due_at.isoformat().replace("+00:00", "Z")
    assert request.keep_published is True
    assert api.get("/api/v1/me/").status_code == 401  # the token was revoked


@pytest.mark.django_db
def test_api_login_during_the_grace_period_says_the_account_is_scheduled(settings, api):
    settings.ACCOUNT_DELETION_GRACE_DAYS = 7
    person = UserFactory()
    request = account_deletion_request(user=person, password=PASSWORD, confirmation=person.email)
    response = api.post(
        "/api/v1/auth/token/", {"email": person.email, "password": "wrong"}, format="json"
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_login"
    response = api.post(
        "/api/v1/auth/token/", {"email": person.email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "deletion_scheduled"
    assert request.due_at.isoformat() in error["message"]
    assert not ApiToken.objects.filter(user=person, revoked_at__isnull=True).exists()


@pytest.mark.django_db
def test_the_deletion_pages_speak_japanese(settings):
    settings.ACCOUNT_DELETION_GRACE_DAYS = 7
    person = UserFactory(preferred_language="ja")
    blueprint_factory(author=person)
    page = logged_in(person).get("/accounts/delete/").content.decode()
    assert "<h1>アカウントの削除</h1>" in page
    assert "7日後に消去されます。" in page
    assert "匿名にしてコミュニティに残す" in page
    assert "Delete your account" not in page


@pytest.mark.django_db
def test_api_delete_me_with_grace_zero_erases_at_once(settings, api):
    settings.ACCOUNT_DELETION_GRACE_DAYS = 0
    person = person_with_data()
    person_id = person.id
    api.force_authenticate(person)
    response = api.delete("/api/v1/me/", {"password": PASSWORD, "confirm": person.email})
    assert response.status_code == 202 and response.json()["state"] == "done"
    assert not User.objects.filter(pk=person_id).exists()


@pytest.mark.django_db
def test_api_delete_me_anonymous_is_401(api):
    response = api.delete("/api/v1/me/", {"password": PASSWORD, "confirm": "x@example.org"})
    assert response.status_code == 401


# Staff --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_file_and_execute_an_erasure_request_with_its_reason_audited():
    staff = UserFactory(is_staff=True, is_superuser=True)
    person = person_with_data()
    person_id = person.id
    admin = logged_in(staff)

    page = admin.get("/admin/accounts/erasurerequest/add/")
    assert page.status_code == 200
    response = admin.post(
        "/admin/accounts/erasurerequest/add/",
        {"user": person.pk, "reason": "  ", "keep_published": ""},
    )
    assert response.status_code == 200 and not ErasureRequest.objects.exists()  # reason needed
    response = admin.post(
        "/admin/accounts/erasurerequest/add/",
        {"user": person.pk, "reason": "GDPR ticket #42", "keep_published": ""},
    )
    assert response.status_code == 302
    [request] = ErasureRequest.objects.all()
    assert (request.origin, request.state, request.requested_by_id) == (
        "staff",
        "pending",
        staff.pk,
    )
    assert User.objects.filter(pk=person_id).exists()  # filed, not yet executed
    listing = admin.get("/admin/accounts/erasurerequest/").content.decode()
    detail = admin.get(f"/admin/accounts/erasurerequest/{request.pk}/change/").content.decode()
    for html in (listing, detail):
        assert "mac_" not in html  # no token secret or prefix
        assert "peanuts" not in html

    response = admin.post(
        "/admin/accounts/erasurerequest/",
        {"action": "execute", "_selected_action": [request.pk]},
    )

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.state == "done" and request.executed_by_id == staff.pk
    assert not User.objects.filter(pk=person_id).exists()
    assert rows_naming(person_id) == {}
    [audit] = AuditEvent.objects.filter(subject_user_id=person_id, action="erase")
    assert audit.purpose == "GDPR ticket #42" and audit.actor_id == staff.pk
    detail = admin.get(f"/admin/accounts/erasurerequest/{request.pk}/change/").content.decode()
    assert "GDPR ticket #42" in detail and "mac_" not in detail


@pytest.mark.django_db
def test_non_staff_cannot_reach_the_erasure_requests_or_execute_them():
    person, target = UserFactory(), UserFactory()
    client = logged_in(person)
    for url in ("/admin/accounts/erasurerequest/", "/admin/accounts/erasurerequest/add/"):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/admin/login/")
    response = client.post(
        "/admin/accounts/erasurerequest/add/", {"user": target.pk, "reason": "because"}
    )
    assert response.status_code == 302 and not ErasureRequest.objects.exists()
    with pytest.raises(DomainError):
        erasure_request_create(staff=person, user=target, reason="because")
    staff = UserFactory(is_staff=True)
    request = erasure_request_create(staff=staff, user=target, reason="ticket 1")
    with pytest.raises(DomainError):
        erasure_request_execute(request_id=request.pk, actor=person)
    assert User.objects.filter(pk=target.pk).exists()
    request.refresh_from_db()
    assert request.state == "pending"


# The beat job on a real worker ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_beat_task_on_the_worker_erases_only_due_deletions(settings, celery_worker):
    from macaron.celery import app

    settings.ACCOUNT_DELETION_GRACE_DAYS = 7
    person = person_with_data()
    person_id = person.id
    request = account_deletion_request(user=person, password=PASSWORD, confirmation=person.email)

    assert app.send_task("accounts.erase_due_accounts").get(timeout=60) == 0
    assert User.objects.filter(pk=person_id).exists()

    # Seven days later (the row is the only state: a restarted worker finds it the same way).
    ErasureRequest.objects.filter(pk=request.pk).update(
        due_at=timezone.now() - timedelta(seconds=1)
    )
    assert app.send_task("accounts.erase_due_accounts").get(timeout=60) == 1
    assert not User.objects.filter(pk=person_id).exists()
    assert rows_naming(person_id) == {}
    assert app.send_task("accounts.erase_due_accounts").get(timeout=60) == 0
