"""Photos (the `photo` field type): checked by content, size and pixel count, and re-encoded so
that no metadata survives — on the page and through the API alike; anything else is a clear 400
with nothing stored."""

import base64
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms, PngImagePlugin
from rest_framework.test import APIClient

from subagents.models import Entry
from subagents.photos import MAX_PHOTO_BYTES, PhotoError, photo_clean
from subagents.selectors import entries_for_installation
from subagents.services import installation_create
from tests.subagents.images import (
    GPS,
    GPS_IFD,
    camera_exif,
    image_bytes,
    jpeg_with_gps,
    picture,
)
from tests.subagents.specs import every_type

pytestmark = pytest.mark.django_db
NOT_A_PHOTO = "Upload a JPEG, PNG or WebP image."


@pytest.fixture
def tool(user):
    return installation_create(user=user, spec=every_type(), source="builder")


def stored_photo(user, tool) -> tuple[bytes, str]:
    [item] = entries_for_installation(user=user, installation_id=tool.id).items
    header, payload = item.values["pic"].split(",", 1)
    return base64.b64decode(payload), header


def data_url(raw: bytes, mime: str = "image/jpeg") -> str:
    return f"data:{mime};base64,{base64.b64encode(raw).decode()}"


def assert_no_metadata(raw: bytes) -> None:
    image = Image.open(io.BytesIO(raw))
    assert dict(image.getexif()) == {}
    # What the decoders report about the container itself, never about the picture's origin.
    container = {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi", "loop", "background"}
    assert set(image.info) <= container, image.info
    for marker in (
        b"Exif",
        b"eXIf",
        b"Macaron Camera",
        b"Model 7",
        b"2026:11:29",
        b"XML:com.adobe",
    ):
        assert marker not in raw


def test_the_page_strips_gps_exif_from_a_camera_jpeg(client, user, tool):
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD) == GPS  # really there
    client.force_login(user)

    response = client.post(
        f"/tools/{tool.id}/",
        {"count": "1", "pic": SimpleUploadedFile("IMG_0001.jpg", original, "image/jpeg")},
    )

    assert response.status_code == 302
    raw, header = stored_photo(user, tool)
    assert header == "data:image/jpeg;base64"
    assert_no_metadata(raw)
    image = Image.open(io.BytesIO(raw))
    assert (image.format, image.size, image.mode) == ("JPEG", (64, 48), "RGB")
    # The pixels are the person's picture still (JPEG is lossy: close, not equal).
    assert _mean_difference(image, picture()) < 3


def test_the_api_strips_exif_and_keeps_the_photo_upright(user, tool):
    # Orientation 6: the camera was turned; the picture is stored turned back, 48 × 64.
    original = jpeg_with_gps(orientation=6)
    api = APIClient()
    api.force_authenticate(user)

    response = api.post(
        f"/api/v1/subagents/installations/{tool.id}/entries/",
        {"values": {"count": 1, "pic": data_url(original)}},
        format="json",
    )

    assert response.status_code == 201
    raw, _header = stored_photo(user, tool)
    assert response.json()["values"]["pic"] == data_url(raw)
    assert_no_metadata(raw)
    image = Image.open(io.BytesIO(raw))
    assert image.size == (48, 64)
    assert _mean_difference(image, picture().transpose(Image.Transpose.ROTATE_270)) < 3


def test_png_text_chunks_and_colour_profiles_are_dropped(user, tool, client):
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "taken at home, 12 Rue de la Paix")
    text.add_text("XML:com.adobe.xmp", "<x:xmpmeta>GPS 48.8686 2.3314</x:xmpmeta>")
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    original = image_bytes(
        picture(mode="RGBA"), "PNG", pnginfo=text, icc_profile=profile, exif=camera_exif()
    )
    assert b"Rue de la Paix" in original and b"Macaron Camera" in original
    client.force_login(user)

    response = client.post(
        f"/tools/{tool.id}/",
        {"count": "1", "pic": SimpleUploadedFile("p.png", original, "image/png")},
    )

    assert response.status_code == 302
    raw, header = stored_photo(user, tool)
    assert header == "data:image/png;base64"
    assert_no_metadata(raw)
    assert b"Rue de la Paix" not in raw and b"iCCP" not in raw and b"tEXt" not in raw
    image = Image.open(io.BytesIO(raw))
    assert image.mode == "RGBA"
    assert image.tobytes() == picture(mode="RGBA").tobytes()  # lossless


def test_webp_is_accepted_and_cleaned(user, tool):
    original = image_bytes(picture(), "WEBP", quality=95, exif=camera_exif().tobytes())
    assert b"Macaron Camera" in original
    api = APIClient()
    api.force_authenticate(user)

    response = api.post(
        f"/api/v1/subagents/installations/{tool.id}/entries/",
        {"values": {"count": 1, "pic": data_url(original, "image/webp")}},
        format="json",
    )

    assert response.status_code == 201
    raw, header = stored_photo(user, tool)
    assert header == "data:image/webp;base64"
    assert_no_metadata(raw)
    assert Image.open(io.BytesIO(raw)).format == "WEBP"


def test_the_declared_type_is_not_trusted(user, tool):
    # A PNG sent as "image/jpeg" is stored as the PNG it is.
    api = APIClient()
    api.force_authenticate(user)
    response = api.post(
        f"/api/v1/subagents/installations/{tool.id}/entries/",
        {"values": {"count": 1, "pic": data_url(image_bytes(fmt="PNG"), "image/jpeg")}},
        format="json",
    )
    assert response.status_code == 201
    _raw, header = stored_photo(user, tool)
    assert header == "data:image/png;base64"


def _too_many_pixels() -> bytes:
    return image_bytes(Image.new("L", (4097, 4097)), "PNG")  # 16.8 MP, a few kB


def _truncated_jpeg() -> bytes:
    whole = image_bytes(picture((200, 200)), "JPEG")
    return whole[: len(whole) // 2]


REFUSED = [
    pytest.param(lambda: image_bytes(fmt="GIF"), NOT_A_PHOTO, id="gif"),
    pytest.param(lambda: image_bytes(fmt="BMP"), NOT_A_PHOTO, id="bmp"),
    pytest.param(lambda: b"<svg xmlns='http://www.w3.org/2000/svg'/>", NOT_A_PHOTO, id="svg"),
    pytest.param(lambda: b"\xff\xd8\xff<script>alert(1)</script>", NOT_A_PHOTO, id="fake-jpeg"),
    pytest.param(lambda: b"\x89PNG\r\n\x1a\n" + b"0" * 40, NOT_A_PHOTO, id="fake-png"),
    pytest.param(lambda: b"RIFF\x10\x00\x00\x00WEBPVP8 junk", NOT_A_PHOTO, id="fake-webp"),
    pytest.param(_truncated_jpeg, NOT_A_PHOTO, id="truncated-jpeg"),
    pytest.param(
        _too_many_pixels,
        "The photo has too many pixels (at most 16.8 megapixels).",
        id="too-many-pixels",
    ),
]


@pytest.mark.parametrize(("make", "message"), REFUSED)
def test_the_api_refuses_anything_else_with_a_clear_400(user, tool, make, message):
    api = APIClient()
    api.force_authenticate(user)

    response = api.post(
        f"/api/v1/subagents/installations/{tool.id}/entries/",
        {"values": {"count": 1, "pic": data_url(make(), "image/png")}},
        format="json",
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_entry"
    assert error["fields"] == {"pic": [message]}
    assert Entry.objects.count() == 0


@pytest.mark.parametrize(("make", "message"), REFUSED)
def test_the_page_refuses_anything_else_with_a_clear_400(client, user, tool, make, message):
    client.force_login(user)

    response = client.post(
        f"/tools/{tool.id}/",
        {"count": "1", "pic": SimpleUploadedFile("photo.jpg", make(), "image/jpeg")},
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert Entry.objects.count() == 0


def test_a_photo_over_one_megabyte_is_refused_before_it_is_decoded(client, user, tool):
    big = b"\xff\xd8\xff" + b"\x00" * MAX_PHOTO_BYTES
    client.force_login(user)

    response = client.post(
        f"/tools/{tool.id}/",
        {"count": "1", "pic": SimpleUploadedFile("big.jpg", big, "image/jpeg")},
    )

    assert response.status_code == 400
    assert "The photo is larger than 1 MB." in response.content.decode()
    assert Entry.objects.count() == 0
    with pytest.raises(PhotoError, match="larger than 1 MB"):
        photo_clean(big)


def test_a_refused_photo_is_explained_in_japanese(client, tool, user):
    user.preferred_language = "ja"
    user.save(update_fields=["preferred_language"])
    client.force_login(user)
    response = client.post(
        f"/tools/{tool.id}/",
        {"count": "1", "pic": SimpleUploadedFile("a.gif", image_bytes(fmt="GIF"), "image/gif")},
    )
    assert response.status_code == 400
    assert "JPEG・PNG・WebPの画像をアップロードしてください。" in response.content.decode()


def _mean_difference(first: Image.Image, second: Image.Image) -> float:
    a, b = first.convert("RGB").tobytes(), second.convert("RGB").tobytes()
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a)
