"""Images: a bounded decode, then a clean re-encode and the variants clients display.

Nothing of the uploaded bytes is served: the stored original is re-encoded from decoded pixels,
with EXIF (GPS, camera, time), XMP and comments dropped and the EXIF orientation applied, so what
people see is upright and carries no metadata. Only the colour profile (ICC) is kept, for colour.
Animated GIF/WebP are stored as their first frame (motion belongs in a video upload).
Variants are JPEG, or WebP when the image has transparency.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageFile, ImageOps

from media.files.errors import FileRejected
from media.files.sniffing import GIF, JPEG, PNG, WEBP, FileType

# Never let Pillow paper over a truncated file.
ImageFile.LOAD_TRUNCATED_IMAGES = False

PILLOW_FORMATS = {JPEG.name: "JPEG", PNG.name: "PNG", GIF.name: "GIF", WEBP.name: "WEBP"}
MAX_SIDE = 20_000
MAX_FRAMES = 1_000
# Bounding boxes of the variants (aspect ratio kept, never enlarged).
VARIANT_SIZES = {"thumbnail": 320, "medium": 1280}
POSTER_SIZE = 1280


@dataclass(frozen=True)
class Rendition:
    name: str  # original | medium | thumbnail | poster
    path: Path
    content_type: str
    extension: str
    width: int
    height: int

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def pixel_flood(*, pixels: int, frames: int = 1) -> FileRejected:
    limit = settings.MEDIA_MAX_IMAGE_PIXELS
    return FileRejected(
        "decompression_bomb",
        _(
            "The image has %(pixels)s megapixels in %(frames)s frame(s); at most %(limit)s "
            "megapixels and %(side)s pixels a side are accepted."
        )
        % {
            "pixels": f"{pixels / 1_000_000:.1f}",
            "frames": frames,
            "limit": f"{limit / 1_000_000:g}",
            "side": MAX_SIDE,
        },
    )


def _bomb_from_pillow(error: Exception) -> FileRejected:
    """Pillow refuses floods beyond twice its own limit while reading the header already."""
    found = re.search(r"\((\d+) pixels\)", str(error))
    return pixel_flood(pixels=int(found.group(1)) if found else 0)


def corrupt_image(detail: str = "") -> FileRejected:
    message = _("The image is truncated or corrupt and cannot be decoded.")
    return FileRejected("corrupt_file", f"{message} ({detail})" if detail else message)


def probe_image(path: Path, file_type: FileType) -> tuple[int, int]:
    """Header-only checks: the decoder agrees on the format; the size is within limits.
    Decoding a pixel flood would exhaust memory, so this runs before any pixel is read."""
    try:
        with Image.open(path, formats=[PILLOW_FORMATS[file_type.name]]) as image:
            width, height = image.size
            if width <= 0 or height <= 0:
                raise corrupt_image("no pixels")
            if width * height > settings.MEDIA_MAX_IMAGE_PIXELS or max(width, height) > MAX_SIDE:
                raise pixel_flood(pixels=width * height)
            frames = getattr(image, "n_frames", 1)
            if frames > MAX_FRAMES or width * height * frames > 4 * settings.MEDIA_MAX_IMAGE_PIXELS:
                raise pixel_flood(pixels=width * height * frames, frames=frames)
            return width, height
    except FileRejected:
        raise
    except Image.DecompressionBombError as exc:
        raise _bomb_from_pillow(exc) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise corrupt_image(str(exc)) from exc


def _decode(path: Path, file_type: FileType) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(path, formats=[PILLOW_FORMATS[file_type.name]])
            image.seek(0)
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _bomb_from_pillow(exc) from exc
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise corrupt_image(str(exc)) from exc
    return image


def _clean(image: Image.Image, *, allow_alpha: bool) -> Image.Image:
    """Upright pixels in a plain mode, with no metadata left in `info`. Works in place where
    it can: a 40 MP image is 160 MB decoded, and each extra copy counts."""
    icc_profile = image.info.get("icc_profile")
    ImageOps.exif_transpose(image, in_place=True)
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa") or (
        image.mode == "P" and "transparency" in image.info
    )
    if image.mode.startswith("I"):
        # 16/32-bit greyscale: scale into 8 bits.
        scaled = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
        image.close()
        image = scaled
    if allow_alpha and has_alpha:
        target = "RGBA"
    elif image.mode in ("L", "1") and not has_alpha:
        target = "L"
    else:
        target = "RGB"
    if image.mode != target:
        converted = image.convert(target)
        image.close()
        image = converted
    image.info = {}
    if icc_profile and target != "L":
        image.info["icc_profile"] = icc_profile
    return image


def _save(image: Image.Image, path: Path, pillow_format: str, *, variant: bool = False) -> None:
    options: dict[str, object] = {"icc_profile": image.info.get("icc_profile")}
    if pillow_format == "JPEG":
        options.update(quality=82 if variant else 86, progressive=not variant, exif=b"")
    elif pillow_format == "WEBP":
        options.update(quality=82, method=2 if variant else 4, exif=b"", xmp=b"")
    elif pillow_format == "PNG":
        options.update(compress_level=6)
    if not options["icc_profile"]:
        options.pop("icc_profile")
    image.save(path, pillow_format, **options)


# Stored original: the same format re-encoded; GIF (one frame) becomes PNG.
ORIGINAL_FORMAT = {
    JPEG.name: ("JPEG", "image/jpeg", "jpg"),
    PNG.name: ("PNG", "image/png", "png"),
    GIF.name: ("PNG", "image/png", "png"),
    WEBP.name: ("WEBP", "image/webp", "webp"),
}


def render_image(
    source: Path,
    *,
    file_type: FileType,
    workdir: Path,
    original: bool = True,
    variants: dict[str, int] | None = None,
) -> list[Rendition]:
    """Decode once; write the re-encoded original (optional) and each variant (WebP)."""
    variants = VARIANT_SIZES if variants is None else variants
    pillow_format, content_type, extension = ORIGINAL_FORMAT[file_type.name]
    decoded = _decode(source, file_type)
    try:
        clean = _clean(decoded, allow_alpha=pillow_format != "JPEG")
    except Exception:
        decoded.close()
        raise
    renditions: list[Rendition] = []
    try:
        if original:
            path = workdir / f"original.{extension}"
            _save(clean, path, pillow_format)
            renditions.append(
                Rendition("original", path, content_type, extension, clean.width, clean.height)
            )
        # Opaque variants are JPEG: WebP compresses ~5% better here but encodes 10-20x slower
        # and holds the GIL. Variants with transparency are WebP (JPEG has no alpha).
        if clean.mode == "RGBA":
            variant_format, variant_type, variant_extension = "WEBP", "image/webp", "webp"
        else:
            variant_format, variant_type, variant_extension = "JPEG", "image/jpeg", "jpg"
        for name, box in sorted(variants.items(), key=lambda item: -item[1]):
            variant = clean.copy()
            variant.thumbnail((box, box), Image.Resampling.LANCZOS, reducing_gap=3.0)
            path = workdir / f"{name}.{variant_extension}"
            _save(variant, path, variant_format, variant=True)
            renditions.append(
                Rendition(
                    name, path, variant_type, variant_extension, variant.width, variant.height
                )
            )
            variant.close()
    finally:
        clean.close()
    return renditions
