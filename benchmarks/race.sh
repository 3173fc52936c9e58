#!/usr/bin/env bash
# The race: zipcache against llama.cpp on the very same synthetic GGUF, same threads, prompt length and
# generated tokens. Prints both tools' prefill and decode tok/s and their ratios.
#
#   benchmarks/race.sh [--preset tiny-60m|llama-1b-like|attn-heavy] [--type q8_0|f16|q4_0|f32]
#                      [-p PROMPT_TOKENS] [-n GENERATED] [-t THREADS] [-r REPETITIONS]
#                      [--kv-cache SPEC] [--llama-kv f16|q8_0|q4_0] [--no-mmap]
#
# --no-mmap makes both tools read the weights into memory instead of mapping the file (on this project's benchmark VM
# decoding from a mapping runs at up to half the speed; README, "Performance").
# --llama-kv sets llama.cpp's K and V cache types (--ctk/--ctv of the harness; a quantized V needs flash attention,
# which llama.cpp enables on the CPU by default). Set $ZIPCACHE_SKIP_BUILD=1 to reuse the jars as they are, and
# $LLAMA_WAIT_IDLE to the seconds llama.cpp's harness waits for an idle CPU before each run (default 60; 0 on a
# machine that is never idle).
#
# Needs: a JDK 25 (found like ./zipcache does), node ≥ 20 and npm (llama.cpp runs through the prebuilt binaries of
# the npm package node-llama-cpp, see ../shared/bench/README.md). Models are written to $ZIPCACHE_MODELS
# (default /tmp/zipcache-models) and reused; node-llama-cpp is installed once into ~/.cache/zipcache/llamacpp-peer
# unless $NODE_LLAMA_CPP_MODULES points at an install.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$here/bin/jdk25.sh"

preset=tiny-60m type=q8_0 prompt=512 generated=64 threads=2 repetitions=3 kv=fp16 llama_kv=f16 no_mmap=()
while [ $# -gt 0 ]; do
  case "$1" in
    --preset) preset=$2; shift 2 ;;
    --type) type=$2; shift 2 ;;
    -p) prompt=$2; shift 2 ;;
    -n) generated=$2; shift 2 ;;
    -t) threads=$2; shift 2 ;;
    -r) repetitions=$2; shift 2 ;;
    --kv-cache) kv=$2; shift 2 ;;
    --llama-kv) llama_kv=$2; shift 2 ;;
    --no-mmap) no_mmap=(--no-mmap); shift ;;
    *) echo "race.sh: unknown option $1 (see the header of this script)" >&2; exit 2 ;;
  esac
done

bench_dir="$here/../shared/bench"
[ -f "$bench_dir/llamacpp-peer.mjs" ] || { echo "race.sh: $bench_dir/llamacpp-peer.mjs not found" >&2; exit 1; }
command -v node >/dev/null || { echo "race.sh: node is needed for the llama.cpp side" >&2; exit 1; }

models=${ZIPCACHE_MODELS:-/tmp/zipcache-models}
mkdir -p "$models"
model="$models/$preset-$type.gguf"

# package, not install: the jars are used from target/, and a shared ~/.m2 is left alone.
[ -n "${ZIPCACHE_SKIP_BUILD:-}" ] || (cd "$here" && ./mvnw -B -q -DskipTests package -pl cli,benchmarks -am >&2)
if [ ! -f "$model" ]; then
  echo "race.sh: writing $model" >&2
  cp="$here/benchmarks/target/benchmarks.jar"
  java --add-modules jdk.incubator.vector -cp "$cp" dev.zipcache.benchmarks.SyntheticModel "$preset" "$type" "$model" >&2
fi

if [ -z "${NODE_LLAMA_CPP_MODULES:-}" ]; then
  peer="$HOME/.cache/zipcache/llamacpp-peer"
  if [ ! -d "$peer/node_modules/node-llama-cpp" ]; then
    echo "race.sh: installing node-llama-cpp into $peer (once)" >&2
    mkdir -p "$peer" && cp "$bench_dir/package.json" "$peer/"
    (cd "$peer" && NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --omit=optional --no-audit --no-fund >&2)
  fi
  export NODE_LLAMA_CPP_MODULES="$peer/node_modules"
fi

ours=$("$here/zipcache" bench -m "$model" "${no_mmap[@]}" -p "$prompt" -n "$generated" -t "$threads" \
  -r "$repetitions" --kv-cache "$kv" --json 2>/dev/null)
theirs=$(node "$bench_dir/llamacpp-peer.mjs" --model "$model" "${no_mmap[@]}" --prompt-tokens "$prompt" -n "$generated" \
  --ignore-eos -t "$threads" --ctk "$llama_kv" --ctv "$llama_kv" --repeat "$repetitions" --no-ids --no-text \
  --wait-idle "${LLAMA_WAIT_IDLE:-60}" 2>/dev/null | tail -n 1)

OURS="$ours" THEIRS="$theirs" node -e '
const ours = JSON.parse(process.env.OURS)[0];
const theirs = JSON.parse(process.env.THEIRS);
const rows = [
  ["prefill tok/s", ours.prefill_tokens_per_second, theirs.prefill_tok_s],
  ["decode tok/s (median)", ours.decode_tokens_per_second, theirs.decode_tok_s_median ?? theirs.decode_tok_s],
];
console.log(`model ${process.argv[1]}, ${ours.prompt_tokens} prompt tokens, ${ours.generated_tokens} generated, ${ours.threads} threads`);
console.log(`zipcache KV ${ours.kv_cache} (${ours.kv_bytes} bytes) vs llama.cpp KV ${theirs.kv_type_k}/${theirs.kv_type_v}`);
console.log("metric".padEnd(24) + "zipcache".padStart(12) + "llama.cpp".padStart(12) + "ratio".padStart(8));
for (const [name, a, b] of rows) {
  console.log(name.padEnd(24) + a.toFixed(1).padStart(12) + b.toFixed(1).padStart(12) + (a / b).toFixed(2).padStart(8));
}
' "$model"
