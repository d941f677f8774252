"""Authenticity end to end: DKIM verified at import, keys kept, `authenticate` offline and
`--rescan`, `dkim:` and `signed-by:` search, `show --json`. The first part uses the signed
fixtures in tests/e2e/dkim (always present); the second the shared corpora (skipped without
them): every rfc6376 row of the Mail::DKIM vectors, and the real Gmail message."""
import base64
import csv
import hashlib
import os
import subprocess

from harness import BIN, CORPORA, TempDir, done, expect, run, run_json, sha256

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dkim")


def fixture(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def search_ids(a, q):
    return {l for l in run(a, "search", "--ids", "--limit", "0", q).stdout.decode().split()}


def authenticate(a, mid, *extra):
    return run_json(a, "authenticate", *extra, mid)


def only_signature(report):
    expect(len(report["signatures"]) == 1, f"one signature expected: {report}")
    return report["signatures"][0]


def fixtures_part(tmp):
    a = os.path.join(tmp, "a")
    run(a, "init")
    keys = os.path.join(FIXTURES, "keys.txt")
    signed, limit, listed = fixture("signed.eml"), fixture("limit.eml"), fixture("list.eml")
    unsigned = b"From: c@example.net\r\nSubject: no signature\r\n\r\nplain\r\n"
    d = os.path.join(tmp, "in1")
    os.makedirs(d)
    for name, data in (("signed.eml", signed), ("limit.eml", limit), ("list.eml", listed),
                       ("unsigned.eml", unsigned)):
        write(os.path.join(d, name), data)
    ids = {n: sha256(x) for n, x in (("signed", signed), ("limit", limit), ("list", listed),
                                     ("unsigned", unsigned))}

    # No key source at all: the import succeeds and records temperror, body hashes checked.
    res = run_json(a, "import", "--custodian", "ann", d)
    expect(res["new"] == 4, f"import: {res}")
    expect(res["dkim"] == {"temperror": 3, "none": 1}, f"verdicts at import: {res['dkim']}")
    shown = run_json(a, "show", ids["signed"])
    auth = shown["authenticity"]
    expect(auth["verdict"] == "temperror", f"show --json: {auth}")
    sig = only_signature(auth["report"])
    expect(sig["body_hash"] == "match" and sig["result"] == "temperror", f"no key: {sig}")
    expect(only_signature(run_json(a, "show", ids["list"])["authenticity"]["report"])["body_hash"] == "mismatch",
           "the footer must show as a body hash mismatch even without a key")
    expect(run_json(a, "show", ids["unsigned"])["authenticity"]["report"] is None, "unsigned: no report")
    expect(search_ids(a, "dkim:temperror") == {ids["signed"], ids["limit"], ids["list"]}, "dkim:temperror")
    expect(search_ids(a, "dkim:pass") == set(), "nothing passes without keys")
    expect(search_ids(a, "dkim:none") == {ids["unsigned"]}, "dkim:none")

    # Keys added later: --rescan flips temperror to a result, keeping the history.
    r = run_json(a, "authenticate", "--rescan", "--keys", keys)
    expect(r["checked"] == 3 and r["changed"] == 3, f"rescan: {r}")
    expect(r["verdicts"] == {"pass": 2, "fail": 1}, f"rescan verdicts: {r}")
    st = run_json(a, "stats")["dkim"]
    expect(st == {"pass": 2, "fail": 1, "none": 1, "unchecked": 0, "keys_kept": 1}, f"stats: {st}")
    again = run_json(a, "authenticate", "--rescan")
    expect(again["checked"] == 0, f"a second rescan has nothing to do: {again}")

    # Offline, with no key file: the kept key verifies.
    rep = authenticate(a, ids["signed"])
    expect(rep["verdict"] == "pass", f"kept key: {rep}")
    s = only_signature(rep)
    expect(s["d"] == "custodian.example" and s["s"] == "test2026" and s["a"] == "rsa-sha256", f"tags: {s}")
    expect(s["weak"] is False and s["weak_reason"] == "", f"2048-bit rsa-sha256 is not weak: {s}")
    expect(s["key"]["fingerprint"].startswith("sha256:") and "kept in the archive" in s["key"]["source"],
           f"key provenance: {s['key']}")
    expect(rep["stored"]["verdict"] == "pass" and rep["stored"]["results"] == 2, f"history: {rep['stored']}")
    expect([h["verdict"] for h in rep["history"]] == ["temperror", "pass"], f"history: {rep['history']}")

    # l=: passes, and says how many bytes after the limit nobody signed.
    s = only_signature(authenticate(a, ids["limit"]))
    expect(s["result"] == "pass" and s["body_bytes_unsigned"] > 0, f"l=: {s}")
    expect("not covered" in s["reason"], f"l= reason: {s['reason']}")
    text = run(a, "authenticate", ids["limit"]).stdout.decode()
    expect("NOT signed" in text, f"the report must say the bytes after l= are not signed:\n{text}")

    # A mailing-list footer: a body hash mismatch, not a key problem.
    rep = authenticate(a, ids["list"])
    s = only_signature(rep)
    expect(rep["verdict"] == "fail" and s["body_hash"] == "mismatch", f"list footer: {s}")
    expect("body hash mismatch" in s["reason"] and "key" not in s["reason"].split(":")[0], f"reason: {s['reason']}")

    # One signed header changed: imported now, verified at import with the kept key.
    forged = signed.replace(b"Subject: Minutes", b"Subject: Minutez")
    changed_body = signed.replace(b"minutes of Monday", b"minutes of Friday")
    appended = limit + b"PPS: and another one.\r\n"
    d2 = os.path.join(tmp, "in2")
    os.makedirs(d2)
    for name, data in (("forged.eml", forged), ("body.eml", changed_body), ("appended.eml", appended)):
        write(os.path.join(d2, name), data)
    res = run_json(a, "import", "--custodian", "ann", d2)
    expect(res["dkim"] == {"fail": 2, "pass": 1}, f"tampered imports: {res['dkim']}")
    s = only_signature(authenticate(a, sha256(forged)))
    expect(s["result"] == "fail" and s["body_hash"] == "match" and "header" in s["reason"], f"header: {s}")
    s = only_signature(authenticate(a, sha256(changed_body)))
    expect(s["result"] == "fail" and s["body_hash"] == "mismatch", f"body byte: {s}")
    s = only_signature(authenticate(a, sha256(appended)))
    expect(s["result"] == "pass" and s["body_bytes_unsigned"] > only_signature(authenticate(a, ids["limit"]))[
        "body_bytes_unsigned"], f"appended after l=: {s}")

    # Search by result and by signer.
    expect(search_ids(a, "dkim:pass") == {ids["signed"], ids["limit"], sha256(appended)}, "dkim:pass")
    expect(search_ids(a, "dkim:fail") == {ids["list"], sha256(forged), sha256(changed_body)}, "dkim:fail")
    expect(search_ids(a, "signed-by:custodian.example") == search_ids(a, "dkim:pass"), "signed-by")
    expect(search_ids(a, "signed-by:CUSTODIAN.example") == search_ids(a, "dkim:pass"), "signed-by is case-blind")
    expect(search_ids(a, "signed-by:example") == set(), "signed-by takes the exact domain")
    expect(search_ids(a, "signed-by:custodian.example -dkim:pass") == set(), "signed-by implies a pass")
    expect(search_ids(a, "dkim:temperror") == set(), "no temperror left")
    p = run(a, "search", "dkim:maybe", check=False)
    expect(p.returncode == 2 and b"known: pass, fail, none, temperror, permerror" in p.stderr, f"dkim:maybe {p.stderr}")

    # The domain replaces the key at the same selector: new mail verifies with the new key, and
    # the old mail still with the old one, both kept.
    rotated = fixture("rotated.eml")
    res = run_json(a, "import", "--custodian", "ann", "--dkim-keys", os.path.join(FIXTURES, "keys-rotated.txt"),
                   write(os.path.join(tmp, "rotated.eml"), rotated))
    expect(res["dkim"] == {"pass": 1}, f"rotated key: {res['dkim']}")
    fingerprints = set()
    for mid in (ids["signed"], sha256(rotated)):
        rep = authenticate(a, mid)
        expect(rep["verdict"] == "pass", f"after rotation {mid}: {rep['reason']}")
        fingerprints.add(only_signature(rep)["key"]["fingerprint"])
    expect(len(fingerprints) == 2, f"two key versions expected: {fingerprints}")

    # A key file that does not parse is a usage error naming the line.
    bad = write(os.path.join(tmp, "bad-keys.txt"), b"not-a-key-name v=DKIM1; p=abc\n")
    p = run(a, "authenticate", "--keys", bad, ids["signed"], check=False)
    expect(p.returncode == 2 and b"line 1" in p.stderr, f"bad key file: {p.returncode} {p.stderr}")


def pem_record(pem):
    b64 = "".join(l for l in pem.splitlines() if not l.startswith("-----"))
    return "v=DKIM1; k=rsa; p=" + b64


def corpus_part(tmp):
    vectors = os.path.join(CORPORA, "dkim-vectors")
    gmail_dir = os.path.join(CORPORA, "parser-torture/mimekit/UnitTests/TestData/dkim")
    if not os.path.isdir(vectors) or not os.path.isdir(gmail_dir):
        print(f"SKIPPED corpus part: {CORPORA} lacks dkim-vectors or the MimeKit dkim fixtures")
        return 0
    a = os.path.join(tmp, "v")
    run(a, "init")
    res = run_json(a, "import", "--custodian", "vectors", "--format", "eml", "--dkim-keys",
                   os.path.join(vectors, "keys.txt"), *sorted(
                       os.path.join(vectors, "corpus", f) for f in os.listdir(os.path.join(vectors, "corpus"))))
    expect(res["rejected"] == 0, f"vectors import: {res}")
    rows = reproduced = weak = 0
    with open(os.path.join(vectors, "expected.tsv")) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["scope"] != "rfc6376":
                continue
            rows += 1
            with open(os.path.join(vectors, "corpus", row["file"]), "rb") as m:
                mid = sha256(m.read())
            rep = authenticate(a, mid, "--keys", os.path.join(vectors, "keys.txt"))
            stored = run_json(a, "show", mid)["authenticity"]
            expect(stored["verdict"] == rep["verdict"], f"{row['file']}: stored {stored['verdict']} vs {rep['verdict']}")
            if row["expected"] == "pass":
                expect(rep["verdict"] == "pass", f"{row['file']}: expected pass, got {rep['verdict']}: {rep['reason']}")
                # No key file: the records kept at import are enough.
                expect(authenticate(a, mid)["verdict"] == "pass", f"{row['file']}: not from the kept key")
                passing = [s for s in rep["signatures"] if s["result"] == "pass"]
                if row["weak"] == "yes":
                    expect(passing[0]["weak"] and passing[0]["weak_reason"], f"{row['file']} must be flagged weak")
                    weak += 1
                elif row["weak"] == "no":
                    expect(not passing[0]["weak"], f"{row['file']} is not weak")
            else:
                expect(rep["verdict"] != "pass" and rep["signatures"], f"{row['file']}: expected not pass: {rep}")
                for s in rep["signatures"]:
                    expect(s["reason"], f"{row['file']}: a reason for every signature")
            reproduced += 1
    expect(rows > 40, f"only {rows} rfc6376 rows")
    text = run(a, "authenticate", sha256(open(os.path.join(vectors, "corpus", "good_rfc4871_3.txt"), "rb").read()))
    expect(b"RFC 8301" in text.stdout, "the report explains what weak means")

    # Gmail: verifies with gmail.pub at import, and afterwards with no key file.
    g = os.path.join(tmp, "g")
    run(g, "init")
    keys = write(os.path.join(tmp, "gmail-keys.txt"),
                 ("20120113._domainkey.gmail.com  " + pem_record(open(os.path.join(gmail_dir, "gmail.pub")).read())
                  + "\n").encode())
    raw = open(os.path.join(gmail_dir, "gmail.msg"), "rb").read()
    res = run_json(g, "import", "--custodian", "g", "--format", "eml", "--dkim-keys", keys,
                   os.path.join(gmail_dir, "gmail.msg"))
    expect(res["dkim"] == {"pass": 1}, f"gmail at import: {res['dkim']}")
    rep = authenticate(g, sha256(raw))
    s = only_signature(rep)
    expect(rep["verdict"] == "pass" and s["d"] == "gmail.com" and s["key"]["bits"] == 2048, f"gmail: {s}")
    expect(search_ids(g, "signed-by:gmail.com") == {sha256(raw)}, "signed-by:gmail.com")
    body = raw.index(b"\n\n") + 2
    flipped = raw[:body + 3] + bytes([raw[body + 3] ^ 0x20]) + raw[body + 4:]
    write(os.path.join(tmp, "flipped.eml"), flipped)
    res = run_json(g, "import", "--custodian", "g", "--format", "eml", os.path.join(tmp, "flipped.eml"))
    expect(res["dkim"] == {"fail": 1}, f"one body byte: {res['dkim']}")
    s = only_signature(authenticate(g, sha256(flipped)))
    expect(s["body_hash"] == "mismatch" and "body" in s["reason"], f"gmail body byte: {s}")
    return rows


def main():
    out = subprocess.run(["ldd", BIN], capture_output=True, text=True).stdout
    for lib in ("libunbound", "libevent", "libssl"):
        expect(lib not in out, f"{BIN} must not load {lib} at start-up:\n{out}")
    with TempDir() as tmp:
        fixtures_part(tmp)
        rows = corpus_part(tmp)
    done(f"dkim authenticity: fixtures; {rows} rfc6376 vector rows reproduced through authenticate --json")


if __name__ == "__main__":
    main()
