"""Benchmark: multipart upload throughput of 1 MB images, each checked, decoded, re-encoded and
given its two variants (thumbnail, medium) before the response, against a real media-service
(gunicorn, one worker with 4 threads, as `make run` starts it) on local storage, or on the S3
server with `--storage s3` (after `eval "$(scripts/infra env)"`).

    .venv/bin/python bench/media_upload_throughput.py [--images 40] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from PIL import Image, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parent))

from media_server import MediaServer, cpu_seconds, memory_kib, mib, reset_peak

SIZE = (2000, 1500)  # blurred noise at quality 90: about 1 MB, a phone photo's weight


def make_images(count: int) -> list[bytes]:
    images = []
    for index in range(count):
        pixels = hashlib.shake_256(f"bench-{index}".encode()).digest(SIZE[0] * SIZE[1] * 3)
        image = Image.frombytes("RGB", SIZE, pixels).filter(ImageFilter.GaussianBlur(1.2))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=90)
        images.append(buffer.getvalue())
    return images


def upload(session: requests.Session, url: str, token: str, data: bytes, index: int) -> float:
    started = time.perf_counter()
    response = session.post(
        f"{url}/api/media/files/",
        headers={"Authorization": f"Bearer {token}"},
        files={"file": (f"photo-{index}.jpg", data, "image/jpeg")},
        data={"purpose": "post_image"},
        timeout=120,
    )
    elapsed = time.perf_counter() - started
    if response.status_code != 201:
        raise SystemExit(f"upload failed: {response.status_code} {response.text[:300]}")
    body = response.json()
    assert set(body["variants"]) == {"thumbnail", "medium"}, body
    return elapsed


def report(name: str, latencies: list[float], wall: float, total_bytes: int, cpu: float) -> None:
    ordered = sorted(latencies)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    print(
        f"  {name:<22} {len(latencies) / wall:5.1f} images/s"
        f" {total_bytes / wall / 2**20:5.1f} MiB/s"
        f"  latency p50 {statistics.median(ordered) * 1000:5.0f} ms p95 {p95 * 1000:5.0f} ms"
        f"  service CPU {cpu / len(latencies) * 1000:4.0f} ms/image"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=40, help="uploads per phase")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--storage", choices=["local", "s3"], default="local")
    args = parser.parse_args()

    images = make_images(2 * args.images + 3)
    average = sum(len(i) for i in images) / len(images)
    server = MediaServer(storage=args.storage, threads=4)
    try:
        token = server.token()
        session = requests.Session()
        for index in range(3):  # warm-up: imports, first connections
            upload(session, server.url, token, images[index], index)
        worker = server.web_worker_pid()
        reset_peak(worker)
        baseline = memory_kib(worker)["VmRSS"]

        print(
            f"media upload throughput ({args.storage} storage, {SIZE[0]}x{SIZE[1]} JPEG of "
            f"{average / 2**20:.2f} MiB on average; original re-encoded + 2 JPEG variants; "
            f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})"
        )
        batch = images[3 : 3 + args.images]
        cpu, started = cpu_seconds(worker), time.perf_counter()
        latencies = [upload(session, server.url, token, data, i) for i, data in enumerate(batch)]
        wall = time.perf_counter() - started
        report("sequential", latencies, wall, sum(map(len, batch)), cpu_seconds(worker) - cpu)

        batch = images[3 + args.images :]
        sessions = [requests.Session() for _ in range(args.concurrency)]
        cpu, started = cpu_seconds(worker), time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            latencies = list(
                pool.map(
                    lambda item: upload(
                        sessions[item[0] % args.concurrency], server.url, token, item[1], item[0]
                    ),
                    enumerate(batch),
                )
            )
        report(
            f"{args.concurrency} concurrent clients",
            latencies,
            time.perf_counter() - started,
            sum(map(len, batch)),
            cpu_seconds(worker) - cpu,
        )
        memory = memory_kib(worker)
        print(
            f"  web worker RSS: {mib(baseline)} after warm-up, peak {mib(memory['VmHWM'])} "
            f"during the runs"
        )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
