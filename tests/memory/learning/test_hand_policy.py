"""The hand policy reproduces the ranking retrieve() gave before policies existed."""

import pytest

from memory.learning.policy import HAND
from memory.retrieval.search import retrieve
from tests.memory.learning.fixture import NOW, QUERIES, fixture_person

pytestmark = pytest.mark.django_db

# Recorded with main's retrieve() (commit 13f382d, per-row `_boost`) on the fixture person:
# for each query, the texts in order and their scores rounded to 9 places.
GOLDEN: dict[str, list[tuple[str, float]]] = {
    "What instrument am I learning?": [
        ("I want to learn to bake sourdough bread.", 0.157033352),
        ("I am learning the cello, twice a week with a teacher.", 0.120067506),
        ("I started a pottery class on Thursday evenings.", 0.099107329),
        ("저는 주말마다 등산을 가요.", 0.09048179),
        ("My favourite food is ramen with a soft egg.", 0.084845113),
        ("My phone number ends in 42.", 0.08),
        ("My daughter's school play is about a lost dragon.", 0.080979463),
        ("My brother plays the guitar in a jazz band.", 0.07465379),
    ],
    "Where does my sister live?": [
        ("My sister lives in Lisbon and works as a nurse.", 0.150502512),
        ("저는 주말마다 등산을 가요.", 0.095508556),
        ("My phone number ends in 42.", 0.090666667),
        ("I adopted a grey cat called Pepper from the shelter.", 0.090651657),
        ("I went hiking in the Alps with my brother last summer.", 0.088611411),
        ("I want to learn to bake sourdough bread.", 0.07296875),
        ("I am learning the cello, twice a week with a teacher.", 0.077216681),
        ("My brother plays the guitar in a jazz band.", 0.070262391),
    ],
    "Tell me about my cat": [
        ("I adopted a grey cat called Pepper from the shelter.", 0.143674842),
        ("私は毎朝コーヒーを飲みます。", 0.121664359),
        ("I volunteer at the animal shelter on Saturdays.", 0.096973127),
        ("I am learning the cello, twice a week with a teacher.", 0.098275775),
        ("My phone number ends in 42.", 0.085),
        ("I prefer tea to coffee in the afternoon.", 0.075547182),
        ("My doctor told me to walk more after lunch.", 0.070880721),
        ("My daughter's school play is about a lost dragon.", 0.065570114),
    ],
    "What did I do in the Alps?": [
        ("I went hiking in the Alps with my brother last summer.", 0.24580879),
        ("저는 주말마다 등산을 가요.", 0.132242616),
        ("I am allergic to peanuts, so I always check labels.", 0.086593787),
        ("My sister lives in Lisbon and works as a nurse.", 0.089244124),
        ("私は毎朝コーヒーを飲みます。", 0.081109573),
        ("I finished reading a novel about a lighthouse keeper.", 0.078809878),
        ("My doctor told me to walk more after lunch.", 0.079740811),
        ("My brother plays the guitar in a jazz band.", 0.064380038),
    ],
    "What food do I like?": [
        ("My favourite food is ramen with a soft egg.", 0.209611279),
        ("私は毎朝コーヒーを飲みます。", 0.142561617),
        ("I ran a half marathon in Berlin in two hours.", 0.101875586),
        ("저는 주말마다 등산을 가요.", 0.095508556),
        ("I want to learn to bake sourdough bread.", 0.090535714),
        ("I prefer tea to coffee in the afternoon.", 0.082213848),
        ("We repainted the kitchen walls a warm yellow.", 0.072726513),
        ("We are planning a trip to Kyoto in the spring.", 0.070978317),
    ],
    "What am I planning for spring?": [
        ("We are planning a trip to Kyoto in the spring.", 0.285000155),
        ("I volunteer at the animal shelter on Saturdays.", 0.105513696),
        ("저는 주말마다 등산을 가요.", 0.095508556),
        ("I want to learn to bake sourdough bread.", 0.089807692),
        ("I started a pottery class on Thursday evenings.", 0.077806282),
        ("My daughter's school play is about a lost dragon.", 0.074312796),
        ("I went hiking in the Alps with my brother last summer.", 0.065746772),
        ("I prefer tea to coffee in the afternoon.", 0.066659278),
    ],
    "hiking": [
        ("I went hiking in the Alps with my brother last summer.", 0.209445154),
        ("저는 주말마다 등산을 가요.", 0.155762834),
        ("My phone number ends in 42.", 0.085),
        ("I want to learn to bake sourdough bread.", 0.083392857),
        ("私は毎朝コーヒーを飲みます。", 0.085165051),
        ("I ran a half marathon in Berlin in two hours.", 0.08137543),
        ("My sister lives in Lisbon and works as a nurse.", 0.082379192),
        ("I volunteer at the animal shelter on Saturdays.", 0.064480592),
    ],
    "What happened two days ago?": [
        ("I am allergic to peanuts, so I always check labels.", 0.110210274),
        ("My daughter's school play is about a lost dragon.", 0.092890995),
        ("We repainted the kitchen walls a warm yellow.", 0.087411593),
        ("I finished reading a novel about a lighthouse keeper.", 0.084439155),
        ("I ran a half marathon in Berlin in two hours.", 0.081666358),
        ("I went hiking in the Alps with my brother last summer.", 0.07012989),
        ("My phone number ends in 42.", 0.068),
        ("I prefer tea to coffee in the afternoon.", 0.070825483),
    ],
    "Who plays music in my family?": [
        ("My brother plays the guitar in a jazz band.", 0.132554174),
        ("저는 주말마다 등산을 가요.", 0.114610268),
        ("I started a pottery class on Thursday evenings.", 0.108117086),
        ("My phone number ends in 42.", 0.097142857),
        ("I went hiking in the Alps with my brother last summer.", 0.088611411),
        ("My daughter's school play is about a lost dragon.", 0.086363313),
        ("私は毎朝コーヒーを飲みます。", 0.077422774),
        ("I am learning the cello, twice a week with a teacher.", 0.073814596),
    ],
    "What do I drink in the morning?": [
        ("私は毎朝コーヒーを飲みます。", 0.168481911),
        ("I prefer tea to coffee in the afternoon.", 0.094862133),
        ("We are planning a trip to Kyoto in the spring.", 0.094637755),
        ("I want to learn to bake sourdough bread.", 0.090535714),
        ("I ran a half marathon in Berlin in two hours.", 0.074708763),
        ("저는 주말마다 등산을 가요.", 0.071631417),
        ("We repainted the kitchen walls a warm yellow.", 0.068686151),
        ("My favourite food is ramen with a soft egg.", 0.07076391),
    ],
}


def ranking(user, query: str) -> list[tuple[str, float]]:
    result = retrieve(
        user=user, query=query, k=8, budget=None, purpose="evaluation", now=NOW, policy=HAND
    )
    return [(item.text, round(item.score, 9)) for item in result.items]


def test_hand_policy_reproduces_the_ranking_before_policies(user):
    fixture_person(user)
    got = {query: ranking(user, query) for query in QUERIES}
    assert got == GOLDEN
