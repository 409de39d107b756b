"""Video metadata with ffprobe and a poster frame with ffmpeg (both from Debian's `ffmpeg`).

The files are untrusted, and ffmpeg is a large parser: it runs on a local copy only, with the
demuxer forced to the container the magic bytes named (no format guessing), only the `file`
protocol allowed (a crafted file cannot make it fetch URLs), no stdin, and a time limit.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from media.files.errors import FileRejected
from media.files.sniffing import MOV, MP4, WEBM, FileType

DEMUXERS = {MP4.name: "mov", MOV.name: "mov", WEBM.name: "matroska"}
# What ffprobe must report for each container (format_name lists every alias of the demuxer).
FORMAT_NAMES = {MP4.name: "mp4", MOV.name: "mov", WEBM.name: "webm"}
VIDEO_CODECS = {
    MP4.name: {"h264", "hevc", "av1", "mpeg4", "vp9"},
    MOV.name: {"h264", "hevc", "av1", "mpeg4", "prores", "mjpeg"},
    WEBM.name: {"vp8", "vp9", "av1"},
}
MAX_SIDE = 8192


class ToolMissing(RuntimeError):
    """ffprobe/ffmpeg is not installed where the worker runs: an operator's problem, retried."""


@dataclass(frozen=True)
class VideoInfo:
    duration: float
    width: int
    height: int
    video_codec: str
    audio_codec: str
    format_name: str


def _run(command: list[str]) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            command,
            capture_output=True,
            timeout=settings.MEDIA_FFMPEG_TIMEOUT_SECONDS,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError as exc:
        raise ToolMissing(f"{command[0]} is not installed (apt-get install ffmpeg)") from exc
    except subprocess.TimeoutExpired as exc:
        raise FileRejected(
            "processing_timeout",
            _("Reading the video took longer than %(seconds)s seconds.")
            % {"seconds": settings.MEDIA_FFMPEG_TIMEOUT_SECONDS},
        ) from exc


def _unreadable(detail: str) -> FileRejected:
    message = _("The video cannot be read; it is corrupt or truncated.")
    return FileRejected("corrupt_file", f"{message} ({detail[:300]})" if detail else message)


def probe_video(path: Path, file_type: FileType) -> VideoInfo:
    result = _run(
        [
            settings.FFPROBE_BIN,
            "-v", "error",
            "-protocol_whitelist", "file",
            "-f", DEMUXERS[file_type.name],
            "-show_format", "-show_streams",
            "-of", "json",
            str(path),
        ]
    )  # fmt: skip
    if result.returncode != 0:
        raise _unreadable(result.stderr.decode(errors="replace").strip())
    try:
        report: dict[str, Any] = json.loads(result.stdout)
    except json.JSONDecodeError as exc:
        raise _unreadable("ffprobe gave no report") from exc
    format_info = report.get("format") or {}
    format_name = str(format_info.get("format_name", ""))
    if FORMAT_NAMES[file_type.name] not in format_name.split(","):
        raise FileRejected(
            "type_mismatch",
            _("The container is %(found)s, not %(expected)s.")
            % {"found": format_name or "unknown", "expected": file_type.label},
        )
    streams = report.get("streams") or []
    video = next(
        (
            s
            for s in streams
            if s.get("codec_type") == "video"
            and not (s.get("disposition") or {}).get("attached_pic")
        ),
        None,
    )
    if video is None:
        raise FileRejected("corrupt_file", _("The file has no video stream."))
    codec = str(video.get("codec_name", ""))
    if codec not in VIDEO_CODECS[file_type.name]:
        raise FileRejected(
            "unsupported_codec",
            _("The video codec %(codec)s is not supported in %(type)s; use one of: %(allowed)s.")
            % {
                "codec": codec or "unknown",
                "type": file_type.label,
                "allowed": ", ".join(sorted(VIDEO_CODECS[file_type.name])),
            },
        )
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    if width <= 0 or height <= 0:
        raise _unreadable("the video stream has no dimensions")
    if max(width, height) > MAX_SIDE:
        raise FileRejected(
            "video_too_large",
            _("The video is %(width)sx%(height)s; at most %(side)s pixels a side are accepted.")
            % {"width": width, "height": height, "side": MAX_SIDE},
        )
    if _rotation(video) in (90, 270):
        width, height = height, width  # what players show
    duration = _float(format_info.get("duration")) or _float(video.get("duration"))
    if not duration or duration <= 0:
        raise _unreadable("the video has no duration")
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    return VideoInfo(
        duration=round(duration, 3),
        width=width,
        height=height,
        video_codec=codec,
        audio_codec=str(audio.get("codec_name", "")) if audio else "",
        format_name=format_name,
    )


def extract_poster(path: Path, file_type: FileType, *, at: float, workdir: Path) -> Path:
    """One frame at `at` seconds as PNG (ffmpeg applies the rotation when decoding)."""
    output = workdir / "poster-frame.png"
    result = _run(
        [
            settings.FFMPEG_BIN,
            "-v", "error", "-nostdin", "-y",
            "-protocol_whitelist", "file",
            "-f", DEMUXERS[file_type.name],
            "-ss", f"{max(at, 0):.3f}",
            "-i", str(path),
            "-frames:v", "1", "-an", "-sn", "-dn",
            "-f", "image2", "-c:v", "png",
            str(output),
        ]
    )  # fmt: skip
    if result.returncode != 0 or not output.exists() or output.stat().st_size == 0:
        raise _unreadable(result.stderr.decode(errors="replace").strip() or "no frame decoded")
    return output


def _rotation(stream: dict[str, Any]) -> int:
    for side_data in stream.get("side_data_list") or []:
        if "rotation" in side_data:
            return int(abs(_float(side_data["rotation"]) or 0)) % 360
    rotate = (stream.get("tags") or {}).get("rotate")
    return int(abs(_float(rotate) or 0)) % 360


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
