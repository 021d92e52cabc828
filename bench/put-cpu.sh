#!/usr/bin/env bash
# CPU seconds per GiB of the put path: one storage node as its own JVM (the flags the local
# stack gives nodes), a sender in another JVM putting 16 MiB heap chunks through storage-client
# as the gateway does. Prints one line per run: MB/s (noise on a shared machine) and CPU s/GiB
# of sender and node, user and kernel apart.
# Usage: bench/put-cpu.sh [runs] [GiB]   (defaults 3, 2)
# Env: PORT (18700), NODE_JVM_OPTS (extra node JVM flags), NODE_ARGS (extra node settings, e.g.
# --node-direct-io=false), SENDER_JVM_OPTS, NODE_CLASSES (put first on the node's class path: another
# build's storage-node/target/classes, for A/B against an older commit), READ_BACK=true (get the
# chunks back after each put and print the same figures), SKIP_BUILD=1, JFR=1 (record the node, profile settings).
set -euo pipefail
cd "$(dirname "$0")/.."
. bin/java-env.sh
RUNS="${1:-3}"
GIB="${2:-2}"
PORT="${PORT:-18700}"
WORK="bench/work/put-cpu"
mkdir -p "$WORK"
rm -rf "$WORK/node"

. bench/standalone-node.sh
bench_classpath "$WORK"

JFR_OPT=()
[ "${JFR:-0}" = 1 ] && JFR_OPT=("-XX:StartFlightRecording=settings=profile,filename=$WORK/node.jfr")
# shellcheck disable=SC2086
start_bench_node bench "$PORT" "$WORK/node" "$WORK/node.log" "${NODE_CLASSES:-}" ${NODE_JVM_OPTS:-} "${JFR_OPT[@]}" \
  -- ${NODE_ARGS:-}
NODE=$NODE_PID

for i in $(seq "$RUNS"); do
  # shellcheck disable=SC2086
  java --enable-native-access=ALL-UNNAMED -Xmx512m -XX:+UseSerialGC ${SENDER_JVM_OPTS:-} -cp "$CP" dev.kos.bench.PutCpuBench \
    --bench-node="127.0.0.1:$PORT" --bench-node-pid="$NODE" --bench-gib="$GIB" --bench-label="run $i:" \
    --bench-read-back="${READ_BACK:-false}" \
    2>>"$WORK/sender.log"
done
