#!/bin/sh
# Entry point of every CoTask service image (docker/Dockerfile).
#
#   RUN_MIGRATIONS=1   run `python manage.py migrate --noinput` first (set it on the web container
#                      of each service only, so one process migrates)
#
# Then runs the command: `web` (the default) starts the service's HTTP server, anything else is
# executed as given (`python manage.py run_events`, `celery -A config worker -B -l info`, ...).
set -eu

service=${COTASK_SERVICE:?COTASK_SERVICE is set by the image}

case "${RUN_MIGRATIONS:-0}" in
  1|true|yes|on)
    echo "[entrypoint] $service: applying migrations" >&2
    python manage.py migrate --noinput
    ;;
esac

if [ "${1:-web}" = "web" ]; then
  if [ $# -gt 0 ]; then shift; fi
  # Keep-alive 75 s, longer than nginx's upstream keepalive_timeout (60 s): nginx closes idle
  # connections first, so it never sends a request on one the server just closed (a 502).
  # WEB_CONCURRENCY is read by gunicorn and uvicorn alike (number of worker processes).
  export WEB_CONCURRENCY="${WEB_CONCURRENCY:-2}"
  if [ "$service" = "notifications" ]; then
    # ASGI: HTTP and the /ws/ websockets (Channels).
    exec uvicorn config.asgi:application \
      --host 0.0.0.0 --port "${PORT:-8000}" \
      --proxy-headers --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-*}" \
      --no-access-log --ws-ping-interval 20 --ws-per-message-deflate false \
      --timeout-keep-alive 75 \
      "$@"
  fi
  # No request-line limit of gunicorn's own: the gateway's 8 KB is the one (a 400 in the
  # error shape, not gunicorn's plain-text refusal at 4,094 bytes).
  exec gunicorn config.wsgi:application \
    --bind "0.0.0.0:${PORT:-8000}" \
    --threads "${GUNICORN_THREADS:-4}" \
    --timeout "${GUNICORN_TIMEOUT:-60}" --graceful-timeout 30 \
    --keep-alive 75 \
    --limit-request-line 0 \
    --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-*}" \
    --worker-tmp-dir /dev/shm \
    "$@"
fi

exec "$@"
