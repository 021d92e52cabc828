#!/usr/bin/env bash
# bench/http-floor.sh - how much of nginx's 1 MiB download rate the gateway's frameworks alone leave.
# In alternated wrk runs (-t2 -c8, the full run's 1 MiB download settings) it GETs 1 MiB from:
#   nginx      nginx's sendfile of a cached 1 MiB file (limits.sh's configuration, as bench/run.sh);
#   http-send  HttpFloor: Helidon SE built as the gateway builds it, the same 1 MiB held in memory,
#              answered with send(byte[]): no gRPC, no node, no metadata, no checksum, one hop;
#   http-stream the same through the response's output stream, as the gateway writes a download;
#   relay      the same after asking a second HttpFloor process for the bytes over gRPC (two hops,
#              the frameworks only: grpc-java with stock settings, the 1 MiB from memory);
#   stack      with GW and FILE_ID set: a running stack's GET of that file (two hops, everything).
# Prints one line per run: GETs/s, p50 and p99 ms, and CPU ms per GET of the server's processes
# (nginx: master and workers; HttpFloor: its JVM; stack: the launcher and every process under it,
# PostgreSQL aside) and of wrk itself (/usr/bin/time), then the medians per target; all of it also
# goes to bench/results/http-floor-<UTC time>.md with the commit and the command.
# Usage: bench/http-floor.sh [ROUNDS] [SECONDS]   (defaults 4, 15)
# Env: GW, FILE_ID (the stack's 1 MiB file), KOS_HOME (the stack's --home, for its CPU; default
# .kos), NGINX_PORT (18780), FLOOR_PORT (18781), WARM (20: seconds of unrecorded GETs per target
# first), SKIP_BUILD=1.
set -euo pipefail
cd "$(dirname "$0")/.."
. bin/java-env.sh
ROUNDS="${1:-4}"
SECS="${2:-15}"
WARM="${WARM:-20}"
W="$PWD/bench/work/http-floor"
mkdir -p "$W"
HZ=$(getconf CLK_TCK)
NGINX_PORT="${NGINX_PORT:-18780}"
FLOOR_PORT="${FLOOR_PORT:-18781}"
GRPC_PORT="${GRPC_PORT:-18782}"

. bench/standalone-node.sh   # bench_classpath, and its EXIT trap for nodes (none started here)
bench_classpath bench/work/http-floor   # relative: it builds the path from $PWD

STARTED=()
stop_all() {
  local p
  for p in "${STARTED[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  nginx_stop 2>/dev/null || true
}
trap stop_all EXIT

# limits.sh as a library: with SECTIONS set to a blank it defines nginx_start/nginx_stop only.
WORK=$W/limits PORT=$NGINX_PORT SETTLE=0 REPS=1 SECTIONS=" "
. /work/shared/bench/limits.sh
set +u
trap stop_all EXIT   # limits.sh sets its own trap; ours stops what this script started
nginx_start || { echo "nginx did not start: see $W/limits/nginx/logs/error.log" >&2; exit 1; }
head -c $((1 << 20)) /dev/urandom > "$W/limits/nginx/data/get-1m.bin"
cat "$W/limits/nginx/data/get-1m.bin" > /dev/null

# start_floor LOG JVM_FLAG... -- ARG...: one HttpFloor process, its pid added to STARTED; returns once it serves
start_floor() {
  local log=$1; shift
  local jvm=()
  while [ "$1" != -- ]; do jvm+=("$1"); shift; done
  shift
  java --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC "${jvm[@]}" -cp "$CP" dev.kos.bench.HttpFloor "$@" > "$log" 2>&1 &
  STARTED+=($!)
  for _ in $(seq 100); do
    grep -q "HttpFloor.* on" "$log" && return 0
    kill -0 "$!" 2>/dev/null || break
    sleep 0.1 # polling the log inside a bounded loop
  done
  cat "$log" >&2
  exit 1
}
# the gRPC side with a node's heap, the HTTP side with the gateway's
start_floor "$W/grpc.log" -Xmx256m -- grpc "$GRPC_PORT"
GRPC_PID=${STARTED[0]}
start_floor "$W/floor.log" -Xmx288m -Xmn64m -- http "$FLOOR_PORT" "$GRPC_PORT"
FLOOR_PID=${STARTED[1]}

descendants() { local p; for p in $(pgrep -P "$1"); do echo "$p"; descendants "$p"; done; }
ticks() { local p t=0; for p in "$@"; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo "$t"; }

TARGETS=(nginx http-send http-stream relay)
declare -A URL PIDS
URL[nginx]="http://127.0.0.1:$NGINX_PORT/get-1m.bin"
URL[http-send]="http://127.0.0.1:$FLOOR_PORT/bytes"
URL[http-stream]="http://127.0.0.1:$FLOOR_PORT/stream"
URL[relay]="http://127.0.0.1:$FLOOR_PORT/relay"
nginx_master=$(cat "$W/limits/nginx/nginx.pid")
PIDS[nginx]="$nginx_master $(pgrep -P "$nginx_master" | tr '\n' ' ')"
PIDS[http-send]=$FLOOR_PID
PIDS[http-stream]=$FLOOR_PID
PIDS[relay]="$FLOOR_PID $GRPC_PID"
if [ -n "${GW:-}" ] && [ -n "${FILE_ID:-}" ]; then
  home=$(realpath "${KOS_HOME:-.kos}")
  launcher=$(pgrep -f "dev.kos.infra.LocalStack.*--home=$home" | head -1 || true)
  [ -n "$launcher" ] || { echo "no stack runs with --home=$home" >&2; exit 1; }
  TARGETS+=(stack)
  URL[stack]="$GW/files/$FILE_ID"
  PIDS[stack]="$launcher $(descendants "$launcher" | tr '\n' ' ')"
fi
for t in "${TARGETS[@]}"; do
  code=$(curl -sS -o "$W/check.bin" -w '%{http_code}' "${URL[$t]}")
  size=$(stat -c %s "$W/check.bin")
  [ "$code" = 200 ] && [ "$size" = $((1 << 20)) ] || { echo "$t: ${URL[$t]} answered $code with $size bytes" >&2; exit 1; }
  wrk -t2 -c8 -d"${WARM}s" "${URL[$t]}" > /dev/null
done

declare -A RPS CPU WRKCPU P99
run() {   # run TARGET ROUND
  local t=$1 out="$W/wrk-$1-$2.txt" c0 c1 n
  # shellcheck disable=SC2086
  c0=$(ticks ${PIDS[$t]})
  /usr/bin/time -f '%U %S' -o "$W/time.txt" wrk -t2 -c8 -d"${SECS}s" --latency "${URL[$t]}" > "$out" 2>&1
  # shellcheck disable=SC2086
  c1=$(ticks ${PIDS[$t]})
  n=$(awk '/requests in/ { print $1 }' "$out")
  local rps p50 p99 cpu wcpu
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
  p50=$(awk '$1 == "50%" { print $2 }' "$out"); p99=$(awk '$1 == "99%" { print $2 }' "$out")
  cpu=$(awk -v d=$((c1 - c0)) -v n="$n" -v hz="$HZ" 'BEGIN { printf "%.3f", d * 1000 / hz / n }')
  wcpu=$(awk -v n="$n" '{ printf "%.3f", ($1 + $2) * 1000 / n }' "$W/time.txt")
  if grep -q "Non-2xx\|Socket errors" "$out"; then echo "$t: errors in $out" >&2; exit 1; fi
  printf '%-12s round %d: %8.1f GETs/s  p50 %-8s p99 %-8s server %s CPU-ms/GET  wrk %s\n' "$t" "$2" "$rps" "$p50" "$p99" "$cpu" "$wcpu"
  RPS[$t]+="$rps "; CPU[$t]+="$cpu "; WRKCPU[$t]+="$wcpu "; P99[$t]+="$p99 "
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

OUT="bench/results/http-floor-$(date -u +%Y%m%dT%H%MZ).md"
{
echo "# bench/http-floor.sh at $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . || echo ' (with uncommitted changes)'), $(date -u +%FT%TZ)"
echo
echo "Command: \`${GW:+GW=$GW FILE_ID=$FILE_ID KOS_HOME=${KOS_HOME:-.kos} }WARM=$WARM bench/http-floor.sh $ROUNDS $SECS\`; $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(java -version 2>&1 | head -1)"
echo
echo '```'
for r in $(seq "$ROUNDS"); do
  # alternate the order every round, so no target always follows the same one
  if [ $((r % 2)) = 1 ]; then order=("${TARGETS[@]}"); else order=(); for ((i = ${#TARGETS[@]} - 1; i >= 0; i--)); do order+=("${TARGETS[$i]}"); done; fi
  for t in "${order[@]}"; do run "$t" "$r"; done
done

echo '```'
echo
echo "| target | GETs/s (median of $ROUNDS × ${SECS}s) | / nginx | server CPU-ms per GET | wrk CPU-ms per GET |"
echo "|---|---|---|---|---|"
ng=$(median <<<"${RPS[nginx]}")
for t in "${TARGETS[@]}"; do
  m=$(median <<<"${RPS[$t]}")
  printf '| %s | %s | %.2f | %s | %s |\n' "$t" "$m" "$(awk -v a="$m" -v b="$ng" 'BEGIN { print a / b }')" \
    "$(median <<<"${CPU[$t]}")" "$(median <<<"${WRKCPU[$t]}")"
done
echo
echo "nginx: sendfile of a cached 1 MiB file; http-send: the gateway's HTTP server (Helidon, built by its Main.server)"
echo "answering from memory with send(byte[]); http-stream: the same through the response's output stream, 16 KiB"
echo "first, as a download is written; relay: the same after one gRPC call (grpc-java, stock settings) to a second"
echo "process holding the 1 MiB in memory; stack: a bin/start stack's GET of a 1 MiB file. Server CPU: the processes"
echo "named (the stack: the launcher and every process under it). bench/src/main/java/dev/kos/bench/HttpFloor.java."
} 2>&1 | tee "$OUT"
