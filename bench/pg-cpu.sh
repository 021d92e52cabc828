#!/usr/bin/env bash
# Which PostgreSQL sessions of a running local stack spend its CPU while 1 MiB uploads run: one
# line per backend, with its CPU ms per upload, the service that holds the session, the session's
# application_name (kos-<pool> or kos-<pool>-<role>), and its last statement (a pool connection
# shows whatever it ran last).
#   bench/pg-cpu.sh [SECONDS] [CONNS]
# The upload load and the per-service split come from bench/stack-cpu.sh (same KOS_HOME and GW).
# Only for the embedded PostgreSQL of bin/start; needs psql and ss.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS="${1:-20}"
CONNS="${2:-8}"
HOME_DIR="$(realpath "${KOS_HOME:-.kos}")"
postmaster=$(pgrep -f "bin/postgres -D $HOME_DIR/postgres" | head -1 || true)
[ -n "$postmaster" ] || { echo "no embedded PostgreSQL under $HOME_DIR (bin/start --home=$HOME_DIR)" >&2; exit 1; }
port=$(tr '\0' ' ' < "/proc/$postmaster/cmdline" | grep -oE ' -p [0-9]+' | awk '{ print $2 }')
HZ=$(getconf CLK_TCK)
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# The postmaster's own CPU and its reaped children's: what ended during the run (autovacuum
# workers, closed sessions) is found here, not among the sessions listed below.
own_and_reaped() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$postmaster/stat"; }

declare -A before
for p in $(pgrep -P "$postmaster"); do before[$p]=$(ticks "$p"); done
reaped0=$(own_and_reaped)
out=$(KOS_HOME="$HOME_DIR" bench/stack-cpu.sh upload "$SECS" "$CONNS")
reaped1=$(own_and_reaped)
echo "$out"
uploads=$(echo "$out" | grep -oE '\(([0-9]+) uploads\)' | grep -oE '[0-9]+')
sessions=$(psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -AtF'|' -c \
  "SELECT pid, coalesce(client_port, 0), coalesce(nullif(backend_type, 'client backend'), ''), application_name,
          left(regexp_replace(coalesce(query, ''), '\s+', ' ', 'g'), 70) FROM pg_stat_activity")
sockets=$(ss -tnpH)
echo "PostgreSQL CPU ms per upload, by backend ($uploads uploads):"
for p in "${!before[@]}"; do
  [ -e "/proc/$p/stat" ] || continue
  spent=$(( $(ticks "$p") - ${before[$p]} ))
  [ "$spent" -gt 0 ] || continue
  row=$(echo "$sessions" | awk -F'|' -v p="$p" '$1 == p')
  client_port=$(echo "$row" | cut -d'|' -f2)
  service=$(echo "$row" | cut -d'|' -f3)
  if [ -n "$client_port" ] && [ "$client_port" != 0 ]; then
    # The client end of the session's socket: local address 127.0.0.1:<client port> (maybe v4-mapped).
    holder=$(echo "$sockets" | awk -v a="127.0.0.1:$client_port" -v b="[::ffff:127.0.0.1]:$client_port" '$4 == a || $4 == b' \
      | grep -oE 'pid=[0-9]+' | head -1 | cut -d= -f2)
    if [ -n "$holder" ]; then
      service=$(tr '\0' ' ' < "/proc/$holder/cmdline" | grep -oE 'dev\.kos\.[a-z]+\.[A-Za-z]+' | tail -1)
    fi
  fi
  app=$(echo "$row" | cut -d'|' -f4)
  awk -v t="$spent" -v hz="$HZ" -v d="$uploads" -v p="$p" -v s="${service:-?}" -v a="${app:--}" -v q="$(echo "$row" | cut -d'|' -f5-)" \
    'BEGIN { printf "  %6.2f  pid %-7s %-26s %-28s %s\n", t * 1000 / hz / d, p, s, a, q }'
done | sort -rn
awk -v t="$((reaped1 - reaped0))" -v hz="$HZ" -v d="$uploads" \
  'BEGIN { printf "  %6.2f  the postmaster, and processes that ended during the run (autovacuum workers, closed sessions)\n", t * 1000 / hz / d }'
