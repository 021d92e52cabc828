#!/usr/bin/env bash
# CPU milliseconds per chunk read on a storage node, two builds side by side: two standalone
# nodes (the flags the local stack gives nodes), one from this build and one with NODE_CLASSES_B
# first on its class path (another build's storage-node/target/classes), each serving 8 readers
# of one 1 MiB chunk in the page cache for SECONDS, in turn, ROUNDS times (dev.kos.bench.NodeReadBench).
# Without NODE_CLASSES_B both nodes run this build: a control of the method's spread.
# Usage: bench/read-cpu.sh [rounds] [seconds]   (defaults 12, 10)
# Env: PORT (18710: the nodes take PORT and PORT+1), CLIENTS (8), CHUNK_KIB (1024), SKIP_BUILD=1.
set -euo pipefail
cd "$(dirname "$0")/.."
. bin/java-env.sh
ROUNDS="${1:-12}"
SECS="${2:-10}"
PORT="${PORT:-18710}"
WORK="bench/work/read-cpu"
mkdir -p "$WORK"
rm -rf "$WORK/a" "$WORK/b"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  ./mvnw -B -q -ntp -o -pl bench -am install -DskipTests
  ./mvnw -B -q -ntp -o -pl bench dependency:build-classpath -Dmdep.outputFile="$PWD/$WORK/classpath.txt" >/dev/null
fi
CP="bench/target/classes:$(cat "$WORK/classpath.txt")"

pids=()
trap 'for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT
start_node() { # name port extra-classes
  java --enable-native-access=ALL-UNNAMED -Xmx256m -XX:+UseSerialGC -cp "${3:+$3:}$CP" \
    dev.kos.storagenode.Main --node-id="read-$1" --node-port="$2" --node-bind-address=127.0.0.1 \
    --node-data-dir="$WORK/$1" --node-reserve-bytes=0 >"$WORK/$1.log" 2>&1 &
  pids+=($!)
}
start_node a "$PORT" ""
start_node b "$((PORT + 1))" "${NODE_CLASSES_B:-}"
for log in "$WORK/a.log" "$WORK/b.log"; do
  for _ in $(seq 300); do
    grep -q "serving on port" "$log" && break
    sleep 0.1 # polling the log inside a bounded loop
  done
  grep -q "serving on port" "$log" || { cat "$log"; exit 1; }
done
echo "a: this build; b: ${NODE_CLASSES_B:-this build too (a control)}"
java --enable-native-access=ALL-UNNAMED -Xmx512m -XX:+UseSerialGC -cp "$CP" dev.kos.bench.NodeReadBench \
  --bench-nodes="127.0.0.1:$PORT,127.0.0.1:$((PORT + 1))" --bench-node-pids="${pids[0]},${pids[1]}" \
  --bench-rounds="$ROUNDS" --bench-seconds="$SECS" --bench-clients="${CLIENTS:-8}" \
  --bench-chunk-kib="${CHUNK_KIB:-1024}" 2>>"$WORK/reader.log"
