#!/usr/bin/env bash
# Prepares gpu/carry/ for gpu/check.sh on a GPU machine that has no JDK, no Maven and no network (the project's
# device machines): the CLI jar (with the CUDA backend), the synthetic model generator, the CUDA module's tests with
# their class path, stories260K, and a small Java 25 runtime (jlink). Run it here, then hand gpu/carry to the device
# run (it is git-ignored; the device tool's `carry` takes it), for example:
#   run(command="bash gpu/check.sh", carry=["gpu/carry"], timeout_s=590)
# gpu/carry stays under the device tool's 64 MiB limit (checked at the end).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
. bin/jdk25.sh
carry=gpu/carry
rm -rf "$carry"
mkdir -p "$carry"/lib "$carry"/test "$carry"/shared/models/stories260K

echo "prepare: building the CLI, the benchmarks and the CUDA module's tests (no install)…" >&2
./mvnw25 -B -q -DskipTests -pl cli,benchmarks,cuda -am package
# The test class path of the CUDA module, minus what the CLI jar already holds (and the 26 MB JCuda natives jar).
./mvnw25 -B -q -pl cuda dependency:build-classpath -Dmdep.outputFile="$here/$carry/test/classpath.txt" \
  -Dmdep.includeScope=test >&2 || true
cp cli/target/zipcache-cli-0.1.0-SNAPSHOT-all.jar "$carry"/lib/zipcache-cli.jar
cp -r benchmarks/target/classes "$carry"/lib/benchmarks-classes
cp -r cuda/target/test-classes "$carry"/test/cuda-test-classes
cp -r engine/target/test-classes "$carry"/test/engine-test-classes
rm -rf "$carry"/test/engine-test-classes/*.gguf 2>/dev/null || true
for jar in $(tr ':' '\n' < "$carry"/test/classpath.txt | grep -E '/(junit|opentest4j|apiguardian|assertj|byte-buddy)[^/]*\.jar$' || true); do
  cp "$jar" "$carry"/test/
done
rm -f "$carry"/test/classpath.txt
shared=${ZIPCACHE_SHARED:-$here/../shared}
[ -d "$shared/models/stories260K" ] || shared=/work/shared
cp "$shared"/models/stories260K/{stories260K-f32.gguf,reference.json} "$carry"/shared/models/stories260K/

echo "prepare: linking a Java runtime…" >&2
"$JAVA_HOME"/bin/jlink --add-modules java.base,java.logging,java.management,java.xml,java.sql,jdk.incubator.vector,jdk.unsupported \
  --strip-debug --no-header-files --no-man-pages --compress=zip-9 --output "$carry"/jre 2>/dev/null
tar -czf "$carry"/jre.tgz -C "$carry" jre
rm -rf "$carry"/jre

size=$(du -sm "$carry" | cut -f1)
echo "prepare: $carry is $size MiB" >&2
if [ "$size" -ge 62 ]; then
  echo "prepare: $carry is over the device tool's 64 MiB carry limit" >&2
  exit 1
fi
