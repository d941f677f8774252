#!/usr/bin/env bash
# Search benchmark: the same queries through custodian and notmuch, and substring/regex search
# through custodian and ripgrep, in one run, on the Enron subset laid out as Maildir by
# bench/layout.sh (bench/work/maildir-xSCALE). Each query is a fresh process (start to last result);
# every tool's output goes to /dev/null; the figure is the median of 5 runs of the whole set,
# after one run to warm the page cache.
#
#   bench/search.sh [SCALE]     SCALE: which bench/work/maildir-xSCALE to use (default 1)
#
# BENCH_WORK=DIR puts the Maildir, notmuch's database and the archive in DIR instead of
# bench/work. On a machine that pages out unmapped page cache (this VM's DAMON reclaims file
# pages it has not seen touched for ~60 s, and a read() never counts as a touch), the 4 GB x13
# Maildir cannot stay cached, so ripgrep would be timed reading from disk. Every tool is then
# run from tmpfs, which cannot be paged out without swap:
#   mkdir -p /dev/shm/cb && cp -a bench/work/maildir-x13 bench/work/search-archive-x13 /dev/shm/cb/
#   BENCH_WORK=/dev/shm/cb bench/search.sh 13
# Either way, the share of the Maildir in memory is printed before and after ripgrep's runs.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${CUSTODIAN_BIN:-$PWD/build/custodian}
K=${1:-1}
WORK=${BENCH_WORK:-$PWD/bench/work}
mkdir -p "$WORK"
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
mkdir -p "$NM"  # written every time: the Maildir (and its .notmuch) may have been copied here
printf '[database]\npath=%s\n[user]\nname=B\nprimary_email=b@example.com\n[new]\ntags=inbox;\n' "$MD" > "$NM/config"
[ -d "$MD/.notmuch" ] || notmuch --config="$NM/config" new --quiet
find "$MD" -type f -path '*/cur/*' -exec cat {} + >/dev/null  # warm for ripgrep

python3 - "$BIN" "$A" "$NM/config" "$MD" <<'PY'
import os, statistics, subprocess, sys, time
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
def resident(path):
    """Share of the Maildir's pages in memory (util-linux fincore, i.e. mincore(2))."""
    files = [os.path.join(d, f) for d, _, fs in os.walk(path) if "/.notmuch" not in d for f in fs]
    res = pages = 0
    for i in range(0, len(files), 2000):
        out = subprocess.run(["fincore", "--bytes", "--noheadings", "--raw", "--output", "PAGES,SIZE", *files[i:i + 2000]],
                             capture_output=True, text=True).stdout
        for line in out.splitlines():
            p, s = line.split()
            res, pages = res + int(p), pages + (int(s) + 4095) // 4096
    return 100.0 * res / pages if pages else 0.0
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
    before = resident(md)
    r = timed([["rg", "-l", *rg, md]])
    after = resident(md)
    print(f"| `{q}` | custodian {c*1000:.0f} ms | ripgrep {r*1000:.0f} ms | rg / custodian = {r/c:.2f} |"
          f" Maildir in memory: {before:.0f}% before ripgrep, {after:.0f}% after")
counts = []
for q, nq in words:
    a = len(subprocess.run([bin_, "--archive", archive, "search", "--ids", "--limit", "0", q], capture_output=True).stdout.split())
    b = len(subprocess.run(["notmuch", f"--config={nmconf}", "search", "--output=messages", nq], capture_output=True).stdout.split())
    counts.append(f"{q}: {a} vs {b}")
print("hits (custodian vs notmuch): " + "; ".join(counts))
PY
