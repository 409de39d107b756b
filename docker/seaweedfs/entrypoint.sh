#!/bin/sh
# SeaweedFS for docker-compose.yml: one `weed server` with the S3 gateway on :8333, whose only
# identity is S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY (written to an s3 config at start, so the
# credentials live in .env and nowhere in the repository). Extra arguments go to `weed server`.
set -eu
: "${S3_ACCESS_KEY_ID:?S3_ACCESS_KEY_ID must be set}"
: "${S3_SECRET_ACCESS_KEY:?S3_SECRET_ACCESS_KEY must be set}"
for value in "$S3_ACCESS_KEY_ID" "$S3_SECRET_ACCESS_KEY"; do
  case "$value" in
    *'"'* | *'\'* | *' '*) echo "S3 credentials must not contain quotes, backslashes or spaces" >&2; exit 1 ;;
  esac
done
config=/tmp/cotask-s3.json
umask 077
printf '{"identities":[{"name":"cotask","credentials":[{"accessKey":"%s","secretKey":"%s"}],"actions":["Admin","Read","Write","List","Tagging"]}]}\n' \
  "$S3_ACCESS_KEY_ID" "$S3_SECRET_ACCESS_KEY" >"$config"
# The image's own entrypoint adds -dir=/data and its volume defaults for `server`.
exec /entrypoint.sh server -s3 -s3.port=8333 -s3.config="$config" "$@"
