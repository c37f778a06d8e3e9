"""Key rotation status and worker/queue health on the staff console."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from macaron.health import heartbeat_record
from macaron.keyring import keyring_state
from macaron.models import Heartbeat
from macaron.vault import cipher_for
from memory.staff.selectors import system_status
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_status_shows_the_active_key_data_keys_and_heartbeat(client):
    people = [UserFactory(), UserFactory()]
    for person in people:
        cipher_for(person.pk).encrypt("x")  # makes the person's data key
    heartbeat_record(name="worker")
    Heartbeat.objects.filter(name="worker").update(seen_at=timezone.now() - timedelta(seconds=40))

    status = system_status()
    active = keyring_state().active
    assert status.keys["current_key_id"] == active
    assert status.keys["keys_by_master_key_id"][active] >= 2
    assert status.heartbeat["ok"] is True
    assert 39 <= status.heartbeat["age_s"] <= 60
    assert status.queues["celery"] is None or status.queues["celery"] >= 0

    client.force_login(UserFactory(is_staff=True))
    page = client.get(reverse("staff-system")).content.decode()
    assert f'id="active-key">{active}<' in page
    assert 'id="stale-keys">0<' in page
    assert "s ago" in page


def test_a_stale_heartbeat_shows(client):
    heartbeat_record(name="worker")
    Heartbeat.objects.filter(name="worker").update(seen_at=timezone.now() - timedelta(hours=1))
    client.force_login(UserFactory(is_staff=True))
    page = client.get(reverse("staff-system")).content.decode()
    assert "stale or missing" in page
