"""Search results are exactly right on the Enron subset: for senders, date ranges, rare words,
phrases, substrings and regular expressions, the set of messages `custodian search` returns equals
the set computed here from the raw files, independently of the engine (no miss, no false hit)."""
import base64
import binascii
import email.utils
import os
import quopri
import re
from datetime import datetime, timezone

from harness import TempDir, corpus, done, expect, run, run_json_lines, sha256

FIELDS = ("from", "to", "cc", "bcc", "subject")


def load(maildir):
    msgs = {}
    for root, _, names in os.walk(maildir):
        for n in names:
            with open(os.path.join(root, n), "rb") as fh:
                raw = fh.read()
            i = raw.find(b"\n\n")
            head, body = raw[:i].decode("latin-1"), raw[i + 2:]
            # Unfold, then keep the fields search covers.
            head = re.sub(r"\n[ \t]+", " ", head)
            h = {}
            for line in head.split("\n"):
                name, _, value = line.partition(":")
                if name.lower() in FIELDS + ("date", "content-transfer-encoding"):
                    h[name.lower()] = value.strip()
            # The body as a reader sees it: transfer encodings undone.
            cte = h.get("content-transfer-encoding", "").lower()
            if cte == "quoted-printable":
                body = quopri.decodestring(body)
            elif cte == "base64":
                try:
                    body = base64.b64decode(body)
                except binascii.Error:
                    pass
            msgs[sha256(raw)] = {"h": h, "body": body.decode("latin-1")}
    return msgs


def tokens(text):
    return re.findall(r"[a-z0-9]+", text.lower())


def doc_text(m):
    return "\n".join(m["h"].get(f, "") for f in FIELDS) + "\n" + m["body"]


def search_ids(a, query):
    return {r["id"] for r in run_json_lines(a, "search", "--limit", "0", query)}


def check(a, query, want, what):
    got = search_ids(a, query)
    missed, extra = want - got, got - want
    expect(not missed and not extra,
           f"{what} `{query}`: expected {len(want)}, got {len(got)}; missed {sorted(missed)[:3]}, "
           f"false hits {sorted(extra)[:3]}")
    return len(want)


def main():
    maildir = corpus("enron-maildir-subset", "maildir")
    msgs = load(maildir)
    with TempDir() as tmp:
        a = os.path.join(tmp, "a")
        run(a, "init")
        run(a, "import", "--custodian-from-path", *[os.path.join(maildir, u) for u in sorted(os.listdir(maildir))])
        expect(int(run(a, "search", "--count", "*").stdout) == len(msgs), "`*` does not count every message")
        checked = 0

        # Senders: every message whose From: holds the address.
        senders = {}
        for i, m in msgs.items():
            for name, addr in email.utils.getaddresses([m["h"].get("from", "")]):
                senders.setdefault(addr.lower(), set()).add(i)
        for addr in sorted(senders, key=lambda s: (-len(senders[s]), s))[:6]:
            want = {i for i, m in msgs.items() if re.search(r"(?<![\w.])" + re.escape(addr) + r"(?![\w])",
                                                            m["h"].get("from", ""), re.I)}
            checked += check(a, f"from:{addr}", want, "sender")

        # Date ranges, inclusive, in UTC; the Date headers carry their own zones (-0700, -0800).
        dates = {}
        for i, m in msgs.items():
            try:
                dates[i] = email.utils.parsedate_to_datetime(m["h"]["date"]).astimezone(timezone.utc)
            except (KeyError, TypeError, ValueError):
                pass
        for lo, hi in (("2001-05-01", "2001-05-31"), ("2000-12-13", "2000-12-13"), ("2001-10-01", "2001-12-31")):
            l = datetime.fromisoformat(lo).replace(tzinfo=timezone.utc)
            h = datetime.fromisoformat(hi).replace(hour=23, minute=59, second=59, tzinfo=timezone.utc)
            want = {i for i, d in dates.items() if l <= d <= h}
            checked += check(a, f"date:{lo}..{hi}", want, "date range")

        # Rare words that no other word in the corpus could share a stem with.
        df, vocab = {}, set()
        doc_tokens = {i: tokens(doc_text(m)) for i, m in msgs.items()}
        per_doc = {i: set(ts) for i, ts in doc_tokens.items()}
        for i, ts in per_doc.items():
            for t in ts:
                df[t] = df.get(t, 0) + 1
                vocab.add(t)
        by_prefix = {}
        for t in vocab:
            by_prefix.setdefault(t[:6], []).append(t)
        rare = sorted(t for t, n in df.items() if 3 <= n <= 40 and len(t) >= 8 and t.isalpha()
                      and by_prefix[t[:6]] == [t])
        rare_set = set(rare)
        for w in rare[:: max(1, len(rare) // 8)][:8]:
            want = {i for i, ts in per_doc.items() if w in ts}
            checked += check(a, w, want, "rare word")

        # Phrases of two such words, in order, adjacent.
        pairs = {}
        doc_pairs = {i: set(zip(ts, ts[1:])) for i, ts in doc_tokens.items()}
        for i, ts in doc_tokens.items():
            for x, y in zip(ts, ts[1:]):
                if x in rare_set and y.isalpha() and len(y) >= 5 and by_prefix.get(y[:6]) == [y]:
                    pairs.setdefault((x, y), set()).add(i)
        for (x, y), _ in sorted(pairs.items())[:5]:
            want = {i for i, ps in doc_pairs.items() if (x, y) in ps}
            checked += check(a, f'"{x} {y}"', want, "phrase")

        # Regular expressions and substrings over the decoded text.
        for pattern, flags, q in ((r"enron ?online", re.I, "re:/enron ?online/i"),
                                  (r"\b\d{3}-\d{3}-\d{4}\b", 0, r"re:/\b\d{3}-\d{3}-\d{4}\b/"),
                                  (r"[Cc]onfidentiality [Aa]greement", 0, "re:/[Cc]onfidentiality [Aa]greement/"),
                                  (r"713[.-]853", 0, "re:/713[.-]853/")):
            want = {i for i, m in msgs.items() if re.search(pattern, m["body"], flags)
                    or any(re.search(pattern, m["h"].get(f, ""), flags) for f in FIELDS)}
            checked += check(a, q, want, "regex")
        for s in ("Kenneth Lay", "ERCOT", "$1,000"):
            want = {i for i, m in msgs.items() if s in m["body"] or any(s in m["h"].get(f, "") for f in FIELDS)}
            checked += check(a, f'text:"{s}"', want, "substring")

        # Boolean combinations agree with set algebra on results already checked.
        w1, w2 = rare[0], rare[1]
        s1, s2 = search_ids(a, w1), search_ids(a, w2)
        expect(search_ids(a, f"{w1} OR {w2}") == s1 | s2, "OR is not the union")
        expect(search_ids(a, f"{w1} -{w2}") == s1 - s2, "NOT is not the difference")
        may = search_ids(a, "date:2001-05-01..2001-05-31")
        expect(search_ids(a, f"re:/enron ?online/i date:2001-05-01..2001-05-31") ==
               search_ids(a, "re:/enron ?online/i") & may, "AND with a regex is not the intersection")
    done(f"search ground truth: {checked} expected hits across senders, dates, words, phrases, regexes")


if __name__ == "__main__":
    main()
