#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed at /usr/bin/chromium, for the console's end-to-end tests
# (playwright-core drives it; Playwright's own browser downloads are not reachable from here).
# Idempotent and fast when it is there already; as root it installs it, otherwise it says what to run.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib/common.sh
source "$HERE/lib/common.sh"

CHROMIUM=/usr/bin/chromium
APT_LOG=/var/log/ensure-chromium-apt.log

chromium_works() { [[ -x $CHROMIUM ]] && "$CHROMIUM" --headless --no-sandbox --version >/dev/null 2>&1; }

if chromium_works; then
  say_ok "Chromium ($("$CHROMIUM" --version 2>/dev/null))"
  exit 0
fi

if ! is_root; then
  say_fail "Chromium is not installed at $CHROMIUM"
  say_hint "as root, run: apt-get update && apt-get install -y --no-install-recommends chromium"
  exit 1
fi

# Two test runs at once must not both run apt-get.
exec 9>/run/lock/platform-ensure-chromium.lock || { say_fail "cannot open the lock file"; exit 1; }
flock -w 900 9 || { say_fail "timed out waiting for another Chromium installation"; exit 1; }
if chromium_works; then
  say_ok "Chromium ($("$CHROMIUM" --version 2>/dev/null)), installed meanwhile"
  exit 0
fi

STARTED=$(now_ms)
say_info "installing Chromium (apt, log in $APT_LOG)"
if ! apt-get -o DPkg::Lock::Timeout=300 update >>"$APT_LOG" 2>&1; then
  tail -n 15 "$APT_LOG"
  say_fail "apt-get update failed"; say_hint "see $APT_LOG; check the network / apt sources"
  exit 1
fi
# Fonts come with it as dependencies; without them pages render as boxes in screenshots.
if ! DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends chromium fonts-liberation 9>&- \
    >>"$APT_LOG" 2>&1; then
  tail -n 15 "$APT_LOG"
  say_fail "apt-get install chromium failed"; say_hint "see $APT_LOG"
  exit 1
fi
if ! chromium_works; then
  say_fail "Chromium was installed but $CHROMIUM --version fails"; say_hint "run it by hand to see why"
  exit 1
fi
say_ok "Chromium installed ($("$CHROMIUM" --version 2>/dev/null), $(elapsed_since "$STARTED"))"
