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

. bench/standalone-node.sh
bench_classpath "$WORK"

start_bench_node read-a "$PORT" "$WORK/a" "$WORK/a.log" ""
A=$NODE_PID
start_bench_node read-b "$((PORT + 1))" "$WORK/b" "$WORK/b.log" "${NODE_CLASSES_B:-}"
B=$NODE_PID
echo "a: this build; b: ${NODE_CLASSES_B:-this build too (a control)}"
java --enable-native-access=ALL-UNNAMED -Xmx512m -XX:+UseSerialGC -cp "$CP" dev.kos.bench.NodeReadBench \
  --bench-nodes="127.0.0.1:$PORT,127.0.0.1:$((PORT + 1))" --bench-node-pids="$A,$B" \
  --bench-rounds="$ROUNDS" --bench-seconds="$SECS" --bench-clients="${CLIENTS:-8}" \
  --bench-chunk-kib="${CHUNK_KIB:-1024}" 2>>"$WORK/reader.log"
