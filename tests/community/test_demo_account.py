"""`make run`'s living demo account: a month of conversations turned into memories with
provenance, reminders ahead, tools with weeks of entries, a fork others use; seeded once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Onboarding
from accounts.selectors import demo_user
from community.models import Blueprint, Import, Rating
from macaron.startup import startup_prepare
from macaron.timezones import user_zone
from memory.companion.demo import AHEAD, TALKS
from memory.companion.reminders import upcoming_reminders_for
from memory.models import Conversation, Memory, Message, Reminder
from memory.selectors import memories_for_user
from subagents.models import Entry, Installation

pytestmark = pytest.mark.django_db


def _counts(user) -> tuple:
    return (
        Message.objects.filter(user=user).count(),
        Memory.objects.filter(user=user).count(),
        Reminder.objects.filter(user=user).count(),
        Entry.objects.filter(user=user).count(),
        Installation.objects.filter(user=user).count(),
        Blueprint.objects.count(),
        Import.objects.count(),
    )


def test_the_demo_account_is_lived_in_and_seeded_once(monkeypatch):
    monkeypatch.setenv("DEMO_EMAIL", "alex@demo.example")
    monkeypatch.setenv("DEMO_PASSWORD", "demo-pass-2026")
    lines = startup_prepare()
    assert lines[0] == "Demo login: alex@demo.example / demo-pass-2026"
    user = demo_user()
    assert user is not None and user.check_password("demo-pass-2026")
    now = timezone.now()
    zone = user_zone(user)
    today = now.astimezone(zone).date()

    onboarding = Onboarding.objects.get(user=user)
    assert onboarding.completed_at is not None and user.companion.name
    assert (now - onboarding.completed_at).days >= 30  # met the companion five weeks ago

    # A month of conversations, each line answered by the companion, all in the past.
    said = Message.objects.filter(user=user, role=Message.Role.USER, external_id__startswith="demo")
    assert said.count() == sum(len(talk.lines) for talk in TALKS)
    replies = Message.objects.filter(user=user, role=Message.Role.COMPANION)
    assert replies.filter(external_id__startswith="demo").count() == said.count()
    first, last = said.order_by("sent_at").first(), said.order_by("sent_at").last()
    assert (last.sent_at - first.sent_at).days >= 28 and last.sent_at < now
    assert Conversation.objects.filter(user=user).count() == len(TALKS) + 1  # + the welcome

    # Memories of what Alex said, each traced to the message it came from, embedded.
    chat = Memory.objects.filter(user=user, source=Memory.Source.CHAT)
    assert chat.count() >= 10
    assert not chat.filter(sources__message__isnull=True).exists()
    assert set(chat.values_list("sources__message__role", flat=True)) == {Message.Role.USER}
    texts = [view.text for view in memories_for_user(user=user)]
    for fact in ("allergic to peanuts", "product designer", "Lena", "Lisbon", "turning 34"):
        assert any(fact in text for text in texts), fact

    # Reminders ahead: Lena's birthday, the trip, Alex's birthday and the dentist.
    upcoming = Reminder.objects.filter(
        user=user, state=Reminder.State.SCHEDULED, due_at__gt=now
    ).select_related("memory")
    days = {r.memory.event_time.astimezone(zone).date() for r in upcoming}
    for key in ("dentist", "lena", "lisbon", "birthday"):
        assert today + timedelta(days=AHEAD[key]) in days, key
    assert len(upcoming_reminders_for(user=user)) >= 4

    # Tools with weeks of entries: the welcome gift's and the running log.
    tools = Installation.objects.filter(user=user, entries__isnull=False).distinct()
    assert {t.source for t in tools} >= {"catalogue:hydration", "catalogue:running"}
    span = Entry.objects.filter(user=user).order_by("occurred_at")
    assert (span.last().occurred_at - span.first().occurred_at).days >= 28
    for tool in tools:
        weeks = {e.occurred_at.astimezone(zone).isocalendar()[:2] for e in tool.entries.all()}
        assert len(weeks) >= 3, tool.source
    assert Memory.objects.filter(user=user, source=Memory.Source.SUBAGENT).exists()

    # In the community: Alex forked a tool others published; others import and rate the fork.
    fork = Blueprint.objects.get(author=user)
    assert fork.parent is not None and fork.parent.author_id != user.id
    assert Import.objects.filter(blueprint=fork).exclude(user=user).count() >= 3
    assert Rating.objects.filter(blueprint=fork).count() >= 3
    assert Import.objects.filter(user=user).exclude(blueprint=fork).exists()

    before = _counts(user)
    again = startup_prepare()
    assert again[0] == lines[0]
    assert _counts(user) == before
