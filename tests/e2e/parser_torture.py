"""Every file of the parser-torture corpus (MimeKit and Ruby mail fixtures: malformed headers and
MIME, odd charsets, bounces, S/MIME, TNEF, mbox edge cases) imports without a crash; nothing that
was read is lost; every stored message verifies and shows."""
import os

from harness import TempDir, archive_ids, corpus, done, expect, run, run_json


def main():
    root = corpus("parser-torture")
    with TempDir() as tmp:
        a = os.path.join(tmp, "a")
        run(a, "init")
        res = run_json(a, "import", "--custodian", "torture", root)
        expect(res["read"] > 100, f"read only {res['read']}")
        ids = archive_ids(a)
        expect(len(ids) == res["new"], f"{len(ids)} listed vs {res['new']} new")
        for i in sorted(ids):
            p = run(a, "show", "--json", i, check=False)
            expect(p.returncode == 0, f"show --json {i} failed: {p.stderr}")
        expect(run_json(a, "verify")["ok"], "verify failed")
    done(f"parser torture: read {res['read']}, stored {res['new']}, flagged {res['flagged']}, "
         f"rejected {res['rejected']}")


if __name__ == "__main__":
    main()
