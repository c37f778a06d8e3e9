"""The companion's picture: an SVG drawn on the server from its colour and personality.

The strongest trait draws the face (a cheerful grin, calm closed eyes, curious big eyes and an
antenna, caring blush and a heart, an adventurous cap, focused glasses), the runner-up adds a
small badge, and the colour paints the body, with a darker shade for the features and a pale
one for the backdrop. Pure: no database. Safe to put into any page as it is: the only inputs
that reach the markup are a colour that must match #rrggbb, trait ids from a fixed table and an
escaped label; colours are SVG `fill`/`stroke` attributes, never a `style` (the CSP forbids it).
"""

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
FALLBACK_COLOUR = "#e0668a"


def _mix(colour: str, other: tuple[int, int, int], share: float) -> str:
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(
        f"{round(x * (1 - share) + y * share):02x}" for x, y in zip(rgb, other, strict=True)
    )


# The faces, by strongest trait. {ink} is the dark shade, {pale} the light one, {body} the colour.
EYES_DOTS = (
    '<circle cx="46" cy="56" r="5" fill="{ink}"/><circle cx="74" cy="56" r="5" fill="{ink}"/>'
    '<circle cx="47.5" cy="54.5" r="1.6" fill="#fff"/><circle cx="75.5" cy="54.5" r="1.6" '
    'fill="#fff"/>'
)
FACES = {
    "cheerful": EYES_DOTS
    + '<path d="M44 70 Q60 88 76 70" fill="none" stroke="{ink}" stroke-width="4" '
    'stroke-linecap="round"/>',
    "calm": '<path d="M40 57 Q46 62 52 57 M68 57 Q74 62 80 57" fill="none" stroke="{ink}" '
    'stroke-width="3.5" stroke-linecap="round"/>'
    '<path d="M53 73 Q60 78 67 73" fill="none" stroke="{ink}" stroke-width="3.5" '
    'stroke-linecap="round"/>',
    "curious": '<path d="M60 16 Q64 8 70 6" fill="none" stroke="{ink}" stroke-width="3" '
    'stroke-linecap="round"/><circle cx="71" cy="6" r="4.5" fill="{pale}" stroke="{ink}" '
    'stroke-width="2"/>'
    '<circle cx="46" cy="55" r="8" fill="#fff"/><circle cx="74" cy="55" r="8" fill="#fff"/>'
    '<circle cx="48" cy="56" r="4.5" fill="{ink}"/><circle cx="76" cy="56" r="4.5" fill="{ink}"/>'
    '<ellipse cx="60" cy="76" rx="4.5" ry="5.5" fill="{ink}"/>',
    "caring": EYES_DOTS + '<ellipse cx="38" cy="68" rx="6" ry="3.5" fill="#ff8fa3" opacity=".7"/>'
    '<ellipse cx="82" cy="68" rx="6" ry="3.5" fill="#ff8fa3" opacity=".7"/>'
    '<path d="M50 71 Q60 80 70 71" fill="none" stroke="{ink}" stroke-width="3.5" '
    'stroke-linecap="round"/>',
    "adventurous": '<path d="M26 38 Q60 4 94 38 Z" fill="{ink}"/><path d="M22 38 H98" '
    'stroke="{ink}" stroke-width="5" stroke-linecap="round"/>' + EYES_DOTS + '<path d="M40 46 '
    'L52 44 M68 44 L80 46" stroke="{ink}" stroke-width="3" stroke-linecap="round"/>'
    '<path d="M46 71 Q62 84 76 68" fill="none" stroke="{ink}" stroke-width="4" '
    'stroke-linecap="round"/>',
    "focused": '<circle cx="46" cy="56" r="10" fill="{pale}" stroke="{ink}" stroke-width="3"/>'
    '<circle cx="74" cy="56" r="10" fill="{pale}" stroke="{ink}" stroke-width="3"/>'
    '<path d="M56 56 H64" stroke="{ink}" stroke-width="3"/>'
    '<circle cx="46" cy="57" r="3.5" fill="{ink}"/><circle cx="74" cy="57" r="3.5" fill="{ink}"/>'
    '<path d="M52 76 H68" stroke="{ink}" stroke-width="3.5" stroke-linecap="round"/>',
}
# The runner-up trait's badge, at the upper right.
BADGES = {
    "cheerful": '<path d="M98 14 L101 22 L109 25 L101 28 L98 36 L95 28 L87 25 L95 22 Z" '
    'fill="#ffd45c" stroke="{ink}" stroke-width="1.5"/>',
    "calm": '<path d="M90 18 h10 l-10 10 h10" fill="none" stroke="{ink}" stroke-width="2.5" '
    'stroke-linecap="round" stroke-linejoin="round"/>',
    "curious": '<circle cx="98" cy="24" r="11" fill="{pale}" stroke="{ink}" stroke-width="2"/>'
    '<path d="M94 21 Q94 16 98 16 Q102 16 102 20 Q102 23 98 25 V27" fill="none" '
    'stroke="{ink}" stroke-width="2.5" stroke-linecap="round"/><circle cx="98" cy="31" r="1.6" '
    'fill="{ink}"/>',
    "caring": '<path d="M98 34 C86 26 88 14 95 16 Q98 17 98 21 Q98 17 101 16 C108 14 110 26 98 34 '
    'Z" fill="#ff6f91" stroke="{ink}" stroke-width="1.5"/>',
    "adventurous": '<path d="M88 34 L97 16 L103 26 L106 22 L112 34 Z" fill="{pale}" '
    'stroke="{ink}" stroke-width="2" stroke-linejoin="round"/>',
    "focused": '<circle cx="98" cy="24" r="10" fill="{pale}" stroke="{ink}" stroke-width="2"/>'
    '<circle cx="98" cy="24" r="5" fill="none" stroke="{ink}" stroke-width="2"/>'
    '<circle cx="98" cy="24" r="1.8" fill="{ink}"/>',
}
BODY = {  # calm companions are a little wider, focused ones a little taller
    "calm": '<ellipse cx="60" cy="64" rx="48" ry="42" fill="{body}"/>',
    "focused": '<ellipse cx="60" cy="62" rx="42" ry="46" fill="{body}"/>',
}
DEFAULT_BODY = '<circle cx="60" cy="62" r="45" fill="{body}"/>'


def companion_avatar_svg(
    *, colour: str, traits: list[str] | tuple[str, ...], label: str = "", size: int = 56
) -> SafeString:
    """The companion's picture as inline SVG markup (safe to render unescaped)."""
    colour = colour.lower() if isinstance(colour, str) and COLOUR.match(colour) else FALLBACK_COLOUR
    known = [trait for trait in traits if trait in FACES]
    first = known[0] if known else "cheerful"
    second = next((trait for trait in known[1:] if trait != first), None)
    paint = {
        "body": colour,
        "ink": _mix(colour, (40, 24, 40), 0.6),
        "pale": _mix(colour, (255, 255, 255), 0.75),
    }
    parts = [
        f'<circle cx="60" cy="60" r="60" fill="{paint["pale"]}"/>',
        BODY.get(first, DEFAULT_BODY).format(**paint),
        '<ellipse cx="44" cy="36" rx="12" ry="6" fill="#fff" opacity=".35"/>',
        FACES[first].format(**paint),
    ]
    if second is not None:
        parts.append(BADGES[second].format(**paint))
    size = max(16, min(int(size), 512))
    name = escape(label)
    return mark_safe(
        f'<svg class="companion-avatar" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 120" '
        f'width="{size}" height="{size}" role="img" aria-label="{name}" '
        f'data-personality="{first}{"-" + second if second else ""}">'
        f"<title>{name}</title>{''.join(parts)}</svg>"
    )
