#!/usr/bin/env bash
# What `npm test` runs: services, typecheck, lint, then every jest project (unit, integration, e2e).
# Stops at the first failing step and says which one failed and how to repeat it alone.
# Extra arguments go to jest, e.g. `npm test -- --selectProjects unit` or `npm test -- libs/bus`.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
# shellcheck source=scripts/lib/common.sh
source "$ROOT/scripts/lib/common.sh"

# No interactive prompts and no background daemons from tools that honour these.
export NX_DAEMON=false NX_NO_CLOUD=true

TOTAL_MS=$(now_ms)

# step "name" "how to repeat it" COMMAND...
step() {
  local name=$1 repeat=$2; shift 2
  local started; started=$(now_ms)
  printf '\n━━ %s: %s\n' "$name" "$*"
  "$@"
  local rc=$?
  if (( rc != 0 )); then
    printf '\n'
    say_fail "$name failed (exit $rc, after $(elapsed_since "$started")); later steps were not run"
    say_hint "fix what is reported above, then repeat this step alone with: $repeat"
    exit "$rc"
  fi
  say_ok "$name ($(elapsed_since "$started"))"
}

step "services" "npm run services" bash scripts/ensure-services.sh
step "typecheck" "npm run typecheck" npm run -s typecheck
step "lint" "npm run lint" npm run -s lint
# jest.config.js defines the projects unit, integration and e2e; all run unless arguments say otherwise.
if (( $# > 0 )); then
  step "tests" "npx jest --ci --maxWorkers=2 $*" npx jest --ci --maxWorkers=2 "$@"
else
  # The console's browser tests run on their own afterwards: Chromium aborts page loads (ERR_NETWORK_CHANGED)
  # when other tests' containers add network interfaces on this machine meanwhile.
  step "tests" "npx jest --ci --maxWorkers=2 --testPathPatterns '^(?!.*apps/web/src/e2e/)'" \
    npx jest --ci --maxWorkers=2 --testPathPatterns '^(?!.*apps/web/src/e2e/)'
  step "console tests" "npx jest --ci --runInBand apps/web/src/e2e" npx jest --ci --runInBand apps/web/src/e2e
fi

printf '\n'
say_ok "all steps passed ($(elapsed_since "$TOTAL_MS"))"
