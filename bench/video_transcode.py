"""Benchmark: converting a 60-second 720p lesson video to the MP4 renditions (target <= 2x its
length on 2 cores).

The video is made with ffmpeg's lavfi sources (a moving test pattern with a little noise, so the
encoder has real work, and a tone), kept under var/bench/. It then goes through media-service's
own conversion code (`media.files.video`: the probe, then `transcode`, the one sandboxed ffmpeg
run the Celery task makes for every rendition, with the configured preset) and the wall time is
compared with the video's length.

    .venv/bin/python bench/video_transcode.py [--seconds 60] [--preset veryfast]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICE = ROOT / "media-service"


def make_video(path: Path, seconds: int) -> Path:
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-y",
            "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-vf", "noise=alls=12:allf=t",
            "-t", str(seconds), "-pix_fmt", "yuv420p",
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "20",
            "-c:a", "aac", "-shortest",
            str(path),
        ],
        check=True,
        timeout=1200,
    )  # fmt: skip
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--preset", help="x264 preset (default: MEDIA_VIDEO_PRESET, veryfast)")
    args = parser.parse_args()
    if args.preset:
        os.environ["MEDIA_VIDEO_PRESET"] = args.preset

    # media-service's settings, without a database: only the ffmpeg code runs.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("COTASK_VAR_DIR", str(ROOT / "var" / "bench" / "video-transcode"))
    sys.path.insert(0, str(SERVICE))
    import django

    django.setup()
    from django.conf import settings
    from media.files.sniffing import MP4
    from media.files.video import probe_video, transcode

    source = make_video(ROOT / "var" / "bench" / f"lesson-{args.seconds}s-720p.mp4", args.seconds)
    print(f"source: {source.relative_to(ROOT)} ({source.stat().st_size / 1e6:.1f} MB)")
    print(f"preset: {settings.MEDIA_VIDEO_PRESET}, renditions: {settings.MEDIA_VIDEO_RENDITIONS}")
    print(f"cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="cotask-bench-video-") as folder:
        started = time.perf_counter()
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        info = probe_video(source, MP4)
        renditions = transcode(
            source, MP4, duration=info.duration, height=info.height, workdir=Path(folder)
        )
        wall = time.perf_counter() - started
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (children.ru_utime - children_before.ru_utime) + (
            children.ru_stime - children_before.ru_stime
        )
        for r in renditions:
            print(
                f"  {r.name}: {r.width}x{r.height}, {r.duration:.1f} s, {r.size / 1e6:.1f} MB, "
                f"audio {r.audio_codec or 'none'}"
            )
    ratio = wall / info.duration
    verdict = "OK" if ratio <= 2 else "over the 2x target"
    print(f"video length: {info.duration:.1f} s")
    print(f"conversion wall time: {wall:.1f} s (ffmpeg CPU {cpu:.1f} s)")
    print(f"ratio to the video's length: {ratio:.2f}x ({verdict})")
    # On a shared machine the wall time measures the other jobs too; the CPU ffmpeg spent, spread
    # over the machine's cores, is what the same conversion takes on idle ones.
    cores = os.cpu_count() or 1
    print(f"on {cores} idle cores: ~{cpu / cores:.0f} s, {cpu / cores / info.duration:.2f}x")


if __name__ == "__main__":
    main()
