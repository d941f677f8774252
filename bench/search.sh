#!/usr/bin/env bash
# Search benchmark: the same queries through custodian and notmuch, and substring/regex search
# through custodian and ripgrep, in one run, on the Enron subset laid out as Maildir by
# bench/layout.sh (bench/work/maildir-xSCALE). Each query is a fresh process (start to last result);
# every tool's output goes to /dev/null; the figure is the median of 5 runs of the whole set,
# after one run to warm the page cache.
#
#   bench/search.sh [SCALE]     SCALE: which bench/work/maildir-xSCALE to use (default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${CUSTODIAN_BIN:-$PWD/build/custodian}
K=${1:-1}
WORK=$PWD/bench/work
MD=$WORK/maildir-x$K
SRC=${ENRON:-$PWD/../shared/corpora/enron-maildir-subset/maildir}
[ -d "$SRC" ] || { echo "bench: the Enron subset is not at $SRC (set ENRON=...)"; exit 1; }
source bench/layout.sh
make_maildir "$K"
A=$WORK/search-archive-x$K
if [ ! -f "$A/FORMAT" ]; then
  "$BIN" --archive "$A" init >/dev/null
  "$BIN" --archive "$A" import --custodian enron "$MD" >/dev/null
fi
NM=$WORK/notmuch-x$K
if [ ! -d "$MD/.notmuch" ]; then
  mkdir -p "$NM"
  printf '[database]\npath=%s\n[user]\nname=B\nprimary_email=b@example.com\n[new]\ntags=inbox;\n' "$MD" > "$NM/config"
  notmuch --config="$NM/config" new --quiet
fi
find "$MD" -type f -path '*/cur/*' -exec cat {} + >/dev/null  # warm for ripgrep

python3 - "$BIN" "$A" "$NM/config" "$MD" <<'PY'
import statistics, subprocess, sys, time
bin_, archive, nmconf, md = sys.argv[1:]
# (custodian query, notmuch query): the same question in each tool's syntax.
words = [
    ("california", "california"),
    ("from:kenneth.lay@enron.com", "from:kenneth.lay@enron.com"),
    ("subject:meeting", "subject:meeting"),
    ('"power plant"', '"power plant"'),
    ("enron energy", "enron and energy"),
    ("dabhol", "dabhol"),
    ("date:2001-05-01..2001-05-31", "date:2001-05-01..2001-05-31"),
    ("gas OR electricity", "gas or electricity"),
    ("to:jeff.dasovich@enron.com", "to:jeff.dasovich@enron.com"),
    ("ferc -california", "ferc and not california"),
]
regexes = [  # (custodian query, ripgrep arguments)
    ("re:/enron ?online/i", ["-i", "enron ?online"]),
    ('text:"Kenneth Lay"', ["-F", "Kenneth Lay"]),
    (r"re:/\b\d{3}-\d{3}-\d{4}\b/", [r"\b\d{3}-\d{3}-\d{4}\b"]),
    (r"re:/[Cc]onfidentiality [Aa]greement/", ["[Cc]onfidentiality [Aa]greement"]),
]
def timed(cmds):
    for c in cmds:
        subprocess.run(c, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        for c in cmds:
            subprocess.run(c, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)
c = timed([[bin_, "--archive", archive, "search", "--ids", "--limit", "0", q] for q, _ in words])
n = timed([["notmuch", f"--config={nmconf}", "search", "--output=messages", q] for _, q in words])
print(f"| {len(words)} word queries | custodian {c*1000:.0f} ms | notmuch {n*1000:.0f} ms | custodian / notmuch = {c/n:.2f} |")
for q, rg in regexes:
    c = timed([[bin_, "--archive", archive, "search", "--ids", "--limit", "0", q]])
    r = timed([["rg", "-l", *rg, md]])
    print(f"| `{q}` | custodian {c*1000:.0f} ms | ripgrep {r*1000:.0f} ms | rg / custodian = {r/c:.2f} |")
counts = []
for q, nq in words:
    a = len(subprocess.run([bin_, "--archive", archive, "search", "--ids", "--limit", "0", q], capture_output=True).stdout.split())
    b = len(subprocess.run(["notmuch", f"--config={nmconf}", "search", "--output=messages", nq], capture_output=True).stdout.split())
    counts.append(f"{q}: {a} vs {b}")
print("hits (custodian vs notmuch): " + "; ".join(counts))
PY
