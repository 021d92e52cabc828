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
  await_log "$log" "serving on port" "$NODE_PID" 30
}

# await_log LOG PATTERN PID SECONDS: returns once LOG matches PATTERN; fails, showing the log, if
# PID ends or SECONDS pass first.
await_log() {
  local log=$1 pattern=$2 pid=$3 i
  for ((i = 0; i < $4 * 10; i++)); do
    grep -q "$pattern" "$log" && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1 # polling the log inside a bounded loop
  done
  cat "$log" >&2
  return 1
}
