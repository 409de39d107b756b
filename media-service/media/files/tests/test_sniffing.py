"""Recognising content by its bytes, and the helpers around it (no database, no storage)."""

from __future__ import annotations

import pytest

from media.files import formats
from media.files.errors import format_bytes
from media.files.services import clean_filename
from media.files.sniffing import extension_of, sniff, type_for_mime
from media.files.tests import samples


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (samples.jpeg(), "jpeg"),
        (samples.png(), "png"),
        (samples.image_bytes("GIF"), "gif"),
        (samples.image_bytes("WEBP"), "webp"),
        (samples.pdf(), "pdf"),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00", "mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", "mov"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "webm"),
    ],
)
def test_accepted_types_are_recognised(data: bytes, expected: str) -> None:
    found = sniff(data)
    assert found.type is not None and found.type.name == expected


@pytest.mark.parametrize(
    ("data", "danger"),
    [
        (samples.windows_exe(), "executable"),
        (samples.elf_binary(), "executable"),
        (b"\xcf\xfa\xed\xfe" + b"\x00" * 60, "executable"),
        (b"\x00asm\x01\x00\x00\x00", "executable"),
        (samples.shell_script(), "script"),
        (b"\xef\xbb\xbf#!/usr/bin/env python\n", "script"),
        (b"<?php system($_GET['c']); ?>", "script"),
        (samples.svg_with_script(), "svg"),
        (b"  <svg onload='alert(1)'/>", "svg"),
        (b"<!-- hi --><!DOCTYPE svg PUBLIC><svg/>", "svg"),
        (samples.html_page(), "html"),
        (b"\n\n<ScRiPt>alert(1)</script>", "html"),
    ],
)
def test_dangerous_content_is_named(data: bytes, danger: str) -> None:
    assert sniff(data).danger == danger


@pytest.mark.parametrize(
    ("data", "family"),
    [
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "HEIC"),
        (b"\x00\x00\x00\x18ftypavif\x00\x00\x00\x00", "AVIF"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska", "Matroska"),
        (b"II*\x00" + b"\x00" * 20, "TIFF"),
        (b"\x1f\x8b\x08\x00", "gzip"),
        (b"Rar!\x1a\x07\x00", "RAR"),
        (b"<?xml version='1.0'?><note/>", "XML"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 8, "OLE"),
        (b"PK\x03\x04", "zip"),
    ],
)
def test_unsupported_families_are_named_for_the_message(data: bytes, family: str) -> None:
    found = sniff(data)
    assert found.type is None and found.danger is None
    assert family.lower() in (found.family or "").lower()


def test_text_is_not_mistaken_for_a_program() -> None:
    assert not sniff(b"MZ is how my notes start, plain text " * 4).recognised
    assert not sniff("Привет, это заметка".encode()).recognised


def test_structure_walkers_find_the_real_end() -> None:
    jpeg = samples.jpeg()
    assert formats.jpeg_end(jpeg + b"trailing") == len(jpeg)
    png = samples.png()
    assert formats.png_end(png + b"x") == len(png)
    gif = samples.image_bytes("GIF")
    assert formats.gif_end(gif + b"x") == len(gif)
    webp = samples.image_bytes("WEBP")
    assert formats.riff_end(webp + b"xx") == len(webp)
    with pytest.raises(formats.StructureError) as cut:
        formats.jpeg_end(jpeg[:-10])
    assert cut.value.truncated
    with pytest.raises(formats.StructureError):
        formats.iso_media_end(b"\x00\x00\x00\x10ftypisom\x00\x00\x00\x00")  # no moov


def test_mime_types_and_extensions() -> None:
    assert type_for_mime("image/JPEG; charset=binary").name == "jpeg"
    assert type_for_mime("image/jpg").name == "jpeg"
    assert type_for_mime("image/svg+xml") is None
    assert extension_of("Holiday.Photo.JPEG") == "jpeg"
    assert extension_of(".bashrc") == "" and extension_of("noext") == ""


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\photo.jpg", "photo.jpg"),
        ("bad\x00name\u202e.jpg", "badname.jpg"),
        ("", "file"),
        ("a" * 300 + ".png", "a" * 196 + ".png"),
    ],
)
def test_file_names_are_cleaned(given: str, expected: str) -> None:
    assert clean_filename(given) == expected


def test_sizes_read_as_people_write_them() -> None:
    assert format_bytes(5 * 1024 * 1024) == "5 MB"
    assert format_bytes(int(6.5 * 1024 * 1024)) == "6.5 MB"
    assert format_bytes(200 * 1024 * 1024) == "200 MB"
    assert format_bytes(512) == "512 bytes"
