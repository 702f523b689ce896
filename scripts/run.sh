#!/usr/bin/env bash
# `make run`: migrate, load data, then serve with a Celery worker and beat beside the web
# server, all on the embedded defaults (SQLite, filesystem broker). Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
CELERY=$(dirname "$PY")/celery
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
export DEBUG=${DEBUG:-true}
mkdir -p var

"$PY" manage.py migrate --noinput

if [ -n "${SNAPSHOT:-}" ]; then
  "$PY" manage.py import_snapshot "$SNAPSHOT" \
    || echo "Some records in $SNAPSHOT could not be loaded (listed above); serving what loaded."
else
  base=$(DJANGO_SETTINGS_MODULE=screener.settings "$PY" -c \
    'from django.conf import settings; print(settings.CTGOV_API_BASE)')
  if "$PY" - "$base" <<'PY'
import sys
import requests

try:
    requests.get(sys.argv[1] + "/version", timeout=5).raise_for_status()
except requests.RequestException:
    sys.exit(1)
PY
  then
    "$PY" manage.py sync_registry || echo "The sync did not complete (see above); serving what the database holds."
  else
    echo "Cannot reach the registry at $base: serving what the database holds (load saved records with: make run SNAPSHOT=../shared/data/ctgov/studies)."
  fi
fi

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM
# One worker process: the sync is the only heavy task and runs one at a time anyway.
"$CELERY" -A screener worker --loglevel=INFO --concurrency=1 &
pids+=($!)
"$CELERY" -A screener beat --loglevel=INFO &
pids+=($!)
echo "Serving on http://$HOST:$PORT (worker and beat running; Ctrl-C stops everything)"
"$PY" manage.py runserver "$HOST:$PORT"
