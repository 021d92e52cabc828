# Sourced by every kos script: finds a JDK >= 21 and exports JAVA_HOME, or exits with one
# actionable line. Order: $JAVA_HOME if it is >= 21, then the usual install locations.
kos_java_major() {  # kos_java_major <java-home> -> major version, or nothing
  local v
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
  v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}')
  printf '%s' "${v%%.*}"
}

kos_find_jdk() {
  local c m
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/* /opt/java/* /opt/jdk* \
           /usr/local/lib/jvm/* "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
    [ -n "$c" ] && [ -d "$c" ] || continue
    m=$(kos_java_major "$c")
    if [ -n "$m" ] && [ "$m" -ge 21 ] 2>/dev/null; then
      printf '%s' "$c"; return 0
    fi
  done
  return 1
}

if ! KOS_JDK=$(kos_find_jdk); then
  echo "kos: no JDK >= 21 found (checked \$JAVA_HOME and /usr/lib/jvm): install one (e.g. 'apt-get install openjdk-21-jdk-headless') or set JAVA_HOME to it." >&2
  exit 1
fi
export JAVA_HOME="$KOS_JDK"
export PATH="$JAVA_HOME/bin:$PATH"
