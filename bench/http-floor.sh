#!/usr/bin/env bash
# bench/http-floor.sh - how much of nginx's 1 MiB download (or upload) rate the frameworks alone
# leave, with nothing of ours in the way. In alternated wrk runs (-t2 -c8, the full run's 1 MiB
# settings) it sends the same 1 MiB to or from:
#   nginx       nginx (limits.sh's configuration, as bench/run.sh): sendfile of a cached file, or a
#               WebDAV PUT of a new file (no fsync);
#   http-send   downloads: HttpFloor, Helidon SE built as the gateway builds it, answering from
#               memory with send(byte[]); one hop, no gRPC, no node, no metadata, no checksum;
#   http-stream downloads: the same through the response's output stream, as a download is written;
#   relay       downloads: the same after one stock grpc-java call to a second HttpFloor process
#               holding the 1 MiB in memory: both hops of a download, the frameworks only;
#   http-sink   uploads: HttpFloor reads the body and drops it (the receive alone);
#   relay-put   uploads: HttpFloor reads the body and sends it in one stock grpc-java call to the
#               second process, which drops it: both hops of an upload's bytes, no hash, no disk;
#   stack       with GW set: a running bin/start stack, a GET of a 1 MiB file this script uploads
#               first, or POSTs of new 1 MiB files (everything: hashes, fsyncs, metadata, events).
# Prints one line per run: requests/s, p50 and p99, and CPU ms per request of the server's
# processes (nginx: master and workers; HttpFloor: its JVMs; stack: the launcher and every process
# under it, and PostgreSQL with its sessions) and of wrk itself (/usr/bin/time), then the medians
# per target; all of it also goes to bench/results/http-floor-<UTC time>.md with the command.
# Usage: [MODE=download|upload] bench/http-floor.sh [ROUNDS] [SECONDS]   (download, 4, 15)
# Env: GW (the stack's gateway URL), KOS_HOME (the stack's --home; default .kos), NGINX_PORT
# (18780), FLOOR_PORT (18781), GRPC_PORT (18782), WARM (20: seconds of unrecorded runs per target
# first), SKIP_BUILD=1, SHARED_BENCH (where limits.sh is, as for bench/run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. bin/java-env.sh
ROUNDS="${1:-4}"
SECS="${2:-15}"
WARM="${WARM:-20}"
MODE="${MODE:-download}"
case "$MODE" in download | upload) ;; *) echo "MODE is download or upload" >&2; exit 2 ;; esac
W="$PWD/bench/work/http-floor"
mkdir -p "$W"
HZ=$(getconf CLK_TCK)
NGINX_PORT="${NGINX_PORT:-18780}"
FLOOR_PORT="${FLOOR_PORT:-18781}"
GRPC_PORT="${GRPC_PORT:-18782}"

. bench/standalone-node.sh   # bench_classpath, await_log, and an EXIT trap for nodes (none started here)
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
. "${SHARED_BENCH:-/work/shared/bench}/limits.sh"   # as bench/run.sh finds it
set +u
trap stop_all EXIT   # limits.sh sets its own trap; ours stops what this script started
BODY="$W/body-1m.bin"   # what every side serves or receives
head -c $((1 << 20)) /dev/urandom > "$BODY"
nginx_start || { echo "nginx did not start: see $W/limits/nginx/logs/error.log" >&2; exit 1; }

# start_floor LOG JVM_FLAG... -- ARG...: one HttpFloor process, its pid added to STARTED; returns once it serves
start_floor() {
  local log=$1; shift
  local jvm=()
  while [ "$1" != -- ]; do jvm+=("$1"); shift; done
  shift
  java --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC "${jvm[@]}" -cp "$CP" dev.kos.bench.HttpFloor "$@" > "$log" 2>&1 &
  STARTED+=($!)
  await_log "$log" "HttpFloor.* on" "$!" 10 || exit 1
}
# the gRPC side with a node's heap, the HTTP side with the gateway's
start_floor "$W/grpc.log" -Xmx256m -- grpc "$GRPC_PORT" "$BODY"
GRPC_PID=${STARTED[0]}
start_floor "$W/floor.log" -Xmx288m -Xmn64m -- http "$FLOOR_PORT" "$GRPC_PORT" "$BODY"
FLOOR_PID=${STARTED[1]}

descendants() { local p; for p in $(pgrep -P "$1"); do echo "$p"; descendants "$p"; done; }
ticks() { local p t=0; for p in "$@"; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo "$t"; }
# The stack's ticks: the launcher and its tree, PostgreSQL's sessions, and the postmaster with the
# children it reaped (a session that ends between two samples moves into the postmaster's count).
stack_ticks() {
  local t; t=$(ticks "$launcher" $(descendants "$launcher"))
  [ -n "$pg" ] && t=$((t + $(ticks $(pgrep -P "$pg")) + $(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pg/stat")))
  echo "$t"
}

F="http://127.0.0.1:$FLOOR_PORT"
NG="http://127.0.0.1:$NGINX_PORT"
declare -A ARGS PIDS
nginx_master=$(cat "$W/limits/nginx/nginx.pid")
PIDS[nginx]="$nginx_master $(pgrep -P "$nginx_master" | tr '\n' ' ')"
# ARGS: what follows wrk's own flags; for uploads the round's tag is appended (a new name per upload)
if [ "$MODE" = download ]; then
  UNIT=GET
  TARGETS=(nginx http-send http-stream relay)
  cp "$BODY" "$W/limits/nginx/data/get-1m.bin"
  ARGS[nginx]="$NG/get-1m.bin"
  ARGS[http-send]="$F/bytes"; PIDS[http-send]=$FLOOR_PID
  ARGS[http-stream]="$F/stream"; PIDS[http-stream]=$FLOOR_PID
  ARGS[relay]="$F/relay"; PIDS[relay]="$FLOOR_PID $GRPC_PID"
else
  UNIT=upload
  TARGETS=(nginx http-sink relay-put)
  ARGS[nginx]="-s bench/upload.lua $NG -- $BODY PUT /obj/"
  ARGS[http-sink]="-s bench/upload.lua $F -- $BODY POST /sink?name="; PIDS[http-sink]=$FLOOR_PID
  ARGS[relay-put]="-s bench/upload.lua $F -- $BODY POST /put?name="; PIDS[relay-put]="$FLOOR_PID $GRPC_PID"
fi
if [ -n "${GW:-}" ]; then
  home=$(realpath "${KOS_HOME:-.kos}")
  launcher=$(pgrep -f "dev.kos.infra.LocalStack.*--home=$home" | head -1 || true)
  [ -n "$launcher" ] || { echo "no stack runs with --home=$home" >&2; exit 1; }
  pg=$(pgrep -f "bin/postgres -D $home/postgres" | head -1 || true)
  TARGETS+=(stack)
  if [ "$MODE" = download ]; then
    FILE_ID=$(curl -sS -X POST -H 'Content-Type: application/octet-stream' --data-binary "@$BODY" "$GW/files?name=http-floor.bin" | jq -r .id)
    ARGS[stack]="$GW/files/$FILE_ID"
  else
    ARGS[stack]="-s bench/upload.lua $GW -- $BODY POST /files?name="
  fi
fi
# wrk_cmd TARGET TAG SECONDS [FLAG...]: sets CMD to one wrk run against TARGET (for uploads TAG names the run)
wrk_cmd() {
  local t=$1 tag=$2 secs=$3; shift 3
  # shellcheck disable=SC2206
  CMD=(wrk -t2 -c8 -d"${secs}s" "$@" ${ARGS[$t]})
  [ "$MODE" = upload ] && CMD+=("$tag")
  return 0
}
# what nginx wrote is not kept: each round would leave ~5-10 GB behind
drop_nginx_uploads() { rm -rf "$W/limits/nginx/data/obj" 2>/dev/null || true; }
if [ "$MODE" = download ]; then
  for t in "${TARGETS[@]}"; do
    code=$(curl -sS -o "$W/check.bin" -w '%{http_code}' "${ARGS[$t]}")
    cmp -s "$W/check.bin" "$BODY" && [ "$code" = 200 ] || { echo "$t: ${ARGS[$t]} answered $code, not the 1 MiB body" >&2; exit 1; }
  done
fi
for t in "${TARGETS[@]}"; do wrk_cmd "$t" "warm-$t" "$WARM"; "${CMD[@]}" > /dev/null; drop_nginx_uploads; done

declare -A RPS CPU WRKCPU
run() {   # run TARGET ROUND
  local t=$1 out="$W/wrk-$1-$2.txt" c0 c1 n
  # shellcheck disable=SC2086
  if [ "$t" = stack ]; then c0=$(stack_ticks); else c0=$(ticks ${PIDS[$t]}); fi
  wrk_cmd "$t" "r$2-$t" "$SECS" --latency
  /usr/bin/time -f '%U %S' -o "$W/time.txt" "${CMD[@]}" > "$out" 2>&1
  # shellcheck disable=SC2086
  if [ "$t" = stack ]; then c1=$(stack_ticks); else c1=$(ticks ${PIDS[$t]}); fi
  drop_nginx_uploads
  n=$(awk '/requests in/ { print $1 }' "$out")
  local rps p50 p99 cpu wcpu
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
  p50=$(awk '$1 == "50%" { print $2 }' "$out"); p99=$(awk '$1 == "99%" { print $2 }' "$out")
  cpu=$(awk -v d=$((c1 - c0)) -v n="$n" -v hz="$HZ" 'BEGIN { printf "%.3f", d * 1000 / hz / n }')
  wcpu=$(awk -v n="$n" '{ printf "%.3f", ($1 + $2) * 1000 / n }' "$W/time.txt")
  if grep -q "Non-2xx\|Socket errors" "$out"; then echo "$t: errors in $out" >&2; exit 1; fi
  printf '%-12s round %d: %8.1f %ss/s  p50 %-8s p99 %-8s server %s CPU-ms/%s  wrk %s\n' "$t" "$2" "$rps" "$UNIT" "$p50" "$p99" "$cpu" "$UNIT" "$wcpu"
  RPS[$t]+="$rps "; CPU[$t]+="$cpu "; WRKCPU[$t]+="$wcpu "
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

OUT="bench/results/http-floor-$MODE-$(date -u +%Y%m%dT%H%MZ).md"
{
echo "# bench/http-floor.sh at $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . || echo ' (with uncommitted changes)'), $(date -u +%FT%TZ)"
echo
echo "Command: \`MODE=$MODE ${GW:+GW=$GW KOS_HOME=${KOS_HOME:-.kos} }WARM=$WARM bench/http-floor.sh $ROUNDS $SECS\`; $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(java -version 2>&1 | head -1)"
echo
echo '```'
for r in $(seq "$ROUNDS"); do
  # alternate the order every round, so no target always follows the same one
  if [ $((r % 2)) = 1 ]; then order=("${TARGETS[@]}"); else order=(); for ((i = ${#TARGETS[@]} - 1; i >= 0; i--)); do order+=("${TARGETS[$i]}"); done; fi
  for t in "${order[@]}"; do run "$t" "$r"; done
done

echo '```'
echo
echo "| target | ${UNIT}s/s (median of $ROUNDS × ${SECS}s) | / nginx | server CPU-ms per $UNIT | wrk CPU-ms per $UNIT |"
echo "|---|---|---|---|---|"
ng=$(median <<<"${RPS[nginx]}")
for t in "${TARGETS[@]}"; do
  m=$(median <<<"${RPS[$t]}")
  printf '| %s | %s | %.2f | %s | %s |\n' "$t" "$m" "$(awk -v a="$m" -v b="$ng" 'BEGIN { print a / b }')" \
    "$(median <<<"${CPU[$t]}")" "$(median <<<"${WRKCPU[$t]}")"
done
echo
echo "The targets and the CPU counted: the header of bench/http-floor.sh; the servers: bench/src/main/java/dev/kos/bench/HttpFloor.java."
} 2>&1 | tee "$OUT.tmp"
mv "$OUT.tmp" "$OUT"   # only a finished run leaves a result
