"""Benchmark: the cost of verifying an access token per request in a non-auth service.

Runs social-service's settings in-process (SQLite under var/bench/), with auth-service's JWKS served
once by a local HTTP server the way production fetches it, then times token verification and the
whole DRF authentication step. Every socket connection during the timed loops is counted: the
target is no network call per request and at most 0.1 ms per verification.

    .venv/bin/python bench/token_verify.py [--iterations 20000]
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import socket
import statistics
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICE_DIR = ROOT / "social-service"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=20_000)
    args = parser.parse_args()

    os.environ["COTASK_VAR_DIR"] = str(ROOT / "var" / "bench")
    for name in ("DATABASE_URL", "REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS"):
        os.environ.pop(name, None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.chdir(SERVICE_DIR)
    sys.path.insert(0, str(SERVICE_DIR))

    from cotask_common.security.signing import (
        encode_token,
        generate_private_key,
        key_id,
        public_jwk,
        standard_claims,
    )

    private_key = generate_private_key()
    kid = key_id(private_key.public_key())
    jwks = json.dumps({"keys": [public_jwk(private_key.public_key(), kid)]}).encode()
    fetches = []

    class JWKSHandler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fetches.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(jwks)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), JWKSHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    os.environ["JWT_JWKS_URL"] = f"http://127.0.0.1:{server.server_port}/jwks.json"

    from cotask_common.entrypoints import prepare

    prepare()  # var/ (COTASK_VAR_DIR) first: importing settings creates nothing
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from rest_framework.test import APIRequestFactory

    from cotask_common.security.authentication import JWTAuthentication, authenticate_token

    call_command("migrate", verbosity=0)
    claims = standard_claims(
        user_id=uuid.uuid4(),
        username="bench",
        role="user",
        email_verified=True,
        session_id=uuid.uuid4().hex,
        token_type="access",
        lifetime=timedelta(minutes=30),
        issuer=settings.COTASK_JWT_ISSUER,
        audience=settings.COTASK_JWT_AUDIENCE,
    )
    token = encode_token(claims, private_key=private_key, kid=kid)
    authenticate_token(token)  # warm-up: the one JWKS fetch happens here
    # Tokens this process has not seen yet: the RSA signature is checked for each.
    fresh_tokens = [
        encode_token({**claims, "jti": uuid.uuid4().hex}, private_key=private_key, kid=kid)
        for _ in range(min(args.iterations, 3000))
    ]

    connects = []
    original_connect = socket.socket.connect

    def counting_connect(self: socket.socket, address: object) -> None:
        connects.append(address)
        return original_connect(self, address)

    socket.socket.connect = counting_connect  # type: ignore[method-assign]

    first_sight = []
    for fresh in fresh_tokens:
        started = time.perf_counter_ns()
        authenticate_token(fresh)
        first_sight.append(time.perf_counter_ns() - started)

    samples = []
    for _ in range(args.iterations):
        started = time.perf_counter_ns()
        authenticate_token(token)
        samples.append(time.perf_counter_ns() - started)

    factory = APIRequestFactory()
    authentication = JWTAuthentication()
    request_samples = []
    from rest_framework.request import Request

    for _ in range(min(args.iterations, 5000)):
        request = Request(factory.get("/", HTTP_AUTHORIZATION=f"Bearer {token}"))
        started = time.perf_counter_ns()
        authentication.authenticate(request)
        request_samples.append(time.perf_counter_ns() - started)
    socket.socket.connect = original_connect  # type: ignore[method-assign]
    server.shutdown()

    def ms(values: list[int], q: float) -> float:
        return statistics.quantiles(values, n=100)[int(q) - 1] / 1e6

    print("token verification in social-service (RS256, 2048-bit key, cached JWKS)")
    print(f"  iterations:              {args.iterations}")
    print(
        f"  first sight of a token (RSA check) p50: {ms(first_sight, 50):.4f} ms, "
        f"p99: {ms(first_sight, 99):.4f} ms"
    )
    print(f"  verify_token (per request) p50: {ms(samples, 50):.4f} ms")
    print(f"  verify_token (per request) p99: {ms(samples, 99):.4f} ms")
    print(f"  verify_token mean:       {statistics.fmean(samples) / 1e6:.4f} ms")
    print(f"  DRF authenticate p50:    {ms(request_samples, 50):.4f} ms")
    print(f"  DRF authenticate p99:    {ms(request_samples, 99):.4f} ms")
    print(f"  JWKS fetches in total:   {len(fetches)} (the warm-up)")
    print(f"  network connections during the timed loops: {len(connects)}")
    print(
        f"  target (<= 0.1 ms p50, no network call): "
        f"{'met' if ms(samples, 50) <= 0.1 and not connects else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
