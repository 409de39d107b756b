"""Benchmark: peak memory (RSS) of media-service while a 200 MB video goes through it.

A real media-service (gunicorn, one worker) and its Celery worker run on local storage (the
default: the PUT of the bytes, the completion check and the move all happen inside the service),
or on the S3 server with `--storage s3` (after `eval "$(scripts/infra env)"`: the bytes go to S3,
the service streams them back to check them). The flow: announce, PUT the file (streamed from
disk), complete (size, SHA-256, type, structure, hidden-content scan), then the worker downloads
it, runs ffprobe and renders the poster. Each process's peak RSS (VmHWM, reset after warm-up) is
compared with its RSS before: streaming keeps the growth a few MiB, far below the file's size.

    .venv/bin/python bench/media_video_memory.py [--size-mb 200] [--storage local|s3]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from media_server import ROOT, MediaServer, cpu_seconds, memory_kib, mib, reset_peak

MB = 1_000_000


def make_video(path: Path, size: int) -> Path:
    """Random-noise H.264 (it barely compresses), cut at `size` bytes by ffmpeg itself, which
    still writes a valid file. Kept under var/bench/ for the next run."""
    if path.exists() and abs(path.stat().st_size - size) < 2 * MB:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", "640x360", "-r", "25",
            "-i", "/dev/urandom", "-t", "120",
            "-c:v", "libx264", "-preset", "ultrafast", "-qp", "20",
            "-fs", str(size), "-movflags", "+faststart",
            str(path),
        ],
        check=True,
        timeout=600,
    )  # fmt: skip
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def wait_processed(api: str, headers: dict[str, str], file_id: str) -> dict:
    started = time.perf_counter()
    while True:
        body = requests.get(f"{api}/files/{file_id}/", headers=headers, timeout=30).json()
        if body["status"] != "processing":
            break
        if time.perf_counter() - started > 600:
            raise SystemExit("the video was not processed within 10 minutes")
        time.sleep(0.2)
    if body["status"] != "ready":
        raise SystemExit(f"processing failed: {body['failure']}")
    return body


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=200, help="decimal MB (limit: 200 MiB)")
    parser.add_argument("--storage", choices=["local", "s3"], default="local")
    args = parser.parse_args()
    if not shutil.which("ffmpeg"):
        print("media video memory: skipped (ffmpeg is not installed: apt-get install ffmpeg)")
        return

    video = make_video(ROOT / "var" / "bench" / f"video-{args.size_mb}mb.mp4", args.size_mb * MB)
    size = video.stat().st_size
    digest = sha256_of(video)
    server = MediaServer(storage=args.storage, threads=4, start_worker=True)
    try:
        headers = {"Authorization": f"Bearer {server.token()}"}
        api = f"{server.url}/api/media"
        # Warm-up: one small direct upload (the same calls: head, get, move, delete), so
        # first-use imports and connections are not counted.
        warm = b"warm-up\n"
        started = requests.post(
            f"{api}/uploads/",
            headers=headers,
            json={
                "purpose": "task_attachment",
                "filename": "w.txt",
                "content_type": "text/plain",
                "size": len(warm),
                "sha256": hashlib.sha256(warm).hexdigest(),
            },
            timeout=60,
        ).json()
        requests.put(
            started["upload"]["url"], data=warm, headers=started["upload"]["headers"], timeout=60
        ).raise_for_status()
        requests.post(
            f"{api}/uploads/{started['id']}/complete", headers=headers, timeout=60
        ).raise_for_status()
        # And one small video, so the Celery worker has run its task once too.
        clip = video.parent / "warm-up.mp4"
        subprocess.run(
            [
                "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=5",
                "-t", "1", "-pix_fmt", "yuv420p", "-c:v", "libx264", str(clip),
            ],
            check=True,
            timeout=60,
        )  # fmt: skip
        warm_video = requests.post(
            f"{api}/files/",
            headers=headers,
            files={"file": ("warm.mp4", clip.read_bytes(), "video/mp4")},
            data={"purpose": "post_video"},
            timeout=60,
        )
        warm_video.raise_for_status()
        wait_processed(api, headers, warm_video.json()["id"])
        web, worker = server.web_worker_pid(), server.celery_pid()
        before = {pid: memory_kib(pid)["VmRSS"] for pid in (web, worker)}
        if not all(reset_peak(pid) for pid in (web, worker)):
            print("note: could not reset VmHWM; peaks include start-up")
        web_cpu = cpu_seconds(web)

        timings = {}
        started = time.perf_counter()
        announced = requests.post(
            f"{api}/uploads/",
            headers=headers,
            json={
                "purpose": "post_video",
                "filename": "lesson.mp4",
                "content_type": "video/mp4",
                "size": size,
                "sha256": digest,
            },
            timeout=60,
        )
        announced.raise_for_status()
        upload = announced.json()["upload"]
        with open(video, "rb") as handle:  # requests streams a file object
            sent = requests.put(upload["url"], data=handle, headers=upload["headers"], timeout=600)
        sent.raise_for_status()
        timings["PUT"] = time.perf_counter() - started

        started = time.perf_counter()
        completed = requests.post(
            f"{api}/uploads/{announced.json()['id']}/complete", headers=headers, timeout=600
        )
        if completed.status_code != 201:
            raise SystemExit(f"complete failed: {completed.status_code} {completed.text[:500]}")
        timings["complete"] = time.perf_counter() - started
        file_id = completed.json()["id"]

        started = time.perf_counter()
        body = wait_processed(api, headers, file_id)
        timings["processing"] = time.perf_counter() - started

        print(
            f"media video memory ({args.storage} storage, {size / MB:.0f} MB H.264 "
            f"{body['width']}x{body['height']} {body['duration']:.0f} s; {os.cpu_count()} CPUs, "
            f"load {os.getloadavg()[0]:.1f})"
        )
        print(
            "  time: "
            + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.items())
            + f"; web worker CPU {cpu_seconds(web) - web_cpu:.1f} s"
        )
        for name, pid in (("web worker (gunicorn)", web), ("Celery worker", worker)):
            peak = memory_kib(pid)["VmHWM"]
            growth = peak - before[pid]
            print(
                f"  {name:<22} RSS before {mib(before[pid])}, peak {mib(peak)}: "
                f"+{mib(growth)} for a {size / 2**20:.0f} MiB file "
                f"({growth * 1024 / size * 100:.1f}% of its size)"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
