#!/usr/bin/env bash
# Schema evolution check: compares schema/schema.graphql of a commit (HEAD)
# with the one on its previous commit (HEAD~1, the previous commit of main)
# using GraphQL Inspector (`graphql-inspector diff`, npm @graphql-inspector/cli
# from this folder's package.json).
#
# Fails on a breaking change (a removed or renamed field, type or argument, a
# type change that breaks existing operations...) UNLESS the commit's message
# contains the marker
#
#     [breaking-schema]
#
# which says the break is intended (then the changes are listed and it passes).
# Fails when it has nothing to compare with (no previous commit, even after
# deepening a shallow clone, or no schema file there): a check that compared
# nothing must not count as passed. Set SCHEMA_BASE to a commit that has the
# file, or SCHEMA_ALLOW_NO_BASE=1 for the one commit that adds it.
# Dangerous and safe changes are listed but never fail.
#
# Usage: tests/clients/schema-check.sh
# Environment (optional):
#   SCHEMA_HEAD  the commit to check (default HEAD)
#   SCHEMA_BASE  what to compare it with (default SCHEMA_HEAD~1)
#   SCHEMA_FILE  path in the repository (default schema/schema.graphql)
#   SCHEMA_REPO  another git work tree to check (default: this repository)
#   SCHEMA_ALLOW_NO_BASE  1: pass (saying so) when there is nothing to compare with
set -euo pipefail

CLIENTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$CLIENTS_DIR"
REPO="$(cd "${SCHEMA_REPO:-.}" && git rev-parse --show-toplevel)"

HEAD_REF="${SCHEMA_HEAD:-HEAD}"
BASE_REF="${SCHEMA_BASE:-$HEAD_REF~1}"
FILE="${SCHEMA_FILE:-schema/schema.graphql}"
MARKER='[breaking-schema]'

say() { printf 'schema: %s\n' "$*"; }

head_commit="$(git -C "$REPO" rev-parse --verify -q "$HEAD_REF^{commit}")" \
  || { say "FAILED - no commit $HEAD_REF"; exit 1; }
short="$(git -C "$REPO" rev-parse --short "$head_commit")"

if ! base_commit="$(git -C "$REPO" rev-parse --verify -q "$BASE_REF^{commit}")"; then
  if [ "$(git -C "$REPO" rev-parse --is-shallow-repository)" = "true" ]; then
    say "$BASE_REF is missing from this shallow clone; fetching one more commit"
    git -C "$REPO" fetch -q --deepen=1 2>/dev/null || true
    base_commit="$(git -C "$REPO" rev-parse --verify -q "$BASE_REF^{commit}")" || base_commit=""
  else
    base_commit=""
  fi
  if [ -z "$base_commit" ]; then
    if [ "${SCHEMA_ALLOW_NO_BASE:-}" = 1 ]; then
      say "OK - $short has no previous commit to compare with (SCHEMA_ALLOW_NO_BASE=1)"
      exit 0
    fi
    say "FAILED - $short has no previous commit ($BASE_REF) to compare with: set SCHEMA_BASE, or SCHEMA_ALLOW_NO_BASE=1"
    exit 1
  fi
fi
base_short="$(git -C "$REPO" rev-parse --short "$base_commit")"

if ! git -C "$REPO" cat-file -e "$head_commit:$FILE" 2>/dev/null; then
  say "FAILED - $FILE does not exist at $short"
  exit 1
fi
if ! git -C "$REPO" cat-file -e "$base_commit:$FILE" 2>/dev/null; then
  if [ "${SCHEMA_ALLOW_NO_BASE:-}" = 1 ]; then
    say "OK - $FILE did not exist at $base_short: nothing to compare (SCHEMA_ALLOW_NO_BASE=1)"
    exit 0
  fi
  say "FAILED - $FILE does not exist at $base_short: nothing to compare with; set SCHEMA_BASE, or SCHEMA_ALLOW_NO_BASE=1"
  exit 1
fi

if [ ! -x node_modules/.bin/graphql-inspector ]; then
  say "installing npm packages (npm ci) in $CLIENTS_DIR"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/relgate-schema.XXXXXX")"
trap 'rm -rf "$work"' EXIT
git -C "$REPO" show "$base_commit:$FILE" > "$work/old.graphql"
git -C "$REPO" show "$head_commit:$FILE" > "$work/new.graphql"

set +e
npx --no-install graphql-inspector diff "$work/old.graphql" "$work/new.graphql" > "$work/diff.log" 2>&1
rc=$?
set -e
# The changes, without npm's own chatter.
grep -v '^npm warn' "$work/diff.log" | sed '/^\s*$/d; s/^/  /' || true

if [ "$rc" -eq 0 ]; then
  say "OK - no breaking change in $FILE from $base_short to $short"
  exit 0
fi
if ! grep -q 'breaking change' "$work/diff.log"; then
  say "FAILED - graphql-inspector could not compare the schemas (exit $rc)"
  exit 1
fi
breaking="$(grep -o 'Detected [0-9]* breaking change' "$work/diff.log" | grep -o '[0-9]*' | head -n 1)"
if git -C "$REPO" log -1 --format=%B "$head_commit" | grep -qF "$MARKER"; then
  say "OK - ${breaking:-some} breaking change(s) from $base_short to $short, intended: the commit message says $MARKER"
  exit 0
fi
say "FAILED - ${breaking:-some} breaking change(s) in $FILE from $base_short to $short;" \
  "if intended, say $MARKER in the commit message"
exit 1
