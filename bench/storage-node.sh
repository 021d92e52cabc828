#!/usr/bin/env bash
# Storage-node throughput beside dd on the same disk, in one run. Writes the table, the
# machine facts and this command to bench/results/storage-node-<UTC date>.md.
# Usage: bench/storage-node.sh [repeats]   (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
. bin/java-env.sh
REPEATS="${1:-3}"
WORK="bench/work"            # gitignored; same file system as the node's data dir below
mkdir -p "$WORK" bench/results
rm -rf "$WORK/node"

./mvnw -B -q -ntp -pl bench -am install -DskipTests
./mvnw -B -q -ntp -pl bench dependency:build-classpath -Dmdep.outputFile="$PWD/$WORK/classpath.txt" >/dev/null

mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f", b / s / 1e6 }'; }
median() { tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
can_drop=false; [ -w /proc/sys/vm/drop_caches ] && can_drop=true

writes=(); reads=()
for i in $(seq "$REPEATS"); do
  out=$(dd if=/dev/zero of="$WORK/dd.tmp" bs=1M count=1024 conv=fdatasync 2>&1 | tail -1)
  writes+=("$(mbps "$(awk '{print $1}' <<<"$out")" "$(awk -F', ' '{print $3}' <<<"$out" | awk '{print $1}')")")
  if $can_drop; then
    sync; echo 3 > /proc/sys/vm/drop_caches
    out=$(dd if="$WORK/dd.tmp" of=/dev/null bs=1M 2>&1 | tail -1)
    reads+=("$(mbps "$(awk '{print $1}' <<<"$out")" "$(awk -F', ' '{print $3}' <<<"$out" | awk '{print $1}')")")
  fi
  rm -f "$WORK/dd.tmp"
done
DD_WRITE=$(echo "${writes[@]}" | median)
DD_READ=0; [ ${#reads[@]} -gt 0 ] && DD_READ=$(echo "${reads[@]}" | median)

TABLE=$(java --enable-native-access=ALL-UNNAMED -Xmx2g -cp "bench/target/classes:$(cat "$WORK/classpath.txt")" \
  dev.kos.bench.StorageNodeBench --bench-data-dir="$WORK/node" --bench-repeats="$REPEATS" \
  --bench-dd-write-mbps="$DD_WRITE" --bench-dd-read-mbps="$DD_READ" 2>"$WORK/bench.log")
rm -rf "$WORK/node"

DATE=$(date -u +%Y-%m-%d)
OUT="bench/results/storage-node-$DATE.md"
{
  echo "# Storage node throughput, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Command: \`bench/storage-node.sh $REPEATS\` (commit $(git rev-parse --short HEAD))"
  echo
  echo "Machine: $(nproc) cores ($(lscpu | awk -F': *' '/Model name/ {print $2; exit}')), $(free -g | awk '/Mem:/ {print $2}') GiB RAM,"
  echo "kernel $(uname -r), file system $(df -T "$WORK" | awk 'NR==2 {print $2 " on " $1}'), $(java -version 2>&1 | head -1)."
  echo
  echo "dd runs (MB/s): write ${writes[*]}; cold read ${reads[*]:-n/a}. Node and client share the JVM and"
  echo "the cores; gRPC over loopback; 1 MiB frames; every put is fsynced (file and directory)"
  echo "before it is acknowledged. 'cold' gets drop the page cache first; others read what the put left cached."
  echo
  echo "$TABLE"
} > "$OUT"
cat "$OUT"
echo "wrote $OUT"
