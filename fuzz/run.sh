#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each, starting from its seed corpus; new interesting
# inputs are kept in bench/work/fuzz/<target> (not committed). A crash stops with its input saved.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-fuzz}
seconds=${2:-60}
for t in mime_fuzz mbox_fuzz block_fuzz query_fuzz extract_fuzz checkpoint_fuzz dkim_fuzz grams_fuzz \
         record_fuzz checkpoint_file_fuzz tokenizer_fuzz; do
  work=bench/work/fuzz/$t
  mkdir -p "$work"
  echo "== $t for ${seconds}s"
  "$build/fuzz/$t" -max_total_time="$seconds" -max_len=262144 -rss_limit_mb=2048 \
      -artifact_prefix="$work/" "$work" "fuzz/corpus/$t"
done
