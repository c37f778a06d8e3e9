"""Real images for the photo tests, drawn with Pillow (no binary fixtures in the repo)."""

import io

from PIL import Image

# EXIF tags: Make, Model, DateTimeOriginal (in the Exif IFD) and the GPS IFD.
MAKE, MODEL, GPS_IFD, EXIF_IFD, DATETIME_ORIGINAL = 0x010F, 0x0110, 0x8825, 0x8769, 0x9003
# Tokyo Tower, as a camera writes it: degrees, minutes, seconds.
GPS = {1: "N", 2: (35.0, 39.0, 31.0), 3: "E", 4: (139.0, 44.0, 43.0)}


def picture(size: tuple[int, int] = (64, 48), mode: str = "RGB") -> Image.Image:
    """A small picture with a gradient, so that orientation and colours can be checked."""
    width, height = size
    pixels = bytes(
        channel
        for y in range(height)
        for x in range(width)
        for channel in (x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1), 128, 255)[
            : len(mode)
        ]
    )
    return Image.frombytes(mode, size, pixels)


def camera_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[MAKE] = "Macaron Camera"
    exif[MODEL] = "Model 7"
    exif.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL] = "2026:11:29 08:15:00"
    exif.get_ifd(GPS_IFD).update(GPS)
    if orientation is not None:
        exif[0x0112] = orientation
    return exif


def image_bytes(image: Image.Image | None = None, fmt: str = "PNG", **options) -> bytes:
    out = io.BytesIO()
    (image or picture()).save(out, format=fmt, **options)
    return out.getvalue()


def jpeg_with_gps(size: tuple[int, int] = (64, 48), orientation: int | None = None) -> bytes:
    return image_bytes(picture(size), "JPEG", quality=95, exif=camera_exif(orientation).tobytes())
