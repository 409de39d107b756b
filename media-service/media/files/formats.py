"""Walking the structure of accepted formats to find where the real content ends.

A decoder stops at the format's end marker and ignores what follows, so anything after it (a ZIP,
a script, a second file) is where polyglots hide. Each walker returns the offset just after the
last byte that belongs to the format, or raises `StructureError` for a truncated or broken file.
They read through `mmap`, so a 200 MB video is walked without being loaded.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class StructureError(ValueError):
    def __init__(self, message: str, *, truncated: bool = False) -> None:
        super().__init__(message)
        self.truncated = truncated


@contextmanager
def mapped(path: Path) -> Iterator[mmap.mmap | bytes]:
    with open(path, "rb") as handle:
        size = handle.seek(0, 2)
        if size == 0:
            yield b""
            return
        view = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            yield view
        finally:
            view.close()


def jpeg_end(data: mmap.mmap | bytes) -> int:
    """Segments up to EOI; entropy-coded data after SOS is skipped to the next real marker
    (0xFF followed by anything but 0x00, a restart marker or fill)."""
    size = len(data)
    if data[:2] != b"\xff\xd8":
        raise StructureError("no JPEG start marker")
    pos = 2
    while True:
        if pos >= size:
            raise StructureError("the JPEG ends before its end marker", truncated=True)
        if data[pos] != 0xFF:
            raise StructureError(f"expected a JPEG marker at byte {pos}")
        while pos < size and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= size:
            raise StructureError("the JPEG ends inside a marker", truncated=True)
        marker = data[pos]
        pos += 1
        if marker == 0xD9:  # EOI
            return pos
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # TEM, RSTn: no length
            continue
        if pos + 2 > size:
            raise StructureError("the JPEG ends inside a segment header", truncated=True)
        length = struct.unpack(">H", data[pos : pos + 2])[0]
        if length < 2:
            raise StructureError("a JPEG segment has an impossible length")
        pos += length
        if pos > size:
            raise StructureError("the JPEG ends inside a segment", truncated=True)
        if marker == 0xDA:  # SOS: scan the entropy-coded data
            while True:
                index = data.find(b"\xff", pos)
                if index < 0 or index + 1 >= size:
                    raise StructureError("the JPEG image data is cut off", truncated=True)
                following = data[index + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                    pos = index + 1
                    continue
                pos = index
                break


def png_end(data: mmap.mmap | bytes) -> int:
    size = len(data)
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise StructureError("no PNG signature")
    pos = 8
    while True:
        if pos + 8 > size:
            raise StructureError("the PNG ends before its IEND chunk", truncated=True)
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        chunk_type = bytes(data[pos + 4 : pos + 8])
        if not chunk_type.isalpha():
            raise StructureError(f"a PNG chunk has an invalid type at byte {pos}")
        pos += 12 + length
        if pos > size:
            raise StructureError("the PNG ends inside a chunk", truncated=True)
        if chunk_type == b"IEND":
            return pos


def gif_end(data: mmap.mmap | bytes) -> int:
    size = len(data)
    if size < 13:
        raise StructureError("the GIF header is cut off", truncated=True)
    pos = 13
    flags = data[10]
    if flags & 0x80:
        pos += 3 * (2 ** ((flags & 0x07) + 1))
    while True:
        if pos >= size:
            raise StructureError("the GIF ends before its trailer", truncated=True)
        block = data[pos]
        if block == 0x3B:  # trailer
            return pos + 1
        if block == 0x21:  # extension: label, then sub-blocks
            pos = _gif_sub_blocks(data, pos + 2)
        elif block == 0x2C:  # image descriptor (10 bytes), local table, LZW size, sub-blocks
            if pos + 10 > size:
                raise StructureError("the GIF ends inside an image descriptor", truncated=True)
            local = data[pos + 9]
            pos += 10
            if local & 0x80:
                pos += 3 * (2 ** ((local & 0x07) + 1))
            pos = _gif_sub_blocks(data, pos + 1)
        else:
            raise StructureError(f"unknown GIF block 0x{block:02x} at byte {pos}")


def _gif_sub_blocks(data: mmap.mmap | bytes, pos: int) -> int:
    size = len(data)
    while True:
        if pos >= size:
            raise StructureError("the GIF ends inside a data block", truncated=True)
        length = data[pos]
        pos += 1 + length
        if length == 0:
            return pos


def riff_end(data: mmap.mmap | bytes) -> int:
    if len(data) < 12:
        raise StructureError("the WebP header is cut off", truncated=True)
    declared = struct.unpack("<I", data[4:8])[0]
    end = 8 + declared + (declared & 1)
    if end > len(data) + (declared & 1):
        raise StructureError("the WebP is shorter than its header says", truncated=True)
    return min(end, len(data))


def iso_media_end(data: mmap.mmap | bytes) -> int:
    """Top-level boxes of MP4/MOV; requires a `moov` box (the metadata players need)."""
    size = len(data)
    pos = 0
    seen_moov = False
    while pos < size:
        if pos + 8 > size:
            raise StructureError("the video ends inside a box header", truncated=True)
        box_size = struct.unpack(">I", data[pos : pos + 4])[0]
        box_type = bytes(data[pos + 4 : pos + 8])
        if not all(32 <= byte < 127 or byte == 0xA9 for byte in box_type):
            # Not a box: the remainder is foreign data appended to the video.
            return pos
        header = 8
        if box_size == 1:
            if pos + 16 > size:
                raise StructureError("the video ends inside a box header", truncated=True)
            box_size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
            header = 16
        elif box_size == 0:
            box_size = size - pos  # runs to the end of the file
        if box_size < header:
            raise StructureError(f"a video box has an impossible size at byte {pos}")
        if box_type == b"moov":
            seen_moov = True
        if pos + box_size > size:
            raise StructureError("the video is shorter than its boxes say", truncated=True)
        pos += box_size
    if not seen_moov:
        raise StructureError("the video has no 'moov' box (its index)")
    return pos


def _ebml_vint(data: mmap.mmap | bytes, pos: int, *, keep_marker: bool) -> tuple[int, int, bool]:
    """(value, length, unknown_size) of the EBML variable-size integer at `pos`."""
    if pos >= len(data):
        raise StructureError("the WebM ends inside an element header", truncated=True)
    first = data[pos]
    length = 1
    mask = 0x80
    while length <= 8 and not first & mask:
        mask >>= 1
        length += 1
    if length > 8:
        raise StructureError(f"an invalid WebM element header at byte {pos}")
    if pos + length > len(data):
        raise StructureError("the WebM ends inside an element header", truncated=True)
    value = first if keep_marker else first & (mask - 1)
    for byte in data[pos + 1 : pos + length]:
        value = (value << 8) | byte
    all_ones = (first & (mask - 1)) == mask - 1 and all(
        b == 0xFF for b in data[pos + 1 : pos + length]
    )
    return value, length, all_ones and not keep_marker


EBML_HEADER_ID = 0x1A45DFA3
SEGMENT_ID = 0x18538067


def ebml_end(data: mmap.mmap | bytes) -> int:
    """Top-level elements of WebM: the EBML header and one Segment (its size may be unknown,
    meaning "to the end of the file")."""
    size = len(data)
    pos = 0
    seen_segment = False
    while pos < size:
        element_id, id_length, _ = _ebml_vint(data, pos, keep_marker=True)
        if element_id not in (EBML_HEADER_ID, SEGMENT_ID, 0xEC):  # 0xEC: Void
            if seen_segment:
                return pos
            raise StructureError(f"an unexpected WebM element at byte {pos}")
        element_size, size_length, unknown = _ebml_vint(data, pos + id_length, keep_marker=False)
        start = pos + id_length + size_length
        if element_id == SEGMENT_ID:
            seen_segment = True
            if unknown:
                return size
        if start + element_size > size:
            raise StructureError("the WebM is shorter than its elements say", truncated=True)
        pos = start + element_size
    if not seen_segment:
        raise StructureError("the WebM has no Segment")
    return pos


def pdf_end(data: mmap.mmap | bytes) -> int:
    """Just after the last `%%EOF` (incremental updates append more revisions, each ending in
    one); it must be near the end and preceded by `startxref`."""
    size = len(data)
    tail_start = max(0, size - 4096)
    index = data.rfind(b"%%EOF", tail_start)
    if index < 0:
        raise StructureError("the PDF has no end marker (%%EOF)", truncated=True)
    if data.rfind(b"startxref", max(0, index - 1024), index) < 0:
        raise StructureError("the PDF has no cross-reference pointer (startxref)")
    end = index + 5
    # Line ends after %%EOF belong to the file.
    while end < size and data[end] in b"\r\n \t\x00":
        end += 1
    return end


def zip_end(data: mmap.mmap | bytes) -> int:
    """Just after the end-of-central-directory record and its comment."""
    size = len(data)
    index = data.rfind(b"PK\x05\x06", max(0, size - 65557))
    if index < 0 or index + 22 > size:
        raise StructureError("the archive has no central directory", truncated=True)
    comment_length = struct.unpack("<H", data[index + 20 : index + 22])[0]
    return index + 22 + comment_length
