# Sourced by bench/run.sh and bench/search.sh; needs SRC and WORK set.
# Lay the corpus out as Maildir: <user>/<folder>/cur/<n>:2,S . Scale k>1 adds k-1 variants of
# every message, each a distinct message: an X-Bench-Copy header, its own Message-ID (".cN" added
# inside the brackets) and a last body line "bench copy N", so neither the tools' Message-ID
# deduplication nor our text deduplication can fold copy N into copy M. Within one copy, the same
# mail kept in several folders still shares its text, as it does in the real corpus.
make_maildir() {
  local k=$1
  local dst=$WORK/maildir-x$k
  [ -f "$dst/.done-v3" ] && return
  rm -rf "$dst"
  python3 - "$SRC" "$dst" "$k" <<'PY'
import os, re, sys
src, dst, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
msgid = re.compile(rb"^(Message-ID:[ \t]*<[^>\r\n]*)>", re.I | re.M)
for user in sorted(os.listdir(src)):
    for root, _, files in os.walk(os.path.join(src, user)):
        rel = os.path.relpath(root, src).replace(os.sep, "_")
        for c in range(k):
            out = os.path.join(dst, f"copy{c}", rel, "cur")
            os.makedirs(out, exist_ok=True)
            for f in files:
                data = open(os.path.join(root, f), "rb").read()
                if c:
                    data = b"X-Bench-Copy: %d\n" % c + data
                    data = msgid.sub(rb"\1.c%d>" % c, data, count=1)
                    if not data.endswith(b"\n"):
                        data += b"\n"
                    data += b"bench copy %d\n" % c
                open(os.path.join(out, f.rstrip(".") + ":2,S"), "wb").write(data)
PY
  touch "$dst/.done-v3"
}

