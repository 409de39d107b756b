"""Video metadata with ffprobe, a poster frame and the MP4 renditions with ffmpeg (both from
Debian's `ffmpeg`).

The files are untrusted, and ffmpeg is a large parser: it runs on a local copy only, with the
demuxer forced to the container the magic bytes named (no format guessing), only the `file`
protocol allowed (a crafted file cannot make it fetch URLs), no stdin, and a time limit.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable
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
PROGRESS_INTERVAL = 1.0  # seconds between two progress writes


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


# -- transcoding ------------------------------------------------------------------------------


@dataclass(frozen=True)
class VideoRendition:
    name: str  # 720p | 360p: the ladder's step
    path: Path
    width: int
    height: int
    duration: float
    audio_codec: str
    content_type: str = "video/mp4"
    extension: str = "mp4"

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def ladder_for(height: int, steps: list[int]) -> list[tuple[str, int]]:
    """(name, output height) of the steps at or below the source's height: never upscaled. A
    source smaller than every step gets one rendition at its own height, named after the lowest
    step, so every converted video has it."""
    steps = sorted({int(step) for step in steps}, reverse=True)
    fitting = [(f"{step}p", step) for step in steps if step <= height]
    if not fitting and steps:
        fitting = [(f"{steps[-1]}p", max(2, height - height % 2))]  # x264 wants even sides
    return fitting


def transcode(
    path: Path,
    file_type: FileType,
    *,
    duration: float,
    height: int,
    workdir: Path,
    on_progress: Callable[[int], None] | None = None,
) -> list[VideoRendition]:
    """H.264/AAC MP4 renditions (faststart, metadata stripped) in one ffmpeg run: the video is
    decoded once and split. `on_progress` gets the percent done, from `-progress` against
    `duration`. Sandboxed like the probe, with MEDIA_VIDEO_TRANSCODE_TIMEOUT_SECONDS."""
    ladder = ladder_for(height, settings.MEDIA_VIDEO_RENDITIONS)
    labels = [f"v{index}" for index in range(len(ladder))]
    scales = ";".join(
        f"[{'s' + str(index) if len(ladder) > 1 else '0:v:0'}]scale=-2:{out_height},"
        f"format=yuv420p[{label}]"
        for index, ((_name, out_height), label) in enumerate(zip(ladder, labels, strict=True))
    )
    split = (
        f"[0:v:0]split={len(ladder)}{''.join(f'[s{i}]' for i in range(len(ladder)))};"
        if len(ladder) > 1
        else ""
    )
    command = [
        settings.FFMPEG_BIN,
        "-v", "error", "-nostdin", "-y", "-nostats", "-progress", "pipe:1",
        "-protocol_whitelist", "file",
        "-f", DEMUXERS[file_type.name],
        "-i", str(path),
        "-filter_complex", split + scales,
    ]  # fmt: skip
    outputs = []
    for (name, out_height), label in zip(ladder, labels, strict=True):
        output = workdir / f"{name}.mp4"
        outputs.append((name, output))
        command += [
            "-map", f"[{label}]", "-map", "0:a:0?",
            "-c:v", "libx264", "-preset", settings.MEDIA_VIDEO_PRESET, "-crf", "23",
            "-profile:v", "high",
            "-c:a", "aac", "-b:a", "128k" if out_height >= 720 else "96k", "-ac", "2",
            "-map_metadata", "-1", "-map_chapters", "-1", "-sn", "-dn",
            "-movflags", "+faststart",
            "-f", "mp4", str(output),
        ]  # fmt: skip
    _run_with_progress(command, duration=duration, on_progress=on_progress, workdir=workdir)
    renditions = []
    for name, output in outputs:
        info = probe_video(output, MP4)
        # A source that ends early (truncated data) decodes "fine" to a short video.
        if info.duration < duration * 0.9 - 0.5:
            raise FileRejected(
                "truncated_video",
                _("Only %(done)s of the video's %(total)s seconds could be decoded.")
                % {"done": round(info.duration, 1), "total": round(duration, 1)},
            )
        renditions.append(
            VideoRendition(
                name=name,
                path=output,
                width=info.width,
                height=info.height,
                duration=info.duration,
                audio_codec=info.audio_codec,
            )
        )
    return renditions


def _run_with_progress(
    command: list[str],
    *,
    duration: float,
    on_progress: Callable[[int], None] | None,
    workdir: Path,
) -> None:
    timeout = settings.MEDIA_VIDEO_TRANSCODE_TIMEOUT_SECONDS
    errors = workdir / "ffmpeg-errors.log"
    with open(errors, "wb") as error_log:
        try:
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=error_log
            )
        except FileNotFoundError as exc:
            raise ToolMissing(f"{command[0]} is not installed (apt-get install ffmpeg)") from exc
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            process.kill()

        watchdog = threading.Timer(timeout, kill)
        watchdog.start()
        try:
            reported, last_report = -1, float("-inf")
            assert process.stdout is not None
            for raw in process.stdout:
                key, _sep, value = raw.decode(errors="replace").strip().partition("=")
                if key != "out_time_us" or on_progress is None or duration <= 0:
                    continue
                seconds = (_float(value) or 0) / 1_000_000
                percent = max(0, min(99, int(seconds * 100 / duration)))
                now = time.monotonic()
                if percent > reported and now - last_report >= PROGRESS_INTERVAL:
                    reported, last_report = percent, now
                    on_progress(percent)
            process.wait()
        finally:
            watchdog.cancel()
            if process.poll() is None:
                process.kill()
                process.wait()
    if timed_out.is_set():
        raise FileRejected(
            "processing_timeout",
            _("Converting the video took longer than %(seconds)s seconds.") % {"seconds": timeout},
        )
    if process.returncode != 0:
        detail = errors.read_bytes()[-2000:].decode(errors="replace").strip()
        message = _("The video could not be converted; it is corrupt or truncated.")
        raise FileRejected(
            "conversion_failed", f"{message} ({detail[-300:]})" if detail else message
        )
