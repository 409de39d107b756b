"""What a file is, from its first bytes (magic numbers), never from its name.

`sniff(head)` recognises the types CoTask accepts, the dangerous ones it names in its refusals
(programs, scripts, SVG, HTML), and a few common unsupported families so the error can say what
the file is ("a HEIC image", "a ZIP archive"). Office documents are ZIP files; which one a ZIP is
needs its directory and is decided in `inspection`. Plain text has no magic: also `inspection`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HEAD_BYTES = 8192


@dataclass(frozen=True)
class FileType:
    name: str
    label: str  # for people: "JPEG", "PDF"
    kind: str  # image | video | document
    mime: str
    extensions: tuple[str, ...]  # the first one is used for stored objects

    def extension_list(self) -> str:
        return ", ".join(f".{ext}" for ext in self.extensions)


JPEG = FileType("jpeg", "JPEG", "image", "image/jpeg", ("jpg", "jpeg"))
PNG = FileType("png", "PNG", "image", "image/png", ("png",))
GIF = FileType("gif", "GIF", "image", "image/gif", ("gif",))
WEBP = FileType("webp", "WebP", "image", "image/webp", ("webp",))
MP4 = FileType("mp4", "MP4", "video", "video/mp4", ("mp4", "m4v"))
MOV = FileType("mov", "QuickTime (MOV)", "video", "video/quicktime", ("mov",))
WEBM = FileType("webm", "WebM", "video", "video/webm", ("webm",))
PDF = FileType("pdf", "PDF", "document", "application/pdf", ("pdf",))
_OOXML = "application/vnd.openxmlformats-officedocument"
DOCX = FileType("docx", "Word (DOCX)", "document", f"{_OOXML}.wordprocessingml.document", ("docx",))
XLSX = FileType("xlsx", "Excel (XLSX)", "document", f"{_OOXML}.spreadsheetml.sheet", ("xlsx",))
PPTX = FileType(
    "pptx", "PowerPoint (PPTX)", "document", f"{_OOXML}.presentationml.presentation", ("pptx",)
)
_ODF = "application/vnd.oasis.opendocument"
ODT = FileType("odt", "OpenDocument text (ODT)", "document", f"{_ODF}.text", ("odt",))
ODS = FileType("ods", "OpenDocument spreadsheet (ODS)", "document", f"{_ODF}.spreadsheet", ("ods",))
ODP = FileType(
    "odp", "OpenDocument presentation (ODP)", "document", f"{_ODF}.presentation", ("odp",)
)
TXT = FileType("txt", "plain text", "document", "text/plain", ("txt",))
CSV = FileType("csv", "CSV", "document", "text/csv", ("csv",))
MARKDOWN = FileType("md", "Markdown", "document", "text/markdown", ("md", "markdown"))

TYPES = {
    t.name: t for t in (JPEG, PNG, GIF, WEBP, MP4, MOV, WEBM, PDF, DOCX, XLSX, PPTX, ODT, ODS, ODP)
}
TYPES.update({t.name: t for t in (TXT, CSV, MARKDOWN)})
IMAGE_TYPES = frozenset({"jpeg", "png", "gif", "webp"})
VIDEO_TYPES = frozenset({"mp4", "mov", "webm"})
TEXT_TYPES = (TXT, CSV, MARKDOWN)
DOCUMENT_TYPES = frozenset({"pdf", "docx", "xlsx", "pptx", "odt", "ods", "odp", "txt", "csv", "md"})
ODF_MIMETYPES = {ODT.mime: ODT, ODS.mime: ODS, ODP.mime: ODP}

# Extra spellings a client may announce for a type (browsers differ).
MIME_ALIASES = {
    "image/jpg": "jpeg",
    "image/pjpeg": "jpeg",
    "video/x-m4v": "mp4",
    "text/x-markdown": "md",
    "application/csv": "csv",
    "text/x-csv": "csv",
}

# ISO base media "ftyp" major brands: QuickTime, and the MP4 family.
MOV_BRANDS = {b"qt  "}
MP4_BRANDS = {
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso8", b"iso9",
    b"mp41", b"mp42", b"avc1", b"M4V ", b"M4VH", b"M4VP", b"dash", b"mmp4", b"MSNV", b"XAVC",
}  # fmt: skip
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis"}
AVIF_BRANDS = {b"avif", b"avis"}


@dataclass(frozen=True)
class Sniffed:
    """One of: a known `type`; a `danger` ("executable", "script", "svg", "html"); a `family`
    CoTask does not accept (its name for messages, e.g. "a ZIP archive"); or nothing at all."""

    type: FileType | None = None
    danger: str | None = None
    family: str | None = None
    detail: str = ""  # e.g. "Windows program (PE)"

    @property
    def recognised(self) -> bool:
        return bool(self.type or self.danger or self.family)


_MARKUP_START = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<!--.*?-->\s*)*<(?P<tag>\?xml|\?php|!doctype\s+(?P<doctype>\w+)|"
    rb"svg|html|head|body|script|iframe|object|embed|meta|title|a\s|div|p>|table|style|link)",
    re.IGNORECASE | re.DOTALL,
)


def sniff(head: bytes) -> Sniffed:
    """Classify by the first bytes (pass at least the first 8 KiB)."""
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed(type=JPEG)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed(type=PNG)
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Sniffed(type=GIF)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed(type=WEBP)
    if head[:4] == b"RIFF":
        return Sniffed(family="a RIFF file (AVI/WAV)")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in MOV_BRANDS:
            return Sniffed(type=MOV)
        if brand in MP4_BRANDS:
            return Sniffed(type=MP4)
        if brand in HEIF_BRANDS:
            return Sniffed(family="a HEIC/HEIF image")
        if brand in AVIF_BRANDS:
            return Sniffed(family="an AVIF image")
        return Sniffed(family=f"an ISO media file (brand {brand.decode('latin-1').strip()!r})")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        doctype = _ebml_doctype(head)
        if doctype == b"webm":
            return Sniffed(type=WEBM)
        return Sniffed(family="a Matroska (MKV) video")
    if head.startswith(b"%PDF-"):
        return Sniffed(type=PDF)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return Sniffed(family="zip")  # resolved to DOCX/XLSX/... by inspection
    danger = _executable(head)
    if danger:
        return danger
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return Sniffed(family="a legacy Office/OLE document (DOC/XLS/MSI)")
    for magic, family in _ARCHIVES:
        if head.startswith(magic):
            return Sniffed(family=family)
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return Sniffed(family="a TIFF image")
    if head.startswith(b"BM") and len(head) > 14 and head[14] in (12, 40, 52, 56, 108, 124):
        return Sniffed(family="a BMP image")
    if head.startswith(b"\x00\x00\x01\x00"):
        return Sniffed(family="an ICO image")
    markup = markup_kind(head)
    if markup:
        return markup
    return Sniffed()


def markup_kind(head: bytes) -> Sniffed | None:
    """SVG, HTML, XML or PHP at the start of a text: all refused (they can carry scripts)."""
    match = _MARKUP_START.match(head[:4096])
    if not match:
        return None
    tag = match.group("tag").lower()
    doctype = (match.group("doctype") or b"").lower()
    lowered = head[:4096].lower()
    if tag == b"svg" or doctype == b"svg" or (tag == b"?xml" and b"<svg" in lowered):
        return Sniffed(danger="svg", detail="an SVG image")
    if tag == b"?php":
        return Sniffed(danger="script", detail="a PHP script")
    if tag == b"?xml":
        if b"<html" in lowered or b"xhtml" in lowered:
            return Sniffed(danger="html", detail="an XHTML page")
        return Sniffed(family="an XML document")
    return Sniffed(danger="html", detail="an HTML page")


_ARCHIVES = (
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\x28\xb5\x2f\xfd", "a zstd archive"),
)


def _executable(head: bytes) -> Sniffed | None:
    if head.startswith(b"MZ") and len(head) >= 64:
        # DOS header: e_lfanew at 0x3c points at "PE\0\0" in Windows programs and DLLs.
        offset = int.from_bytes(head[0x3C:0x40], "little")
        if head[offset : offset + 4] == b"PE\x00\x00" or not _looks_like_text(head):
            return Sniffed(danger="executable", detail="a Windows program (PE)")
    if head.startswith(b"\x7fELF"):
        return Sniffed(danger="executable", detail="a Linux program (ELF)")
    if head[:4] in (
        b"\xfe\xed\xfa\xce",
        b"\xfe\xed\xfa\xcf",
        b"\xce\xfa\xed\xfe",
        b"\xcf\xfa\xed\xfe",
        b"\xca\xfe\xba\xbe",
    ):
        return Sniffed(danger="executable", detail="a macOS program (Mach-O) or Java class")
    if head.startswith(b"dex\n"):
        return Sniffed(danger="executable", detail="an Android program (DEX)")
    if head.startswith(b"\x00asm"):
        return Sniffed(danger="executable", detail="a WebAssembly module")
    if head.startswith(b"L\x00\x00\x00\x01\x14\x02\x00"):
        return Sniffed(danger="executable", detail="a Windows shortcut (LNK)")
    stripped = head.removeprefix(b"\xef\xbb\xbf")
    if stripped.startswith(b"#!"):
        return Sniffed(danger="script", detail="a script (#!)")
    return None


def _looks_like_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in head


def _ebml_doctype(head: bytes) -> bytes | None:
    """The DocType ("webm" / "matroska") from an EBML header: element 0x4282."""
    index = head.find(b"\x42\x82", 4, 64)
    if index < 0 or index + 3 > len(head):
        return None
    size_byte = head[index + 2]
    if not size_byte & 0x80:  # DocType sizes fit in one byte (vint 1xxxxxxx)
        return None
    size = size_byte & 0x7F
    return head[index + 3 : index + 3 + size]


def type_for_mime(mime: str) -> FileType | None:
    mime = mime.split(";", 1)[0].strip().lower()
    for file_type in TYPES.values():
        if file_type.mime == mime:
            return file_type
    alias = MIME_ALIASES.get(mime)
    return TYPES[alias] if alias else None


def extension_of(filename: str) -> str:
    base = filename.rsplit("/", 1)[-1]
    if "." not in base.strip("."):
        return ""
    return base.rsplit(".", 1)[-1].lower()
