"""The command line as a user meets it: init, import of small fixtures, show views, ls, stats,
clear errors with non-zero exit codes."""
import json
import os
import subprocess

from harness import BIN, TempDir, done, expect, run, run_json, run_json_lines, sha256

PLAIN = (b"From: =?utf-8?q?Ren=C3=A9e?= <renee@example.org>\nTo: Bob <bob@example.com>\n"
         b"Subject: =?iso-8859-1?q?R=E9sum=E9?= attached\nDate: Tue, 15 May 2001 09:00:00 +0200\n"
         b"Message-ID: <r1@example.org>\nMIME-Version: 1.0\n"
         b"Content-Type: multipart/mixed; boundary=XX\n\n--XX\nContent-Type: text/plain; charset=utf-8\n\n"
         b"Hello Bob, caf\xc3\xa9 at noon?\n--XX\nContent-Type: application/pdf\n"
         b"Content-Disposition: attachment; filename=\"cv.pdf\"\nContent-Transfer-Encoding: base64\n\n"
         b"JVBERi0xLjQK\n--XX--\n")
HTML = (b"From: news@example.net\nSubject: Weekly\nDate: Wed, 16 May 2001 10:00:00 +0000\n"
        b"Content-Type: text/html\n\n<html><head><style>p{}</style></head><body><p>Big &amp; bold</p>"
        b"<script>x()</script></body></html>\n")


def main():
    with TempDir() as tmp:
        a = os.path.join(tmp, "arch")
        # Commands on a missing archive fail clearly.
        p = run(a, "stats", check=False)
        expect(p.returncode == 1 and b"custodian --archive" in p.stderr, f"missing archive: {p.stderr}")
        run(a, "init")
        expect(oct(os.stat(os.path.join(a, "keys", "master.key")).st_mode & 0o777) == "0o600", "key mode")
        expect(run(a, "init", check=False).returncode == 1, "second init must fail")

        md = os.path.join(tmp, "md")
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(md, sub))
        open(os.path.join(md, "cur", "1.x:2,S"), "wb").write(PLAIN)
        open(os.path.join(md, "cur", "2.x:2,ST"), "wb").write(HTML)

        # Usage errors: exit 2 with a message.
        for args in (["import", md], ["import", "--custodian", "x"], ["show"], ["bogus"],
                     ["import", "--custodian", "x", "--format", "nope", md], ["ls", "--nope"]):
            p = run(a, *args, check=False)
            expect(p.returncode == 2 and p.stderr.startswith(b"custodian: "), f"{args}: {p.returncode} {p.stderr}")
        p = run(a, "import", "--custodian", "x", os.path.join(tmp, "nonexistent"), check=False)
        expect(p.returncode == 1 and b"no such file" in p.stderr, f"missing path: {p.stderr}")

        res = run_json(a, "import", "--custodian", "renee", md)
        for k in ("read", "new", "duplicate", "rejected"):
            expect(k in res, f"import --json lacks {k}")
        expect(res["read"] == 2 and res["new"] == 2, f"import: {res}")
        human = run(a, "import", "--custodian", "renee", md).stdout.decode()
        expect("already archived: 2" in human, f"human summary: {human}")

        pid, hid = sha256(PLAIN), sha256(HTML)
        expect(run(a, "show", pid).stdout == PLAIN, "show returns exact bytes")
        headers = run(a, "show", "--headers", pid[:8]).stdout.decode()
        expect("Subject: Résumé attached" in headers, f"decoded subject: {headers}")
        expect("Renée" in headers, "decoded from")
        text = run(a, "show", "--text", pid[:8]).stdout.decode()
        expect("café at noon" in text and "cv.pdf" in text, f"text view: {text}")
        htext = run(a, "show", "--text", hid[:8]).stdout.decode()
        expect("Big & bold" in htext and "x()" not in htext and "p{}" not in htext, f"html view: {htext}")
        j = run_json(a, "show", pid)
        expect(j["subject"] == "Résumé attached" and j["date"] == "2001-05-15T07:00:00Z", f"json: {j}")
        expect(j["attachments"][0]["filename"] == "cv.pdf" and j["attachments"][0]["size"] == 9, f"att: {j}")
        expect(j["from"][0]["address"] == "renee@example.org", "from address")
        expect(run(a, "show", "0000", check=False).returncode == 1, "unknown id")
        expect(run(a, "show", "zz", check=False).returncode == 2, "malformed id")

        # ls hides the custodian's deleted message unless asked.
        ids = [m["id"] for m in run_json_lines(a, "ls")]
        expect(ids == [pid], f"ls: {ids}")
        rows = run_json_lines(a, "ls", "--deleted")
        expect({r["id"] for r in rows} == {pid, hid}, "ls --deleted")
        expect([r["deleted"] for r in rows if r["id"] == hid] == [True], "deleted flag")
        expect(run(a, "ls", "--custodian", "nobody", check=False).returncode == 1, "unknown custodian")
        folders = run_json_lines(a, "ls", "--folders")
        expect(folders == [{"custodian": "renee", "folder": "INBOX", "messages": 2, "deleted": 1}], f"{folders}")
        human_ls = run(a, "ls").stdout.decode()
        expect(pid[:12] in human_ls and "2001-05-15 07:00" in human_ls, f"ls human: {human_ls}")

        s = run_json(a, "stats")
        expect(s["messages"] == 2 and s["copies"] == 2 and s["raw_bytes"] == len(PLAIN) + len(HTML), f"stats {s}")
        expect(s["custodians"][0]["name"] == "renee", "per custodian stats")
        v = run_json(a, "verify")
        expect(v["ok"] and v["messages_checked"] == 2, f"verify {v}")
        expect(b"custodian" in run(a, "--help").stdout, "help")

        # Search: fields, attachment names, regexes, errors that point at the problem.
        hits = run_json_lines(a, "search", "from:renee@example.org")
        expect([h["id"] for h in hits] == [pid], f"search from: {hits}")
        expect(hits[0]["subject"] == "Résumé attached" and hits[0]["copies"][0]["custodian"] == "renee", f"{hits}")
        expect("«café»" in run_json_lines(a, "search", "cafe")[0]["snippet"], "snippet marks the hit")
        expect([h["id"] for h in run_json_lines(a, "search", "filename:cv.pdf")] == [pid], "filename:")
        expect(run(a, "search", "--count", "re:/bo+ld/i OR subject:resume").stdout == b"2\n", "count")
        expect(run(a, "search", "--count", "is:deleted").stdout == b"1\n", "is:deleted")
        p = run(a, "search", "from:(bob", check=False)
        err = p.stderr.decode()
        lines = err.splitlines()
        expect(p.returncode == 2 and len(lines) == 4, f"query error: {err}")
        expect(lines[1] == "from:(bob" and lines[2].strip() == "^" and "')'" in lines[3],
               f"the query on its own line, a caret under it, then what is wrong: {lines}")
        # A rebuilt index answers the same, and verify accounts for the retired text blocks.
        before = run(a, "search", "--limit", "0", "*").stdout
        run(a, "reindex", "--all")
        expect(run(a, "search", "--limit", "0", "*").stdout == before, "reindex changed results")
        expect(run_json(a, "verify")["ok"], "verify after reindex")

        # Threads: a reply (imported first) and its original, linked by In-Reply-To.
        t = os.path.join(tmp, "thread")
        os.makedirs(os.path.join(t, "cur"))
        root = b"Message-ID: <root@x>\nSubject: plan\nDate: Mon, 14 May 2001 10:00:00 +0000\n\nfirst\n"
        reply = (b"Message-ID: <reply@x>\nIn-Reply-To: <root@x>\nSubject: Re: plan\n"
                 b"Date: Mon, 14 May 2001 11:00:00 +0000\n\nsecond\n")
        open(os.path.join(t, "cur", "1:2,S"), "wb").write(reply)
        open(os.path.join(t, "cur", "2:2,S"), "wb").write(root)
        run(a, "import", "--custodian", "renee", t)
        tree = run_json_lines(a, "thread", sha256(reply)[:10])
        expect([(e["id"], e["depth"]) for e in tree] == [(sha256(root), 0), (sha256(reply), 1)], f"thread: {tree}")
        expect(run(a, "search", "--count", "thread:" + sha256(root)[:8]).stdout == b"2\n", "thread: query")

        # The mail parser is custodian-mime.so beside the program (unless the build links it
        # in: the sanitizer builds). Without it, search and the other commands that never parse
        # work as before; an import stops before reading any mail, says why, and leaves the
        # archive as it was.
        if os.environ.get("CUSTODIAN_MIME_PLUGIN", "1") == "1":
            parser_plugin_part(a, t, tmp)
    done("cli basics")


def parser_plugin_part(a, t, tmp):
    """Without custodian-mime.so: search works, import stops with exit 70 and changes nothing."""
    before = run(a, "search", "--count", "*").stdout
    env = dict(os.environ, CUSTODIAN_MIME_LIBRARY=os.path.join(tmp, "no-such-parser.so"))
    p = subprocess.run([BIN, "--archive", a, "search", "--count", "*"], capture_output=True, env=env)
    expect(p.returncode == 0 and p.stdout == before, f"search without the parser: {p.returncode} {p.stderr!r}")
    p = subprocess.run([BIN, "--archive", a, "import", "--custodian", "renee", t], capture_output=True, env=env)
    expect(p.returncode == 70, f"import without the parser exited {p.returncode}")
    expect(b"cannot load the mail parser" in p.stderr and b"no-such-parser.so" in p.stderr,
           f"import without the parser: {p.stderr!r}")
    expect(run(a, "search", "--count", "*").stdout == before, "a failed import changed the archive")
    expect(run_json(a, "verify")["ok"], "verify after the failed import")


if __name__ == "__main__":
    main()
