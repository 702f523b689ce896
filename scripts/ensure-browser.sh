#!/usr/bin/env bash
# Browser tests drive Debian's Chromium (Playwright's own browser download is not
# available here). Install it when missing and we are root with apt; otherwise the
# browser tests skip with a clear reason (CI sets REQUIRE_BROWSER=1 to fail instead).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's chromium for the browser tests..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "chromium not found at /usr/bin/chromium: browser tests will be skipped." >&2
fi
