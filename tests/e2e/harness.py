"""Shared helpers for the end-to-end tests: run the real binary, make temp dirs, skip cleanly."""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

BIN = os.environ.get("CUSTODIAN_BIN", os.path.join(os.path.dirname(__file__), "../../build/custodian"))
CORPORA = os.environ.get("CUSTODIAN_CORPORA", os.path.join(os.path.dirname(__file__), "../../../shared/corpora"))
SKIP = 77


def skip(reason):
    print(f"SKIPPED: {reason}")
    sys.exit(SKIP)


def corpus(*parts):
    """Path of a shared corpus, or skip the test with a clear message when it is absent."""
    p = os.path.join(CORPORA, *parts)
    if not os.path.exists(p):
        skip(f"corpus {p} is absent (the shared corpora are not in a fresh clone)")
    return p


def run(archive, *args, check=True, input=None):
    """Runs `custodian --archive ARCHIVE ARGS`; returns the CompletedProcess (stdout as bytes)."""
    cmd = [BIN, "--archive", archive, *args]
    p = subprocess.run(cmd, input=input, capture_output=True)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stderr.decode(errors='replace')}")
    return p


def run_json(archive, *args):
    return json.loads(run(archive, "--json", *args).stdout)


def run_json_lines(archive, *args):
    return [json.loads(l) for l in run(archive, "--json", *args).stdout.splitlines() if l.strip()]


def sha256(data):
    return hashlib.sha256(data).hexdigest()


class TempDir:
    def __enter__(self):
        self.path = tempfile.mkdtemp(prefix="custodian-e2e-")
        return self.path

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)


def expect(cond, message):
    if not cond:
        raise AssertionError(message)


def tree_ids(path):
    """SHA-256 of every file under `path` (one message per file)."""
    ids = {}
    for root, _, files in os.walk(path):
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                ids[sha256(fh.read())] = os.path.join(root, f)
    return ids


def archive_ids(archive, *extra):
    return {m["id"] for m in run_json_lines(archive, "ls", "--deleted", *extra)}


def done(name):
    print(f"PASS: {name}")


def mbox_message(data):
    """What one single-message mbox file holds: drop the From_ line, undo mboxrd quoting, drop the
    blank separator line at the end (only if there is one)."""
    if data.startswith(b"From "):
        nl = data.find(b"\n")
        crlf = nl > 0 and data[nl - 1:nl] == b"\r"
        data = data[nl + 1:]
        term = b"\r\n" if crlf else b"\n"
        if data.endswith(term + term):
            data = data[:-len(term)]
        data = re.sub(rb"(?m)^>(>*From )", rb"\1", data)
    return data
