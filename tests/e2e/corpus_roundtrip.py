"""Every message of the Enron subset and of the SpamAssassin corpus imports and comes back
byte-identical through `show` and `export`; export -> import gives the same ids.
Ground truth is computed here from the raw files, independently of the engine."""
import os
import random

from harness import (TempDir, archive_ids, corpus, done, mbox_message, expect, run, run_json, run_json_lines, sha256,
                     tree_ids)


def enron():
    maildir = corpus("enron-maildir-subset", "maildir")
    users = sorted(os.listdir(maildir))
    truth = {}        # id -> bytes of one file holding it
    placements = set()  # (custodian, folder, id)
    files = 0
    for u in users:
        for root, _, names in os.walk(os.path.join(maildir, u)):
            for n in names:
                with open(os.path.join(root, n), "rb") as fh:
                    data = fh.read()
                files += 1
                i = sha256(data)
                truth[i] = data
                folder = os.path.relpath(root, os.path.join(maildir, u))
                placements.add((u, "" if folder == "." else folder, i))  # top level is ""

    expect(files == 24637, f"expected 24,637 Enron files, found {files}")

    with TempDir() as tmp:
        a = os.path.join(tmp, "a")
        run(a, "init")
        res = run_json(a, "import", "--custodian-from-path", *[os.path.join(maildir, u) for u in users])
        expect(res["read"] == files, f"read {res['read']} of {files}")
        expect(res["rejected"] == 0, f"rejected: {res['rejections'][:5]}")
        expect(res["new"] == len(truth), f"new {res['new']} != {len(truth)} distinct messages")
        stats = run_json(a, "stats")
        expect(stats["messages"] == len(truth), f"stats messages {stats['messages']}")
        expect(stats["copies"] == len(placements), f"stats copies {stats['copies']} != {len(placements)}")
        listed = run_json_lines(a, "ls", "--deleted")
        expect({(m["custodian"], m["folder"], m["id"]) for m in listed} == placements,
               "ls does not list exactly the custodians' folders as kept")

        # show: exact bytes, by full id and by prefix.
        rng = random.Random(7)
        for i in rng.sample(sorted(truth), 60):
            expect(run(a, "show", i).stdout == truth[i], f"show {i} differs from the original file")
            expect(run(a, "show", i[:12]).stdout == truth[i], f"show {i[:12]} differs")

        # export eml: every file is a message, named by its id, bytes identical.
        out = os.path.join(tmp, "eml")
        exp = run_json(a, "export", "--format", "eml", out)
        expect(exp["messages"] == len(placements), f"exported {exp['messages']}")
        exported = tree_ids(out)
        expect(set(exported) == set(truth), "exported eml files are not exactly the archived messages")
        for i, path in exported.items():
            expect(os.path.basename(path).startswith(i), f"{path} holds {i}")

        # export maildir, import into a new archive: same ids, same folders.
        md = os.path.join(tmp, "md")
        run(a, "export", "--format", "maildir", md)
        b = os.path.join(tmp, "b")
        run(b, "init")
        run(b, "import", "--custodian-from-path", *[os.path.join(md, u) for u in users])
        expect(archive_ids(b) == set(truth), "maildir export -> import changed the ids")
        again = run_json(a, "import", "--custodian-from-path", *[os.path.join(maildir, u) for u in users])
        expect(again["new"] == 0 and again["new_copies"] == 0, f"re-import added something: {again}")
        expect(run_json(a, "verify")["ok"], "verify failed")
    done(f"enron: {files} files, {len(truth)} distinct messages, {len(placements)} copies")



def spamassassin():
    root = corpus("spamassassin")
    groups = sorted(os.listdir(root))
    truth = {}
    files = 0
    for g in groups:
        for n in sorted(os.listdir(os.path.join(root, g))):
            with open(os.path.join(root, g, n), "rb") as fh:
                files += 1
                m = mbox_message(fh.read())
                truth.setdefault(sha256(m), m)
    with TempDir() as tmp:
        a = os.path.join(tmp, "a")
        run(a, "init")
        res = run_json(a, "import", "--custodian-from-path", *[os.path.join(root, g) for g in groups])
        expect(res["read"] == files and res["rejected"] == 0, f"import: {res}")
        # One message per file, From_ line first: each file is a message in its directory's folder.
        folders = run_json_lines(a, "ls", "--folders")
        expect(sorted((f["custodian"], f["folder"]) for f in folders) == [(g, "") for g in groups],
               f"one-message mbox files became folders: {folders[:5]}")
        got = archive_ids(a)
        missing = set(truth) - got
        expect(not missing, f"{len(missing)} messages not archived with the expected bytes, e.g. {sorted(missing)[:3]}")
        expect(got == set(truth), f"{len(got - set(truth))} unexpected ids")
        for i in random.Random(3).sample(sorted(truth), 40):
            expect(run(a, "show", i).stdout == truth[i], f"show {i} differs")
        mb = os.path.join(tmp, "mbox")
        run(a, "export", "--format", "mbox", mb)
        b = os.path.join(tmp, "b")
        run(b, "init")
        run(b, "import", "--custodian-from-path", *[os.path.join(mb, g) for g in groups])
        expect(archive_ids(b) == got, "mbox export -> import changed the ids")
        expect(run_json(a, "verify")["ok"], "verify failed")
    done(f"spamassassin: {files} files, {len(truth)} distinct messages")


if __name__ == "__main__":
    enron()
    spamassassin()
