#!/usr/bin/env bash
# Tools the suite and `make bench` drive from Debian's packages: chromium for the browser
# tests (Playwright's own browser download is not available here) and wrk for the load
# tests. Installs what is missing when we are root with apt; otherwise the tests that need
# it skip with a clear reason (CI sets REQUIRE_BROWSER=1 to fail instead).
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v wrk >/dev/null || missing+=(wrk)
[ ${#missing[@]} = 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's ${missing[*]} for the tests..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "${missing[*]} not found: the tests that need them will be skipped." >&2
fi
