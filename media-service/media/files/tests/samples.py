"""Test files, made in code: images with Pillow, documents by hand, videos with ffmpeg, and the
malicious ones (renamed programs, polyglots, SVG with a script, pixel floods, truncations)."""

from __future__ import annotations

import io
import random
import shutil
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path
from typing import Any

from PIL import ExifTags, Image


def image_bytes(
    fmt: str = "JPEG",
    *,
    size: tuple[int, int] = (64, 48),
    color: tuple[int, int, int] = (200, 30, 30),
    noise: bool = False,
    seed: int = 0,
    **save: object,
) -> bytes:
    mode = "RGBA" if fmt in ("PNG", "WEBP") and save.pop("alpha", False) else "RGB"
    if noise:
        rng = random.Random(seed)  # noqa: S311 - test pixels, not secrets
        image = Image.frombytes(mode, size, rng.randbytes(size[0] * size[1] * len(mode)))
    else:
        image = Image.new(mode, size, color if mode == "RGB" else (*color, 128))
        # A marker in one corner so orientation can be checked.
        image.putpixel((0, 0), (0, 255, 0) if mode == "RGB" else (0, 255, 0, 255))
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save)
    return buffer.getvalue()


def jpeg(**options: Any) -> bytes:
    return image_bytes("JPEG", **options)


def png(**options: Any) -> bytes:
    return image_bytes("PNG", **options)


def jpeg_with_gps(*, orientation: int = 6) -> bytes:
    """A camera photo: GPS position, camera make, a comment, rotated by EXIF orientation."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SpyCam"
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (55.0, 45.0, 21.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (37.0, 37.0, 4.0)
    return image_bytes("JPEG", size=(80, 40), exif=exif, comment=b"secret comment")


def pixel_flood_png(width: int = 60_000, height: int = 60_000) -> bytes:
    """A tiny PNG whose header claims billions of pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    rows = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def truncated(data: bytes) -> bytes:
    return data[: len(data) * 2 // 3]


def windows_exe() -> bytes:
    """The first bytes of a Windows program: DOS header pointing at a PE header."""
    header = bytearray(b"MZ" + b"\x90\x00" + b"\x00" * 124)
    header[0x3C:0x40] = struct.pack("<I", 0x80)
    return bytes(header) + b"PE\x00\x00" + b"\x4c\x01" + b"\x00" * 200


def elf_binary() -> bytes:
    return b"\x7fELF\x02\x01\x01" + b"\x00" * 200


def shell_script() -> bytes:
    return b"#!/bin/sh\nrm -rf ~\n"


def svg_with_script() -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b"<script>alert(document.cookie)</script><rect width='10' height='10'/></svg>"
    )


def html_page() -> bytes:
    return b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def jpeg_zip_polyglot() -> bytes:
    """A JPEG with a JAR/ZIP appended (GIFAR-style): valid as both."""
    return jpeg() + zip_bytes({"evil.class": b"\xca\xfe\xba\xbe" + b"\x00" * 64})


def jpeg_with_script_comment() -> bytes:
    """A JPEG whose comment segment carries a script (the classic image/HTML polyglot)."""
    return image_bytes("JPEG", comment=b"<script>alert(document.domain)</script>")


def png_html_polyglot() -> bytes:
    return png() + html_page()


def pdf(pages: int = 1) -> bytes:
    buffer = io.BytesIO()
    frames = [Image.new("RGB", (60, 80), (255, 255, 255)) for _ in range(pages)]
    frames[0].save(buffer, "PDF", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def pdf_with_javascript() -> bytes:
    body = (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R /OpenAction 3 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
        b"3 0 obj << /S /JavaScript /JS (app.alert(1)) >> endobj\n"
    )
    xref_at = len(body)
    return (
        body
        + b"xref\n0 4\ntrailer << /Root 1 0 R >>\nstartxref\n"
        + str(xref_at).encode()
        + (b"\n%%EOF\n")
    )


CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    b'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    b'officedocument.wordprocessingml.document.main+xml"/></Types>'
)


def docx(*, text: str = "Hello") -> bytes:
    return zip_bytes(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "_rels/.rels": b"<Relationships/>",
            "word/document.xml": (
                f"<w:document><w:body><w:p>{text}</w:p></w:body></w:document>".encode()
            ),
        }
    )


def docx_with_macros() -> bytes:
    return zip_bytes(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "word/document.xml": b"<w:document/>",
            "word/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"\x00" * 100,
        }
    )


def docx_bomb(uncompressed: int) -> bytes:
    """A DOCX with one part of `uncompressed` zero bytes (compresses ~1000:1)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("word/document.xml", b"<w:document/>")
        with archive.open("word/media/zeros.bin", "w") as member:
            block = b"\x00" * (1024 * 1024)
            for _ in range(uncompressed // len(block)):
                member.write(block)
    return buffer.getvalue()


def ffmpeg_available() -> bool:
    return bool(shutil.which("ffmpeg") and shutil.which("ffprobe"))


def make_video(
    path: Path,
    *,
    fmt: str = "mp4",
    seconds: float = 1.0,
    size: str = "64x48",
    faststart: bool = False,
) -> Path:
    """A tiny real video with ffmpeg's test pattern (and a tone for mp4/mov)."""
    codec = {"mp4": ["-c:v", "libx264"], "mov": ["-c:v", "libx264"], "webm": ["-c:v", "libvpx"]}
    audio = {"mp4": ["-c:a", "aac"], "mov": ["-c:a", "aac"], "webm": ["-c:a", "libopus"]}
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc=size={size}:rate=10",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", str(seconds), "-pix_fmt", "yuv420p",
            *codec[fmt], *audio[fmt], "-shortest",
            *(["-movflags", "+faststart"] if faststart else []),
            "-f", fmt, str(path),
        ],
        check=True,
        timeout=60,
    )  # fmt: skip
    return path
