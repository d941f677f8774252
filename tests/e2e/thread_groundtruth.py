#!/usr/bin/env python3
"""Threads on real mailing-list mail (the SpamAssassin corpus), against ground truth computed
here from the raw files: messages linked by Message-ID / In-Reply-To / References, directly or
through messages the archive never received, form one thread, which the archive must never
split. Beyond that, the archive may only add what the subject rule allows (docs/search.md,
"Threads"): messages without threading headers that share a subject with the thread, and the
linked threads that reply to such a message."""
import email.errors
import email.header
import email.parser
import email.policy
import os
import re

from harness import TempDir, corpus, done, mbox_message, expect, run, run_json, sha256

ID = re.compile(rb"<([^<>\s]+)>")



def header(raw, name):
    """The unfolded value of the first header field `name` in the header block, as bytes."""
    head = raw.split(b"\n\n", 1)[0].replace(b"\r\n", b"\n")
    m = re.search(rb"(?im)^" + name + rb":[ \t]*(.*(?:\n[ \t].*)*)", head)
    return re.sub(rb"\n[ \t]+", b" ", m.group(1)) if m else b""


def in_reply_to(value):
    """The message In-Reply-To names: the first id of a proper list of ids; in prose written by
    older mailers ("Message from Ann <ann@x> of <date> <id@host>"), the last <...@...> token."""
    ids = ID.findall(value)
    if not ids:
        return []
    if re.fullmatch(rb"\s*(<[^<>\s]+>\s*)+", value):
        return ids[:1]
    ids = [i for i in ids if b"@" in i and not i.startswith(b"@") and not i.endswith(b"@")]
    return ids[-1:]


def decoded_subject(raw):
    try:
        return str(email.header.make_header(email.header.decode_header(raw)))
    except (UnicodeError, LookupError, email.errors.HeaderParseError):
        return str(raw)


def normalize_subject(s):
    s = s.strip()
    again = True
    while again:
        again = False
        if s.startswith("[") and "]" in s:
            s = s[s.index("]") + 1:].strip()
            again = True
            continue
        for p in ("re:", "re :", "fw:", "fwd:", "aw:", "sv:", "wg:", "tr:", "antw:"):
            if s.lower().startswith(p):
                s = s[len(p):].strip()
                again = True
                break
    return " ".join(s.lower().split())


def main():
    root = corpus("spamassassin")
    groups = sorted(os.listdir(root))
    msgs = {}  # sha -> (message-id, linked ids)
    subjects = {}
    parser = email.parser.BytesHeaderParser(policy=email.policy.compat32)
    for g in groups:
        for n in sorted(os.listdir(os.path.join(root, g))):
            with open(os.path.join(root, g, n), "rb") as fh:
                m = mbox_message(fh.read())
            mid = ID.findall(header(m, b"Message-ID"))
            links = ID.findall(header(m, b"References")) + in_reply_to(header(m, b"In-Reply-To"))
            msgs[sha256(m)] = (mid[0] if mid else None, links)
            subjects[sha256(m)] = normalize_subject(decoded_subject(parser.parsebytes(m).get("Subject", "")))
    # Union-find over Message-IDs, including ids only referenced.
    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a, b):
        parent[find(a)] = find(b)

    for sha, (mid, links) in msgs.items():
        node = mid or b"sha:" + sha.encode()
        find(node)
        for l in links:
            union(node, l)
    linked = {sha for sha, (mid, links) in msgs.items() if links}
    component = {}
    for sha, (mid, links) in msgs.items():
        component.setdefault(find(mid or b"sha:" + sha.encode()), set()).add(sha)
    threads = [c for c in component.values() if len(c) > 1 and c & linked]
    expect(len(threads) > 100, f"only {len(threads)} linked threads in the corpus?")

    with TempDir() as tmp:
        a = os.path.join(tmp, "a")
        run(a, "init")
        res = run_json(a, "import", "--custodian-from-path", *[os.path.join(root, g) for g in groups])
        expect(res["rejected"] == 0, f"import: {res}")
        checked = joined = merged = 0
        component_of = {sha: c for c in component.values() for sha in c}
        for members in threads:
            probe = sorted(members & linked)[0]
            got = set(run(a, "search", "--ids", "--limit", "0", "thread:" + probe).stdout.decode().split())
            missing = members - got
            expect(not missing, f"thread of {probe}: {len(missing)} linked messages missing, e.g. {sorted(missing)[:2]}")
            # Linked threads merge only through the subject rule, which joins a message without
            # threading headers to a thread with its subject (replies to it then link the
            # threads): a thread spanning several linked threads must hold such a message, and
            # every message without headers in it must share a subject with a message there.
            parts = {id(component_of[x]) for x in got}
            headerless = [x for x in got if not msgs[x][1]]
            if len(parts) > 1:
                expect(headerless, f"thread of {probe}: {len(parts)} linked threads merged with no message to join them")
                merged += len(parts) - 1
            for x in got - members:
                if not msgs[x][1] and component_of[x] is not members and len(component_of[x]) == 1:
                    others = {subjects[y] for y in got if y != x}
                    expect(subjects[x] in others, f"thread of {probe}: {x} joined without a link or a shared subject")
                    joined += 1
            checked += len(members)
        done(f"threads: {len(threads)} threads of {checked} linked messages, none split; "
             f"{joined} messages without headers joined by subject, {merged} merges through them")


if __name__ == "__main__":
    main()
