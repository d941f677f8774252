"""Preservation with the real binary: delete and recover, retention, legal holds, purge (dry run
changes nothing; disposed content is gone), the ledger's checkpoint and proofs checked by an
independent RFC 9162 implementation written here, and verify naming tampering and a rollback.
The mail is generated here, so the test runs in any clone. (Tampering inside the encrypted
catalog — a deleted row, a removed message record, an altered ledger record — needs the key and
is tested in src/archive/preserve_test.cc.)"""
import base64
import hashlib
import json
import os
import shutil

from harness import TempDir, done, expect, run, run_json, run_json_lines, sha256


def msg(i, who, subject, body, year=2001):
    return (f"From: {who}@example.com\nTo: team@example.com\nSubject: {subject}\n"
            f"Date: Mon, 14 May {year} 16:{i % 60:02d}:00 -0700\nMessage-ID: <{who}.{i}@gen>\n\n{body}\n").encode()


def maildir(root, messages):
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    for i, m in enumerate(messages):
        with open(os.path.join(root, "cur", f"{i}.gen:2,S"), "wb") as f:
            f.write(m)


# RFC 9162 §2.1.3.2, written from the RFC, independent of the C++ code.
def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion(index, size, leaf, path):
    if index >= size:
        raise ValueError("index outside the tree")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise ValueError("path too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while (fn & 1) == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("path too short")
    return r


def snapshot(d):
    out = {}
    for root, _, files in os.walk(d):
        for f in files:
            p = os.path.join(root, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, d)] = fh.read()
    return out


def grep_tree(d, needle):
    return [p for p, data in snapshot(d).items() if needle in data]


def problems(archive, *extra):
    p = run(archive, "--json", "verify", *extra, check=False)
    rep = json.loads(p.stdout)
    expect((p.returncode == 0) == rep["ok"], f"verify exit status {p.returncode} vs ok={rep['ok']}")
    return rep


def main():
    with TempDir() as tmp:
        a = os.path.join(tmp, "arch")
        run(a, "init")
        expect(os.path.exists(os.path.join(a, "keys", "ledger.key")), "init creates the ledger key")
        expect(oct(os.stat(os.path.join(a, "keys", "ledger.key")).st_mode & 0o777) == "0o600", "ledger key mode")

        alice = [msg(i, "alice", f"note {i}", f"routine memo number {i}", year=2025) for i in range(20)]
        keepme = msg(99, "alice", "keepme contract", "the contract draft we must keep")
        secret = msg(98, "alice", "payroll", "secretword-quokka-4471 salary table")
        maildir(os.path.join(tmp, "alice"), alice + [keepme, secret])
        run(a, "import", "--custodian", "alice", "--actor", "importer", os.path.join(tmp, "alice"))

        # Delete and recover: nothing removed, both recorded.
        mid = sha256(alice[0])
        run(a, "delete", "--custodian", "alice", mid[:10], "--reason", "tidy up")
        expect(run(a, "search", "--ids", "is:deleted").stdout.decode().split() == [mid], "is:deleted finds it")
        expect(mid not in {m["id"] for m in run_json_lines(a, "ls")}, "ls hides the deleted copy")
        expect(run(a, "show", mid).stdout == alice[0], "a deleted message is still readable")
        res = run_json(a, "recover", "--custodian", "alice", "--query", "subject:\"note 0\"")
        expect(res["changed"] == 1, f"recover: {res}")
        expect(run(a, "search", "--ids", "is:deleted").stdout.strip() == b"", "recovered")
        p = run(a, "delete", "--custodian", "nobody", mid, check=False)
        expect(p.returncode == 1 and b"nobody" in p.stderr, "unknown custodian")
        expect(run(a, "delete", mid, check=False).returncode == 2, "delete needs --custodian")

        # The checkpoint, kept outside the archive, and a proof anyone can check.
        cp = run_json(a, "checkpoint")
        expect(cp["tree_size"] >= 24 and len(cp["root_hash"]) == 64, f"checkpoint: {cp}")
        note = run(a, "checkpoint").stdout.decode()
        lines = note.split("\n")
        expect(int(lines[1]) == cp["tree_size"] and base64.b64decode(lines[2]).hex() == cp["root_hash"],
               "the note carries size and root")
        outside = os.path.join(tmp, "kept-elsewhere.note")
        with open(outside, "w") as f:
            f.write(note)
        before_policies = os.path.join(tmp, "before-policies")
        shutil.copytree(a, before_policies)

        pr = run_json(a, "prove", sha256(keepme))
        expect(pr["tree_size"] == cp["tree_size"] and pr["root_hash"] == cp["root_hash"], f"proof {pr}")
        record = bytes.fromhex(pr["record"])
        expect(leaf_hash(record).hex() == pr["leaf_hash"], "leaf hash is SHA-256(0x00 || record)")
        expect(hashlib.sha256(keepme).digest() in record, "the record names the message")
        root = root_from_inclusion(pr["leaf_index"], pr["tree_size"], bytes.fromhex(pr["leaf_hash"]),
                                   [bytes.fromhex(h) for h in pr["path"]])
        expect(root.hex() == cp["root_hash"], "the inclusion proof leads to the signed root")
        bad = [bytes.fromhex(h) for h in pr["path"]]
        bad[0] = bytes(32)
        expect(root_from_inclusion(pr["leaf_index"], pr["tree_size"], bytes.fromhex(pr["leaf_hash"]), bad).hex()
               != cp["root_hash"], "a wrong path does not")

        # Retention 0 days over everything, then holds: one placed after the policy, one on a
        # custodian whose mail has not arrived yet.
        run(a, "retention", "set", "everything", "--query", "*", "--keep", "0d", "--reason", "test")
        run(a, "retention", "set", "memos", "--query", "subject:note", "--keep", "7y")
        pol = {p["name"]: p for p in run_json_lines(a, "retention", "list")}
        expect(pol["everything"]["keep_days"] == 0 and pol["memos"]["keep_days"] == 2557, f"policies: {pol}")
        expect(run(a, "retention", "set", "x", "--query", "*", "--keep", "7 years", check=False).returncode == 2,
               "bad --keep is a usage error")
        run(a, "hold", "create", "Contract", "--query", "keepme", "--reason", "dispute", "--actor", "counsel")
        run(a, "hold", "create", "Carol", "--query", "*", "--custodian", "carol", "--from", "2001-01-01",
            "--to", "2001-12-31")
        carol = [msg(i, "carol", f"carol {i}", "arrived after the hold") for i in range(3)]
        maildir(os.path.join(tmp, "carol"), carol)
        run(a, "import", "--custodian", "carol", os.path.join(tmp, "carol"))

        # A dry run changes no byte of the archive. Like any read-only command, the first one
        # after a writer closed lets SQLite create an empty WAL and its index (-shm, no content);
        # every file that existed stays byte for byte the same, and a second dry run changes nothing.
        snap = snapshot(a)
        run_json(a, "purge", "--dry-run")
        after = snapshot(a)
        expect(all(after.get(k) == v for k, v in snap.items()), "purge --dry-run changed a file")
        added = set(after) - set(snap)
        expect(added <= {"catalog.db-wal", "catalog.db-shm"} and after.get("catalog.db-wal", b"") == b"",
               f"purge --dry-run added {added}")
        snap = snapshot(a)
        dry = run_json(a, "purge", "--dry-run")
        expect(snapshot(a) == snap, "purge --dry-run changed the archive")
        expect({m["id"] for m in dry["messages"]} == {sha256(secret)}, f"dry run: {dry}")
        expect(dry["held"] == 4 and dry["retained"] == 20, f"dry run counts: {dry}")

        res = run_json(a, "purge", "--reason", "retention over", "--actor", "records-officer")
        expect([m["id"] for m in res["messages"]] == [sha256(secret)], f"purge: {res}")
        expect(run(a, "show", sha256(secret), check=False).returncode == 1, "the disposed message is gone")
        expect(run(a, "search", "--count", "quokka").stdout.strip() == b"0", "and so is its text")
        expect(run(a, "search", "--count", "text:\"secretword-quokka\"").stdout.strip() == b"0", "substring")
        expect(grep_tree(a, b"secretword-quokka") == [], "plaintext in the raw files")
        # Compaction took the dead ciphertext off the disk: the first segment was rewritten.
        expect(res["bytes_reclaimed"] > 0 and not os.path.exists(os.path.join(a, "segments", "00000001.seg")),
               f"compaction: {res}")
        old_seg = snapshot(before_policies)[os.path.join("segments", "00000001.seg")]
        for chunk in (old_seg[100:164], old_seg[-64:]):
            expect(grep_tree(a, chunk) == [], "old segment bytes survive")
        dp = run_json(a, "prove", sha256(secret))
        expect(dp["event"] == "disposed", f"the disposal is provable: {dp}")
        drec = bytes.fromhex(dp["record"])
        expect(hashlib.sha256(secret).digest() in drec and b"records-officer" in drec and b"everything" in drec,
               "the disposal record holds digest, actor and policy")
        expect(root_from_inclusion(dp["leaf_index"], dp["tree_size"], leaf_hash(drec),
                                   [bytes.fromhex(h) for h in dp["path"]]).hex() == dp["root_hash"], "disposal proof")

        # Releasing a hold is recorded, with who and why; then its mail can go.
        expect(run(a, "hold", "release", "Contract", check=False).returncode == 2, "release needs --reason")
        run(a, "hold", "release", "Contract", "--reason", "settled", "--actor", "counsel")
        holds = {h["matter"]: h for h in run_json_lines(a, "hold", "list")}
        expect(not holds["Contract"]["active"] and holds["Contract"]["release_reason"] == "settled"
               and holds["Contract"]["released_by"] == "counsel", f"holds: {holds}")
        expect(holds["Carol"]["active"], "carol's hold stays")
        res = run_json(a, "purge")
        expect([m["id"] for m in res["messages"]] == [sha256(keepme)], f"after release: {res}")

        rep = problems(a, "--checkpoint", outside)
        expect(rep["ok"] and rep["checked_against_given_checkpoint"], f"verify: {rep}")
        newer = os.path.join(tmp, "newer.json")
        with open(newer, "w") as f:
            f.write(run(a, "--json", "checkpoint").stdout.decode())
        expect(problems(a, "--checkpoint", newer)["ok"], "a checkpoint given as JSON")
        junk = os.path.join(tmp, "junk")
        with open(junk, "w") as f:
            f.write("{\"note\": 5}")
        expect(run(a, "verify", "--checkpoint", junk, check=False).returncode == 2, "a malformed checkpoint file")

        # Rollback: the older copy verifies on its own, but not against the newer checkpoint.
        expect(problems(before_policies)["ok"], "the old copy is self-consistent")
        rep = problems(before_policies, "--checkpoint", newer)
        expect(not rep["ok"] and rep["problems"][0]["what"] == "rollback", f"rollback: {rep}")

        # One flipped byte in a segment, and a truncated segment, are named.
        seg = os.path.join("segments", "00000001.seg")
        t1 = os.path.join(tmp, "t1")
        shutil.copytree(before_policies, t1)  # block 1 (at byte 32) holds messages there
        with open(os.path.join(t1, seg), "r+b") as f:
            f.seek(200)
            b = f.read(1)
            f.seek(200)
            f.write(bytes([b[0] ^ 1]))
        rep = problems(t1)
        expect(not rep["ok"] and any(p["what"] == "message" and len(p["where"]) == 64 for p in rep["problems"]),
               f"flipped byte: {rep}")
        t2 = os.path.join(tmp, "t2")
        shutil.copytree(before_policies, t2)
        size = os.path.getsize(os.path.join(t2, seg))
        os.truncate(os.path.join(t2, seg), size - 100)
        rep = problems(t2)
        expect(not rep["ok"] and any("truncated" in p["detail"] for p in rep["problems"]), f"truncated: {rep}")
        human = run(t2, "verify", check=False).stdout.decode()
        expect("FAILED" in human and "truncated" in human, human)
    done("preservation")


if __name__ == "__main__":
    main()
