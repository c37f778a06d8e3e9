"""Every string of the staff console's templates has a Japanese and a Korean translation, and
the pages render in those languages."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from tests.factories import UserFactory

TEMPLATES = sorted((Path(settings.BASE_DIR) / "templates" / "staff").glob("*.html"))
TRANSLATE = re.compile(r'{% translate "([^"]+)" %}')
BLOCK = re.compile(r"{% blocktranslate(?: with [^%]*)? %}(.*?){% endblocktranslate %}", re.S)
VARIABLE = re.compile(r"{{ (\w+) }}")


def _msgids() -> set[str]:
    found: set[str] = set()
    for path in TEMPLATES:
        source = path.read_text(encoding="utf-8")
        found.update(TRANSLATE.findall(source))
        found.update(VARIABLE.sub(r"%(\1)s", block) for block in BLOCK.findall(source))
    return found


@pytest.mark.parametrize("language", ["ja", "ko"])
def test_every_staff_template_string_is_translated(language):
    msgids = _msgids()
    assert len(msgids) > 60
    with translation.override(language):
        missing = sorted(m for m in msgids if translation.gettext(m) == m)
    assert missing == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "heading"), [("ja", "スタッフコンソール"), ("ko", "스태프 콘솔")]
)
def test_staff_pages_render_in_the_staff_members_language(client, language, heading):
    client.force_login(UserFactory(is_staff=True, preferred_language=language))
    person = UserFactory()
    for url in (
        reverse("staff-people"),
        reverse("staff-person", args=[person.pk]),
        reverse("staff-audit"),
        reverse("staff-report"),
        reverse("staff-system"),
        reverse("staff-moderation"),
    ):
        page = client.get(url).content.decode()
        assert heading in page, url
        assert "Every page of the staff console" not in page, url
