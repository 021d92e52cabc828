#!/usr/bin/env bash
# Runs infra/compose/compose.yaml as it is, with podman, and checks the deployment through it:
# every service comes up from the kos image, an upload of several chunks completes (201) and
# downloads byte for byte, every storage node gets chunks (small uploads follow until each
# has), Prometheus (monitoring.yaml) scrapes every kos process, the gateway runs with
# helidon-patch in force, and after `down` and `up` (volumes kept) the file still downloads.
#
# No registry but the package archives is reachable here, so the images the compose file
# names from Docker Hub are built locally and passed in through KOS_*_IMAGE: the JRE base from
# Debian's packages (mmdebstrap), PostgreSQL from Debian's packages and Kafka from its Maven
# Central jars, each configured the way the image it stands in for is (stand-ins/). The kos
# image is infra/docker/Dockerfile on that base. Installs podman, podman-compose, runc and
# mmdebstrap with apt-get when missing (needs root).
#
# Usage: infra/docker/compose-test.sh          (about 3 minutes; leaves no container behind)
# `bin/test -Pcontainers` runs it as a test (ComposeDeploymentTest), and CI does.
# KOS_COMPOSE_TEST_KEEP=1 keeps the stack running for a look; stop it with
#   podman-compose -p kos-compose-test -f infra/compose/compose.yaml -f infra/compose/monitoring.yaml down -v
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
. bin/java-env.sh

project=kos-compose-test
work=$root/infra/target/compose-test
mkdir -p "$work"
log() { printf '%s compose-test: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

# --- tools ---------------------------------------------------------------------------------
missing=()
for tool in podman podman-compose runc mmdebstrap; do
  command -v "$tool" > /dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]} (apt-get)"
  apt-get update -qq > /dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" uidmap > "$work/apt.log" 2>&1 \
    || { cat "$work/apt.log" >&2; fail "apt-get install ${missing[*]}"; }
fi

# Containers get this shell's own limits (a sandbox may forbid raising them), runc (crun
# cannot run on a host with cgroups v1 and v2 mounted side by side) and plain cgroupfs.
cat > "$work/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$(ulimit -n):$(ulimit -Hn)", "nproc=4096:4096"]
log_driver = "k8s-file"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
export CONTAINERS_CONF=$work/containers.conf

# --- images --------------------------------------------------------------------------------
base=localhost/kos-compose-test-base:trixie-jre21-pg17-prometheus
if ! podman image exists "$base"; then
  log "building the base image (Debian trixie, OpenJDK 21 JRE, PostgreSQL 17, Prometheus) with mmdebstrap"
  mmdebstrap --variant=minbase --include=openjdk-21-jre-headless,postgresql-17,prometheus trixie "$work/base.tar" \
    > "$work/mmdebstrap.log" 2>&1 || { tail -n 20 "$work/mmdebstrap.log" >&2; fail "mmdebstrap"; }
  podman import -q "$work/base.tar" "$base" > /dev/null
  rm -f "$work/base.tar"
fi

if [ -n "${KOS_COMPOSE_TEST_KAFKA_LIBS:-}" ]; then
  # Run from the build (ComposeDeploymentTest): the distribution is packaged and the broker's
  # jars are on the test's class path; building again here would rewrite jars in use.
  [ -d distribution/target/kos/lib ] || fail "KOS_COMPOSE_TEST_KAFKA_LIBS is set but distribution/target/kos is missing"
  rm -rf "$work/kafka/libs" && mkdir -p "$work/kafka/libs"
  tr ':' '\n' <<< "$KOS_COMPOSE_TEST_KAFKA_LIBS" | grep '\.jar$' | grep -v -e embedded-postgres -e rocksdbjni \
    | xargs -r cp -t "$work/kafka/libs"
else
  log "packaging the distribution"
  ./mvnw -B -q -ntp -DskipTests -pl distribution,embedded-kafka -am install
  rm -rf "$work/kafka/libs"
  ./mvnw -B -q -ntp -DincludeScope=runtime -DoutputDirectory="$work/kafka/libs" -pl embedded-kafka \
    dependency:copy-dependencies
fi
log "building the kos image and the stand-ins"
podman build -q -f infra/docker/Dockerfile --build-arg BASE_IMAGE="$base" -t localhost/kos:compose-test . > /dev/null
cp infra/docker/stand-ins/kafka-entrypoint.sh infra/docker/stand-ins/kafka.Dockerfile "$work/kafka/"
podman build -q -f "$work/kafka/kafka.Dockerfile" --build-arg BASE_IMAGE="$base" -t localhost/kos-kafka-standin:compose-test \
  "$work/kafka" > /dev/null
podman build -q -f infra/docker/stand-ins/postgres.Dockerfile --build-arg BASE_IMAGE="$base" \
  -t localhost/kos-postgres-standin:compose-test infra/docker/stand-ins > /dev/null
podman build -q -f infra/docker/stand-ins/prometheus.Dockerfile --build-arg BASE_IMAGE="$base" \
  -t localhost/kos-prometheus-standin:compose-test infra/docker/stand-ins > /dev/null

# --- the stack -----------------------------------------------------------------------------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
prometheus_port=$(free_port)
export KOS_IMAGE=localhost/kos:compose-test
export KOS_POSTGRES_IMAGE=localhost/kos-postgres-standin:compose-test
export KOS_KAFKA_IMAGE=localhost/kos-kafka-standin:compose-test
export KOS_PROMETHEUS_IMAGE=localhost/kos-prometheus-standin:compose-test
export KOS_GATEWAY_PORT=$port
export KOS_PROMETHEUS_PORT=$prometheus_port
compose() { podman-compose -p "$project" -f infra/compose/compose.yaml -f infra/compose/monitoring.yaml "$@"; }
down() {
  compose down -v > "$work/down.log" 2>&1 || true
}
dump_logs() {
  for c in $(podman ps -a --filter "label=io.podman.compose.project=$project" --format '{{.Names}}'); do
    podman logs "$c" > "$work/$c.log" 2>&1 || true
  done
  log "container logs in $work/"
}
cleanup() {
  dump_logs
  if [ "${KOS_COMPOSE_TEST_KEEP:-0}" != 1 ]; then down; fi
  # Each run's rebuilt images leave their predecessors untagged; drop those (and only those).
  podman image prune -f > /dev/null 2>&1 || true
}
down
trap cleanup EXIT
gw=http://127.0.0.1:$port

up() {
  log "compose up (gateway on $gw)"
  compose up -d > "$work/up.log" 2>&1 || { cat "$work/up.log" >&2; fail "compose up"; }
  # Ready: the gateway answers /ready with 200 (PostgreSQL, Kafka and the storage nodes it
  # needs), and all three nodes are in the ring, so an upload's chunks can spread over them.
  deadline=$((SECONDS + 240))
  until curl -fsS "$gw/ready" > "$work/ready.json" 2>/dev/null && grep -q '"active":3' "$work/ready.json"; do
    [ $SECONDS -lt $deadline ] || { cat "$work/ready.json" >&2 || true; fail "the stack was not ready within 240 s"; }
    sleep 1
  done
  log "ready: $(tr -d '\n' < "$work/ready.json" | cut -c1-400)"
}

up
head -c $((40 * 1024 * 1024 + 12345)) /dev/urandom > "$work/upload.bin"
want=$(sha256sum "$work/upload.bin" | cut -d' ' -f1)
code=$(curl -sS -o "$work/created.json" -w '%{http_code}' -F "file=@$work/upload.bin" "$gw/files")
[ "$code" = 201 ] || { cat "$work/created.json" >&2; fail "upload answered $code, want 201"; }
# The id of the file a POST's answer (a JSON file) describes.
id_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$1"; }
id=$(id_of "$work/created.json")
log "uploaded file $id"
# The operator commands run from the image too: the nodes it lists are the ring's three.
listed=$(podman exec "${project}_gateway_1" /opt/kos/bin/kos-service nodes list | grep -c -w active || true)
[ "$listed" = 3 ] || fail "kos-service nodes list in the gateway's container shows $listed active nodes, want 3"

check_download() {
  curl -fsS -o "$work/download.bin" "$gw/files/$id" || fail "download of $id"
  got=$(sha256sum "$work/download.bin" | cut -d' ' -f1)
  [ "$got" = "$want" ] || fail "download of $id has SHA-256 $got, want $want"
}
check_download
# Chunk ids are random, so where one file's chunks land is chance: this file's three all sit
# on one node about one run in nine. So small files follow until every node holds a chunk,
# which shows the gateway reaches each node at its advertised address; 60 at most. The
# smallest share of this three-node ring is 32 % of chunk ids (150 points per node): missing
# it 63 chunks running happens about once in 10^10 runs.
nodes_of() {
  curl -fsS "$gw/files/$1/metadata" | python3 -c '
import json, sys
print(" ".join(sorted({n for c in json.load(sys.stdin)["chunks"] for n in c["nodes"]})))'
}
nodes=$(nodes_of "$id")
log "the file's chunks are on: $nodes"
head -c $((1024 * 1024)) /dev/urandom > "$work/small.bin"
small=0
while [ "$(tr ' ' '\n' <<< "$nodes" | sort -u | wc -l)" -lt 3 ]; do
  [ $small -lt 60 ] || fail "after $small small files, chunks sit only on: $nodes"
  small=$((small + 1))
  code=$(curl -sS -o "$work/small.json" -w '%{http_code}' -F "file=@$work/small.bin" "$gw/files")
  [ "$code" = 201 ] || { cat "$work/small.json" >&2; fail "small upload $small answered $code, want 201"; }
  nodes="$nodes $(nodes_of "$(id_of "$work/small.json")")"
done
nodes=$(tr ' ' '\n' <<< "$nodes" | sort -u | tr '\n' ' ' | sed 's/ $//')
log "chunks on: $nodes (after $small small files)"
# Prometheus (monitoring.yaml) scrapes all six kos processes at the addresses prometheus.yml gives.
deadline=$((SECONDS + 120))
until [ "$(curl -fsS "http://127.0.0.1:$prometheus_port/api/v1/targets" 2>/dev/null | grep -o '"health":"up"' | wc -l)" = 6 ]; do
  [ $SECONDS -lt $deadline ] || { curl -sS "http://127.0.0.1:$prometheus_port/api/v1/targets" >&2 || true
    fail "Prometheus did not see all six kos processes up within 120 s"; }
  sleep 2
done
log "Prometheus scrapes all six kos processes"
if podman logs "${project}_gateway_1" 2>&1 | grep "WARNING" | grep -q "helidon-patch"; then
  fail "helidon-patch is not in force in the image: $(podman logs "${project}_gateway_1" 2>&1 | grep helidon-patch)"
fi
log "compose down (volumes kept), then up again"
compose down > "$work/down-keep.log" 2>&1
up
check_download
log "passed: upload, download, chunks on all of $nodes, Prometheus scraping all, the file kept across down and up"
