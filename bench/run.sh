#!/usr/bin/env bash
# bench/run.sh - the kos gateway beside nginx WebDAV, S3Proxy and the disk, in one run (issue 7).
#
# One command: builds, starts the whole stack (embedded PostgreSQL + Kafka, six storage nodes,
# placement, cleanup, gateway) on free loopback ports with its home under bench/work/run/stack,
# starts nginx (and S3Proxy) on loopback, measures, stops only what it started (by PID), prints
# one markdown table and writes it with the machine facts and the command to
# bench/results/<NAME>-<UTC timestamp>.md. bench/README.md explains every figure.
#
# Usage: bench/run.sh                     full run
#        QUICK=1 REPS=1 bench/run.sh      quick run (the RSS phase moves 1 GiB, not 10 GiB)
# Environment (defaults in brackets):
#   REPS [3]        repetitions of each measurement; the table shows median (min-max)
#   QUICK [0]       1: RSS phase with a 1 GiB file instead of 10 GiB
#   WRK_DUR [10s]   duration of each wrk run
#   SETTLE [15]     seconds idle before each "cold" measurement (see the header of limits.sh)
#   S3PROXY [1]     0: leave out the S3Proxy peer
#   PROFILE [0]     1: JFR on the gateway, one recording per phase, hot methods in the result
#   NMT [0]         1: native memory tracking in every stack JVM (JAVA_TOOL_OPTIONS); the gateway's
#                   summary at its RSS peak goes into the result
#   NAME [gateway]  result file prefix
#   SKIP_BUILD [0]  1: reuse the last build
#   WARM_BIG [2]    unrecorded 2 GiB round trips before measuring (JIT of the gateway and every node)
#   WARM_GETS [300] at most this many seconds of unrecorded GETs of the last of them after, in
#                   windows of four, ended early by the first window in which the stack's JIT
#                   compiler threads spent under WARM_JIT_PCT % of the stack's CPU (see that loop)
#   WARM_SMALL [720] at most this many seconds of unrecorded small uploads (64 KiB, 8 connections)
#                   before the 1 MiB phase, in windows of WARM_WINDOW [30] s, ended early by the
#                   first window in which the stack's JIT compiler threads spent under WARM_JIT_PCT
#                   [3] % of the stack's CPU; then 90 s of 1 MiB downloads and more the same way,
#                   for at most as long (ten JVMs compile the per-upload path slowly; see that phase)
#
# Reuses /work/shared/bench/limits.sh (sourced with no sections: settle, dd_mbps, nginx_start,
# nginx_stop) and /work/shared/bench/s3proxy-peer.sh (called: setup, start, stop).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
. bin/java-env.sh
export LC_ALL=C

B_REPS=${REPS:-3}
QUICK=${QUICK:-0}
B_WRK_DUR=${WRK_DUR:-10s}
B_SETTLE=${SETTLE:-15}
S3PROXY=${S3PROXY:-1}
PROFILE=${PROFILE:-0}
NMT=${NMT:-0}
NAME=${NAME:-gateway}
SKIP_BUILD=${SKIP_BUILD:-0}
WARM_BIG=${WARM_BIG:-2}
WARM_GETS=${WARM_GETS:-300}
WARM_SMALL=${WARM_SMALL:-720}
WARM_WINDOW=${WARM_WINDOW:-30}
WARM_JIT_PCT=${WARM_JIT_PCT:-3}
COMMAND="REPS=$B_REPS WARM_BIG=$WARM_BIG WARM_GETS=$WARM_GETS WARM_SMALL=$WARM_SMALL WARM_WINDOW=$WARM_WINDOW WARM_JIT_PCT=$WARM_JIT_PCT QUICK=$QUICK WRK_DUR=$B_WRK_DUR SETTLE=$B_SETTLE S3PROXY=$S3PROXY PROFILE=$PROFILE NMT=$NMT bench/run.sh"
SHARED=${SHARED_BENCH:-/work/shared/bench}
W=$ROOT/bench/work/run          # gitignored; same file system as the stack's nodes
DATA=$W/data
mkdir -p "$W" "$DATA" bench/results
: > "$W/phases.log"
START_UTC=$(date -u +%Y%m%dT%H%MZ)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# Each line carries the 1-minute load: on a shared machine it says which phases ran disturbed.
log() { echo "bench $(date -u +%H:%M:%S) load $(cut -d' ' -f1 /proc/loadavg) $*" | tee -a "$W/phases.log" >&2; }
die() { log "FAILED: $*"; exit 1; }
now() { date +%s.%N; }
# The baselines' tools come from Debian's packages, installed here when missing (root and apt-get).
missing=()
for tool in curl wrk nginx jq awk ss; do
  command -v "$tool" >/dev/null || missing+=("${tool/ss/iproute2}")
done
if [ "${#missing[@]}" -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  log "installing ${missing[*]} from Debian's packages"
  { apt-get install -y "${missing[@]}" || { apt-get update && apt-get install -y "${missing[@]}"; }; } \
    > "$W/apt.log" 2>&1 || die "apt-get install ${missing[*]} failed: see $W/apt.log"
  # Debian starts a freshly installed nginx as a service on :80; the harness runs its own, so
  # it stops the one its install started (never an nginx that was there before).
  if [[ " ${missing[*]} " == *" nginx "* ]] && command -v service >/dev/null; then
    service nginx stop >/dev/null 2>&1 || true
  fi
fi
for tool in curl wrk nginx jq awk ss; do
  command -v "$tool" >/dev/null || die "$tool is missing: apt-get install -y ${tool/ss/iproute2}"
done

# ---- ports: one free block of nineteen, below the ephemeral range so client sockets never take them.
# gateway, placement's /health (always gateway + 1), Kafka, nginx, S3Proxy, six nodes, cleanup's
# /metrics, the six nodes' /metrics.
pick_ports() {
  local base
  for _ in $(seq 100); do
    base=$((20000 + (RANDOM % 560) * 19))
    [ "$(ss -Htan "sport >= :$base and sport <= :$((base + 18))" | wc -l)" = 0 ] && { echo "$base"; return 0; }
  done
  return 1
}
BASE_PORT=$(pick_ports) || die "no free block of 19 ports in 20000-30639"
GW_PORT=$BASE_PORT; KAFKA_PORT=$((BASE_PORT + 2)); NGINX_PORT=$((BASE_PORT + 3)); S3_PORT=$((BASE_PORT + 4))
NODE_BASE=$((BASE_PORT + 5)); CLEANUP_METRICS_PORT=$((BASE_PORT + 11)); NODE_METRICS_BASE=$((BASE_PORT + 12))
GW=http://127.0.0.1:$GW_PORT
NG=http://127.0.0.1:$NGINX_PORT
S3=http://127.0.0.1:$S3_PORT
S3BASE=$W/s3proxy

# ---- limits.sh as a library: with SECTIONS empty it defines its functions and measures nothing
WORK=$W/limits PORT=$NGINX_PORT SETTLE=$B_SETTLE REPS=$B_REPS SECTIONS=" "   # not empty: limits.sh treats an empty value as "all"
# shellcheck source=/dev/null
. "$SHARED/limits.sh" || die "cannot read $SHARED/limits.sh"
set +u   # limits.sh turns on nounset; arrays below are filled lazily
NGINX_DATA=$WORK/nginx/data

STACK_PID=""; STACK_CHILDREN=""; GW_PID=""; S3_STARTED=0; SAMPLERS=()
cleanup_all() {
  local p
  for p in "${SAMPLERS[@]}"; do kill "$p" 2>/dev/null; done
  [ "$PROFILE" = 1 ] && [ -n "$GW_PID" ] && jcmd "$GW_PID" JFR.stop name=bench >/dev/null 2>&1
  [ "$PROFILE" = 1 ] && [ -n "${NODE1_PID:-}" ] && jcmd "$NODE1_PID" JFR.stop name=bench >/dev/null 2>&1
  nginx_stop
  [ "$S3_STARTED" = 1 ] && BASE=$S3BASE PORT=$S3_PORT bash "$SHARED/s3proxy-peer.sh" stop >/dev/null 2>&1
  if [ -n "$STACK_PID" ] && kill -0 "$STACK_PID" 2>/dev/null; then
    log "stopping the stack (pid $STACK_PID)"
    kill -TERM "$STACK_PID"   # its shutdown hook stops the services, then Kafka and PostgreSQL
    for _ in $(seq 120); do kill -0 "$STACK_PID" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$STACK_PID" 2>/dev/null && kill -KILL "$STACK_PID"
  fi
  for p in $STACK_CHILDREN; do kill -0 "$p" 2>/dev/null && kill -KILL "$p"; done   # only if orphaned
  rm -rf "$W/stack" "$NGINX_DATA" "$WORK/tmp"
}
trap cleanup_all EXIT
trap 'exit 130' INT TERM

# ---- statistics and wrk output ---------------------------------------------------------------
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
minimum() { printf '%s\n' "$@" | sort -g | head -1; }
maximum() { printf '%s\n' "$@" | sort -g | tail -1; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f", b / s / 1e6 }'; }
ms_of() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) sub(/ms$/, "", v);
  else if (v ~ /m$/) { sub(/m$/, "", v); v *= 60000 } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }; printf "%.2f", v }'; }

declare -A V   # V[metric] = "run1 run2 ..."
add() { V[$1]="${V[$1]:-} $2"; }
# gc_counts PID -> "young full": the collections the JVM has run so far (jstat -gc, by column name)
gc_counts() { "$JAVA_HOME/bin/jstat" -gc "$1" | awk 'NR == 1 { for (k = 1; k <= NF; k++) c[$k] = k } NR == 2 { print $c["YGC"], $c["FGC"] }'; }

# wrk_run KEY OUTFILE wrk-args... : records KEY_rps, KEY_p50, KEY_p99, KEY_err (non-2xx + socket errors)
wrk_run() {
  local key=$1 out=$2; shift 2
  wrk --latency --timeout 10s "$@" > "$out" 2>&1
  add "${key}_rps" "$(awk '/^Requests\/sec:/ { print $2 }' "$out")"
  add "${key}_p50" "$(ms_of "$(awk '$1 == "50%" { print $2 }' "$out")")"
  add "${key}_p99" "$(ms_of "$(awk '$1 == "99%" { print $2 }' "$out")")"
  add "${key}_err" "$(awk '/Non-2xx/ { e += $NF } /Socket errors/ { gsub(/,/, ""); e += $4 + $6 + $8 + $10 } END { print e + 0 }' "$out")"
}

# upload METHOD URL FILE -> "code seconds bytes"; response body in $W/last.json
upload() {
  curl -sS -X "$1" -o "$W/last.json" -w '%{http_code} %{time_total} %{size_upload}' -H 'Expect:' \
    -H 'Content-Type: application/octet-stream' -T "$3" "$2" 2>>"$W/curl.log" || echo "000 1 0"
}
# download URL -> "code seconds bytes"
download() {
  curl -sS -o /dev/null -w '%{http_code} %{time_total} %{size_download}' "$1" 2>>"$W/curl.log" || echo "000 1 0"
}
# nginx may still be finishing an upload that wrk cut off: retry until the tree is gone
remove_tree() { for _ in 1 2 3 4 5 6 7 8 9 10; do rm -rf "$@" 2>/dev/null && return 0; sleep 0.5; done; rm -rf "$@"; }
# await_completed ID SECONDS: polls the metadata until the file is completed; prints the seconds it took
await_completed() {
  local t0 st; t0=$(now)
  while :; do
    st=$(curl -sS "$GW/files/$1/metadata" | jq -r .status)
    [ "$st" = completed ] && break
    [ "$st" = uploading ] || die "file $1 is $st, not completed"
    awk -v a="$t0" -v b="$(now)" -v m="$2" 'BEGIN { exit !(b - a > m) }' && die "file $1 not completed within $2 s"
    sleep 0.05
  done
  awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'
}
# put_mbps "code seconds bytes" -> MB/s; a 202 (stored, finalization still running) adds the wait for completion
put_mbps() {
  local code t bytes extra=0
  read -r code t bytes <<<"$1"
  [ "$code" = 202 ] && extra=$(await_completed "$(jq -r .id "$W/last.json")" 300)
  awk -v b="$bytes" -v t="$t" -v e="$extra" 'BEGIN { printf "%.1f", b / (t + e) / 1e6 }'
}
expect_code() {   # expect_code "code t bytes" allowed-codes... ; dies with the response on anything else
  local got=${1%% *} c; shift
  for c in "$@"; do [ "$got" = "$c" ] && return 0; done
  die "HTTP $got (wanted $*): $(head -c 300 "$W/last.json" 2>/dev/null)"
}

# ---- CPU time: where the two cores go during one transfer --------------------------------------------------
CLK_TCK=$(getconf CLK_TCK)
descendants() { local p; for p in $(pgrep -P "$1"); do echo "$p"; descendants "$p"; done; }
cpu_ticks() { local p t=0; for p in "$@"; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo "$t"; }
sys_ticks() { local p t=0; for p in "$@"; do t=$((t + $(awk '{ print $15 }' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo "$t"; }
stack_pids() { echo "$STACK_PID"; descendants "$STACK_PID"; }
jit_ticks() {   # CPU ticks of the JIT compiler threads of the given processes
  local p t n=0
  for p in "$@"; do
    for t in /proc/"$p"/task/*; do
      case "$(cat "$t/comm" 2>/dev/null)" in "C1 CompilerThre"* | "C2 CompilerThre"*)
        # utime and stime are fields 14 and 15 counted from the pid, but these names hold a space
        n=$((n + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "$t/stat" 2>/dev/null || echo 0))) ;; esac
    done
  done
  echo "$n"
}
node_pids() { pgrep -P "$STACK_PID" -f dev.kos.storagenode.Main; }
# warm_windows NAME MAX_SECONDS CMD...: runs "CMD... <window number>" (one unrecorded window of load,
# printing what it did) until, in one window, the stack's JIT compiler threads took under
# WARM_JIT_PCT % of the stack's CPU (PostgreSQL's included), or MAX_SECONDS have passed. Sets
# WARMED_WINDOWS and WARMED_JIT_PCT (that last window's share). A stack of ten JVMs compiles a path
# only as often as it runs it, so a fixed warm-up either wastes minutes or measures the JIT.
warm_windows() {
  local name=$1 t_end=$(( $(date +%s) + $2 )) j0 s0 j1 s1 did
  shift 2
  WARMED_WINDOWS=0; WARMED_JIT_PCT=""
  while [ "$(date +%s)" -lt "$t_end" ]; do
    WARMED_WINDOWS=$((WARMED_WINDOWS + 1))
    # shellcheck disable=SC2046
    j0=$(jit_ticks $(stack_pids)); s0=$(( $(cpu_ticks $(stack_pids)) + $(pg_ticks) ))
    did=$("$@" "$WARMED_WINDOWS")
    # shellcheck disable=SC2046
    j1=$(jit_ticks $(stack_pids)); s1=$(( $(cpu_ticks $(stack_pids)) + $(pg_ticks) ))
    WARMED_JIT_PCT=$(awk -v j=$((j1 - j0)) -v s=$((s1 - s0)) 'BEGIN { printf "%.1f", (s > 0 ? 100 * j / s : 100) }')
    log "$name window $WARMED_WINDOWS: $did, JIT compilers at $WARMED_JIT_PCT % of the stack's CPU"
    awk -v p="$WARMED_JIT_PCT" -v max="$WARM_JIT_PCT" 'BEGIN { exit !(p < max) }' && break
  done
}
nginx_pids() { local m; m=$(cat "$WORK/nginx/nginx.pid"); echo "$m"; pgrep -P "$m"; }
# The embedded PostgreSQL is started through pg_ctl, so it is no descendant of the launcher.
pg_pids() { local m; m=$(pgrep -f "bin/postgres -D $W/stack/postgres") || return 0; echo "$m"; pgrep -P "$m"; }
# PostgreSQL's CPU ticks: its processes' own, plus what the postmaster reaped (cutime, cstime), so a
# backend or autovacuum worker that ends between two samples is neither lost nor subtracted.
pg_ticks() {
  local m; m=$(pgrep -f "bin/postgres -D $W/stack/postgres" | head -1) || { echo 0; return; }
  echo $(( $(awk '{ print $16 + $17 }' "/proc/$m/stat" 2>/dev/null || echo 0) + $(cpu_ticks $(pg_pids)) ))
}
# per_request KEY TICKS0 TICKS1 WRK_OUTPUT -> records CPU ms per completed request of that wrk run
per_request() {
  add "$1" "$(awk -v a="$2" -v b="$3" -v hz="$CLK_TCK" '$2 == "requests" && $3 == "in" { n = $1 }
    END { if (n > 0) printf "%.1f", (b - a) * 1000 / hz / n }' "$4")"
}
# cpu_add KEY TICKS-BEFORE TICKS-AFTER BYTES : CPU seconds per GiB moved
cpu_add() { add "$1" "$(awk -v a="$2" -v b="$3" -v n="$4" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", (b - a) / hz / (n / 1073741824) }')"; }

# upload_breakdown: for the newest 100 uploads of 1 MiB, where their time went: begin -> sealed (body
# received, chunk fsynced on a node, metadata written) and sealed -> completed (outbox, Kafka, placement).
# The first is the gateway's own count ("..., N ms after the request began" in its sealed line): the
# row's created_at will not do, since an upload that fits in one chunk is recorded only when sealed.
upload_breakdown() {
  curl -sS "$GW/files?per_page=100&status=completed" \
    | jq -r '.files[] | select(.size == 1048576 and (.name | startswith("r"))) | [.id, .completed_at] | @tsv' > "$W/times.tsv"
  awk -F'\t' 'function sod(t, a, b) { split(t, a, "T"); split(a[2], b, ":"); sub(/Z$/, "", b[3]); return b[1] * 3600 + b[2] * 60 + b[3] }
    FNR == NR { if ($0 ~ / sealed: .* ms after the request began/) {
        split($0, f, " "); sealed[f[6]] = sod(f[1])
        n = $0; sub(/ ms after the request began.*/, "", n); sub(/.* /, "", n); took[f[6]] = n }
      next }
    ($1 in sealed) { s = sealed[$1]; printf "%.0f %.0f\n", took[$1], (sod($2) - s) * 1000 }' \
    "$W/stack/logs/gateway.log" "$W/times.tsv" > "$W/breakdown.txt"
  [ -s "$W/breakdown.txt" ] || return 0
  add ours_put1m_store "$(median $(cut -d' ' -f1 "$W/breakdown.txt"))"
  add ours_put1m_final "$(median $(cut -d' ' -f2 "$W/breakdown.txt"))"
}

# ---- JFR, one recording per phase (PROFILE=1) ------------------------------------------------
# The gateway and storage node 1 (it gets a sixth of the chunks, like each of its peers).
prof_begin() {
  [ "$PROFILE" = 1 ] || return 0
  jcmd "$GW_PID" JFR.start name=bench settings=profile >/dev/null
  jcmd "$NODE1_PID" JFR.start name=bench settings=profile >/dev/null
}
prof_end() {
  [ "$PROFILE" = 1 ] || return 0
  local who pid
  for who in gateway node-1; do
    pid=$GW_PID; [ "$who" = node-1 ] && pid=$NODE1_PID
    jcmd "$pid" JFR.stop name=bench filename="$W/profile-$1-$who.jfr" >/dev/null
    { echo "### JFR hot methods of the $who: $1"; echo; echo '```'
      "$JAVA_HOME/bin/jfr" view --width 160 hot-methods "$W/profile-$1-$who.jfr" 2>&1 | sed -n '4,24p'
      echo '```'; echo; } >> "$W/profile.md"
  done
}

# ---- build and data ------------------------------------------------------------------------------
if [ "$SKIP_BUILD" != 1 ]; then
  log "building the stack (infra and what it depends on)"
  ./mvnw -B -q -ntp -DskipTests -Dmdep.outputFile="$W/stack-classpath.txt" -Dmdep.includeScope=runtime \
    -pl infra -am package dependency:build-classpath > "$W/build.log" 2>&1 || die "build failed: see $W/build.log"
fi
[ -s "$W/stack-classpath.txt" ] || die "no classpath: run without SKIP_BUILD=1"

BIG=$DATA/big-2g.bin; SMALL=$DATA/obj-1m.bin; MED=$DATA/obj-20m.bin
make_random() { [ -f "$1" ] && [ "$(stat -c %s "$1")" = "$2" ] || head -c "$2" /dev/urandom > "$1"; }
log "random data (kept in $DATA between runs)"
make_random "$BIG" $((2 << 30)); make_random "$SMALL" $((1 << 20)); make_random "$MED" $((20 << 20))
[ -s "$BIG.sha256" ] && [ "$BIG.sha256" -nt "$BIG" ] || sha256sum < "$BIG" | cut -c1-64 > "$BIG.sha256"
BIG_SHA=$(cat "$BIG.sha256")

# ---- start: nginx, the stack, S3Proxy --------------------------------------------------------------
nginx_start || die "nginx did not start: see $WORK/nginx/logs/error.log"
log "nginx on $NG (master pid $(cat "$WORK/nginx/nginx.pid"))"

log "starting the stack on $GW (kafka $KAFKA_PORT, nodes $NODE_BASE-$((NODE_BASE + 5)))"
rm -rf "$W/stack"
STACK_JTO=${JAVA_TOOL_OPTIONS:-}; [ "$NMT" = 1 ] && STACK_JTO="$STACK_JTO -XX:NativeMemoryTracking=summary"
JAVA_TOOL_OPTIONS=$STACK_JTO KOS_GATEWAY_HOST=127.0.0.1 "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Xmx1g \
  -cp "infra/target/classes:$(cat "$W/stack-classpath.txt")" dev.kos.infra.LocalStack \
  --home="$W/stack" --reset --gateway-port="$GW_PORT" --kafka-port="$KAFKA_PORT" --node-base-port="$NODE_BASE" \
  --cleanup-metrics-port="$CLEANUP_METRICS_PORT" --node-metrics-base-port="$NODE_METRICS_BASE" > "$W/stack.log" 2>&1 &
STACK_PID=$!
deadline=$(( $(date +%s) + 240 ))
until curl -sf -o /dev/null "$GW/ready"; do
  kill -0 "$STACK_PID" 2>/dev/null || die "the stack exited: $(tail -5 "$W/stack.log")"
  [ "$(date +%s)" -lt "$deadline" ] || die "the gateway was not ready within 240 s: see $W/stack.log"
  sleep 1
done
STACK_CHILDREN=$(pgrep -P "$STACK_PID" | tr '\n' ' ')
GW_PID=$(pgrep -P "$STACK_PID" -f "dev.kos.gateway.Main --gateway-port=$GW_PORT")
[ -n "$GW_PID" ] || die "cannot find the gateway's pid under the stack (pid $STACK_PID)"
NODE1_PID=$(pgrep -P "$STACK_PID" -f "dev.kos.storagenode.Main --node-id=node-1 ")
log "stack up (launcher pid $STACK_PID, gateway pid $GW_PID)"

if [ "$S3PROXY" = 1 ]; then
  mkdir -p "$S3BASE"; [ -e "$S3BASE/rand.bin" ] || ln "$BIG" "$S3BASE/rand.bin"   # its setup wants the same 2 GiB
  if BASE=$S3BASE PORT=$S3_PORT COLD_SLEEP=$B_SETTLE bash "$SHARED/s3proxy-peer.sh" start > "$W/s3proxy.log" 2>&1 \
     && curl -sf -o /dev/null -X PUT "$S3/bench"; then
    S3_STARTED=1; log "S3Proxy on $S3"
  else
    S3_STARTED=1; S3PROXY=0; log "S3Proxy did not start (see $W/s3proxy.log); continuing without it"
  fi
fi

# ---- warm-up: JIT of both sides, not recorded -------------------------------------------------------
log "warm-up"
for k in 1 2 3; do   # the first upload also waits for the placement service's first assignment
  r=$(upload POST "$GW/files?name=warm-$k" "$MED"); expect_code "$r" 201 202
  wid=$(jq -r .id "$W/last.json"); await_completed "$wid" 180 >/dev/null; download "$GW/files/$wid" >/dev/null
done
# Large round trips too: each node sees a sixth of the chunks, and until its put and read paths are
# compiled a fresh stack spends 2-3x the CPU per GiB (measured: the first 2 GiB GET 118 MB/s and
# 32 CPU-s, the third 341 MB/s and 11 CPU-s). Without this the first repetition measures the JIT.
for k in $(seq "$WARM_BIG"); do
  r=$(upload POST "$GW/files?name=warm-big-$k" "$BIG"); expect_code "$r" 201 202
  wid=$(jq -r .id "$W/last.json"); await_completed "$wid" 180 >/dev/null; download "$GW/files/$wid" >/dev/null
done
# Then GETs of the last of them until the JIT is nearly done with the read path. Each node serves a
# sixth of a GET's 128 chunk reads, so its per-call code reaches C2 only after dozens of GETs: on a
# bin/start stack the 2 GiB GET ran at 285-570 MB/s over its first six GETs, 540-770 with the C2
# threads at 1-8 % of the stack's CPU around the twentieth to fortieth, 700-840 at 1.8-2.2 CPU-s/GiB
# (nodes 1.5-2.0 -> 0.85-1.1) after fifty. In windows of four GETs, for at most WARM_GETS seconds.
warm_gets() { for _ in 1 2 3 4; do download "$GW/files/$wid" >/dev/null; done; echo "4 GETs of 2 GiB"; }
if [ "$WARM_BIG" -gt 0 ] && [ "$WARM_GETS" -gt 0 ]; then
  warm_windows "warm-up GETs" "$WARM_GETS" warm_gets
  add warm_gets "$((4 * WARMED_WINDOWS))"; add warm_gets_jit "$WARMED_JIT_PCT"
fi
wrk -t2 -c8 -d3s -s bench/upload.lua "$GW" -- "$SMALL" POST "/files?name=" warm >/dev/null 2>&1
wrk -t2 -c8 -d3s -s bench/upload.lua "$NG" -- "$SMALL" PUT "/obj/" warm >/dev/null 2>&1
remove_tree "$NGINX_DATA/obj"

# ---- disk: dd on the same file system (2 GiB, cold memory) ------------------------------------------
log "disk"
for i in $(seq "$B_REPS"); do
  rm -f "$W/dd.tmp"; settle
  add dd_write "$(dd_mbps if=/dev/zero of="$W/dd.tmp" bs=1M count=2048 conv=fdatasync)"
  rm -f "$W/dd.tmp"
  # Reads of a file written with O_DIRECT, as the nodes write chunks, so that it is not in the page
  # cache, as a GET right after its PUT finds it: dd's O_DIRECT read is the disk's own rate. (A read
  # after drop_caches refills memory just freed, which this guest makes fast and a GET never gets.)
  dd if="$BIG" of="$W/relay.tmp" bs=1M oflag=direct status=none
  add dd_read "$(dd_mbps if="$W/relay.tmp" of=/dev/null bs=1M iflag=direct)"
  # The floor of a download's byte path (ByteRelay.java: read, CRC32C, two loopback TCP hops, no
  # protocol): the first relay reads the disk with O_DIRECT, as a node reads a large file's chunks
  # in a GET after the PUT, the second the page cache, as a node reads a small file read again and
  # again.
  add relay_cold "$("$JAVA_HOME/bin/java" bench/src/main/java/dev/kos/bench/ByteRelay.java "$W/relay.tmp" direct 2>>"$W/relay.log")"
  cat "$W/relay.tmp" > /dev/null
  v=$("$JAVA_HOME/bin/java" bench/src/main/java/dev/kos/bench/ByteRelay.java "$W/relay.tmp" 2>>"$W/relay.log")
  add relay_hot "$v"; add relay_hot_mib "$(awk -v v="$v" 'BEGIN { printf "%.1f", v / 1.048576 }')"
  rm -f "$W/relay.tmp"
  settle   # the disk's own rate of durable 1 MiB files (write, fsync, rename, directory fsync), 8 writers
  add disk_small "$("$JAVA_HOME/bin/java" bench/src/main/java/dev/kos/bench/DurableFiles.java "$W/durable" 8 10 $((1 << 20)))"
  rm -rf "$W/durable"
  # What one wake-up of another thread costs here (Handoff.java: two threads pass a turn by park and unpark).
  add handoff_us "$("$JAVA_HOME/bin/java" bench/src/main/java/dev/kos/bench/Handoff.java 2>>"$W/handoff.log")"
done
cat "$BIG" > /dev/null   # the source file stays in the page cache for every PUT below

# ---- 2 GiB PUT and GET: each PUT after a settle, so every peer meets the same (cold) memory ------------
log "2 GiB PUT/GET"
prof_begin
for i in $(seq "$B_REPS"); do
  settle
  g0=$(cpu_ticks "$GW_PID"); s0=$(cpu_ticks $(stack_pids)); d0=$(cpu_ticks $(node_pids)); k0=$(sys_ticks $(stack_pids))
  r=$(upload POST "$GW/files?name=big-$i.bin" "$BIG"); expect_code "$r" 201 202
  g1=$(cpu_ticks "$GW_PID"); s1=$(cpu_ticks $(stack_pids)); d1=$(cpu_ticks $(node_pids)); k1=$(sys_ticks $(stack_pids))
  cpu_add ours_put2g_sys "$k0" "$k1" $((2 << 30))
  add ours_put2g "$(put_mbps "$r")"; cpu_add ours_put2g_cpu_gw "$g0" "$g1" $((2 << 30)); cpu_add ours_put2g_cpu "$s0" "$s1" $((2 << 30))
  cpu_add ours_put2g_cpu_nodes "$d0" "$d1" $((2 << 30))
  id=$(jq -r .id "$W/last.json")
  [ "$(jq -r .sha256 "$W/last.json")" = "$BIG_SHA" ] || die "the gateway's SHA-256 of big-$i.bin is wrong"
  settle
  n0=$(cpu_ticks $(nginx_pids)); r=$(upload PUT "$NG/big-$i.bin" "$BIG"); n1=$(cpu_ticks $(nginx_pids))
  expect_code "$r" 201 204; cpu_add nginx_put2g_cpu "$n0" "$n1" $((2 << 30))
  add nginx_put2g "$(mbps "$(cut -d' ' -f3 <<<"$r")" "$(cut -d' ' -f2 <<<"$r")")"
  if [ "$S3PROXY" = 1 ]; then
    settle; r=$(upload PUT "$S3/bench/big-$i.bin" "$BIG"); expect_code "$r" 200
    add s3_put2g "$(mbps "$(cut -d' ' -f3 <<<"$r")" "$(cut -d' ' -f2 <<<"$r")")"
  fi
  sync
  g0=$(cpu_ticks "$GW_PID"); s0=$(cpu_ticks $(stack_pids)); d0=$(cpu_ticks $(node_pids)); k0=$(sys_ticks $(stack_pids))
  r=$(download "$GW/files/$id"); expect_code "$r" 200; [ "$(cut -d' ' -f3 <<<"$r")" = $((2 << 30)) ] || die "short GET: $r"
  g1=$(cpu_ticks "$GW_PID"); s1=$(cpu_ticks $(stack_pids)); d1=$(cpu_ticks $(node_pids)); k1=$(sys_ticks $(stack_pids))
  cpu_add ours_get2g_sys "$k0" "$k1" $((2 << 30))
  cpu_add ours_get2g_cpu_gw "$g0" "$g1" $((2 << 30)); cpu_add ours_get2g_cpu "$s0" "$s1" $((2 << 30))
  cpu_add ours_get2g_cpu_nodes "$d0" "$d1" $((2 << 30))
  add ours_get2g "$(mbps "$(cut -d' ' -f3 <<<"$r")" "$(cut -d' ' -f2 <<<"$r")")"
  n0=$(cpu_ticks $(nginx_pids)); r=$(download "$NG/big-$i.bin"); n1=$(cpu_ticks $(nginx_pids))
  expect_code "$r" 200; cpu_add nginx_get2g_cpu "$n0" "$n1" $((2 << 30))
  add nginx_get2g "$(mbps "$(cut -d' ' -f3 <<<"$r")" "$(cut -d' ' -f2 <<<"$r")")"
  if [ "$S3PROXY" = 1 ]; then
    r=$(download "$S3/bench/big-$i.bin"); expect_code "$r" 200
    add s3_get2g "$(mbps "$(cut -d' ' -f3 <<<"$r")" "$(cut -d' ' -f2 <<<"$r")")"
  fi
  if [ "$i" = 1 ]; then   # the bytes come back as they went in
    got=$(curl -sS "$GW/files/$id" | sha256sum | cut -c1-64)
    [ "$got" = "$BIG_SHA" ] || die "round trip of big-1.bin: SHA-256 $got, wanted $BIG_SHA"
  fi
  rm -f "$NGINX_DATA/big-$i.bin" "$S3BASE/data/bench/big-$i.bin"
done
prof_end put-get-2g

# ---- 1 MiB objects, 8 connections, bounded time --------------------------------------------------------
log "1 MiB uploads/downloads, wrk -c8 -d$B_WRK_DUR"
r=$(upload POST "$GW/files?name=get-1m.bin" "$SMALL"); expect_code "$r" 201 202; SMALL_ID=$(jq -r .id "$W/last.json")
await_completed "$SMALL_ID" 60 >/dev/null
r=$(upload PUT "$NG/get-1m.bin" "$SMALL"); expect_code "$r" 201 204
[ "$S3PROXY" = 1 ] && { r=$(upload PUT "$S3/bench/get-1m.bin" "$SMALL"); expect_code "$r" 200; }
# Unrecorded, ours only. What a small upload costs besides its bytes (a gateway transaction, the
# outbox relay, Kafka, the placement service's exactly-once consume and settle, the cleanup worker, a
# node's put call) runs a few times a second in each of ten JVMs, so the JIT takes many minutes to
# reach it: each storage node sees a sixth of the uploads. On a fresh stack under 1 MiB uploads
# (bench/stack-cpu.sh upload 20, repeated) the whole-stack CPU per upload fell from 113 to 15 ms over
# ~12 minutes, and after 8 minutes the nodes' C2 compiler threads still took 1.5 ms of every upload's
# 17. So the warm-up runs until the compilers are nearly idle (or WARM_SMALL runs out), and the
# table says how long it took and what share they had last. The 2 GiB round trips already compiled
# the byte paths, so 64 KiB bodies warm the rest without filling the disk.
warm_uploads() {
  wrk -t2 -c8 -d"${WARM_WINDOW}s" -s bench/upload.lua "$GW" -- "$W/warm-64k.bin" POST "/files?name=" "warm$1" > "$W/wrk-warm-$1.txt" 2>&1 || true
  echo "$(awk '/Requests\/sec/ { print $2 }' "$W/wrk-warm-$1.txt") uploads/s of 64 KiB"
}
# Then downloads of the 1 MiB file, the same way: on a fresh bin/start stack after 80 s of them the
# JIT still took 7.5, 5.1 and 2.0 % of the stack's CPU over three 20 s runs (835, 848, 901 GETs/s),
# and after the fixed 2 min this phase used to have, a full run's three runs rose 739, 815, 860/s.
warm_downloads() {
  wrk -t2 -c8 -d"${WARM_WINDOW}s" "$GW/files/$SMALL_ID" > "$W/wrk-warm-get-$1.txt" 2>&1 || true
  echo "$(awk '/Requests\/sec/ { print $2 }' "$W/wrk-warm-get-$1.txt") GETs/s of 1 MiB"
}
if [ "$WARM_SMALL" -gt 0 ]; then
  head -c 65536 "$SMALL" > "$W/warm-64k.bin"
  warm_windows "warm-up" "$WARM_SMALL" warm_uploads
  add warm_small_s "$((WARMED_WINDOWS * WARM_WINDOW))"; add warm_small_jit "$WARMED_JIT_PCT"
  # At least the 2 min of downloads earlier runs had: the compilers can fall under the share while
  # the rates still climb (60 s of them, then 652-761 GETs/s over the three runs that followed).
  wrk -t2 -c8 -d90s "$GW/files/$SMALL_ID" >/dev/null 2>&1 || true
  warm_windows "warm-up downloads" "$WARM_SMALL" warm_downloads
  add warm_get1m_s "$((90 + WARMED_WINDOWS * WARM_WINDOW))"; add warm_get1m_jit "$WARMED_JIT_PCT"
fi
prof_begin
for i in $(seq "$B_REPS"); do
  settle
  # CPU per upload, every process of ours: a POST answers only once the file is completed, so
  # almost all of an upload's work (placement, PostgreSQL) falls inside the wrk run.
  read -r gy0 gf0 < <(gc_counts "$GW_PID")
  g0=$(cpu_ticks "$GW_PID"); d0=$(cpu_ticks $(node_pids)); p0=$(pg_ticks); s0=$(( $(cpu_ticks $(stack_pids)) + p0 ))
  wrk_run ours_put1m "$W/wrk-ours-put1m-$i.txt" -t2 -c8 -d"$B_WRK_DUR" -s bench/upload.lua "$GW" -- "$SMALL" POST "/files?name=" "r$i"
  g1=$(cpu_ticks "$GW_PID"); d1=$(cpu_ticks $(node_pids)); p1=$(pg_ticks); s1=$(( $(cpu_ticks $(stack_pids)) + p1 ))
  read -r gy1 gf1 < <(gc_counts "$GW_PID")
  # A full collection stops every upload for tens of ms: the run says how many the gateway ran.
  add ours_put1m_ygc $((gy1 - gy0)); add ours_put1m_fgc $((gf1 - gf0))
  per_request ours_put1m_cpu "$s0" "$s1" "$W/wrk-ours-put1m-$i.txt"; per_request ours_put1m_cpu_gw "$g0" "$g1" "$W/wrk-ours-put1m-$i.txt"
  per_request ours_put1m_cpu_nodes "$d0" "$d1" "$W/wrk-ours-put1m-$i.txt"; per_request ours_put1m_cpu_pg "$p0" "$p1" "$W/wrk-ours-put1m-$i.txt"
  upload_breakdown
  settle
  n0=$(cpu_ticks $(nginx_pids))
  wrk_run nginx_put1m "$W/wrk-nginx-put1m-$i.txt" -t2 -c8 -d"$B_WRK_DUR" -s bench/upload.lua "$NG" -- "$SMALL" PUT "/obj/" "r$i"
  n1=$(cpu_ticks $(nginx_pids)); per_request nginx_put1m_cpu "$n0" "$n1" "$W/wrk-nginx-put1m-$i.txt"
  if [ "$S3PROXY" = 1 ]; then
    settle; wrk_run s3_put1m "$W/wrk-s3-put1m-$i.txt" -t2 -c8 -d"$B_WRK_DUR" -s bench/upload.lua "$S3" -- "$SMALL" PUT "/bench/" "r$i"
  fi
  sync
  wrk_run ours_get1m "$W/wrk-ours-get1m-$i.txt" -t2 -c8 -d"$B_WRK_DUR" "$GW/files/$SMALL_ID"
  wrk_run nginx_get1m "$W/wrk-nginx-get1m-$i.txt" -t2 -c8 -d"$B_WRK_DUR" "$NG/get-1m.bin"
  [ "$S3PROXY" = 1 ] && wrk_run s3_get1m "$W/wrk-s3-get1m-$i.txt" -t2 -c8 -d"$B_WRK_DUR" "$S3/bench/get-1m.bin"
  remove_tree "$NGINX_DATA/obj"; rm -f "$S3BASE/data/bench/r$i-"*
done
prof_end small-1m

# ---- metadata and list, 100 connections; nginx serves the very same JSON bytes as static files -------------
log "metadata and list, wrk -c100"
curl -sS -o "$NGINX_DATA/metadata.json" "$GW/files/$SMALL_ID/metadata"
curl -sS -o "$NGINX_DATA/list.json" "$GW/files?page=1&per_page=20"
jq -e '.files | length == 20' "$NGINX_DATA/list.json" >/dev/null || die "the list page has not 20 files"
chmod 644 "$NGINX_DATA"/*.json
# Unrecorded, 3 s each, both servers alike: the first seconds of a route never served before
# measure its JIT compilation (a fresh gateway's first metadata run had a p99 of 1 s, the next 10 ms).
for url in "$GW/files/$SMALL_ID/metadata" "$NG/metadata.json" "$GW/files?page=1&per_page=20" "$NG/list.json"; do
  wrk -t2 -c100 -d3s "$url" > /dev/null 2>&1 || true
done
prof_begin
for i in $(seq "$B_REPS"); do
  sync
  # A collection holds every connection at once, so a p99 over its bound says whether one ran.
  read -r gy0 gf0 < <(gc_counts "$GW_PID")
  wrk_run ours_meta "$W/wrk-ours-meta-$i.txt" -t2 -c100 -d"$B_WRK_DUR" "$GW/files/$SMALL_ID/metadata"
  read -r gy1 gf1 < <(gc_counts "$GW_PID")
  add ours_meta_ygc $((gy1 - gy0)); add ours_meta_fgc $((gf1 - gf0))
  wrk_run nginx_meta "$W/wrk-nginx-meta-$i.txt" -t2 -c100 -d"$B_WRK_DUR" "$NG/metadata.json"
  read -r gy0 gf0 < <(gc_counts "$GW_PID")
  wrk_run ours_list "$W/wrk-ours-list-$i.txt" -t2 -c100 -d"$B_WRK_DUR" "$GW/files?page=1&per_page=20"
  read -r gy1 gf1 < <(gc_counts "$GW_PID")
  add ours_list_ygc $((gy1 - gy0)); add ours_list_fgc $((gf1 - gf0))
  wrk_run nginx_list "$W/wrk-nginx-list-$i.txt" -t2 -c100 -d"$B_WRK_DUR" "$NG/list.json"
done
prof_end metadata-list
FILES_LISTED=$(jq -r .total "$NGINX_DATA/list.json")

# ---- 50 concurrent uploads of 20 MiB ---------------------------------------------------------------------
# concurrent KEY METHOD URL-PREFIX URL-SUFFIX ok-codes : total MB/s and the count of other answers
concurrent() {
  local key=$1 method=$2 prefix=$3 suffix=$4 ok=$5 t0 t1
  t0=$(now)
  seq 50 | xargs -P 50 -I{} curl -sS -o /dev/null -w '%{http_code}\n' -X "$method" -H 'Expect:' \
    -H 'Content-Type: application/octet-stream' -T "$MED" "${prefix}{}${suffix}" > "$W/codes-$key.txt" 2>>"$W/curl.log"
  t1=$(now)
  add "${key}_mbps" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", 50 * 20 * 1048576 / (b - a) / 1e6 }')"
  add "${key}_err" "$(grep -cvE "^($ok)\$" "$W/codes-$key.txt")"
  add "${key}_202" "$(grep -c '^202$' "$W/codes-$key.txt")"
}
log "50 concurrent uploads of 20 MiB"
prof_begin
for i in $(seq "$B_REPS"); do
  settle; concurrent ours_c50 POST "$GW/files?name=c$i-" "" "201|202"
  settle; mkdir -p "$NGINX_DATA/c$i" && chown nobody:nogroup "$NGINX_DATA/c$i"
  concurrent nginx_c50 PUT "$NG/c$i/" ".bin" "201|204"
  if [ "$S3PROXY" = 1 ]; then settle; concurrent s3_c50 PUT "$S3/bench/c$i-" "" "200"; fi
  rm -rf "$NGINX_DATA/c$i"; rm -f "$S3BASE/data/bench/c$i-"*
done
prof_end concurrent-20m

# ---- gateway peak RSS and heap while a 10 GiB (QUICK: 1 GiB) file goes up and comes back -------------------
RSS_GIB=10; [ "$QUICK" = 1 ] && RSS_GIB=1
RSS_BYTES=$((RSS_GIB << 30))
feed() {   # RSS_GIB GiB of data without a 10 GiB file on disk: the cached 2 GiB file, repeated
  local left=$RSS_GIB
  while [ "$left" -ge 2 ]; do cat "$BIG"; left=$((left - 2)); done
  [ "$left" = 1 ] && head -c $((1 << 30)) "$BIG"
}
node_bytes() { du -sb "$W"/stack/node-* | awk '{ s += $1 } END { printf "%.0f\n", s }'; }
heap_peak_kib() {   # the largest used heap in a jstat -gc log, from its named columns
  awk 'NR == 1 { for (k = 1; k <= NF; k++) c[$k] = k; next } $1 ~ /^[0-9.]+$/ {
    u = $c["S0U"] + $c["S1U"] + $c["EU"] + $c["OU"]; if (u > m) m = u } END { printf "%.0f", m }' "$1"
}
rss_sampler() { while kill -0 "$GW_PID" 2>/dev/null; do awk '$1 == "VmRSS:" { print $2 }' "/proc/$GW_PID/status"; sleep 0.2; done; }
log "gateway RSS during a $RSS_GIB GiB upload and download"
prof_begin
for i in $(seq "$B_REPS"); do
  before=$(node_bytes)
  settle
  echo 5 > "/proc/$GW_PID/clear_refs"   # resets VmHWM, so each repetition has its own peak
  rss_sampler > "$W/rss-$i.txt" & SAMPLERS+=($!)
  "$JAVA_HOME/bin/jstat" -gc "$GW_PID" 500 > "$W/heap-$i.txt" 2>&1 & SAMPLERS+=($!)
  # A body from a pipe: curl would chunk it; the empty Transfer-Encoding header turns that off
  # and the explicit Content-Length goes out instead, as a client with a 10 GiB file would send.
  r=$(feed | curl -sS -X POST -o "$W/last.json" -w '%{http_code} %{time_total} %{size_upload}' -H 'Expect:' \
        -H 'Content-Type: application/octet-stream' -H "Content-Length: $RSS_BYTES" -H 'Transfer-Encoding:' \
        -T - "$GW/files?name=huge-$i.bin" 2>>"$W/curl.log")
  expect_code "$r" 201 202
  hid=$(jq -r .id "$W/last.json")
  add ours_puthuge "$(put_mbps "$r")"
  r=$(download "$GW/files/$hid"); expect_code "$r" 200
  [ "$(cut -d' ' -f3 <<<"$r")" = "$RSS_BYTES" ] || die "short GET of huge-$i.bin: $r"
  add ours_gethuge "$(mbps "$(cut -d' ' -f3 <<<"$r")" "$(cut -d' ' -f2 <<<"$r")")"
  hwm=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$GW_PID/status")
  if [ "$NMT" = 1 ] && [ "$i" = 1 ]; then
    { echo "### Native memory of the gateway after the $RSS_GIB GiB round trip (VmHWM $((hwm / 1024)) MiB)"; echo; echo '```'
      jcmd "$GW_PID" VM.native_memory summary | grep -E '^(Total|-|  *\(mmap|  *\(malloc)' | grep -vE '^\s*\(malloc=0KB|^-.*committed=0KB' | head -60
      echo '```'; echo; } >> "$W/profile.md"
  fi
  kill "${SAMPLERS[@]}" 2>/dev/null; wait "${SAMPLERS[@]}" 2>/dev/null; SAMPLERS=()
  sampled=$(maximum $(cat "$W/rss-$i.txt"))
  add ours_rss "$(awk -v a="$hwm" -v b="$sampled" 'BEGIN { printf "%.0f", (a > b ? a : b) / 1024 }')"
  add ours_heap "$(awk -v k="$(heap_peak_kib "$W/heap-$i.txt")" 'BEGIN { printf "%.0f", k / 1024 }')"
  # Give the disk back before the next repetition; the cleanup worker removes the chunks.
  curl -sS -o /dev/null -X DELETE "$GW/files/$hid"
  deadline=$(( $(date +%s) + 180 ))
  while [ "$(node_bytes)" -gt $((before + (1 << 30))) ] && [ "$(date +%s)" -lt "$deadline" ]; do sleep 1; done
done
prof_end rss-huge

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
GW_XMX=$(tr '\0' ' ' < "/proc/$GW_PID/cmdline" | grep -o -- '-Xmx[^ ]*' | head -1)

# ---- the table -------------------------------------------------------------------------------------------
cell() {   # cell KEY -> "median (min-max)" or n/a
  local v=${V[$1]:-}
  [ -n "${v// /}" ] || { echo "n/a"; return; }
  # shellcheck disable=SC2086
  local a=$(median $v) b=$(minimum $v) c=$(maximum $v)
  if [ "$b" = "$c" ]; then echo "$a"; else echo "$a ($b–$c)"; fi
}
med() { local v=${V[$1]:-}; [ -n "${v// /}" ] && median $v; }
ratio() { local a b; a=$(med "$1"); b=$(med "$2"); [ -n "$a" ] && [ -n "$b" ] && awk -v a="$a" -v b="$b" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }' || echo "n/a"; }
verdict() { if awk "BEGIN { exit !($1) }"; then echo PASS; else echo FAIL; fi; }
# row LABEL OURS PEER TARGET CHECK ; CHECK is an awk condition over o (ours median), x (ours worst
# run: the largest value) and r (ratio of medians), or "" for none
row() {
  local label=$1 ok=$2 pk=$3 target=$4 check=$5 o x r res="—"
  o=$(med "$ok"); r=$( [ -n "$pk" ] && ratio "$ok" "$pk" || echo "—")
  if [ -n "$check" ] && [ -n "$o" ]; then
    x=$(maximum ${V[$ok]})
    res=$(verdict "$(sed "s/\bo\b/$o/g; s/\bx\b/$x/g; s/\br\b/${r/n\/a/0}/g" <<<"$check")")
  fi
  echo "| $label | $(cell "$ok") | $( [ -n "$pk" ] && cell "$pk" || echo "—") | $r | $target | $res |"
}
# list errors are folded into the metadata errors row
V[ours_meta_err]="${V[ours_meta_err]:-} ${V[ours_list_err]:-}"
V[nginx_meta_err]="${V[nginx_meta_err]:-} ${V[nginx_list_err]:-}"
TABLE=$(
  echo "| measurement ($B_REPS runs; median (min–max)) | ours | nginx (or peer named) | ours / peer | target | result |"
  echo "|---|---:|---:|---:|---|---|"
  row "2 GiB PUT, MB/s (cold memory)" ours_put2g nginx_put2g "≥ 0.8× nginx, ≥ 100 MB/s" "r >= 0.8 && o >= 100"
  row "2 GiB GET, MB/s" ours_get2g nginx_get2g "≥ 0.8× nginx, ≥ 100 MB/s" "r >= 0.8 && o >= 100"
  row "2 GiB PUT vs disk: dd 2 GiB fdatasync, MB/s" ours_put2g dd_write "—" ""
  row "2 GiB GET vs disk: dd O_DIRECT read of 2 GiB in 1 MiB reads, MB/s" ours_get2g dd_read "—" ""
  row "2 GiB GET vs its floor: the file read from disk with O_DIRECT (as the nodes write it and read long ranges), CRC32C-checked and relayed over two loopback TCP hops in plain Java (ByteRelay), MB/s" ours_get2g relay_cold "—" ""
  row "2 GiB GET vs the same relay from the page cache, MB/s" ours_get2g relay_hot "—" ""
  row "2 GiB PUT: CPU s per GiB, whole stack (gateway $(cell ours_put2g_cpu_gw), nodes $(cell ours_put2g_cpu_nodes); kernel $(cell ours_put2g_sys))" ours_put2g_cpu nginx_put2g_cpu "—" ""
  row "2 GiB GET: CPU s per GiB, whole stack (gateway $(cell ours_get2g_cpu_gw), nodes $(cell ours_get2g_cpu_nodes); kernel $(cell ours_get2g_sys))" ours_get2g_cpu nginx_get2g_cpu "—" ""
  [ -n "${V[s3_put2g]:-}" ] && row "2 GiB PUT vs S3Proxy, MB/s" ours_put2g s3_put2g "—" ""
  [ -n "${V[s3_get2g]:-}" ] && row "2 GiB GET vs S3Proxy, MB/s" ours_get2g s3_get2g "—" ""
  [ -n "${V[warm_gets]:-}" ] && row "warm-up before the 2 GiB phase, GETs of 2 GiB (JIT compilers' share of the stack's CPU in the last four: $(cell warm_gets_jit) %)" warm_gets "" "—" ""
  [ -n "${V[warm_small_s]:-}" ] && row "warm-up before the 1 MiB phase, s of 64 KiB uploads (JIT compilers' share of the stack's CPU in its last $WARM_WINDOW s: $(cell warm_small_jit) %)" warm_small_s "" "—" ""
  [ -n "${V[warm_get1m_s]:-}" ] && row "then s of 1 MiB downloads (JIT compilers' share in the last $WARM_WINDOW s: $(cell warm_get1m_jit) %)" warm_get1m_s "" "—" ""
  row "1 MiB uploads/s, 8 conns, $B_WRK_DUR" ours_put1m_rps nginx_put1m_rps "≥ 0.5× nginx" "r >= 0.5"
  row "1 MiB uploads/s vs disk: durable 1 MiB files/s, 8 writers" ours_put1m_rps disk_small "—" ""
  row "1 MiB upload: CPU ms per upload, whole stack with PostgreSQL (gateway $(cell ours_put1m_cpu_gw), nodes $(cell ours_put1m_cpu_nodes), PostgreSQL $(cell ours_put1m_cpu_pg); the gateway's collections in the run: young $(cell ours_put1m_ygc), full $(cell ours_put1m_fgc))" ours_put1m_cpu nginx_put1m_cpu "—" ""
  row "machine: one handoff between two threads (park, unpark, both sides' context switch), CPU µs (Handoff.java; each round in handoff.log)" handoff_us "" "—" ""
  row "1 MiB upload p50, ms" ours_put1m_p50 nginx_put1m_p50 "—" ""
  row "1 MiB upload p99, ms" ours_put1m_p99 nginx_put1m_p99 "—" ""
  row "1 MiB upload, median ms: begin → sealed (received, fsynced, recorded)" ours_put1m_store "" "—" ""
  row "1 MiB upload, median ms: sealed → completed (outbox → Kafka → placement)" ours_put1m_final "" "—" ""
  row "1 MiB upload errors (non-2xx, socket)" ours_put1m_err nginx_put1m_err "0" "x == 0"
  row "1 MiB downloads/s, 8 conns, $B_WRK_DUR" ours_get1m_rps nginx_get1m_rps "≥ 0.5× nginx" "r >= 0.5"
  row "1 MiB downloads/s vs the floor: the relay from the page cache, MiB/s (no per-request work at all)" ours_get1m_rps relay_hot_mib "—" ""
  row "1 MiB download p50, ms" ours_get1m_p50 nginx_get1m_p50 "—" ""
  row "1 MiB download p99, ms" ours_get1m_p99 nginx_get1m_p99 "—" ""
  [ -n "${V[s3_put1m_rps]:-}" ] && row "1 MiB uploads/s vs S3Proxy" ours_put1m_rps s3_put1m_rps "—" ""
  [ -n "${V[s3_get1m_rps]:-}" ] && row "1 MiB downloads/s vs S3Proxy" ours_get1m_rps s3_get1m_rps "—" ""
  row "metadata GET p50, ms, 100 conns (nginx: same JSON, static)" ours_meta_p50 nginx_meta_p50 "—" ""
  row "metadata GET p99, ms, 100 conns (the gateway's collections in the run: young $(cell ours_meta_ygc), full $(cell ours_meta_fgc))" ours_meta_p99 nginx_meta_p99 "< 10 ms (brief: < 50)" "o < 10"
  row "metadata GET req/s, 100 conns" ours_meta_rps nginx_meta_rps "—" ""
  row "list (20 of $FILES_LISTED files) p50, ms, 100 conns" ours_list_p50 nginx_list_p50 "—" ""
  row "list p99, ms, 100 conns (the gateway's collections in the run: young $(cell ours_list_ygc), full $(cell ours_list_fgc))" ours_list_p99 nginx_list_p99 "< 20 ms (brief: < 100)" "o < 20"
  row "list req/s, 100 conns" ours_list_rps nginx_list_rps "—" ""
  row "metadata + list errors (non-2xx, socket)" ours_meta_err nginx_meta_err "0" "x == 0"
  row "50 × 20 MiB concurrent uploads, total MB/s" ours_c50_mbps nginx_c50_mbps "—" ""
  row "50 × 20 MiB: errors (202 = completed late: $(cell ours_c50_202))" ours_c50_err nginx_c50_err "0" "x == 0"
  [ -n "${V[s3_c50_mbps]:-}" ] && row "50 × 20 MiB vs S3Proxy, MB/s" ours_c50_mbps s3_c50_mbps "—" ""
  row "gateway peak RSS, MiB, $RSS_GIB GiB PUT + GET ($GW_XMX)" ours_rss "" "< 512 MiB" "o < 512"
  row "gateway peak heap used, MiB (jstat, 0.5 s)" ours_heap "" "—" ""
  row "$RSS_GIB GiB PUT, MB/s (cold memory, streamed from a pipe)" ours_puthuge "" "≥ 100 MB/s" "o >= 100"
  row "$RSS_GIB GiB GET, MB/s" ours_gethuge "" "≥ 100 MB/s" "o >= 100"
)

OUT=bench/results/$NAME-$START_UTC.md
{
  echo "# kos gateway beside nginx, the disk and S3Proxy, $START_UTC"
  echo
  echo "Command: \`$COMMAND\` (commit $(git rev-parse --short HEAD); $(git status --porcelain | wc -l) uncommitted paths in the work tree)"
  echo
  echo "Machine: $(nproc) cores ($(lscpu | awk -F': *' '/Model name/ { print $2; exit }')), $(free -m | awk '/Mem:/ { printf "%.1f GiB", $2 / 1024 }') RAM;"
  echo "disk $(df -T "$W" | awk 'NR == 2 { print $2 " on " $1 }') ($(df -h --output=avail "$W" | tail -1 | tr -d ' ') free); kernel $(uname -r);"
  echo "$("$JAVA_HOME/bin/java" -version 2>&1 | head -1); $(nginx -v 2>&1); $(curl --version | head -1 | cut -d' ' -f1-2); $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)."
  echo "Load average (1/5/15 min): $LOAD_START at start, $LOAD_END at end."
  echo
  echo "Stack: 6 storage nodes, placement, cleanup and gateway as separate JVMs, embedded PostgreSQL and"
  echo "Kafka, all on this machine and these cores, loopback. nginx: WebDAV PUT/GET, sendfile, no fsync,"
  echo "no hashing (config from /work/shared/bench/limits.sh). Cold = after sync and $B_SETTLE s idle."
  echo
  echo "$TABLE"
  echo
  echo "Phases (UTC time, 1-minute load average when each began):"
  echo; echo '```'; sed 's/^bench //' "$W/phases.log"; echo '```'; echo
  [ -f "$W/profile.md" ] && cat "$W/profile.md"
} > "$OUT"
echo "$TABLE"
log "wrote $OUT"
rm -f "$W/profile.md"
