#!/usr/bin/env bash
# Ingest benchmark: custodian import, notmuch new and mu index on the same Enron subset, laid out
# as Maildir, in one run. Prints a Markdown table (also written to bench/work/ingest.md).
#
#   bench/run.sh [SCALES]        SCALES: corpus multiples for the memory-growth check (default "1 2 4")
#
# Each tool gets a warm page cache (the corpus is read once first) and its own empty database.
# Peak memory is GNU time's maximum resident set size.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$PWD/build/custodian
SRC=${ENRON:-$PWD/../shared/corpora/enron-maildir-subset/maildir}
WORK=$PWD/bench/work
SCALES=${1:-"1 2 4"}
[ -d "$SRC" ] || { echo "bench: the Enron subset is not at $SRC (set ENRON=...)"; exit 1; }
for t in notmuch mu /usr/bin/time; do command -v $t >/dev/null || { echo "bench: $t missing (make bench installs it)"; exit 1; }; done

mkdir -p "$WORK"
source bench/layout.sh  # make_maildir K

measure() {  # measure NAME CMD... -> "seconds peak_kib"
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$WORK/$name.time" "$@" >"$WORK/$name.out" 2>&1
  cat "$WORK/$name.time"
}

row() { printf '| %s | %s | %s | %s | %s | %s |\n' "$@"; }

out=$WORK/ingest.md
{
echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| corpus | tool | messages/s | peak RSS | on disk | disk / raw |"
echo "|---|---|---|---|---|---|"
} > "$out"

for k in $SCALES; do
  make_maildir "$k"
  md=$WORK/maildir-x$k
  n=$(find "$md" -type f -path '*/cur/*' | wc -l)
  raw=$(find "$md" -type f -path '*/cur/*' -printf '%s\n' | awk '{s+=$1} END {print s}')
  find "$md" -type f -exec cat {} + >/dev/null  # warm the page cache for everyone
  label="Enron x$k ($n msgs, $((raw / 1000000)) MB)"

  rm -rf "$WORK/custodian-archive"
  "$BIN" --archive "$WORK/custodian-archive" init >/dev/null
  read -r s m < <(measure custodian "$BIN" --archive "$WORK/custodian-archive" import --custodian enron "$md")
  d=$(du -sb "$WORK/custodian-archive" | cut -f1)
  row "$label" "custodian import" "$(python3 -c "print(round($n/$s))")" "$((m / 1024)) MiB" "$((d / 1000000)) MB" "$(python3 -c "print(f'{$d/$raw:.2f}x')")" >> "$out"

  if [ "$k" = "1" ] || [ -n "${BENCH_ALL:-}" ]; then
    rm -rf "$WORK/notmuch" && mkdir -p "$WORK/notmuch"
    cat > "$WORK/notmuch/config" <<CFG
[database]
path=$md
mail_root=$md
[user]
name=Bench
primary_email=bench@example.com
[new]
tags=inbox;
[maildir]
synchronize_flags=false
CFG
    rm -rf "$md/.notmuch"
    read -r s m < <(measure notmuch notmuch --config="$WORK/notmuch/config" new --quiet)
    d=$(du -sb "$md/.notmuch" | cut -f1)
    row "$label" "notmuch new" "$(python3 -c "print(round($n/$s))")" "$((m / 1024)) MiB" "$((d / 1000000)) MB (+ maildir)" "$(python3 -c "print(f'{($d+$raw)/$raw:.2f}x')")" >> "$out"
    rm -rf "$md/.notmuch"

    rm -rf "$WORK/mu"
    mu init --quiet --muhome="$WORK/mu" --maildir="$md" >/dev/null
    read -r s m < <(measure mu mu index --quiet --muhome="$WORK/mu")
    d=$(du -sb "$WORK/mu" | cut -f1)
    row "$label" "mu index" "$(python3 -c "print(round($n/$s))")" "$((m / 1024)) MiB" "$((d / 1000000)) MB (+ maildir)" "$(python3 -c "print(f'{($d+$raw)/$raw:.2f}x')")" >> "$out"
  fi
done
cat "$out"
