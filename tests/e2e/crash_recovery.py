"""Durability: imports are killed with SIGKILL at random moments, many times. After each kill the
archive verifies, every message the import acknowledged is there intact, and a rerun completes.
The corpus is generated here (so the test runs in any clone): 12,000 messages in a Maildir."""
import os
import random
import signal
import subprocess
import time

from harness import BIN, TempDir, archive_ids, done, expect, run, run_json, sha256

KILLS = 12


def make_corpus(root, n, rng):
    ids = set()
    words = "archive ledger custodian retention hold dispose audit folder thread proof".split()
    for i in range(n):
        folder = os.path.join(root, f".f{i % 7}" if i % 3 else "", "cur")
        os.makedirs(folder, exist_ok=True)
        body = " ".join(rng.choice(words) for _ in range(rng.randint(20, 1500))) + "\n"
        msg = (f"From: user{i % 50}@example.com\nTo: team@example.com\nSubject: message {i}\n"
               f"Date: Mon, 14 May 2001 16:{i % 60:02d}:00 -0700\nMessage-ID: <{i}@gen>\n\n{body}").encode()
        with open(os.path.join(folder, f"{i}.gen:2,S"), "wb") as f:
            f.write(msg)
        ids.add(sha256(msg))
    return ids


def acked(path):
    if not os.path.exists(path):
        return set()
    with open(path) as f:
        return {l.strip() for l in f if len(l.strip()) == 64}


def main():
    rng = random.Random(int(os.environ.get("CRASH_SEED", "1")))
    with TempDir() as tmp:
        src = os.path.join(tmp, "maildir")
        all_ids = make_corpus(src, 12000, rng)
        a = os.path.join(tmp, "a")
        run(a, "init")
        # How long a full import takes here, to spread the kills over it.
        t0 = time.time()
        probe = os.path.join(tmp, "probe")
        run(probe, "init")
        run(probe, "import", "--custodian", "u", src)
        full = time.time() - t0
        ack_log = os.path.join(tmp, "acks")
        kills_landed = 0
        have = set()
        for k in range(KILLS):
            # Later rounds skip what is already stored, so aim within the work that remains.
            remaining = full * max(0.1, 1 - len(have) / len(all_ids))
            p = subprocess.Popen([BIN, "--archive", a, "import", "--custodian", "u", "--ack-log", ack_log, src],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            time.sleep(rng.uniform(0.02, max(0.05, remaining * 0.8)))
            p.send_signal(signal.SIGKILL)
            rc = p.wait()
            kills_landed += rc == -signal.SIGKILL
            expect(rc in (0, -signal.SIGKILL), f"import exited {rc}: {p.stderr.read()}")
            v = run_json(a, "verify")
            expect(v["ok"], f"after kill {k}: verify found {v['problems'][:3]}")
            have = archive_ids(a)
            lost = acked(ack_log) - have
            expect(not lost, f"after kill {k}: {len(lost)} acknowledged messages missing")
            expect(have <= all_ids, "archive holds messages that were never imported")
        res = run_json(a, "import", "--custodian", "u", src)
        expect(archive_ids(a) == all_ids, "rerun did not complete the import")
        expect(run_json(a, "stats")["messages"] == len(all_ids), "message count after rerun")
        expect(run_json(a, "verify")["ok"], "final verify")
        expect(kills_landed >= KILLS // 2, f"only {kills_landed} kills landed mid-import")
    done(f"crash recovery: {kills_landed} of {KILLS} kills landed mid-import; acknowledged messages all intact")


if __name__ == "__main__":
    main()
