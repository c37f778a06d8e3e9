"""A fixture person with varied memories (kinds, times, pins, importance, languages), shared by
the learning tests."""

from datetime import UTC, datetime, timedelta

from memory.models import Memory
from memory.services import MessageIn, conversation_create, memory_create, messages_ingest

NOW = datetime(2024, 9, 1, 12, 0, tzinfo=UTC)

SAID = [
    ("I went hiking in the Alps with my brother last summer.", 80),
    ("My sister lives in Lisbon and works as a nurse.", 75),
    ("I adopted a grey cat called Pepper from the shelter.", 70),
    ("I am learning the cello, twice a week with a teacher.", 60),
    ("My favourite food is ramen with a soft egg.", 55),
    ("I ran a half marathon in Berlin in two hours.", 50),
    ("I am allergic to peanuts, so I always check labels.", 45),
    ("We repainted the kitchen walls a warm yellow.", 40),
    ("My brother plays the guitar in a jazz band.", 35),
    ("I started a pottery class on Thursday evenings.", 30),
    ("My daughter's school play is about a lost dragon.", 25),
    ("I prefer tea to coffee in the afternoon.", 20),
    ("We are planning a trip to Kyoto in the spring.", 15),
    ("I volunteer at the animal shelter on Saturdays.", 10),
    ("My doctor told me to walk more after lunch.", 7),
    ("I finished reading a novel about a lighthouse keeper.", 5),
    ("私は毎朝コーヒーを飲みます。", 4),
    ("저는 주말마다 등산을 가요.", 3),
]
STATED = [
    ("My phone number ends in 42.", True),
    ("I want to learn to bake sourdough bread.", False),
]
QUERIES = [
    "What instrument am I learning?",
    "Where does my sister live?",
    "Tell me about my cat",
    "What did I do in the Alps?",
    "What food do I like?",
    "What am I planning for spring?",
    "hiking",
    "What happened two days ago?",
    "Who plays music in my family?",
    "What do I drink in the morning?",
]


def fixture_person(user) -> None:
    """Memories said on different days (so recency, time match and strength differ), a pinned
    one, and importance spread by hand, all deterministic."""
    conversation = conversation_create(user=user)
    for index, (text, days_ago) in enumerate(SAID):
        messages_ingest(
            user=user,
            conversation=conversation,
            messages=[
                MessageIn(
                    text=text,
                    sent_at=NOW - timedelta(days=days_ago),
                    external_id=f"S{index}",
                )
            ],
        )
    for text, pinned in STATED:
        memory_create(user=user, text=text, pinned=pinned)
    for index, memory in enumerate(Memory.objects.filter(user=user).order_by("id")):
        Memory.objects.filter(pk=memory.pk).update(
            importance=0.3 + 0.05 * (index % 8), recall_count=index % 3
        )
