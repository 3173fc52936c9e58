# Sourced by ./zipcache and ./mvnw25: points JAVA_HOME at a JDK 25 or newer.
# Order: $JAVA_HOME, `java` on the PATH, then the JDKs installed under /usr/lib/jvm and /opt.

java_feature_version() {
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p'
}

find_jdk25() {
  local candidate version
  for candidate in "${JAVA_HOME:+$JAVA_HOME/bin/java}" "$(command -v java 2>/dev/null)" \
                   /usr/lib/jvm/*/bin/java /opt/*/bin/java /opt/*/*/bin/java; do
    [ -n "$candidate" ] && [ -x "$candidate" ] || continue
    [ -x "$(dirname "$candidate")/javac" ] || continue
    version=$(java_feature_version "$candidate")
    if [ -n "$version" ] && [ "$version" -ge 25 ]; then
      candidate=$(readlink -f "$candidate")
      dirname "$(dirname "$candidate")"
      return 0
    fi
  done
  return 1
}

if ! ZIPCACHE_JDK=$(find_jdk25); then
  echo "zipcache needs a JDK 25 or newer: set JAVA_HOME to one (found none on the PATH or under /usr/lib/jvm)" >&2
  exit 2
fi
export JAVA_HOME="$ZIPCACHE_JDK"
export PATH="$JAVA_HOME/bin:$PATH"
