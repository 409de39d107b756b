"""Deciding whether a file on local disk may be accepted for a purpose.

Order matters: size first (cheap), then what the bytes are (magic numbers), refusing programs,
scripts and SVG by name; then whether that type is allowed for the purpose and matches the name's
extension; then one streaming pass that hashes the file and looks for markup hidden inside it;
then the format's own structure (truncation, data after the end marker: polyglots) and, for
images, the header (pixel floods). Decoding the pixels happens in `images.render_image`, before
anything is stored. Video streams are read later by ffprobe in a Celery task.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from media.files import formats
from media.files.errors import FileRejected, format_bytes, too_large
from media.files.images import probe_image
from media.files.purposes import Purpose
from media.files.sniffing import (
    DOCX,
    HEAD_BYTES,
    MOV,
    MP4,
    ODF_MIMETYPES,
    PDF,
    PPTX,
    TEXT_TYPES,
    WEBM,
    XLSX,
    FileType,
    Sniffed,
    extension_of,
    sniff,
    type_for_mime,
)

CHUNK = 1024 * 1024
# Markup that makes a browser or an interpreter act, wherever it hides in a binary file.
ACTIVE_MARKUP = re.compile(
    rb"<script|<\?php|<html|<svg|<iframe|<body|<object|<embed|javascript:",
    re.IGNORECASE,
)
_OVERLAP = 16
# PDF names that run code or carry other files (hex escapes like /J#61vaScript are decoded).
PDF_ACTIVE_NAMES = {b"JavaScript", b"JS", b"Launch", b"EmbeddedFile", b"EmbeddedFiles", b"XFA"}
PDF_NAME = re.compile(rb"/([A-Za-z0-9#]{2,40})")
TEXT_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Inspection:
    type: FileType
    size: int
    sha256: str
    width: int | None = None
    height: int | None = None


@dataclass
class _Scan:
    sha256: str
    size: int
    markup: bytes | None
    text_problem: str | None  # None = valid UTF-8 text without control characters


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _scan(path: Path, *, check_text: bool) -> _Scan:
    """One pass in 1 MiB chunks: SHA-256, the first active markup, and text validity."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    text_problem: str | None = None if check_text else "not checked"
    markup: bytes | None = None
    tail = b""
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if markup is None:
                found = ACTIVE_MARKUP.search(tail + chunk)
                if found:
                    markup = found.group(0)
                tail = chunk[-_OVERLAP:]
            if text_problem is None:
                if TEXT_CONTROL.search(chunk):
                    text_problem = "control characters"
                else:
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError:
                        text_problem = "not UTF-8"
    if text_problem is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            text_problem = "not UTF-8"
    return _Scan(digest.hexdigest(), size, markup, text_problem)


def _read(path: Path, offset: int, length: int) -> bytes:
    with open(path, "rb") as handle:
        handle.seek(offset)
        return handle.read(length)


def inspect_file(
    path: Path,
    *,
    filename: str,
    purpose: Purpose,
    announced_type: str | None = None,
    name_field: str = "file",
) -> Inspection:
    size = path.stat().st_size
    if size == 0:
        raise FileRejected("empty_file", _("The file is empty."))
    if size > purpose.max_bytes:
        raise too_large(size=size, limit=purpose.max_bytes, what=purpose.label)
    head = _read(path, 0, HEAD_BYTES)
    sniffed = sniff(head)
    _refuse_danger(sniffed)
    file_type = sniffed.type
    if sniffed.family == "zip":
        file_type = _office_type(path)
    elif sniffed.family:
        raise _not_allowed(sniffed.family, purpose)

    scan = _scan(path, check_text=file_type is None)
    if file_type is None:
        if scan.text_problem is not None:
            raise FileRejected(
                "unsupported_type",
                _("The content is not a recognised file type; %(purpose)s may be: %(allowed)s.")
                % {"purpose": purpose.label, "allowed": purpose.allowed_labels},
            )
        file_type = _text_type(filename, name_field=name_field)
    if file_type.name not in purpose.types:
        raise _not_allowed(file_type.label, purpose)
    if announced_type is not None:
        _check_announced(announced_type, file_type)
    _check_extension(filename, file_type, name_field=name_field)

    width = height = None
    if file_type.kind == "image":
        _refuse_hidden_payload(path, scan, size)
        _check_end(path, file_type, size)
        width, height = probe_image(path, file_type)
    elif file_type.kind == "video":
        _refuse_hidden_payload(path, scan, size)
        _check_end(path, file_type, size)
    elif file_type == PDF:
        _check_end(path, file_type, size)
        _refuse_active_pdf(path)
    elif file_type in TEXT_TYPES:
        pass  # valid UTF-8 without control characters, checked by the scan
    else:
        _check_office(path, file_type)
    return Inspection(type=file_type, size=size, sha256=scan.sha256, width=width, height=height)


def _refuse_danger(sniffed: Sniffed) -> None:
    if sniffed.danger == "executable":
        raise FileRejected(
            "executable_not_allowed",
            _("This is %(what)s, whatever its name says; programs cannot be uploaded.")
            % {"what": sniffed.detail},
        )
    if sniffed.danger == "script":
        raise FileRejected(
            "executable_not_allowed",
            _("This is %(what)s; scripts cannot be uploaded.") % {"what": sniffed.detail},
        )
    if sniffed.danger == "svg":
        raise FileRejected(
            "svg_not_allowed",
            _("SVG images are not accepted because they can carry scripts; upload a PNG instead."),
        )
    if sniffed.danger == "html":
        raise FileRejected(
            "active_content",
            _("This is %(what)s, which browsers would run; it cannot be uploaded.")
            % {"what": sniffed.detail},
        )


def _not_allowed(what: str, purpose: Purpose) -> FileRejected:
    return FileRejected(
        "unsupported_type",
        _("The content is %(what)s, which is not allowed for %(purpose)s; allowed: %(allowed)s.")
        % {"what": what, "purpose": purpose.label, "allowed": purpose.allowed_labels},
    )


def _text_type(filename: str, *, name_field: str) -> FileType:
    extension = extension_of(filename)
    for text_type in TEXT_TYPES:
        if extension in text_type.extensions:
            return text_type
    raise FileRejected(
        "extension_mismatch",
        _(
            "The content is plain text, so the name must end in .txt, .csv or .md "
            "(it ends in %(ext)s)."
        )
        % {"ext": f".{extension}" if extension else _("no extension")},
        field=name_field,
    )


def _check_extension(filename: str, file_type: FileType, *, name_field: str) -> None:
    extension = extension_of(filename)
    if extension in file_type.extensions:
        return
    raise FileRejected(
        "extension_mismatch",
        _("The name ends in %(ext)s but the content is %(type)s; name it with %(expected)s.")
        % {
            "ext": f".{extension}" if extension else _("no extension"),
            "type": file_type.label,
            "expected": _(" or ").join(f".{e}" for e in file_type.extensions),
        },
        field=name_field,
    )


def _check_announced(announced: str, file_type: FileType) -> None:
    expected = type_for_mime(announced)
    if expected is None or expected.name != file_type.name:
        raise FileRejected(
            "type_mismatch",
            _("The upload was announced as %(announced)s but the content is %(type)s (%(mime)s).")
            % {"announced": announced, "type": file_type.label, "mime": file_type.mime},
            field="content_type",
        )


def _polyglot(detail: str) -> FileRejected:
    return FileRejected(
        "polyglot",
        _("The file hides other content (%(detail)s); upload a plain file.") % {"detail": detail},
    )


def _refuse_hidden_payload(path: Path, scan: _Scan, size: int) -> None:
    """Media files that are also something else: markup a browser would run, a ZIP directory
    that Java/ZIP readers find at the end, or a PDF header that PDF readers find near the start."""
    if scan.markup is not None:
        raise _polyglot(_("it contains %(markup)s") % {"markup": scan.markup.decode("latin-1")})
    if b"%PDF-" in _read(path, 1, 1024):
        raise _polyglot(_("a PDF header"))
    tail_offset = max(0, size - 65557)
    if b"PK\x05\x06" in _read(path, tail_offset, size - tail_offset):
        raise _polyglot(_("a ZIP archive"))


def _check_end(path: Path, file_type: FileType, size: int) -> None:
    """Walk the structure; refuse a truncated file, and data after the end marker that is a
    file of its own. Other trailing bytes are harmless padding, dropped by the re-encode."""
    walker = {
        "jpeg": formats.jpeg_end,
        "png": formats.png_end,
        "gif": formats.gif_end,
        "webp": formats.riff_end,
        MP4.name: formats.iso_media_end,
        MOV.name: formats.iso_media_end,
        WEBM.name: formats.ebml_end,
        PDF.name: formats.pdf_end,
    }[file_type.name]
    try:
        with formats.mapped(path) as data:
            end = walker(data)
    except formats.StructureError as exc:
        if file_type.kind == "image":
            raise FileRejected(
                "corrupt_file",
                _("The image is truncated or corrupt and cannot be decoded (%(detail)s).")
                % {"detail": exc},
            ) from exc
        raise FileRejected(
            "corrupt_file",
            _("The %(type)s file is truncated or corrupt (%(detail)s).")
            % {"type": file_type.label, "detail": exc},
        ) from exc
    if end >= size:
        return
    trailing = _read(path, end, HEAD_BYTES)
    found = sniff(trailing)
    if found.recognised or ACTIVE_MARKUP.search(trailing):
        what = found.detail or found.family or (found.type.label if found.type else "markup")
        raise _polyglot(
            _("%(what)s after the end of the %(type)s data")
            % {"what": what, "type": file_type.label}
        )
    if file_type.kind != "image":
        # Videos and PDFs are stored as uploaded: no unexplained bytes after the end.
        raise _polyglot(
            _("%(count)s unexplained bytes after the end of the %(type)s data")
            % {"count": size - end, "type": file_type.label}
        )


def _refuse_active_pdf(path: Path) -> None:
    """Best effort: names in plain (uncompressed) PDF dictionaries. Names inside compressed
    object streams are not seen; private files are served as downloads in a sandbox anyway."""
    tail = b""
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            for match in PDF_NAME.finditer(tail + chunk):
                name = _pdf_name(match.group(1))
                if name in PDF_ACTIVE_NAMES:
                    raise FileRejected(
                        "active_content",
                        _(
                            "The PDF contains /%(name)s (scripts or embedded files); export it "
                            "without them."
                        )
                        % {"name": name.decode("latin-1")},
                    )
            tail = chunk[-48:]


def _pdf_name(raw: bytes) -> bytes:
    if b"#" not in raw:
        return raw
    return re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)


def _office_type(path: Path) -> FileType:
    """A ZIP is acceptable only as an OOXML or OpenDocument file without macros."""
    size = path.stat().st_size
    try:
        with formats.mapped(path) as data:
            end = formats.zip_end(data)
    except formats.StructureError as exc:
        raise FileRejected(
            "corrupt_file",
            _("The document is truncated or corrupt (%(detail)s).") % {"detail": exc},
        ) from exc
    if end != size:
        raise _polyglot(_("data after the end of the archive"))
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" in names:
                for marker, file_type in (
                    ("word/document.xml", DOCX),
                    ("xl/workbook.xml", XLSX),
                    ("ppt/presentation.xml", PPTX),
                ):
                    if marker in names:
                        return file_type
            if "mimetype" in names:
                mimetype = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                if mimetype in ODF_MIMETYPES:
                    return ODF_MIMETYPES[mimetype]
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
        raise FileRejected(
            "corrupt_file", _("The document is corrupt (%(detail)s).") % {"detail": exc}
        ) from exc
    raise FileRejected(
        "unsupported_type",
        _("ZIP archives are not accepted; only Word, Excel, PowerPoint and OpenDocument files."),
    )


def _check_office(path: Path, file_type: FileType) -> None:
    """Zip bomb limits, no macros, and every member decompresses with a correct CRC."""
    limit = settings.MEDIA_MAX_ARCHIVE_BYTES
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > settings.MEDIA_MAX_ARCHIVE_ENTRIES:
                raise FileRejected(
                    "decompression_bomb",
                    _("The document has %(count)s parts; at most %(limit)s are accepted.")
                    % {"count": len(members), "limit": settings.MEDIA_MAX_ARCHIVE_ENTRIES},
                )
            declared = sum(member.file_size for member in members)
            if declared > limit:
                raise _archive_bomb(declared, limit)
            for member in members:
                lowered = member.filename.lower()
                if lowered.endswith("vbaproject.bin") or lowered.startswith(("basic/", "scripts/")):
                    raise FileRejected(
                        "active_content",
                        _("The document contains macros; save it without macros (as %(ext)s).")
                        % {"ext": file_type.extension_list()},
                    )
                if member.flag_bits & 0x1:
                    raise FileRejected(
                        "unsupported_type", _("Encrypted documents are not accepted.")
                    )
            if file_type in (DOCX, XLSX, PPTX):
                content_types = archive.read("[Content_Types].xml")[: 1024 * 1024]
                if b"macroEnabled" in content_types:
                    raise FileRejected(
                        "active_content",
                        _("The document is macro-enabled; save it as %(ext)s without macros.")
                        % {"ext": file_type.extension_list()},
                    )
            # The real decode: every byte, CRC-checked, counted against the limit (the
            # declared sizes above could lie).
            total = 0
            for member in members:
                with archive.open(member) as stream:
                    while block := stream.read(CHUNK):
                        total += len(block)
                        if total > limit:
                            raise _archive_bomb(total, limit)
    except FileRejected:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as exc:
        raise FileRejected(
            "corrupt_file",
            _("The %(type)s document is corrupt (%(detail)s).")
            % {"type": file_type.label, "detail": exc},
        ) from exc


def _archive_bomb(size: int, limit: int) -> FileRejected:
    return FileRejected(
        "decompression_bomb",
        _("The document expands to at least %(size)s; at most %(limit)s are accepted.")
        % {"size": format_bytes(size), "limit": format_bytes(limit)},
    )
