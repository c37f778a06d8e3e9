"""Photos attached to entries (the `photo` field type): checked by content, never by the name or
type the client claims, and re-encoded so that only pixels are kept.

An upload is refused unless its bytes start like a JPEG, PNG or WebP file *and* Pillow decodes
it completely as that format; it must be at most MAX_PHOTO_BYTES and MAX_PHOTO_PIXELS. The
image is then turned upright (EXIF orientation), converted to sRGB when it carries a colour
profile, and saved afresh without EXIF (GPS position, camera, time), XMP, ICC, comments or text
chunks. Only the first frame of an animated image is kept. The result is a data URL, stored
encrypted inside the entry's values like every other value.
"""

import base64
import io
import warnings
from collections.abc import Iterator

from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

MAX_PHOTO_BYTES = 1_000_000
MAX_PHOTO_PIXELS = 4096 * 4096
LOSSY_QUALITIES = (90, 80, 70)  # tried in turn until the re-encoded photo fits MAX_PHOTO_BYTES

# The formats kept (Pillow names) and their MIME types; _format_of tells them by their bytes.
MIME_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


class PhotoError(Exception):
    """The upload is not a photo we keep; the message says why, in the person's language."""


def _format_of(raw: bytes) -> str | None:
    if raw.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if raw.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if raw[:4] == b"RIFF" and raw[8:12] == b"WEBP":
        return "WEBP"
    return None


def _not_a_photo() -> PhotoError:
    return PhotoError(_("Upload a JPEG, PNG or WebP image."))


def _too_many_pixels() -> PhotoError:
    return PhotoError(
        _("The photo has too many pixels (at most %(limit)s megapixels).")
        % {"limit": round(MAX_PHOTO_PIXELS / 1_000_000, 1)}
    )


# What Pillow raises for a corrupt, truncated or unsupported file.
_UNREADABLE = (
    UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    TypeError,
    EOFError,
    KeyError,
    IndexError,
)


def _decoded(raw: bytes, kind: str) -> Image.Image:
    """The first frame, fully decoded and upright; anything Pillow cannot read is refused."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow's notes on a corrupt EXIF block it skips
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(raw), formats=[kind])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels() from None
        except _UNREADABLE:
            raise _not_a_photo() from None
        width, height = image.size
        if width * height > MAX_PHOTO_PIXELS:  # checked before the pixels are decoded
            raise _too_many_pixels()
        try:
            image.load()
            return ImageOps.exif_transpose(image)
        except _UNREADABLE:
            raise _not_a_photo() from None


def _pixels_only(image: Image.Image, kind: str) -> Image.Image:
    """The pixels in sRGB, in a mode the format stores, with no metadata attached."""
    has_alpha = image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info
    mode = "RGBA" if has_alpha and kind != "JPEG" else "RGB"
    profile = image.info.get("icc_profile")
    clean = None
    if profile:
        try:
            clean = ImageCms.profileToProfile(
                image if image.mode == "CMYK" else image.convert(mode),  # a CMYK profile
                ImageCms.ImageCmsProfile(io.BytesIO(profile)),
                ImageCms.createProfile("sRGB"),
                outputMode=mode,
            )
        except (ImageCms.PyCMSError, OSError, ValueError):
            clean = None  # an unreadable profile: keep the pixel values as they are
    if clean is None:
        clean = image.convert(mode)
    clean.info = {}
    return clean


def _encodings(image: Image.Image, kind: str) -> Iterator[bytes]:
    """The image saved afresh: PNG losslessly, JPEG and WebP at decreasing qualities."""
    options = [{"optimize": True}] if kind == "PNG" else [{"quality": q} for q in LOSSY_QUALITIES]
    for option in options:
        out = io.BytesIO()
        image.save(out, format=kind, **option)
        yield out.getvalue()


def photo_clean(raw: bytes) -> tuple[bytes, str]:
    """The photo re-encoded without metadata, and its MIME type; PhotoError when refused."""
    if len(raw) > MAX_PHOTO_BYTES:
        raise PhotoError(_("The photo is larger than 1 MB."))
    kind = _format_of(raw)
    if kind is None:
        raise _not_a_photo()
    image = _decoded(raw, kind)
    try:
        image = _pixels_only(image, kind)
    except _UNREADABLE:  # a mode that has no RGB conversion
        raise _not_a_photo() from None
    for data in _encodings(image, kind):
        if len(data) <= MAX_PHOTO_BYTES:
            return data, MIME_TYPES[kind]
    raise PhotoError(_("The photo is larger than 1 MB."))


def photo_data_url(raw: bytes) -> str:
    """A cleaned photo as `data:image/...;base64,...` (see photo_clean)."""
    data, mime = photo_clean(raw)
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
