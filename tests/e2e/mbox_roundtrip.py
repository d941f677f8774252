"""mbox edge cases — From_ quoting, Content-Length, CRLF, a missing final newline — import, and
import -> export -> import gives the same message ids."""
import os

from harness import TempDir, archive_ids, done, expect, run, run_json, sha256

M1 = b"Subject: quoting\n\nFrom the start\n>From once\n>>From twice\nend\n"
M2 = b"Subject: crlf\r\n\r\nline one\r\nline two\r\n"
M3 = b"Subject: no final newline\n\nlast line"


def mboxrd_quote(m):
    out = []
    for line in m.split(b"\n"):
        stripped = line.lstrip(b">")
        out.append(b">" + line if stripped.startswith(b"From ") else line)
    return b"\n".join(out)


def main():
    with TempDir() as tmp:
        # An mboxrd file written by hand, the last message without a final newline.
        mbox = os.path.join(tmp, "in.mbox")
        with open(mbox, "wb") as f:
            f.write(b"From a@example.com Mon May 14 16:39:00 2001\n" + mboxrd_quote(M1) + b"\n")
            f.write(b"From b@example.com Mon May 14 16:40:00 2001\r\n" + M2 + b"\r\n")
            f.write(b"From c@example.com Mon May 14 16:41:00 2001\n" + M3)
        # mboxcl2: Content-Length delimits the body, nothing is quoted.
        cl = os.path.join(tmp, "cl.mbox")
        body = b"From inside the body, not a separator\nbye\n"
        m4 = b"Subject: cl2\nContent-Length: %d\n\n" % len(body) + body
        with open(cl, "wb") as f:
            f.write(b"From d@example.com Mon May 14 16:42:00 2001\n" + m4 + b"\n")
        a = os.path.join(tmp, "a")
        run(a, "init")
        res = run_json(a, "import", "--custodian", "c", mbox, cl)
        expect(res["read"] == 4 and res["rejected"] == 0, f"import: {res}")
        want = {sha256(m) for m in (M1, M2, M3, m4)}
        got = archive_ids(a)
        expect(got == want, f"ids differ: missing {len(want - got)}, extra {len(got - want)}")
        for m in (M1, M2, M3, m4):
            expect(run(a, "show", sha256(m)).stdout == m, f"show differs for {m[:20]}")
        for fmt in ("mbox", "maildir", "eml"):
            out = os.path.join(tmp, "out-" + fmt)
            run(a, "export", "--format", fmt, "--custodian", "c", out)
            b = os.path.join(tmp, "b-" + fmt)
            run(b, "init")
            run(b, "import", "--custodian", "c", out)
            expect(archive_ids(b) == want, f"{fmt}: export -> import changed ids")
    done("mbox round trip")


if __name__ == "__main__":
    main()
