from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from macaron.vault import cipher_for
from memory.models import AuditEvent, Memory
from memory.services import MessageIn, conversation_create, memory_create, messages_ingest
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGE = "/memories/"


def said(user, text: str, sent_at: datetime, external_id: str = "") -> Memory:
    [message] = messages_ingest(
        user=user,
        conversation=conversation_create(user=user),
        messages=[MessageIn(text=text, sent_at=sent_at, external_id=external_id)],
        schedule_compression=False,
    )
    return Memory.objects.get(sources__message=message)


def text_of(memory: Memory) -> str:
    return cipher_for(memory.user_id).decrypt(memory.text_ct)


def flashes(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def web(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def other():
    return UserFactory()


def test_page_requires_login(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/memories/"


def test_nav_links_to_the_page(web):
    body = web.get("/").content.decode()
    assert '<a href="/memories/" >Memories</a>' in body
    page = web.get(PAGE).content.decode()
    assert '<a href="/memories/" aria-current="page">Memories</a>' in page


def test_empty_page(web):
    response = web.get(PAGE)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1>What I remember</h1>" in body
    assert "I do not remember anything about you yet." in body
    assert "0 memories" in body


def test_page_lists_memories_with_provenance(web, user):
    said(user, "I ran a marathon in Berlin yesterday!", datetime(2024, 5, 8, 12, tzinfo=UTC))
    memory_create(user=user, text="I am allergic to peanuts", privacy="private", pinned=True)

    response = web.get(PAGE)

    assert response.status_code == 200
    body = response.content.decode()
    assert "2 memories" in body
    assert "I ran a marathon in Berlin yesterday!" in body
    assert "I am allergic to peanuts" in body
    assert (
        'You told me this on <time datetime="2024-05-08T12:00:00+00:00">8 May 2024</time>' in body
    )
    assert "You added this on" in body
    assert '<span class="chip">Fitness</span>' in body
    assert '<span class="chip">Health</span>' in body
    assert '<span class="badge">Event</span>' in body
    assert '<span class="badge privacy-private">Private</span>' in body
    assert body.count('<span class="badge pin-mark">pinned</span>') == 1
    assert body.index("I am allergic to peanuts") < body.index("I ran a marathon")  # newest first


def test_provenance_date_is_in_the_persons_time_zone(web, user):
    user.time_zone = "Asia/Tokyo"
    user.save(update_fields=["time_zone"])
    said(user, "I started learning Korean at school", datetime(2024, 3, 9, 20, tzinfo=UTC))

    body = web.get(PAGE).content.decode()

    assert "10 March 2024</time>" in body


def test_page_never_shows_someone_elses_memories(web, user, other):
    memory_create(user=user, text="I am allergic to peanuts")
    memory_create(user=other, text="I am allergic to shellfish")

    for params in ({}, {"q": "shellfish allergy", "more": "1"}):
        body = web.get(PAGE, params).content.decode()
        assert "I am allergic to peanuts" in body
        assert "I am allergic to shellfish" not in body


def test_page_is_paginated(web, user, monkeypatch):
    monkeypatch.setattr("memory.views.PAGE_SIZE", 2)
    for text in ["I am allergic to peanuts", "My sister lives in Lisbon", "I play the cello"]:
        memory_create(user=user, text=text)

    first = web.get(PAGE).content.decode()
    assert "Page 1 of 2" in first
    assert "I play the cello" in first
    assert "I am allergic to peanuts" not in first
    second = web.get(PAGE, {"page": 2}).content.decode()
    assert "I am allergic to peanuts" in second
    assert "I play the cello" not in second
    assert web.get(PAGE, {"page": "zzz"}).status_code == 200


def test_search_box_ranks_by_retrieval(web, user):
    memory_create(user=user, text="My sister lives in Lisbon")
    memory_create(user=user, text="I am allergic to peanuts")

    response = web.get(PAGE, {"q": "peanut allergy", "more": "1"})

    assert response.status_code == 200
    body = response.content.decode()
    assert body.index("I am allergic to <mark>peanuts</mark>") < body.index(
        "My sister lives in Lisbon"
    )
    assert AuditEvent.objects.filter(action="retrieve", purpose="person").count() == 1


def test_search_shows_only_relevant_memories_and_the_rest_on_show_more(web, user):
    for text in [
        "My sister lives in Lisbon",
        "I play the cello on weekends",
        "I work as a software engineer",
        "I am allergic to peanuts",
        "I like green tea",
    ]:
        memory_create(user=user, text=text)

    body = web.get(PAGE, {"q": "peanut allergy"}).content.decode()

    assert "I am allergic to <mark>peanuts</mark>" in body
    assert 'Matched: <span class="chip match-term">peanuts</span>' in body
    for unrelated in ["Lisbon", "cello", "software engineer", "green tea"]:
        assert unrelated not in body
    assert "1 relevant match" in body
    assert (
        '<a href="?q=peanut+allergy&amp;more=1" id="show-more">Show 4 more, less related</a>'
        in (body)
    )
    more = web.get(PAGE, {"q": "peanut allergy", "more": "1"}).content.decode()
    assert more.index("<mark>peanuts</mark>") < min(
        more.index(text) for text in ["Lisbon", "cello", "software engineer", "green tea"]
    )
    assert more.count("less related</p>") == 4
    assert "5 matches, closest first" in more


def test_a_word_in_every_memory_does_not_make_them_all_relevant(web, user):
    for text in [
        "Anna loves hiking in the hills",
        "Anna moved to Berlin last year",
        "Anna plays the violin",
        "Anna's dog is called Rex",
    ]:
        memory_create(user=user, text=text)

    body = web.get(PAGE, {"q": "Anna violin"}).content.decode()

    assert "<mark>Anna</mark> plays the <mark>violin</mark>" in body
    assert "1 relevant match" in body
    for other in ["hiking", "Berlin", "Rex"]:
        assert other not in body


def test_search_highlight_escapes_the_memory_text(web, user):
    memory_create(user=user, text="<b>peanuts</b> & <script>x</script> are bad for me")

    body = web.get(PAGE, {"q": "peanuts"}).content.decode()

    assert "&lt;b&gt;<mark>peanuts</mark>&lt;/b&gt; &amp; &lt;script&gt;x&lt;/script&gt;" in body
    assert "<script>x" not in body


def test_search_finds_by_meaning_across_languages(web, user):
    memory_create(user=user, text="私はピーナッツアレルギーです")
    memory_create(user=user, text="My sister lives in Lisbon")
    memory_create(user=user, text="I play the cello on weekends")

    body = web.get(PAGE, {"q": "peanut allergy"}).content.decode()

    assert "私はピーナッツアレルギーです" in body
    assert "close in meaning" in body
    assert "Lisbon" not in body


def test_pinned_memories_sort_first(web, user):
    first = memory_create(user=user, text="I am allergic to peanuts", pinned=True)
    memory_create(user=user, text="My sister lives in Lisbon")
    memory_create(user=user, text="I play the cello")

    body = web.get(PAGE).content.decode()

    assert body.index(f'id="memory-{first.id}"') < body.index("I play the cello")
    assert body.index("I play the cello") < body.index("My sister lives in Lisbon")


def test_provenance_links_to_the_conversation_moment(web, user):
    memory = said(user, "I started learning Korean at school", datetime(2024, 3, 9, 20, tzinfo=UTC))
    message = memory.sources.get().message

    body = web.get(PAGE).content.decode()

    link = f'href="/chat/{message.conversation_id}/#message-{message.id}"'
    assert link in body
    chat = web.get(f"/chat/{message.conversation_id}/").content.decode()
    assert f'id="message-{message.id}"' in chat


def test_filter_by_domain_and_time(web, user):
    said(user, "I adopted a cat named Miso", datetime(2024, 1, 10, 9, tzinfo=UTC))
    said(user, "I ran a marathon in Berlin yesterday!", datetime(2024, 5, 8, 12, tzinfo=UTC))

    by_domain = web.get(PAGE, {"domain": "fitness"}).content.decode()
    assert "I ran a marathon" in by_domain
    assert "Miso" not in by_domain
    by_time = web.get(PAGE, {"since": "2024-01-01", "until": "2024-01-31"}).content.decode()
    assert "Miso" in by_time
    assert "I ran a marathon" not in by_time
    nothing = web.get(PAGE, {"since": "2023-01-01", "until": "2023-01-31"}).content.decode()
    assert "Nothing I remember matches that." in nothing


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"since": "last tuesday"}, "Enter a valid date."),
        ({"since": "2024-02-30"}, "Enter a valid date."),
        ({"since": "2024-05-02", "until": "2024-05-01"}, "The end date is before the start date."),
        ({"domain": "astrology"}, "Select a valid choice."),
        ({"q": "x" * 2_001}, "Ensure this value has at most 2000 characters"),
    ],
)
def test_bad_filters_show_inline_errors(web, user, params, error):
    memory_create(user=user, text="I am allergic to peanuts")
    response = web.get(PAGE, params)
    assert response.status_code == 400
    body = response.content.decode()
    assert error in body
    assert 'class="field has-error"' in body
    assert "Fix the search above to see your memories." in body
    assert "I am allergic to peanuts" not in body


def test_create_from_the_page(web, user):
    response = web.post(
        PAGE,
        {"new-text": "I am allergic to peanuts", "new-privacy": "private", "new-pinned": "on"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/memories/"
    assert flashes(response) == ["Got it — I will remember that."]
    memory = Memory.objects.get(user=user)
    assert text_of(memory) == "I am allergic to peanuts"
    assert (memory.privacy, memory.pinned, memory.source) == ("private", True, "manual")


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"new-text": "", "new-privacy": "normal"}, "This field is required."),
        ({"new-text": "   ", "new-privacy": "normal"}, "This field is required."),
        (
            {"new-text": "x" * 25_000, "new-privacy": "normal"},
            "Ensure this value has at most 4000 characters (it has 25000).",
        ),
        ({"new-text": "I like tea", "new-privacy": "public"}, "Select a valid choice."),
    ],
)
def test_create_errors_are_inline(web, data, error):
    response = web.post(PAGE, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert error in body
    assert 'class="field has-error"' in body
    assert not Memory.objects.exists()


def test_pin_and_unpin(web, user):
    memory = memory_create(user=user, text="I am allergic to peanuts")

    pinned = web.post(f"{PAGE}{memory.id}/pin/", {"pinned": "on", "next": "/memories/?q=x"})
    assert pinned["Location"] == "/memories/?q=x"
    memory.refresh_from_db()
    assert memory.pinned is True
    assert "Unpin</button>" in web.get(PAGE).content.decode()

    web.post(f"{PAGE}{memory.id}/pin/", {"pinned": ""})
    memory.refresh_from_db()
    assert memory.pinned is False


def test_set_privacy(web, user):
    memory = memory_create(user=user, text="I am allergic to peanuts")

    response = web.post(f"{PAGE}{memory.id}/privacy/", {"privacy": "secret"})

    assert response.status_code == 302
    assert flashes(response) == ["Privacy set to secret."]
    memory.refresh_from_db()
    assert memory.privacy == "secret"


def test_set_unknown_privacy_changes_nothing(web, user):
    memory = memory_create(user=user, text="I am allergic to peanuts", privacy="normal")

    response = web.post(f"{PAGE}{memory.id}/privacy/", {"privacy": "public"}, follow=True)

    assert response.status_code == 200
    assert "Choose one of the privacy levels." in response.content.decode()
    memory.refresh_from_db()
    assert memory.privacy == "normal"


def test_edit_page_shows_and_saves(web, user):
    memory = said(
        user,
        "I am allergic to peanuts",
        datetime(2024, 5, 8, 9, 30, tzinfo=UTC),
        external_id="tg-41",
    )

    page = web.get(f"{PAGE}{memory.id}/edit/?next=/memories/%3Fdomain%3Dhealth")
    assert page.status_code == 200
    body = page.content.decode()
    assert "I am allergic to peanuts</textarea>" in body
    assert "8 May 2024, 09:30" in body
    assert "(tg-41)" in body
    assert 'value="/memories/?domain=health"' in body

    response = web.post(
        f"{PAGE}{memory.id}/edit/",
        {
            "text": "I am allergic to cashews",
            "privacy": "private",
            "pinned": "on",
            "domains": ["food", "health"],
            "reauth_required": "on",
            "share_with_companion": "on",
            "expires_at": "2030-01-01",
            "next": "/memories/?domain=health",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/memories/?domain=health"
    memory.refresh_from_db()
    assert text_of(memory) == "I am allergic to cashews"
    assert (memory.privacy, memory.pinned, memory.domains) == ("private", True, ["food", "health"])
    assert memory.policy == {  # not shared with sub-agents: the private level's default
        "reauth_required": True,
        "expires_at": "2030-01-01T23:59:59.999999+00:00",
    }


def test_edit_keeps_domains_the_person_did_not_touch(web, user):
    memory = memory_create(user=user, text="I am allergic to peanuts")
    Memory.objects.filter(pk=memory.pk).update(domains=["food", "health"])

    web.post(
        f"{PAGE}{memory.id}/edit/",
        {
            "text": "I am allergic to peanuts",
            "privacy": "normal",
            "domains": ["food", "health"],
            "share_with_subagents": "on",
            "share_with_companion": "on",
        },
    )

    memory.refresh_from_db()
    assert memory.domains == ["food", "health"]
    assert memory.policy == {}


def test_edit_sets_the_new_rules_and_shares_a_private_memory(web, user):
    memory = memory_create(user=user, text="I am allergic to peanuts")
    assert memory.privacy == "private"
    page = web.get(f"{PAGE}{memory.id}/edit/").content.decode()
    assert 'name="share_with_subagents" id="id_share_with_subagents"' in page  # unchecked
    assert 'name="share_with_companion" id="id_share_with_companion" checked' in page

    web.post(
        f"{PAGE}{memory.id}/edit/",
        {
            "text": "I am allergic to peanuts",
            "privacy": "private",
            "share_with_subagents": "on",
            "retention_days": "30",
        },
    )

    memory.refresh_from_db()
    assert memory.policy == {
        "share_with_subagents": True,
        "share_with_companion": False,
        "retention_days": 30,
    }


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"text": "", "privacy": "normal"}, "This field is required."),
        ({"text": "x" * 25_000, "privacy": "normal"}, "at most 4000 characters"),
        ({"text": "I like tea", "privacy": "public"}, "Select a valid choice."),
        ({"text": "I like tea", "privacy": "normal", "expires_at": "soon"}, "Enter a valid date."),
        ({"text": "I like tea", "privacy": "normal", "domains": ["x"]}, "Select a valid choice."),
    ],
)
def test_edit_errors_are_inline_and_change_nothing(web, user, data, error):
    memory = memory_create(user=user, text="I am allergic to peanuts")
    before = Memory.objects.filter(pk=memory.pk).values().get()

    response = web.post(f"{PAGE}{memory.id}/edit/", data)

    assert response.status_code == 400
    assert error in response.content.decode()
    assert Memory.objects.filter(pk=memory.pk).values().get() == before


def trashed_ids() -> set[int]:
    return set(Memory.objects.filter(forgotten_at__isnull=False).values_list("id", flat=True))


def test_forget_one_asks_first(web, user):
    memory = memory_create(user=user, text="I am allergic to peanuts")
    before = Memory.objects.filter(pk=memory.pk).values().get()

    response = web.get(f"{PAGE}{memory.id}/forget/", {"next": "/memories/?q=peanuts"})

    assert response.status_code == 200
    body = response.content.decode()
    assert "Forget this memory?" in body
    assert "I am allergic to peanuts" in body
    assert "It stays in the trash for 30 days" in body
    assert f'action="/memories/{memory.id}/forget/"' in body
    assert '<a href="/memories/?q=peanuts">Cancel</a>' in body
    assert Memory.objects.filter(pk=memory.pk).values().get() == before


def test_forget_one_moves_it_to_the_trash_and_offers_undo(web, user):
    keep = memory_create(user=user, text="My sister lives in Lisbon")
    gone = memory_create(user=user, text="I am allergic to peanuts")

    response = web.post(
        f"{PAGE}{gone.id}/forget/", {"next": "https://evil.example/", "confirm": "on"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/memories/"
    assert flashes(response) == ["Moved 1 memory to the trash."]
    assert trashed_ids() == {gone.id}
    assert set(Memory.objects.values_list("id", flat=True)) == {keep.id, gone.id}
    page = web.get(PAGE).content.decode()
    assert "I am allergic to peanuts" not in page
    assert 'id="undo"' in page
    assert f'<input type="hidden" name="ids" value="{gone.id}">' in page
    assert 'id="undo"' not in web.get(PAGE).content.decode()  # offered once

    undone = web.post(f"{PAGE}trash/restore/", {"ids": [gone.id], "next": PAGE})

    assert undone.status_code == 302
    assert undone["Location"] == PAGE
    assert flashes(undone) == ["Restored 1 memory."]
    assert trashed_ids() == set()
    assert "I am allergic to peanuts" in web.get(PAGE).content.decode()


def test_bulk_forget_confirms_then_only_touches_own_memories(web, user, other):
    mine = [
        memory_create(user=user, text="My sister lives in Lisbon"),
        memory_create(user=user, text="I am allergic to peanuts"),
    ]
    keep = memory_create(user=user, text="I play the cello")
    theirs = memory_create(user=other, text="I collect stamps")
    ids = [mine[0].id, mine[1].id, theirs.id]

    asked = web.post(f"{PAGE}forget/", {"ids": ids})

    assert asked.status_code == 200
    body = asked.content.decode()
    assert "Forget these 2 memories?" in body
    assert "My sister lives in Lisbon" in body and "I am allergic to peanuts" in body
    assert "I collect stamps" not in body and "I play the cello" not in body
    assert f'name="ids" value="{theirs.id}"' not in body
    assert trashed_ids() == set()

    response = web.post(f"{PAGE}forget/", {"ids": ids, "confirm": "on"})

    assert response.status_code == 302
    assert flashes(response) == ["Moved 2 memories to the trash."]
    assert trashed_ids() == {mine[0].id, mine[1].id}
    assert Memory.objects.get(pk=keep.id).forgotten_at is None
    assert Memory.objects.get(pk=theirs.id).forgotten_at is None


def test_trash_page_lists_restorable_items_with_days_left(web, user, other, settings):
    settings.MEMORY_TRASH_DAYS = 7
    memory = memory_create(user=user, text="I am allergic to peanuts")
    expired = memory_create(user=user, text="My sister lives in Lisbon")
    theirs = memory_create(user=other, text="I collect stamps")
    now = timezone.now()
    Memory.objects.filter(pk=memory.pk).update(forgotten_at=now - timedelta(days=2, hours=1))
    Memory.objects.filter(pk=expired.pk).update(forgotten_at=now - timedelta(days=8))
    Memory.objects.filter(pk=theirs.pk).update(forgotten_at=now)

    body = web.get(f"{PAGE}trash/").content.decode()

    assert "I am allergic to peanuts" in body
    assert "Erased for good in 4 days" in body
    assert "Lisbon" not in body  # past the grace period: waiting for the purge, not restorable
    assert "I collect stamps" not in body


def test_someone_else_cannot_restore_or_erase_my_trash(web, user, other):
    memory = memory_create(user=other, text="I collect stamps")
    Memory.objects.filter(pk=memory.pk).update(forgotten_at=timezone.now())
    before = Memory.objects.filter(pk=memory.pk).values().get()

    restored = web.post(f"{PAGE}trash/restore/", {"ids": [memory.id]})
    erased = web.post(f"{PAGE}trash/erase/", {"ids": [memory.id], "confirm": "on"})

    assert restored.status_code == 302
    assert flashes(restored) == ["Nothing to restore: it is no longer in the trash."]
    assert erased.status_code == 302
    assert Memory.objects.filter(pk=memory.pk).values().get() == before


def test_erase_from_the_trash_asks_then_deletes_for_good(web, user):
    memory = memory_create(user=user, text="I am allergic to peanuts")
    web.post(f"{PAGE}{memory.id}/forget/", {"confirm": "on"})

    asked = web.post(f"{PAGE}trash/erase/", {"ids": [memory.id]})
    assert asked.status_code == 200
    assert "Erase 1 memory for good?" in asked.content.decode()
    assert Memory.objects.filter(pk=memory.pk).exists()

    response = web.post(f"{PAGE}trash/erase/", {"ids": [memory.id], "confirm": "on"})

    assert response.status_code == 302
    assert flashes(response) == ["Erased 1 memory for good."]
    assert not Memory.objects.filter(pk=memory.pk).exists()


@pytest.mark.parametrize(
    "data", [{}, {"ids": ["abc"]}, {"ids": ["0"]}, {"ids": ["99999999999999999999"]}]
)
def test_restore_refuses_bad_input(web, user, data):
    memory = memory_create(user=user, text="I am allergic to peanuts")
    Memory.objects.filter(pk=memory.pk).update(forgotten_at=timezone.now())

    response = web.post(f"{PAGE}trash/restore/", data)

    assert response.status_code == 302
    assert trashed_ids() == {memory.id}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Tick the memories you want me to forget."),
        ({"ids": ["abc"]}, "Choose memories from the list."),
        ({"ids": ["99999999999999999999"]}, "Choose memories from the list."),
    ],
)
def test_bulk_forget_bad_input(web, user, data, message):
    memory = memory_create(user=user, text="I am allergic to peanuts")
    response = web.post(f"{PAGE}forget/", {**data, "confirm": "on"})
    assert response.status_code == 302
    assert flashes(response) == [message]
    assert list(Memory.objects.values_list("id", flat=True)) == [memory.id]
    assert trashed_ids() == set()


def test_someone_elses_memory_is_404_on_every_action(web, other):
    memory = memory_create(user=other, text="I collect stamps")
    before = Memory.objects.filter(pk=memory.pk).values().get()

    responses = [
        web.get(f"{PAGE}{memory.id}/edit/"),
        web.post(f"{PAGE}{memory.id}/edit/", {"text": "mine now", "privacy": "normal"}),
        web.post(f"{PAGE}{memory.id}/pin/", {"pinned": "on"}),
        web.post(f"{PAGE}{memory.id}/privacy/", {"privacy": "secret"}),
        web.post(f"{PAGE}{memory.id}/forget/", {"confirm": "on"}),
        web.get(f"{PAGE}{memory.id}/forget/"),
    ]

    assert [r.status_code for r in responses] == [404] * 6
    assert "I collect stamps" not in responses[0].content.decode()
    assert Memory.objects.filter(pk=memory.pk).values().get() == before


def test_actions_refuse_get(web, user):
    memory = memory_create(user=user, text="I am allergic to peanuts")
    for action in ("pin", "privacy"):
        assert web.get(f"{PAGE}{memory.id}/{action}/").status_code == 405
    for url in ("forget/", "trash/restore/", "trash/erase/"):
        assert web.get(f"{PAGE}{url}").status_code == 405
    assert web.put(f"{PAGE}{memory.id}/forget/").status_code == 405
    assert Memory.objects.filter(pk=memory.pk, pinned=False).exists()


def test_page_query_count_does_not_grow_with_memories(web, user):
    texts = [
        "I am allergic to peanuts",
        "My sister lives in Lisbon",
        "I play the cello",
        "I ran a marathon in Berlin",
        "My favourite tea is jasmine",
    ]
    said(user, texts[0], datetime(2024, 1, 1, tzinfo=UTC))
    web.get(PAGE)  # once to fill the per-process caches (the active scoring policy)
    with CaptureQueriesContext(connection) as few:
        web.get(PAGE)
    for i, text in enumerate(texts[1:]):
        said(user, text, datetime(2024, 2, i + 1, tzinfo=UTC))
    with CaptureQueriesContext(connection) as many:
        assert "5 memories" in web.get(PAGE).content.decode()
    assert len(many) == len(few)


@pytest.mark.parametrize(
    ("language", "confirm", "undo", "days_left"),
    [
        ("ja", "この1件の記憶を忘れますか？", "記憶1件を忘れました。", "あと29日で完全に消去"),
        ("ko", "기억 1개를 잊을까요?", "기억 1개를 잊었습니다.", "29일 후 영구히 삭제"),
    ],
)
def test_forgetting_and_the_trash_speak_the_persons_language(
    client, language, confirm, undo, days_left
):
    person = UserFactory(preferred_language=language)
    client.force_login(person)
    memory = memory_create(user=person, text="I keep bees in the garden")

    assert confirm in client.get(f"{PAGE}{memory.id}/forget/").content.decode()
    client.post(f"{PAGE}{memory.id}/forget/", {"confirm": "on"})
    assert undo in client.get(PAGE).content.decode()
    trash = client.get(f"{PAGE}trash/").content.decode()
    assert days_left in trash
    assert "Erased for good" not in trash and "Restore" not in trash
