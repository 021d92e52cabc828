# Sourced by the bench scripts that run storage nodes on their own, outside a stack (put-cpu.sh,
# read-cpu.sh): one way to build their class path and to start a node as the local stack does.
# Every node started here is stopped when the sourcing script exits.

BENCH_NODE_PIDS=()
trap 'for p in "${BENCH_NODE_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT

# bench_classpath WORK: builds the bench module and what it needs (unless SKIP_BUILD=1: reuse the
# last build, as a colleague's module may be mid-change) and sets CP.
bench_classpath() {
  if [ "${SKIP_BUILD:-0}" != 1 ]; then
    ./mvnw -B -q -ntp -o -pl bench -am install -DskipTests
    ./mvnw -B -q -ntp -o -pl bench dependency:build-classpath -Dmdep.outputFile="$PWD/$1/classpath.txt" >/dev/null
  fi
  CP="bench/target/classes:$(cat "$1/classpath.txt")"
}

# start_bench_node NAME PORT DATA_DIR LOG CLASSES_FIRST [JVM_OPTION...] [-- NODE_SETTING...]
# Starts a standalone node (the JVM flags the local stack gives nodes) on 127.0.0.1:PORT, waits
# until it serves, and sets NODE_PID. CLASSES_FIRST, if not empty, goes before this build's class
# path (another build's storage-node/target/classes, for an A/B).
start_bench_node() {
  local name=$1 port=$2 dir=$3 log=$4 first=$5
  shift 5
  local jvm=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do jvm+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  java --enable-native-access=ALL-UNNAMED -Xmx256m -XX:+UseSerialGC "${jvm[@]}" -cp "${first:+$first:}$CP" \
    dev.kos.storagenode.Main --node-id="$name" --node-port="$port" --node-bind-address=127.0.0.1 \
    --node-data-dir="$dir" --node-reserve-bytes=0 "$@" >"$log" 2>&1 &
  NODE_PID=$!
  BENCH_NODE_PIDS+=("$NODE_PID")
  for _ in $(seq 300); do
    grep -q "serving on port" "$log" && return 0
    kill -0 "$NODE_PID" 2>/dev/null || break
    sleep 0.1 # polling the log inside a bounded loop
  done
  cat "$log" >&2
  return 1
}
