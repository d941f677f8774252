"""Writes the signed fixtures beside this script (run once; the outputs are checked in).

A fresh 2048-bit RSA key signs, for custodian.example with selector test2026:
  signed.eml   a plain message, relaxed/relaxed rsa-sha256
  limit.eml    the same text signed with l= covering its body, then 41 bytes appended below it
  list.eml     signed.eml as a mailing list relays it: a footer appended to the body
  keys.txt     the key record, in the key-file format (selector._domainkey.domain  TXT)
  rotated.eml, keys-rotated.txt
               a later message signed after the domain replaced the key at the same selector
Needs python3-cryptography; the tests only read the outputs."""
import base64
import hashlib
import os
import re

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

HERE = os.path.dirname(os.path.abspath(__file__))
DOMAIN, SELECTOR = "custodian.example", "test2026"
SIGNED = ["From", "To", "Subject", "Date", "Message-ID"]

HEADER = ("From: Ann Archivist <ann@custodian.example>\r\nTo: Bob <bob@example.org>\r\n"
          "Subject: {subject}\r\nDate: Mon, 02 Nov 2026 10:00:00 +0000\r\n"
          "Message-ID: <{mid}@custodian.example>\r\n")
BODY = "Dear Bob,\r\n\r\nthe minutes of Monday's meeting are attached below.\r\n\r\nAnn\r\n"


def relaxed_header(name, value):
    value = re.sub(r"\r\n", "", value)
    value = re.sub(r"[ \t]+", " ", value).strip()
    return name.lower().strip() + ":" + value


def relaxed_body(body):
    lines = body.split("\r\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = [re.sub(r"[ \t]+", " ", l).rstrip(" ") for l in lines]
    while lines and lines[-1] == "":
        lines.pop()
    return "".join(l + "\r\n" for l in lines)


def sign(key, header, body, limit=None):
    fields = []
    for line in re.split(r"\r\n(?![ \t])", header.rstrip("\r\n")):
        n, v = line.split(":", 1)
        fields.append((n, v))
    canon = relaxed_body(body).encode()
    if limit is not None:
        canon = canon[:limit]
    bh = base64.b64encode(hashlib.sha256(canon).digest()).decode()
    tags = (f"v=1; a=rsa-sha256; c=relaxed/relaxed; d={DOMAIN}; s={SELECTOR}; t=1793613600; "
            f"h={':'.join(h.lower() for h in SIGNED)};" + (f" l={limit};" if limit is not None else "") +
            f"\r\n\tbh={bh}; b=")
    data = ""
    for h in SIGNED:  # one of each, so bottom-up selection is just the field
        for n, v in reversed(fields):
            if n.lower() == h.lower():
                data += relaxed_header(n, v) + "\r\n"
                break
    data += relaxed_header("DKIM-Signature", " " + tags)
    sig = key.sign(data.encode(), padding.PKCS1v15(), hashes.SHA256())
    b = base64.b64encode(sig).decode()
    return "DKIM-Signature: " + tags + b + "\r\n" + header + "\r\n" + body


def write_key(key, name, comment):
    pub = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    with open(os.path.join(HERE, name), "w") as f:
        f.write(f"# {comment} (make_fixtures.py)\n")
        f.write(f"{SELECTOR}._domainkey.{DOMAIN}  v=DKIM1; k=rsa; p={base64.b64encode(pub).decode()}\n")


def main():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    write_key(key, "keys.txt", "the key that signed the fixtures beside this file")
    new_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    write_key(new_key, "keys-rotated.txt", "the key that replaced it at the same selector, for rotated.eml")
    rotated = sign(new_key, HEADER.format(subject="Signed after the key rotation", mid="rotated-1"), BODY)
    open(os.path.join(HERE, "rotated.eml"), "wb").write(rotated.encode())
    plain = sign(key, HEADER.format(subject="Minutes of the board meeting", mid="minutes-1"), BODY)
    open(os.path.join(HERE, "signed.eml"), "wb").write(plain.encode())
    limited = sign(key, HEADER.format(subject="Budget approved", mid="budget-1"), BODY, limit=len(relaxed_body(BODY)))
    limited += "PS: wire the money to account 4471.\r\n"  # after l=: anyone could have added it
    open(os.path.join(HERE, "limit.eml"), "wb").write(limited.encode())
    listed = plain + "-- \r\nboard mailing list: https://lists.custodian.example/board\r\n"
    open(os.path.join(HERE, "list.eml"), "wb").write(listed.encode())


if __name__ == "__main__":
    main()
