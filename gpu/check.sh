#!/usr/bin/env bash
# The CUDA backend's check on a GPU machine, in one run of under 10 minutes. Writes under $OUT (default
# /tmp/zipcache-gpu): check.log (everything), summary.json (the results), tests.json, bench-*.json and
# gpu-memory.csv. Run gpu/prepare.sh first where there is network (it fills gpu/carry: jars, tests, a Java runtime,
# stories260K); where gpu/carry is missing this script builds with Maven instead (needs network and a JDK 25).
#
# Steps: 1 environment; 2 does CUDA open (else summary "no-gpu", exit 3); 3 the CUDA module's tests, the GPU ones
# included, with the logits of a synthetic ~1B model against the CPU; 4 greedy tokens of stories260K, CUDA vs CPU;
# 5 decode and prefill speed with fp16, kivi and zipcache (all three caches on the GPU; kivi's and zipcache's packed
# stores) on llama-1b-like at 4k tokens and attn-heavy at 32k tokens, as long as the time budget lasts; device memory
# sampled throughout.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
OUT=${OUT:-/tmp/zipcache-gpu}
mkdir -p "$OUT"
log="$OUT/check.log"
: > "$log"
work=${WORK:-/tmp/zipcache-gpu-work}
mkdir -p "$work"
start=$(date +%s)
summary="$OUT/summary.json"

say() { echo "[$(($(date +%s) - start))s] $*" | tee -a "$log" >&2; }
# Appends "key": value (value already JSON) to the summary, rewritten whole each time so a killed run keeps it valid.
declare -a fields=()
record() {
  fields+=("\"$1\": $2")
  { echo "{"; local i; for i in "${!fields[@]}"; do
      [ "$i" -gt 0 ] && echo ","; printf '  %s' "${fields[$i]}"; done; echo; echo "}"; } > "$summary"
}
json_string() { printf '"%s"' "$(printf '%s' "$1" | tr -d '\r' | sed 's/\\/\\\\/g; s/"/\\"/g' | tr '\n' ' ')"; }

# ---- 1 environment -----------------------------------------------------------------------------------------------
say "zipcache CUDA check, OUT=$OUT"
carry=gpu/carry
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
  java="$JAVA_HOME/bin/java"
elif [ -f "$carry/jre.tgz" ]; then
  [ -x "$work/jre/bin/java" ] || tar -xzf "$carry/jre.tgz" -C "$work"
  java="$work/jre/bin/java"
else
  . bin/jdk25.sh && java="$JAVA_HOME/bin/java"
fi
"$java" -version >> "$log" 2>&1
record java "$(json_string "$("$java" -version 2>&1 | head -1)")"
if command -v nvidia-smi > /dev/null; then
  nvidia-smi >> "$log" 2>&1
  record gpu "$(json_string "$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -1)")"
  nvidia-smi --query-gpu=timestamp,memory.used --format=csv,noheader -lms 500 > "$OUT/gpu-memory.csv" 2>/dev/null &
  sampler=$!
  trap 'kill $sampler 2>/dev/null' EXIT
else
  record gpu '"nvidia-smi not found"'
fi

if [ -f "$carry/lib/zipcache-cli.jar" ]; then
  cli_jar="$carry/lib/zipcache-cli.jar"
  generator_cp="$cli_jar:$carry/lib/benchmarks-classes"
  test_cp="$cli_jar:$carry/test/cuda-test-classes:$carry/test/engine-test-classes:$(ls "$carry"/test/*.jar | tr '\n' ':')"
  shared="$here/$carry/shared"
else
  say "no gpu/carry: building with Maven"
  if ! ./mvnw25 -B -q -DskipTests -pl cli,benchmarks,cuda -am package >> "$log" 2>&1; then
    say "build failed"; record status '"build-failed"'; exit 1
  fi
  cli_jar=cli/target/zipcache-cli-0.1.0-SNAPSHOT-all.jar
  generator_cp="$cli_jar:benchmarks/target/classes"
  ./mvnw25 -B -q -pl cuda dependency:build-classpath -Dmdep.outputFile="$work/cp.txt" -Dmdep.includeScope=test >> "$log" 2>&1
  test_cp="$cli_jar:cuda/target/test-classes:engine/target/test-classes:$(cat "$work/cp.txt" 2>/dev/null)"
  shared="$(cd "$here/.." && pwd)/shared"
fi
jvm=("$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC)
zipcache() { "${jvm[@]}" -jar "$cli_jar" "$@"; }
stories="$shared/models/stories260K/stories260K-f32.gguf"

# ---- 2 does CUDA open? ---------------------------------------------------------------------------------------------
say "probe: generate --device cuda"
probe=$(timeout 120 "${jvm[@]}" -jar "$cli_jar" generate -m "$stories" -p "Once" -n 4 --temperature 0 --device cuda 2>&1)
probe_status=$?
echo "$probe" >> "$log"
large=llama-1b-like
long=attn-heavy
if [ $probe_status -ne 0 ]; then
  reason=$(echo "$probe" | grep -v "incubator" | tail -1)
  say "no usable GPU: $reason"
  record status '"no-gpu"'
  record reason "$(json_string "$reason")"
  # CHECK_WITHOUT_GPU=1 goes on (GPU tests skip, CUDA runs fail): a dry run of the script's steps, with the small
  # tiny-60m model instead of the two big ones.
  [ "${CHECK_WITHOUT_GPU:-0}" = 1 ] || exit 3
  large=tiny-60m
  long=tiny-60m
else
  record status '"gpu"'
fi

# ---- 3 tests -------------------------------------------------------------------------------------------------------
say "synthetic models (F16): $large (4k context) and $long (32k context)"
for preset in $large $long; do
  [ -f "$work/$preset-f16.gguf" ] || timeout 180 "${jvm[@]}" -cp "$generator_cp" dev.zipcache.benchmarks.SyntheticModel \
    "$preset" f16 "$work/$preset-f16.gguf" >> "$log" 2>&1 || say "generator failed for $preset"
done
say "tests of the CUDA module (GPU tests included)"
timeout 200 "${jvm[@]}" -Dzipcache.shared="$shared" -Dzipcache.cuda.sources=cuda/src/main/cuda \
  -Dzipcache.cuda.committedPtx=cuda/src/main/resources/dev/zipcache/cuda -Dzipcache.cuda.syntheticModel="$work/$large-f16.gguf" \
  -cp "$test_cp" dev.zipcache.cuda.GpuTestMain "$OUT/tests.json" >> "$log" 2>&1
tests_status=$?
say "tests exit status $tests_status"
record tests "$(cat "$OUT/tests.json" 2>/dev/null || echo "{\"exit\": $tests_status}")"

# ---- 4 greedy tokens, CUDA vs CPU ------------------------------------------------------------------------------------
say "greedy tokens of stories260K: cuda vs cpu"
same=true
for prompt in "Once upon a time" "The little dog" "Lily wanted to"; do
  for device in cpu cuda; do
    timeout 60 "${jvm[@]}" -jar "$cli_jar" generate -m "$stories" -p "$prompt" -n 128 --temperature 0 \
      --device "$device" --json > "$work/greedy-$device.json" 2>> "$log"
  done
  cpu_ids=$(grep -o '"generated_token_ids" *: *\[[^]]*\]' "$work/greedy-cpu.json")
  cuda_ids=$(grep -o '"generated_token_ids" *: *\[[^]]*\]' "$work/greedy-cuda.json")
  if [ -z "$cpu_ids" ] || [ "$cpu_ids" != "$cuda_ids" ]; then
    same=false
    say "DIFFERENT for '$prompt': cpu ${cpu_ids:0:120}… / cuda ${cuda_ids:0:120}…"
  fi
done
say "greedy tokens equal: $same"
record greedy_tokens_equal "$same"
# The compressed caches: informative only (a tiny difference in a key can move a quantization code, or a near tie
# between salient tokens). Both are packed stores on the GPU.
for cache in zipcache kivi; do
  for device in cpu cuda; do
    timeout 60 "${jvm[@]}" -jar "$cli_jar" generate -m "$stories" -p "Once upon a time" -n 128 --temperature 0 \
      --kv-cache "$cache" --device "$device" --json > "$work/$cache-$device.json" 2>> "$log"
  done
  on_cpu=$(grep -o '"generated_token_ids" *: *\[[^]]*\]' "$work/$cache-cpu.json")
  on_cuda=$(grep -o '"generated_token_ids" *: *\[[^]]*\]' "$work/$cache-cuda.json")
  if [ -n "$on_cpu" ] && [ "$on_cpu" = "$on_cuda" ]; then cache_same=true; else cache_same=false; fi
  say "$cache greedy tokens equal: $cache_same"
  record "greedy_tokens_equal_$cache" "$cache_same"
done

# ---- 5 speed -----------------------------------------------------------------------------------------------------------
budget=${BUDGET_SECONDS:-560}   # the device tool's 600 s, less a margin for the summary
bench() {  # name cache model prompt-tokens timeout
  local left=$((budget - ($(date +%s) - start)))
  if [ "$left" -lt 30 ]; then
    say "skipping bench $1: ${left}s left"; record "bench_$1" '"skipped: out of time"'; return
  fi
  local limit=$(( $5 < left ? $5 : left ))
  say "bench --device cuda --kv-cache $2 on $(basename "$3"), $4 prompt tokens (at most ${limit}s)"
  timeout "$limit" "${jvm[@]}" -jar "$cli_jar" bench -m "$3" --device cuda --kv-cache "$2" -p "$4" -n 64 -r 1 \
    --json > "$OUT/bench-$1.json" 2>> "$log"
  local status=$?
  cat "$OUT/bench-$1.json" >> "$log"
  if [ $status -eq 0 ] && [ -s "$OUT/bench-$1.json" ]; then
    record "bench_$1" "$(tr -d '\n' < "$OUT/bench-$1.json")"
  else
    record "bench_$1" "{\"exit\": $status}"
  fi
}
# fp16, then kivi (KIVI-2) and zipcache (4/2 bits, probe saliency, interval 100), each store on the GPU. zipcache's
# prompt end scores ~10% probe rows against every token on the GPU (O(probes × L)) and sorts the scores on the host.
bench fp16-4k fp16 "$work/$large-f16.gguf" 4032 90
bench kivi-4k kivi "$work/$large-f16.gguf" 4032 90
if [ "$long" = attn-heavy ]; then
  bench fp16-32k fp16 "$work/$long-f16.gguf" 32704 120
  bench kivi-32k kivi "$work/$long-f16.gguf" 32704 120
fi
bench zipcache-4k zipcache "$work/$large-f16.gguf" 4032 90
if [ "$long" = attn-heavy ]; then
  bench zipcache-32k zipcache "$work/$long-f16.gguf" 32704 200
fi

if [ -s "$OUT/gpu-memory.csv" ]; then
  peak=$(cut -d, -f2 "$OUT/gpu-memory.csv" | tr -dc '0-9\n' | sort -n | tail -1)
  record gpu_memory_peak_mib "${peak:-null}"
fi
record seconds "$(($(date +%s) - start))"
say "done; summary in $summary"
[ "$tests_status" -eq 0 ] && [ "$same" = true ] && [ "$probe_status" -eq 0 ]
