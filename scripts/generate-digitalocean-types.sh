#!/usr/bin/env bash
# Generates the DigitalOcean API types from the official OpenAPI document (never edited by hand):
#   scripts/generate-digitalocean-types.sh           writes libs/cloud/src/digitalocean/generated/do-api.ts
#   scripts/generate-digitalocean-types.sh --check   fails if the committed file differs from the generator's output
# The document lives beside the repository (../shared/apispecs); DIGITALOCEAN_OPENAPI overrides its path.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SPEC=${DIGITALOCEAN_OPENAPI:-$ROOT/../shared/apispecs/digitalocean/do-openapi-subset.bundled.yaml}
TARGET=$ROOT/libs/cloud/src/digitalocean/generated/do-api.ts

if [[ ! -f $SPEC ]]; then
  echo "the DigitalOcean OpenAPI document is not at $SPEC (set DIGITALOCEAN_OPENAPI)" >&2
  exit 2
fi

GENERATED=$(mktemp --suffix=.ts)
trap 'rm -f "$GENERATED"' EXIT
# Lint rules are for code people write; the generator's output is checked against the generator instead.
{
  echo '/* eslint-disable */'
  "$ROOT/node_modules/.bin/openapi-typescript" "$SPEC" --alphabetize --default-non-nullable false --silent
} >"$GENERATED"

case "${1:-}" in
  --check)
    if ! diff -q "$TARGET" "$GENERATED" >/dev/null; then
      echo "$TARGET is not what the generator makes from $SPEC; run scripts/generate-digitalocean-types.sh" >&2
      exit 1
    fi
    ;;
  '')
    mkdir -p "$(dirname "$TARGET")"
    cp "$GENERATED" "$TARGET"
    ;;
  *)
    echo "usage: $0 [--check]" >&2
    exit 2
    ;;
esac
