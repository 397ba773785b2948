#!/usr/bin/env bash
# relgate soak benchmark: mixed reads, writes and live subscriptions against
# one release build for a long time, reported every few seconds, to show
# that nothing leaks (memory, sockets) and nothing slows down or gets lost.
# See benches/README.md ("Soak"). Usage: benches/soak.sh   (env vars below)
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
WORK="$BENCH_DIR/.work/soak"                 # temp files (git-ignored)

SOAK_SECONDS="${SOAK_SECONDS:-600}"          # how long the load runs
SOAK_INTERVAL="${SOAK_INTERVAL:-10}"         # seconds per report
SOAK_DB="${SOAK_DB:-sqlite}"                 # sqlite, or postgres (database SOAK_PG_DB)
SOAK_PG_DB="${SOAK_PG_DB:-relgate_soak}"     # dropped and recreated
SOAK_ENTITIES="${SOAK_ENTITIES:-10000}"
SOAK_RELATIONS="${SOAK_RELATIONS:-100000}"
SOAK_READERS="${SOAK_READERS:-16}"           # wrk connections reading
SOAK_WRITERS="${SOAK_WRITERS:-2}"            # wrk connections writing
SOAK_SUBSCRIBERS="${SOAK_SUBSCRIBERS:-200}"  # graphql-ws subscribers counting events
SOAK_POOL="${SOAK_POOL:-10}"                 # RELGATE_DB_POOL_SIZE
SOAK_BUILD="${SOAK_BUILD:-1}"                # 0: reuse target/release/relgate
SOAK_RESULTS="${SOAK_RESULTS:-$BENCH_DIR/RESULTS.md}"
SOAK_PLOT="${SOAK_PLOT:-$BENCH_DIR/soak.svg}"
PGHOST="${PGHOST:-127.0.0.1}"; PGPORT="${PGPORT:-5432}"; PGUSER="${PGUSER:-postgres}"
export PGHOST PGPORT PGUSER
export PGOPTIONS="${PGOPTIONS:--c client_min_messages=warning}"
PG_BASE="postgres://$PGUSER@$PGHOST:$PGPORT"

RELGATE="$ROOT/target/release/relgate"
TSV="$WORK/soak.tsv"

log() { printf '\033[1m==> %s %s\033[0m\n' "$(date +%T)" "$*" >&2; }
die() { printf 'soak: error: %s\n' "$*" >&2; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

case "$SOAK_DB" in sqlite|postgres) ;; *) die "SOAK_DB must be sqlite or postgres, not $SOAK_DB" ;; esac
[ "$SOAK_INTERVAL" -ge 2 ] && [ "$SOAK_SECONDS" -ge "$SOAK_INTERVAL" ] \
  || die "SOAK_INTERVAL must be 2 s or more and SOAK_SECONDS at least one interval"

mkdir -p "$WORK"
# The machine's load average before anything starts: other work on the
# same cores shows in the figures (printed beside them).
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# ---------------------------------------------------------------- install ---
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v curl >/dev/null || need+=(curl)
command -v python3 >/dev/null || need+=(python3)
if [ "$SOAK_DB" = postgres ]; then command -v psql >/dev/null || need+=(postgresql-client); fi
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]} (apt)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ "$SOAK_BUILD" = 1 ] || [ ! -x "$RELGATE" ]; then
  log "cargo build --release"
  (cd "$ROOT" && cargo build --release)
fi
log "cargo bench --no-run --bench subscriptions (the subscriber client)"
SUBS_BIN=$(cd "$ROOT" && cargo bench --no-run --bench subscriptions 2>&1 \
  | sed -n 's/.*Executable .*(\(.*\))$/\1/p' | tail -1)
case "$SUBS_BIN" in /*) ;; ?*) SUBS_BIN="$ROOT/$SUBS_BIN" ;; esac
[ -x "$SUBS_BIN" ] || die "no subscription client built (cargo bench --no-run --bench subscriptions)"

# ---------------------------------------------------------------- helpers ---
free_port() { # below the kernel's ephemeral range, which wrk's connections take from
  local p lo
  lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  while :; do
    p=$(( 20000 + RANDOM % (lo - 20000) ))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
gql() { curl -sf -X POST -H 'Content-Type: application/json' --data "$2" "$1"; }
json_body() { # query [variables-json] -> a GraphQL request body
  python3 -c 'import json, sys; print(json.dumps({"query": sys.argv[1], "variables": json.loads(sys.argv[2])}))' "$1" "${2:-{\}}"
}
status_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
kv() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {print $2}'; }

# --------------------------------------------------------------- database ---
if [ "$SOAK_DB" = sqlite ]; then
  rm -f "$WORK"/soak.db*
  DB_URL="sqlite://$WORK/soak.db"
  DB_DESC="SQLite (file benches/.work/soak/soak.db)"
else
  pg_isready -q -h "$PGHOST" -p "$PGPORT" || die "PostgreSQL is not reachable at $PGHOST:$PGPORT"
  psql -X -q "$PG_BASE/postgres" -c "DROP DATABASE IF EXISTS $SOAK_PG_DB WITH (FORCE)" >/dev/null
  psql -X -q "$PG_BASE/postgres" -c "CREATE DATABASE $SOAK_PG_DB" >/dev/null
  DB_URL="$PG_BASE/$SOAK_PG_DB?sslmode=disable"
  DB_DESC="PostgreSQL $(psql -X -At "$PG_BASE/postgres" -c 'SHOW server_version' | cut -d' ' -f1) (database $SOAK_PG_DB)"
fi
log "seeding $SOAK_ENTITIES entities, $SOAK_RELATIONS relations on $DB_DESC"
DATABASE_URL="$DB_URL" "$RELGATE" migrate >"$WORK/migrate.log" 2>&1 || { tail "$WORK/migrate.log"; die "migrate failed"; }
DATABASE_URL="$DB_URL" "$RELGATE" demo seed --entities "$SOAK_ENTITIES" --relations "$SOAK_RELATIONS" \
  >"$WORK/seed.log" 2>&1 || { tail "$WORK/seed.log"; die "seed failed"; }
[ "$SOAK_DB" = postgres ] && psql -X -q "$PG_BASE/$SOAK_PG_DB" -c "VACUUM ANALYZE" >/dev/null

# ----------------------------------------------------------------- server ---
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
PORT=$(free_port)
URL="http://127.0.0.1:$PORT/graphql"
env DATABASE_URL="$DB_URL" RELGATE_BIND="127.0.0.1:$PORT" RELGATE_DB_POOL_SIZE="$SOAK_POOL" \
  RELGATE_MAX_SUBSCRIPTION_CONNECTIONS=$(( SOAK_SUBSCRIBERS + 100 )) \
  "$RELGATE" serve >"$WORK/relgate.log" 2>&1 &
PID=$!; PIDS+=("$PID")
for _ in $(seq 120); do
  kill -0 "$PID" 2>/dev/null || { tail -5 "$WORK/relgate.log" >&2; die "relgate exited at start"; }
  gql "$URL" '{"query":"{__typename}"}' >/dev/null 2>&1 && break
  sleep 0.5
done
gql "$URL" '{"query":"{__typename}"}' >/dev/null || die "relgate did not answer at $URL"
RSS_START=$(status_kib "$PID" VmRSS)

# What to read and write: the busiest of the first Kanka entities (Q1, Q3,
# Q4), and two others in its space for the writes (M1's relate/unrelate).
PICK=$(gql "$URL" '{"query":"{ entities(first: 100, filter: {source: \"kanka\"}) { edges { node { id space externalId relations { totalCount } } } } }"}' \
  | python3 -c '
import json, sys
nodes = [e["node"] for e in json.load(sys.stdin)["data"]["entities"]["edges"]]
busy = max(nodes, key=lambda n: n["relations"]["totalCount"])
others = [n for n in nodes if n["space"] == busy["space"] and n["id"] != busy["id"]]
if len(others) < 2:
    sys.exit("fewer than three Kanka entities in one space")
print(busy["space"], busy["externalId"], busy["relations"]["totalCount"], others[0]["id"], others[1]["id"])
') || die "could not pick the entities"
read -r SPACE XID BUSY_N M1_FROM M1_TO <<<"$PICK"
M1_TYPE=$(gql "$URL" '{"query":"{ relationType(source:\"kanka\", alias:\"relation\"){ id } }"}' \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["relationType"]["id"])')
export M1_TYPE M1_FROM M1_TO
log "reading kanka $SPACE/$XID ($BUSY_N relations) and the first entities; writing $M1_FROM -> $M1_TO"

KEY="{\"s\":\"kanka\",\"sp\":\"$SPACE\",\"x\":\"$XID\"}"
V='$s:String!,$sp:String,$x:String!'
E='entity(source:$s, space:$sp, externalId:$x)'
json_body "query($V){ $E{ name relations(first:20){ totalCount edges{ node{ label type{ alias } from{ name } to{ name } } } } } }" "$KEY" >"$WORK/Q1.json"
json_body '{ entities(first:50){ edges{ node{ relations(first:20){ edges{ other{ name } } } } } } }' >"$WORK/Q2.json"
json_body "query($V){ $E{ related(first:50){ edges{ node{ name } } } } }" "$KEY" >"$WORK/Q3.json"
json_body "query($V){ $E{ relations(direction: OUTGOING, filter: {pinned: false}, orderBy: [{field: ATTITUDE, direction: DESC}], first: 20){ totalCount edges{ node{ label attitude to{ name } } } } } }" "$KEY" >"$WORK/Q4.json"
for q in Q1 Q2 Q3 Q4; do
  r=$(curl -s -X POST -H 'Content-Type: application/json' --data @"$WORK/$q.json" "$URL")
  grep -q '"errors"' <<<"$r" && die "$q answers with errors: $(head -c 400 <<<"$r")"
done
LEFT_BEFORE=$(gql "$URL" "$(json_body 'query($e:ID!){ node(id:$e){ ... on Entity { relations { totalCount } } } }' "{\"e\":\"$M1_FROM\"}")" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["node"]["relations"]["totalCount"])')

# ------------------------------------------------------------ subscribers ---
log "opening $SOAK_SUBSCRIBERS subscribers"
env SUB_SOAK=1 SUB_SOAK_URL="$URL" SUB_SOAK_SUBSCRIBERS="$SOAK_SUBSCRIBERS" \
  "$SUBS_BIN" >"$WORK/subscribers.out" 2>"$WORK/subscribers.err" &
SUB_PID=$!; PIDS+=("$SUB_PID")
for _ in $(seq 240); do
  grep -q '^READY' "$WORK/subscribers.out" && break
  kill -0 "$SUB_PID" 2>/dev/null || { cat "$WORK/subscribers.err" >&2; die "the subscriber client failed"; }
  sleep 0.5
done
grep -q '^READY' "$WORK/subscribers.out" || die "the subscribers were not live after 120 s"

# ------------------------------------------------------------------- load ---
# Each interval: wrk reads (mix.lua, Q1-Q4 in turn) and wrk writes (m1.lua)
# for SOAK_INTERVAL seconds side by side; then the server's VmRSS, its open
# files, and the events the subscribers received so far.
slices=$(( SOAK_SECONDS / SOAK_INTERVAL ))
log "soaking for $(( slices * SOAK_INTERVAL )) s: $SOAK_READERS readers, $SOAK_WRITERS writers, $SOAK_SUBSCRIBERS subscribers, a report every $SOAK_INTERVAL s"
printf 't_s\tread_rps\tread_p50_ms\tread_p99_ms\twrite_rps\twrite_p99_ms\terrors\tdeliveries_per_s\trss_mib\tfds\tacked_writes\tsubscribers_open\n' >"$TSV"
RSS0=$(status_kib "$PID" VmRSS)
FDS0=$(ls "/proc/$PID/fd" | wc -l)
printf '%8s %9s %9s %9s %9s %9s %7s %9s %9s %6s\n' t_s reads/s r_p50_ms r_p99_ms writes/s w_p99_ms errors deliv/s rss_mib fds >&2
T0=$SECONDS; acked=0; errors_total=0; prev_deliv=0; prev_t=0
for i in $(seq 1 "$slices"); do
  BENCH_BODIES="$WORK/Q1.json $WORK/Q2.json $WORK/Q3.json $WORK/Q4.json" \
    wrk -t1 -c"$SOAK_READERS" -d"${SOAK_INTERVAL}s" -s "$BENCH_DIR/lua/mix.lua" "$URL" \
    >"$WORK/reads.out" 2>"$WORK/reads.err" &
  r_pid=$!
  wrk -t1 -c"$SOAK_WRITERS" -d"${SOAK_INTERVAL}s" -s "$BENCH_DIR/lua/m1.lua" "$URL" \
    >"$WORK/writes.out" 2>"$WORK/writes.err" &
  w_pid=$!
  wait "$r_pid" || true; wait "$w_pid" || true
  kill -0 "$PID" 2>/dev/null || { tail -20 "$WORK/relgate.log" >&2; die "relgate died at $(( SECONDS - T0 )) s"; }
  t=$(( SECONDS - T0 ))
  rl=$(grep '^BENCH ' "$WORK/reads.out" | tail -1); wl=$(grep '^BENCH ' "$WORK/writes.out" | tail -1)
  [ -n "$rl" ] && [ -n "$wl" ] || { cat "$WORK/reads.err" "$WORK/writes.err" >&2; die "no result from wrk at $t s"; }
  rss=$(status_kib "$PID" VmRSS); fds=$(ls "/proc/$PID/fd" | wc -l)
  sub=$(grep '^SOAKSUB' "$WORK/subscribers.out" | tail -1)
  deliv=$(cut -f3 <<<"$sub"); sub_t=$(cut -f2 <<<"$sub"); open_subs=$(cut -f5 <<<"$sub")
  w_acked=$(( $(kv "$wl" relates) + $(kv "$wl" unrelates) ))
  acked=$(( acked + w_acked ))
  errs=0
  for l in "$rl" "$wl"; do
    errs=$(( errs + $(kv "$l" errors) + $(kv "$l" bad_status) + $(kv "$l" sock_errors) ))
  done
  errors_total=$(( errors_total + errs ))
  line=$(awk -v t="$t" -v rl="$rl" -v wl="$wl" -v errs="$errs" -v d="$deliv" -v pd="$prev_deliv" \
      -v st="$sub_t" -v pt="$prev_t" -v rss="$rss" -v fds="$fds" -v acked="$acked" -v open="$open_subs" '
    function get(l, k,   n, a, i, kv) { n = split(l, a, " "); for (i = 1; i <= n; i++) { split(a[i], kv, "="); if (kv[1] == k) return kv[2] } return 0 }
    BEGIN {
      rr = get(rl, "requests") / (get(rl, "duration_us") / 1e6)
      wr = get(wl, "requests") / (get(wl, "duration_us") / 1e6)
      ev = (st > pt) ? (d - pd) / (st - pt) : 0
      printf "%d\t%.0f\t%.2f\t%.2f\t%.0f\t%.2f\t%d\t%.0f\t%.1f\t%d\t%d\t%d\n", t, rr, get(rl, "p50_us") / 1000,
        get(rl, "p99_us") / 1000, wr, get(wl, "p99_us") / 1000, errs, ev, rss / 1024, fds, acked, open
    }')
  printf '%s\n' "$line" >>"$TSV"
  awk -F'\t' '{ printf "%8s %9s %9s %9s %9s %9s %7s %9s %9s %6s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 }' <<<"$line" >&2
  if [ "$errs" -gt 0 ]; then
    grep -h 'first error response' "$WORK/reads.err" "$WORK/writes.err" 2>/dev/null | head -2 >&2 || true
  fi
  prev_deliv=$deliv; prev_t=$sub_t
done
ELAPSED=$(( SECONDS - T0 ))

# ------------------------------------------------------------------- stop ---
sleep 3 # the last events reach the subscribers
kill -TERM "$SUB_PID" 2>/dev/null || true
wait "$SUB_PID" 2>/dev/null || true
END=$(grep '^SOAKEND' "$WORK/subscribers.out" | tail -1)
[ -n "$END" ] || { cat "$WORK/subscribers.err" >&2; die "the subscriber client gave no totals"; }
IFS=$'\t' read -r _ DELIVERED DISTINCT COMPLETE INCOMPLETE MISSING OPEN_END <<<"$END"
LEFT_AFTER=$(gql "$URL" "$(json_body 'query($e:ID!){ node(id:$e){ ... on Entity { relations { totalCount } } } }' "{\"e\":\"$M1_FROM\"}")" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["node"]["relations"]["totalCount"])')
RSS_END=$(status_kib "$PID" VmRSS); HWM=$(status_kib "$PID" VmHWM)
kill -TERM "$PID"; SERVER_RC=0; wait "$PID" || SERVER_RC=$?
log "relgate exited with $SERVER_RC after SIGTERM"

# ----------------------------------------------------------------- report ---
# Memory over the run: the first interval's RSS, the last, the highest, and
# the slope of a least-squares line over the second half (MiB per minute;
# a leak shows as a slope that does not flatten).
STATS=$(awk -F'\t' 'NR > 1 { n++; t[n] = $1; r[n] = $9; rr[n] = $2; wr[n] = $5; p[n] = $4; wp[n] = $6 }
  END {
    max = 0; for (i = 1; i <= n; i++) if (r[i] > max) max = r[i]
    h = int(n / 2) + 1; sx = sy = sxx = sxy = 0; m = 0
    for (i = h; i <= n; i++) { m++; sx += t[i]; sy += r[i]; sxx += t[i] * t[i]; sxy += t[i] * r[i] }
    slope = (m > 1 && m * sxx - sx * sx != 0) ? (m * sxy - sx * sy) / (m * sxx - sx * sx) * 60 : 0
    for (i = 1; i <= n; i++) { sr += rr[i]; sw += wr[i] }
    # Throughput of the first and the last tenth of the run, to show a slowdown.
    k = int(n / 10); if (k < 1) k = 1
    for (i = 1; i <= k; i++) { fr += rr[i]; lr += rr[n - k + i] }
    printf "%.1f %.1f %.1f %.2f %.0f %.0f %.0f %.0f", r[1], r[n], max, slope, sr / n, sw / n, fr / k, lr / k
  }' "$TSV")
read -r RSS_FIRST RSS_LAST RSS_MAX RSS_SLOPE READ_AVG WRITE_AVG READ_FIRST READ_LAST <<<"$STATS"
LOST=$(( acked > DISTINCT ? acked - DISTINCT : 0 ))
log "reads $READ_AVG/s, writes $WRITE_AVG/s on average; $errors_total errors; $acked writes acknowledged, $DISTINCT events seen, $LOST lost, $MISSING deliveries missing"
log "RSS: $(awk -v k="$RSS0" 'BEGIN{printf "%.1f", k/1024}') MiB before the load (subscribers open), $RSS_FIRST after the first interval, $RSS_LAST at the end (peak $RSS_MAX), slope over the second half $RSS_SLOPE MiB/min"

python3 "$BENCH_DIR/soak_plot.py" "$TSV" "$SOAK_PLOT" \
  "relgate soak: $SOAK_READERS readers, $SOAK_WRITERS writers, $SOAK_SUBSCRIBERS subscribers on $SOAK_DB, $(date -u +%F)"
log "wrote $SOAK_PLOT"

CPU=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
COMMIT=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
SECTION=$( {
  echo "## Soak"
  echo
  echo "\`benches/soak.sh\` of $(date -u '+%F %H:%M') UTC (commit \`$COMMIT\`): $ELAPSED s of load on $DB_DESC"
  echo "seeded with $SOAK_ENTITIES entities and $SOAK_RELATIONS relations; $(nproc) cores ($CPU), shared by"
  echo "relgate, the load generators and the subscriber client$( [ "$SOAK_DB" = postgres ] && echo ", and PostgreSQL" )"
  echo "(load average before the run: $LOAD_BEFORE; other work on the machine shows in the figures)."
  echo "Reads: \`wrk -c$SOAK_READERS\`, Q1-Q4 of the benchmark in turn; writes: \`wrk -c$SOAK_WRITERS\`, M1's"
  echo "relate then unrelate; $SOAK_SUBSCRIBERS \`relationEvents\` subscribers on the written entity."
  echo "Figures every $SOAK_INTERVAL s in \`benches/.work/soak/soak.tsv\`; plot: [\`soak.svg\`](soak.svg)."
  [ -n "${SOAK_NOTE:-}" ] && echo "$SOAK_NOTE"
  echo
  echo "| | |"
  echo "|---|---|"
  echo "| reads/s (mean; first, last tenth) | $READ_AVG ($READ_FIRST, $READ_LAST) |"
  echo "| writes/s (mean) | $WRITE_AVG |"
  echo "| error responses | $errors_total |"
  echo "| writes acknowledged / events seen / lost | $acked / $DISTINCT / $LOST |"
  echo "| deliveries (events x subscribers) / missing | $DELIVERED / $MISSING |"
  echo "| subscribers open at the end | $OPEN_END of $SOAK_SUBSCRIBERS |"
  echo "| RSS MiB: started, subscribers open, first interval, last, peak (VmHWM) | $(awk -v a="$RSS_START" -v b="$RSS0" 'BEGIN{printf "%.1f, %.1f", a/1024, b/1024}'), $RSS_FIRST, $RSS_LAST, $(awk -v k="$HWM" 'BEGIN{printf "%.1f", k/1024}') |"
  echo "| RSS slope over the second half | $RSS_SLOPE MiB/min |"
  echo "| open files: subscribers open, end | $FDS0, $(tail -1 "$TSV" | cut -f10) |"
  echo "| relations left by writes cut off at interval ends | $(( LEFT_AFTER - LEFT_BEFORE )) |"
  echo "| exit status after SIGTERM | $SERVER_RC |"
  echo
  echo "Each minute (throughput over the minute; p99: the worst interval's):"
  echo
  echo "| minute | reads/s | read p99 ms | writes/s | write p99 ms | errors | deliveries/s | RSS MiB | open files |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  awk -F'\t' -v iv="$SOAK_INTERVAL" 'NR > 1 {
      m = int((NR - 2) * iv / 60) + 1
      if (!(m in n)) order[++k] = m
      n[m]++; rr[m] += $2; wr[m] += $5; ev[m] += $8; er[m] += $7; rss[m] = $9; fd[m] = $10
      if ($4 > rp[m]) rp[m] = $4; if ($6 > wp[m]) wp[m] = $6
    }
    END { for (i = 1; i <= k; i++) { m = order[i]
      printf "| %d | %.0f | %.1f | %.0f | %.1f | %d | %.0f | %.1f | %d |\n", m, rr[m] / n[m], rp[m], wr[m] / n[m], wp[m], er[m], ev[m] / n[m], rss[m], fd[m] } }' "$TSV"
} )
# The Soak section is the last of RESULTS.md (run.sh keeps it when it
# rewrites the rest): replace it, or append it.
if [ -f "$SOAK_RESULTS" ]; then
  sed '/^## Soak$/,$d' "$SOAK_RESULTS" | awk 'NF { for (; b > 0; b--) print ""; print; next } { b++ }' >"$WORK/results.md"
else
  echo "# relgate benchmark results" >"$WORK/results.md"
fi
{ cat "$WORK/results.md"; echo; echo "$SECTION"; } >"$SOAK_RESULTS"
log "wrote the Soak section of $SOAK_RESULTS"
echo "$SECTION"

FAILED=""
[ "$LOST" = 0 ] || FAILED="$FAILED $LOST acknowledged writes' events never arrived;"
[ "$MISSING" = 0 ] || FAILED="$FAILED $MISSING deliveries missing;"
[ "$OPEN_END" = "$SOAK_SUBSCRIBERS" ] || FAILED="$FAILED only $OPEN_END of $SOAK_SUBSCRIBERS subscribers open at the end;"
[ "$SERVER_RC" = 0 ] || FAILED="$FAILED relgate exited with $SERVER_RC after SIGTERM;"
if [ -n "$FAILED" ]; then die "${FAILED%;}"; fi
