# Sourced by bin/start and bin/kos: builds the services (tests skipped) and sets KOS_CLASSPATH to
# every kos module and dependency, from the infra module (which depends on all of them).
echo "kos: building (the first run downloads dependencies from Maven Central; later runs take seconds)..." >&2
./mvnw -B -q -ntp -DskipTests -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime \
  -pl infra -am package dependency:build-classpath >&2
KOS_CLASSPATH="infra/target/classes:$(cat infra/target/classpath.txt)"
export KOS_CLASSPATH
