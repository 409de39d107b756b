#!/usr/bin/env python3
"""Container health check of a service's web process: GET /api/<service>/healthz on PORT.

Liveness only: any HTTP answer below 500 means the server is up (readiness of the database, the
bus and the cache is /readyz, which the gateway and operators ask). Standard library only.
"""

import os
import sys
import urllib.error
import urllib.request

service = os.environ.get("COTASK_SERVICE", "")
port = os.environ.get("PORT", "8000")
url = f"http://127.0.0.1:{port}/api/{service}/healthz"
try:
    with urllib.request.urlopen(url, timeout=5) as response:
        sys.exit(0 if response.status < 500 else 1)
except urllib.error.HTTPError as exc:
    sys.exit(0 if exc.code < 500 else 1)
except OSError as exc:
    print(f"{url}: {exc}", file=sys.stderr)
    sys.exit(1)
