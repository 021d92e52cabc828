#!/usr/bin/env bash
# Where a running local stack's CPU goes, per process kind (gateway, storage nodes, placement,
# cleanup, the launcher with its Kafka broker, PostgreSQL):
#   bench/stack-cpu.sh idle SECONDS              CPU ms per second while nothing is asked of it
#   bench/stack-cpu.sh upload SECONDS [CONNS]    CPU ms per 1 MiB upload under wrk (8 connections)
#   bench/stack-cpu.sh download SECONDS [CONNS]  CPU ms per GET of one 1 MiB file under wrk
# The stack is the one bin/start runs with --home=$KOS_HOME (default .kos); GW is its gateway URL
# (default http://127.0.0.1:8080). CPU comes from /proc/<pid>/stat (user + system), so it does
# not depend on how busy the machine is; rates printed by wrk do. PostgreSQL's row also counts the
# processes it started and reaped meanwhile (autovacuum workers, closed sessions), through the
# postmaster's cutime and cstime. Beside each CPU figure: the context switches of the kind's
# threads (voluntary and not, from /proc/<pid>/task/*/status) per unit; on this guest a handoff
# between two threads costs 4.6 (same core) to 14.5 us (across the cores) of CPU
# (bench/src/main/java/dev/kos/bench/Handoff.java).
set -euo pipefail
cd "$(dirname "$0")/.."
MODE="${1:?usage: bench/stack-cpu.sh idle|upload|download SECONDS [CONNS]}"
SECS="${2:-20}"
CONNS="${3:-8}"
HOME_DIR="$(realpath "${KOS_HOME:-.kos}")"
GW="${GW:-http://127.0.0.1:8080}"
HZ=$(getconf CLK_TCK)

launcher=$( { pgrep -f "dev.kos.infra.LocalStack.*--home=$HOME_DIR" || pgrep -f "dev.kos.infra.LocalStack" || true; } | head -1)
[ -n "$launcher" ] || { echo "no local stack running (bin/start --home=$HOME_DIR)" >&2; exit 1; }
descendants() { local p; for p in $(pgrep -P "$1"); do echo "$p"; descendants "$p"; done; }
kind() {
  local c; c=$(tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null | grep -oE ' dev\.kos\.[a-z]+\.[A-Za-z]+|postgres' | tail -1)
  echo "${c# }"
}
# A process's user + system ticks; the postmaster's also include its reaped children's, so the
# CPU of a backend or autovacuum worker that ended during the run is not lost (nor, had it been
# sampled before, subtracted). Empty for a process that is gone.
ticks() {
  if [ "$1" = "${pg:-}" ]; then awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat" 2>/dev/null || true
  else awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || true; fi
}
switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { s += $2 } END { print s + 0 }'; }
# The embedded PostgreSQL is started through pg_ctl, so it is no descendant of the launcher.
pg=$(pgrep -f "bin/postgres -D $HOME_DIR/postgres" | head -1 || true)
pids="$launcher $(descendants "$launcher") ${pg:+$pg $(pgrep -P "$pg")}"

if [ "$MODE" = download ]; then
  # The file is uploaded before the CPU is sampled, so only the GETs are counted.
  body=$(mktemp); head -c 1048576 /dev/urandom > "$body"
  id=$(curl -sf -X POST -H 'Content-Type: application/octet-stream' --data-binary @"$body" "$GW/files?name=cpu-get" | jq -r .id)
  rm -f "$body"
  for _ in $(seq 100); do
    [ "$(curl -sf "$GW/files/$id/metadata" | jq -r .status)" = completed ] && break
    sleep 0.1 # a poll interval inside a bounded loop
  done
fi
declare -A before before_cs per_kind cs_kind
for p in $pids; do before[$p]=$(ticks "$p"); before[$p]=${before[$p]:-0}; before_cs[$p]=$(switches "$p"); done
case "$MODE" in
  idle)
    sleep "$SECS"; divisor="$SECS"; unit="CPU ms per second, idle" ;;
  upload)
    body=$(mktemp); head -c 1048576 /dev/urandom > "$body"
    out=$(wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s bench/upload.lua "$GW" -- "$body" POST "/files?name=" "cpu$RANDOM")
    rm -f "$body"
    echo "$out" | grep -E "Requests/sec|Latency|Non-2xx" || true
    divisor=$(echo "$out" | awk '$2 == "requests" && $3 == "in" { print $1 }')
    unit="CPU ms per upload ($divisor uploads)" ;;
  download)
    out=$(wrk -t2 -c"$CONNS" -d"${SECS}s" --latency "$GW/files/$id")
    echo "$out" | grep -E "Requests/sec|Latency|Non-2xx" || true
    divisor=$(echo "$out" | awk '$2 == "requests" && $3 == "in" { print $1 }')
    unit="CPU ms per 1 MiB download ($divisor downloads)" ;;
  *) echo "mode must be idle, upload or download" >&2; exit 2 ;;
esac
# A PostgreSQL session that started during the run (not sampled before) counts from zero.
[ -n "$pg" ] && for p in $(pgrep -P "$pg"); do [ -n "${before[$p]:-}" ] || { before[$p]=0; before_cs[$p]=0; pids="$pids $p"; }; done
for p in $pids; do
  t=$(ticks "$p"); [ -n "$t" ] || continue # ended: a PostgreSQL child's CPU is in the postmaster's now
  k=$(kind "$p"); k=${k:-other}
  per_kind[$k]=$(( ${per_kind[$k]:-0} + t - ${before[$p]} ))
  cs_kind[$k]=$(( ${cs_kind[$k]:-0} + $(switches "$p") - ${before_cs[$p]} ))
done
echo "$unit, and context switches:"
total=0; total_cs=0
for k in "${!per_kind[@]}"; do total=$((total + per_kind[$k])); total_cs=$((total_cs + cs_kind[$k])); done
for k in "${!per_kind[@]}"; do
  awk -v t="${per_kind[$k]}" -v c="${cs_kind[$k]}" -v hz="$HZ" -v d="$divisor" -v k="$k" \
    'BEGIN { printf "  %-28s %7.1f %7.1f\n", k, t * 1000 / hz / d, c / d }'
done | sort -k2 -rn
awk -v t="$total" -v c="$total_cs" -v hz="$HZ" -v d="$divisor" 'BEGIN { printf "  %-28s %7.1f %7.1f\n", "total", t * 1000 / hz / d, c / d }'
