#!/usr/bin/env bash
# relgate against real GraphQL clients, on a fresh machine:
#   codegen     GraphQL Code Generator (client preset) over schema/schema.graphql
#               and schema/operations/*.graphql -> tests/clients/generated/
#   typecheck   tsc --noEmit over the generated types and src/run-operations.ts
#   operations  the example operations, in file order, with graphql-request
#   trusted     the same operations by persisted document id only, against a
#               server with --trusted-documents (the codegen manifest) and
#               --only-trusted-documents
#   python      Python's gql client (python/check.py)
#   browser     /playground (GraphiQL) in headless Debian Chromium (playwright-core)
#   explorer    /explorer (the graph explorer) in Chromium: search, draw, expand,
#               privacy by token, playground links (browser/explorer.mjs)
#   cors        pages of two other origins call relgate in Chromium: the listed
#               one is answered, the other refused (browser/cors.mjs)
#   audit       graphql-http's GraphQL-over-HTTP server audit (audit/graphql-http.mjs)
#   relay-compiler  relay-compiler over relay/src, operations persisted
#   relay       the compiled operations, by persisted id, in relay-runtime's
#               store (relay/check.mjs)
#   apollo      Apollo Client: persisted queries, relayStylePagination, cache
#               updates from payload edges (apollo/check.mjs)
#   subscriptions  Subscription.relationEvents with the npm graphql-ws client
#               (subscriptions/graphql-ws.mjs)
#   vendors     the vendors' client libraries on the dialects: Umbraco's
#               @umbraco/headless-client, Copper's copper-sdk
#               (vendors/heartcore-copper.mjs), python-kanka (vendors/python_kanka.py)
#   schema      schema/schema.graphql against the previous commit (graphql-inspector)
#
# Usage: tests/clients/run.sh [path/to/relgate]     (default target/debug/relgate)
# Environment (all optional):
#   RELGATE_CLIENTS_TOKEN  `create`: make an admin token on each temporary
#                          database and send it as a bearer token (default:
#                          open mode, no token)
#   SCREENSHOT             where the browser check saves its screenshot
#                          (default tests/clients/playground.png)
#   EXPLORER_SCREENSHOT    where the explorer check saves its screenshot
#                          (default tests/clients/playground-explorer.png)
#   EXPLORER_README_SCREENSHOT  also save it there (the README's is
#                          playground/explorer.png)
#   PYTHON                 interpreter for the venv (default python3)
#   CLIENTS_PART_TIMEOUT   seconds per part (default 300)
# Installs what it needs: npm packages (npm ci), a venv in target/clients-venv,
# and Debian's chromium when it is missing (apt-get, as root).
# Prints one line per part and `clients: N passed, M failed`; exits 1 if any
# part failed.
set -uo pipefail

CLIENTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$CLIENTS_DIR/../.." && pwd)"
cd "$ROOT"

BIN="${1:-target/debug/relgate}"
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/target/clients-venv"
PART_TIMEOUT="${CLIENTS_PART_TIMEOUT:-300}"
export SCREENSHOT="${SCREENSHOT:-$CLIENTS_DIR/playground.png}"
export DEBIAN_FRONTEND=noninteractive

log() { printf '==> clients: %s\n' "$*" >&2; }

RESULTS=()
PASSED=0
FAILED=0
record() { # part status detail
  RESULTS+=("$(printf '%-14s %-4s %s' "$1" "$2" "$3")")
  if [ "$2" = "ok" ]; then PASSED=$((PASSED + 1)); else FAILED=$((FAILED + 1)); fi
}
summary() {
  echo
  echo "--- client checks ---"
  for line in "${RESULTS[@]}"; do echo "$line"; done
  echo "clients: $PASSED passed, $FAILED failed"
}

# run_part NAME CMD...: runs CMD with a time limit, its output shown and kept;
# the last line of its output that starts with "NAME:" is the detail, and a
# "NAME: OK" line is required for it to pass.
run_part() {
  local name="$1"; shift
  local out="$WORK/$name.log" rc started=$SECONDS
  log "$name: $*"
  timeout --kill-after=10 "$PART_TIMEOUT" "$@" 2>&1 | grep -v '^npm warn Unknown user config' | tee "$out"
  rc=${PIPESTATUS[0]}
  local detail
  detail="$(grep -E "^$name: " "$out" | tail -n 1 | sed -E "s/^$name: //")"
  [ "$rc" -eq 124 ] && detail="timed out after ${PART_TIMEOUT}s"
  [ -n "$detail" ] || detail="exit $rc"
  # A part passes only when it exited 0 and said so ("NAME: OK ..."): one
  # that could not run its checks at all must not pass by exiting quietly.
  if [ "$rc" -eq 0 ] && ! grep -Eq "^$name: OK" "$out"; then
    rc=1
    detail="exit 0 without a '$name: OK' line: nothing was checked"
  fi
  detail="$detail ($((SECONDS - started))s)"
  if [ "$rc" -eq 0 ]; then record "$name" ok "$detail"; else record "$name" FAIL "$detail"; fi
  return "$rc"
}

# --- the server -----------------------------------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/relgate-clients.XXXXXX")"
SERVER_PID=""
stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
cleanup() {
  stop_server
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# start_server NAME: relgate over a fresh SQLite database; sets RELGATE_BASE,
# RELGATE_URL and (with RELGATE_CLIENTS_TOKEN=create) RELGATE_TOKEN.
start_server() {
  local name="$1" port
  stop_server
  export DATABASE_URL="sqlite://$WORK/$name.db"
  port="$(free_port)" || return 1
  export RELGATE_BIND="127.0.0.1:$port"
  export RELGATE_BASE="http://127.0.0.1:$port"
  export RELGATE_URL="$RELGATE_BASE/graphql"
  unset RELGATE_TOKEN
  export RELGATE_TOKEN_NAME="clients-$name"
  if [ "${RELGATE_CLIENTS_TOKEN:-}" = "create" ]; then
    RELGATE_TOKEN="$("$BIN" token create --role admin --name "clients-$name" 2>"$WORK/token-$name.log" | awk 'NF { last = $0 } END { print last }')"
    [ -n "$RELGATE_TOKEN" ] || { cat "$WORK/token-$name.log" >&2; log "relgate token create failed"; return 1; }
    export RELGATE_TOKEN
  fi
  log "starting $BIN on $RELGATE_BASE ($DATABASE_URL)"
  "$BIN" serve > "$WORK/server-$name.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 120); do
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 20 "$WORK/server-$name.log" >&2; log "relgate exited"; return 1; }
    if "$PYTHON" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
        "$RELGATE_BASE/healthz" 2>/dev/null; then
      return 0
    fi
    sleep 0.5
  done
  log "relgate did not answer /healthz within 60 s"
  return 1
}

server_check() { # after a part: the server must still be up and have no panic
  local name="$1"
  if [ -n "$SERVER_PID" ] && ! kill -0 "$SERVER_PID" 2>/dev/null; then
    record "server" FAIL "relgate died during $name"
  elif grep -q 'panicked at' "$WORK/server-$name.log" 2>/dev/null; then
    record "server" FAIL "panic in the relgate log during $name"
  fi
}

started_all=$SECONDS

# --- installs ---------------------------------------------------------------------
npm_ok=1
lock_sum="$(sha256sum "$CLIENTS_DIR/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$CLIENTS_DIR/node_modules/.relgate-lock-sha256" 2>/dev/null)" != "$lock_sum" ]; then
  log "npm ci in $CLIENTS_DIR"
  if (cd "$CLIENTS_DIR" && npm ci --no-audit --no-fund --loglevel=error); then
    echo "$lock_sum" > "$CLIENTS_DIR/node_modules/.relgate-lock-sha256"
  else
    npm_ok=0
  fi
fi

py_ok=1
REQ="$CLIENTS_DIR/python/requirements.txt"
req_sum="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.requirements-sha256" 2>/dev/null)" != "$req_sum" ]; then
  log "python venv with gql in $VENV"
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  if "$PYTHON" -m venv "$VENV" && "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQ"; then
    echo "$req_sum" > "$VENV/.requirements-sha256"
  else
    py_ok=0
  fi
fi

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  log "installing Debian's chromium"
  apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null || true
fi

if [ ! -x "$BIN" ]; then
  log "no relgate binary at $BIN (build it with 'cargo build' or pass its path)"
  for p in codegen typecheck operations trusted python browser explorer cors audit relay-compiler relay apollo subscriptions vendors; do
    record "$p" FAIL "no relgate binary at $BIN"
  done
else
  # --- A: codegen, typecheck, operations ------------------------------------------
  if [ "$npm_ok" -ne 1 ]; then
    for p in codegen typecheck operations trusted; do record "$p" FAIL "npm ci failed"; done
  else
    # Leftovers of an earlier run must not hide a codegen failure.
    rm -rf "$CLIENTS_DIR/generated"
    if run_part codegen bash -c "cd '$CLIENTS_DIR' && npm run -s codegen && echo 'codegen: OK - generated/ from schema/schema.graphql and schema/operations'"; then
      run_part typecheck bash -c "cd '$CLIENTS_DIR' && npm run -s typecheck && echo 'typecheck: OK - tsc --noEmit'"
      if start_server operations; then
        run_part operations bash -c "cd '$CLIENTS_DIR' && npm run -s operations"
        server_check operations
      else
        record operations FAIL "relgate did not start"
      fi
      # The codegen manifest as the server's trusted documents; the same
      # operations by id only.
      if RELGATE_TRUSTED_DOCUMENTS="$CLIENTS_DIR/generated/persisted-documents.json" \
          RELGATE_ONLY_TRUSTED_DOCUMENTS=true start_server trusted; then
        run_part trusted bash -c "cd '$CLIENTS_DIR' && RELGATE_BY_DOCUMENT_ID=1 node generated/js/src/run-operations.js \
          && echo 'trusted: OK - the example operations by persisted document id'"
        server_check trusted
      else
        record trusted FAIL "relgate did not start"
      fi
    else
      for p in typecheck operations trusted; do record "$p" FAIL "skipped: codegen failed"; done
    fi
  fi

  # --- B and C: python, browser, on a fresh store ---------------------------------
  if start_server clients; then
    if [ "$py_ok" -eq 1 ]; then
      run_part python "$VENV/bin/python" "$CLIENTS_DIR/python/check.py"
    else
      record python FAIL "venv install failed"
    fi
    if [ "$npm_ok" -eq 1 ]; then
      run_part browser node "$CLIENTS_DIR/browser/playground.mjs"
    else
      record browser FAIL "npm ci failed"
    fi
    server_check clients
  else
    record python FAIL "relgate did not start"
    record browser FAIL "relgate did not start"
  fi

  # --- E: other clients, each on a fresh store -------------------------------------
  # with_server NAME CMD...: runs part NAME against a server of its own.
  with_server() {
    local name="$1"; shift
    if [ "$npm_ok" -ne 1 ]; then record "$name" FAIL "npm ci failed"; return; fi
    if start_server "$name"; then
      run_part "$name" "$@"
      server_check "$name"
    else
      record "$name" FAIL "relgate did not start"
    fi
  }
  # The explorer on a store with an admin and a read-only token (made before
  # the server starts, so it is never in open mode): the page is checked to
  # show private relations to the one and not to the other.
  explorer_part() {
    if [ "$npm_ok" -ne 1 ]; then record explorer FAIL "npm ci failed"; return; fi
    local admin reader tokens_log="$WORK/token-explorer.log"
    token_for() { # role name: prints the new token
      DATABASE_URL="sqlite://$WORK/explorer.db" "$BIN" token create --role "$1" --name "$2" 2>>"$tokens_log" \
        | awk 'NF { last = $0 } END { print last }'
    }
    admin="$(token_for admin explorer-admin)"
    reader="$(token_for read explorer-reader)"
    if [ -z "$admin" ] || [ -z "$reader" ]; then
      cat "$tokens_log" >&2
      record explorer FAIL "relgate token create failed"
      return
    fi
    if start_server explorer; then
      RELGATE_TOKEN="${RELGATE_TOKEN:-$admin}" EXPLORER_READ_TOKEN="$reader" \
        run_part explorer node "$CLIENTS_DIR/browser/explorer.mjs"
      server_check explorer
    else
      record explorer FAIL "relgate did not start"
    fi
  }
  explorer_part
  PAGE_PORT="$(free_port)"
  OTHER_PORT="$(free_port)"
  export PAGE_PORT OTHER_PORT
  RELGATE_CORS_ORIGINS="http://127.0.0.1:$PAGE_PORT" with_server cors node "$CLIENTS_DIR/browser/cors.mjs"
  with_server audit node "$CLIENTS_DIR/audit/graphql-http.mjs"
  # Artifacts are rebuilt each run: a stale one must not hide a compile error.
  # relay-compiler persists the operations; relgate serves them by id.
  RELAY_GEN="$CLIENTS_DIR/relay/__generated__"
  rm -rf "$RELAY_GEN" && mkdir -p "$RELAY_GEN" && echo '{}' > "$RELAY_GEN/persisted-queries.json"
  if [ "$npm_ok" -eq 1 ] && run_part relay-compiler bash -c "cd '$CLIENTS_DIR/relay' \
      && ../node_modules/.bin/relay-compiler && echo 'relay-compiler: OK - relay/src compiled, operations persisted'"; then
    RELGATE_TRUSTED_DOCUMENTS="$RELAY_GEN/persisted-queries.json" with_server relay node "$CLIENTS_DIR/relay/check.mjs"
  else
    record relay FAIL "skipped: relay-compiler failed"
  fi
  with_server apollo node "$CLIENTS_DIR/apollo/check.mjs"
  with_server subscriptions node "$CLIENTS_DIR/subscriptions/graphql-ws.mjs"
  if [ "$py_ok" -eq 1 ]; then
    with_server vendors bash -c "node '$CLIENTS_DIR/vendors/heartcore-copper.mjs' \
      && '$VENV/bin/python' '$CLIENTS_DIR/vendors/python_kanka.py' \
      && echo 'vendors: OK - @umbraco/headless-client, copper-sdk, python-kanka'"
  else
    record vendors FAIL "venv install failed"
  fi
  stop_server
fi

# --- D: schema evolution ------------------------------------------------------------
run_part schema bash "$CLIENTS_DIR/schema-check.sh"

log "done in $((SECONDS - started_all))s"
summary
[ "$FAILED" -eq 0 ]
