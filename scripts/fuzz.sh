#!/usr/bin/env bash
# Bounded cargo-fuzz run of the line reader and every format's assembler (fuzz/fuzz_targets/assemble_lines.rs):
# Claude Code, Codex and Gemini CLI lines, and Gemini's whole-file JSON chats.
#   FUZZ_SECONDS      how long to fuzz, build excluded (default 60)
#   FUZZ_SANITIZER    address (default) or none
#   PIPELINE_FIXTURES real transcripts to seed the corpus from (default ../shared/fixtures); never committed:
#                     they are copied into fuzz/corpus/, which git ignores
# RUSTC_BOOTSTRAP=1 lets a stable toolchain take cargo-fuzz's -Z flags.
# The full libFuzzer log goes to target/fuzz.log; the last line printed is the summary. Exits non-zero on a crash.
set -euo pipefail

CARGO_FUZZ_VERSION=0.13.2
TARGET=assemble_lines
SECONDS_BUDGET=${FUZZ_SECONDS:-60}
SANITIZER=${FUZZ_SANITIZER:-address}
# Longer than any real line, and past the reader's 1 MiB block so a line can straddle two reads.
MAX_LEN=$((2 << 20))
# Real fixtures larger than this are not used as seeds (they would be cut at MAX_LEN and slow every run).
SEED_MAX_KIB=64

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
fixtures=${PIPELINE_FIXTURES:-$root/../shared/fixtures}
corpus=fuzz/corpus/$TARGET
log=target/fuzz.log
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz $CARGO_FUZZ_VERSION" >&2
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

mkdir -p "$corpus" target
seeds=0
if [ -d "$fixtures" ]; then
  while IFS= read -r -d '' f; do
    rel=${f#"$fixtures"/}
    cp "$f" "$corpus/seed-${rel//\//__}"
    seeds=$((seeds + 1))
  done < <(find "$fixtures" \( -name '*.jsonl' -o -name '*.json' \) -size -"$SEED_MAX_KIB"k -print0)
else
  echo "fuzz: no fixtures at $fixtures; starting from an empty corpus" >&2
fi
echo "fuzz: $seeds seed files from $fixtures, ${SECONDS_BUDGET}s, sanitizer $SANITIZER; log in $log" >&2

set +e
cargo fuzz run --sanitizer "$SANITIZER" "$TARGET" "$corpus" -- \
  -max_total_time="$SECONDS_BUDGET" -max_len="$MAX_LEN" -timeout=30 -print_final_stats=1 >"$log" 2>&1
status=$?
set -e

runs=$(grep -oP '^stat::number_of_executed_units:\s+\K[0-9]+' "$log" | tail -1 || true)
[ -n "$runs" ] || runs=$(grep -oP '^#\K[0-9]+' "$log" | tail -1 || true)
rate=$(grep -oP '^stat::average_exec_per_sec:\s+\K[0-9]+' "$log" | tail -1 || true)
artifact=$(grep -oP 'Test unit written to \K\S+' "$log" | tail -1 || true)
if [ -n "$artifact" ]; then
  crash="yes ($artifact)"
  # The panic message and the stack trace.
  grep -B2 -A60 -m1 -E "panicked at|ERROR: (libFuzzer|AddressSanitizer)" "$log" >&2 || tail -60 "$log" >&2
elif [ "$status" -ne 0 ]; then
  crash=no
  tail -30 "$log" >&2
else
  crash=no
fi
echo "fuzz: target=$TARGET runs=${runs:-0} execs_per_s=${rate:-?} crash=$crash exit=$status"
[ -z "$artifact" ] && [ "$status" -eq 0 ]
