"""A newcomer's first minutes: the landing page and its demo, sign-up's time zone, the
companion's picture and landing inside the first conversation."""

import re
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from accounts.avatar import companion_avatar_svg
from accounts.models import Onboarding, User
from accounts.onboarding import QUESTIONS, TRAITS
from macaron.timezones import COMMON_TIME_ZONES
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


def signup(client, **fields):
    data = {
        "email": "ada@example.org",
        "display_name": "Ada",
        "password": "lovelace-engine-1843",
        "password_confirm": "lovelace-engine-1843",
        **fields,
    }
    return client.post(reverse("signup"), data)


# The landing page and the demo -------------------------------------------------------------


def test_a_visitor_gets_the_landing_page_with_the_demo(client, settings):
    settings.DEMO_LOGIN = True
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "A companion that remembers you, privately." in html
    assert f'action="{reverse("demo_login")}"' in html and "Try the demo" in html
    assert f'href="{reverse("signup")}"' in html
    assert html.count('class="companion-avatar"') == 4  # the personalities, drawn


def test_without_demo_login_the_landing_page_offers_no_demo_and_the_url_is_gone(client, settings):
    settings.DEMO_LOGIN = False
    UserFactory(email="demo@macaron.local")
    html = client.get("/").content.decode()
    assert "Try the demo" not in html and reverse("demo_login") not in html
    assert client.post(reverse("demo_login")).status_code == 404
    assert "_auth_user_id" not in client.session


def test_try_the_demo_logs_in_as_the_demo_person(client, settings, monkeypatch):
    settings.DEMO_LOGIN = True
    monkeypatch.setenv("DEMO_EMAIL", "alex@demo.example")
    demo = UserFactory(email="alex@demo.example", display_name="Alex")
    UserFactory(email="someone@example.org")
    assert client.get(reverse("demo_login")).status_code == 405  # a POST only
    response = client.post(reverse("demo_login"))
    assert response["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(demo.pk)
    assert "Hello, Alex" in client.get("/").content.decode()


def test_try_the_demo_without_a_demo_account_says_how_to_make_one(client, settings):
    settings.DEMO_LOGIN = True
    response = client.post(reverse("demo_login"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert "`make run` creates it" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_logged_in_person_gets_their_home_not_the_landing_page(client):
    client.force_login(UserFactory(display_name="Bea"))
    html = client.get("/").content.decode()
    assert "Hello, Bea" in html and "Try the demo" not in html


# Sign-up's time zone -----------------------------------------------------------------------


def test_sign_up_offers_the_browsers_zone_a_short_list_and_other(client):
    html = client.get(reverse("signup")).content.decode()
    select = re.search(r'<select name="time_zone".*?</select>', html, re.S).group(0)
    values = re.findall(r'<option value="([^"]*)"', select)
    assert values == ["", *COMMON_TIME_ZONES, "other"]
    assert "Tokyo (UTC+09:00)" in select and "My browser&#x27;s time zone" in select
    assert 'name="browser_time_zone"' in html and 'type="hidden"' in html
    assert 'name="time_zone_other"' in html
    assert "js/timezone.js" in html


@pytest.mark.parametrize(
    ("fields", "zone"),
    [
        ({"browser_time_zone": "America/Argentina/Buenos_Aires"}, "America/Argentina/Buenos_Aires"),
        ({"time_zone": "", "browser_time_zone": "Not/AZone"}, "UTC"),  # a forged value
        ({}, "UTC"),  # no JavaScript
        ({"time_zone": "Asia/Seoul", "browser_time_zone": "Europe/Paris"}, "Asia/Seoul"),
        ({"time_zone": "other", "time_zone_other": "Asia/Kathmandu"}, "Asia/Kathmandu"),
    ],
)
def test_sign_up_takes_the_picked_or_the_browsers_zone(client, fields, zone):
    response = signup(client, **fields)
    assert response.status_code == 302
    assert User.objects.get(email="ada@example.org").time_zone == zone


@pytest.mark.parametrize(
    "fields",
    [
        {"time_zone": "other"},
        {"time_zone": "other", "time_zone_other": "Mars/Olympus"},
        {"time_zone": "Mars/Olympus"},
    ],
)
def test_sign_up_refuses_a_missing_or_unknown_zone_and_creates_nothing(client, fields):
    response = signup(client, **fields)
    assert response.status_code == 400
    assert not User.objects.exists()


# The companion's picture -------------------------------------------------------------------


def _tree(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # well-formed XML, or this raises


def test_the_avatar_differs_per_personality_and_colour():
    pictures = {
        companion_avatar_svg(colour="#6ca6c1", traits=[first, second])
        for first in TRAITS
        for second in TRAITS
        if first != second
    }
    assert len(pictures) == len(TRAITS) * (len(TRAITS) - 1)
    faces = {
        re.sub(r'data-personality="[^"]*"', "", companion_avatar_svg(colour="#6ca6c1", traits=[t]))
        for t in TRAITS
    }
    assert len(faces) == len(TRAITS)  # the face itself, not only the label, changes
    pink = _tree(companion_avatar_svg(colour="#e0668a", traits=["calm"]))
    blue = _tree(companion_avatar_svg(colour="#6ca6c1", traits=["calm"]))
    fills = lambda tree: {node.get("fill") for node in tree.iter()}  # noqa: E731
    assert "#e0668a" in fills(pink) and "#e0668a" not in fills(blue)
    assert "#6ca6c1" in fills(blue)


def test_the_avatar_is_safe_markup():
    hostile = '"><script>alert(1)</script><svg onload="x'
    svg = companion_avatar_svg(
        colour='#fff" onload="alert(1)', traits=["<b>", "calm"], label=hostile
    )
    tree = _tree(svg)
    assert tree.tag == f"{SVG}svg" and tree.get("aria-label") == hostile
    assert tree.find(f"{SVG}title").text == hostile  # shown as text, never as markup
    for node in tree.iter():
        assert node.tag.startswith(SVG) and node.tag != f"{SVG}script"
        assert "style" not in node.attrib  # the CSP forbids inline style
        assert not any(name.startswith("on") for name in node.attrib)
    assert "<script" not in svg  # the rest is text inside an attribute or the title
    assert {n.get("fill") for n in tree.iter()} >= {"#e0668a"}  # a bad colour falls back
    assert tree.get("data-personality") == "calm"


def test_the_home_card_shows_the_companions_picture(client, user):
    for question in QUESTIONS:
        client.force_login(user)
        client.post(
            reverse("onboarding_question", args=[QUESTIONS.index(question) + 1]),
            {"option": question.options[1].id},
        )
    client.post(reverse("onboarding_companion"), {"name": "Dumpling"})
    client.post(reverse("onboarding_interests"), {"interests": ["music"]})
    done = client.post(reverse("onboarding_complete"))
    onboarding = Onboarding.objects.get(user=user)
    # Meeting the companion lands inside the conversation it opened.
    assert done["Location"] == reverse(
        "chat-conversation", kwargs={"conversation_id": onboarding.first_conversation_id}
    )
    html = client.get("/").content.decode()
    svg = re.search(r'<svg class="companion-avatar".*?</svg>', html, re.S).group(0)
    companion = user.companion
    tree = _tree(svg)
    assert tree.find(f"{SVG}title").text == "Dumpling"
    assert companion.colour in {node.get("fill") for node in tree.iter()}
    assert tree.get("data-personality").startswith(companion.traits[0])


def test_an_empty_demo_account_from_an_earlier_start_becomes_alex_once(monkeypatch):
    from accounts.services import DEMO_TIME_ZONE, demo_account_ensure
    from subagents.services import catalogue_load

    catalogue_load()
    monkeypatch.setenv("DEMO_EMAIL", "demo@example.org")
    old = UserFactory(email="demo@example.org", display_name="Demo", time_zone="UTC")
    demo = demo_account_ensure()
    user = User.objects.get(pk=old.pk)
    assert demo.user.pk == old.pk and (user.name, user.time_zone) == ("Alex", DEMO_TIME_ZONE)
    assert Onboarding.objects.get(user=user).completed_at is not None
    User.objects.filter(pk=old.pk).update(time_zone="Asia/Tokyo")  # Alex moves: kept
    demo_account_ensure()
    assert User.objects.get(pk=old.pk).time_zone == "Asia/Tokyo"
