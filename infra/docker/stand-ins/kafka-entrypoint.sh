#!/bin/sh
# Stand-in for the apache/kafka image in compose-test.sh (no registry is reachable there): the
# same broker from Kafka's jars on Maven Central, configured the way that image is: every KAFKA_*
# variable is a server property (KAFKA_ dropped, lower case, ___ -> -, __ -> _, _ -> .), and
# CLUSTER_ID formats the log directories on the first start.
set -eu
props=/tmp/server.properties
: > "$props"
env | grep '^KAFKA_' | while IFS='=' read -r name value; do
  key=$(printf '%s' "${name#KAFKA_}" | tr 'A-Z' 'a-z' | sed -e 's/___/-/g' -e 's/__/\x01/g' -e 's/_/./g' -e 's/\x01/_/g')
  printf '%s=%s\n' "$key" "$value" >> "$props"
done
cp=$(ls /opt/kafka/libs/*.jar | paste -sd: -)
java -cp "$cp" kafka.tools.StorageTool format --ignore-formatted -t "$CLUSTER_ID" -c "$props"
exec java -Xmx512m -cp "$cp" kafka.Kafka "$props"
