#!/usr/bin/env python3
"""Independent verifier of a tocsin node's audit journal.

Written apart from the Rust code it checks, from the specifications alone:
RFC 9162 §2.1 (Merkle tree hashing, inclusion and consistency verification),
C2SP signed-note and tlog-checkpoint. Needs Python 3.11 and the `cryptography`
package, nothing else.

    audit_verifier.py selftest
        Checks the RFC 6962 reference tree of Certificate Transparency and the
        signed note of Go's golang.org/x/mod/sumdb/note tests.

    audit_verifier.py verify BASE VKEY [--previous FILE] [--save FILE] [--samples K]
        BASE is a node (http://host:port) or a directory holding the same
        answers as files (see DirectoryNode). Fetches and verifies the signed
        checkpoint, checks inclusion of sampled entries (the leaf hash is
        recomputed from each entry's leaf bytes), and, given the checkpoint of an
        earlier run in FILE, checks that the log extends it. --save writes the
        verified checkpoint for the next run. The bearer token is read from the
        environment variable TOCSIN_TOKEN.

Exit status: 0 when everything holds, 1 naming the first failure, 2 on usage.
"""

import argparse
import base64
import binascii
import hashlib
import json
import os
import random
import sys
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)


class Failure(Exception):
    """A check that does not hold; the message names it."""


# --- RFC 9162 §2.1: hashing -------------------------------------------------

def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaf_hash(leaf: bytes) -> bytes:
    return sha256(b"\x00" + leaf)


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right)


def tree_root(leaf_hashes: list[bytes]) -> bytes:
    """MTH(D[n]) by its recursive definition (§2.1.1)."""
    n = len(leaf_hashes)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return leaf_hashes[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(tree_root(leaf_hashes[:k]), tree_root(leaf_hashes[k:]))


# --- RFC 9162 §2.1.3.2 and §2.1.4.2: verification ---------------------------

def verify_inclusion(hash_: bytes, index: int, size: int, path: list[bytes], root: bytes) -> None:
    """§2.1.3.2, step by step."""
    if not 0 <= index < size:
        raise Failure(f"leaf index {index} is not below the tree size {size}")
    fn, sn = index, size - 1
    r = hash_
    for p in path:
        if sn == 0:
            raise Failure(f"inclusion proof of leaf {index} in {size} is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise Failure(f"inclusion proof of leaf {index} in {size} is too short")
    if r != root:
        raise Failure(f"inclusion proof of leaf {index} in {size} does not lead to the root")


def verify_consistency(first: int, second: int, first_hash: bytes, second_hash: bytes,
                       path: list[bytes]) -> None:
    """§2.1.4.2, step by step; equal sizes need an empty path and equal roots."""
    if not 0 < first <= second:
        raise Failure(f"no consistency proof exists from size {first} to {second}")
    if first == second:
        if path or first_hash != second_hash:
            raise Failure(f"trees of equal size {first} differ")
        return
    if not path:
        raise Failure(f"consistency proof from {first} to {second} is empty")
    if first & (first - 1) == 0:
        path = [first_hash] + path
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise Failure(f"consistency proof from {first} to {second} is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise Failure(f"consistency proof from {first} to {second} is too short")
    if fr != first_hash:
        raise Failure(f"consistency proof from {first} to {second} does not lead to the old root")
    if sr != second_hash:
        raise Failure(f"consistency proof from {first} to {second} does not lead to the new root")


# --- C2SP signed-note and tlog-checkpoint ------------------------------------

ED25519 = 0x01
SIGNATURE_PREFIX = "\u2014 "


def strict_b64(text: str) -> bytes:
    """Standard base64 with padding, canonical: it must encode back to itself."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise Failure(f"not base64: {text!r}") from error
    if base64.b64encode(data).decode() != text:
        raise Failure(f"not canonical base64: {text!r}")
    return data


def valid_key_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def key_id(name: str, public_key: bytes) -> int:
    digest = sha256(name.encode() + b"\n" + bytes([ED25519]) + public_key)
    return int.from_bytes(digest[:4], "big")


def parse_key(text: str) -> tuple[str, int, bytes]:
    """name+hex8+base64(0x01 ‖ 32-byte key), its key id checked."""
    parts = text.split("+", 2)
    if len(parts) != 3:
        raise Failure("a key is written name+keyid+key")
    name, id_hex, key64 = parts
    if not valid_key_name(name):
        raise Failure(f"bad key name {name!r}")
    if len(id_hex) != 8 or any(c not in "0123456789abcdef" for c in id_hex):
        raise Failure(f"bad key id {id_hex!r}")
    key = strict_b64(key64)
    if len(key) != 33 or key[0] != ED25519:
        raise Failure("not an Ed25519 key")
    if key_id(name, key[1:]) != int(id_hex, 16):
        raise Failure("the key id does not belong to the name and key")
    return name, int(id_hex, 16), key[1:]


class Verifier:
    def __init__(self, vkey: str):
        self.name, self.key_id, public_key = parse_key(vkey)
        self.public_key = Ed25519PublicKey.from_public_bytes(public_key)

    def open(self, note: str) -> str:
        """The text of a note carrying a valid signature by this key."""
        if any(ord(c) < 0x20 and c != "\n" for c in note):
            raise Failure("the note holds control characters")
        split = note.rfind("\n\n")
        if split < 0:
            raise Failure("the note has no signature block")
        text, signatures = note[: split + 1], note[split + 2:]
        if not signatures.endswith("\n"):
            raise Failure("the note's signatures do not end with a newline")
        verified = False
        for number, line in enumerate(signatures[:-1].split("\n"), start=1):
            if number > 100:
                raise Failure("the note has more than 100 signatures")
            name, key_id_, signature = self.parse_signature_line(line, number)
            if name != self.name or key_id_ != self.key_id:
                continue
            try:
                self.public_key.verify(signature, text.encode())
            except InvalidSignature as error:
                raise Failure(f"the signature of {self.name} does not verify") from error
            verified = True
        if not verified:
            raise Failure(f"the note is not signed by {self.name}+{self.key_id:08x}")
        return text

    @staticmethod
    def parse_signature_line(line: str, number: int) -> tuple[str, int, bytes]:
        if not line.startswith(SIGNATURE_PREFIX) or " " not in line[2:]:
            raise Failure(f"signature line {number} is malformed")
        name, encoded = line[2:].split(" ", 1)
        signed = strict_b64(encoded)
        if not valid_key_name(name) or len(signed) < 5:
            raise Failure(f"signature line {number} is malformed")
        return name, int.from_bytes(signed[:4], "big"), signed[4:]


def sign_note(skey: str, text: str) -> str:
    """Signs with a PRIVATE+KEY+name+hex8+base64(0x01 ‖ seed) key (self-test only)."""
    if not skey.startswith("PRIVATE+KEY+"):
        raise Failure("not a signer key")
    name, id_, seed = parse_signer_key(skey[len("PRIVATE+KEY+"):])
    signature = Ed25519PrivateKey.from_private_bytes(seed).sign(text.encode())
    line = SIGNATURE_PREFIX + name + " " + base64.b64encode(id_.to_bytes(4, "big") + signature).decode()
    return text + "\n" + line + "\n"


def parse_signer_key(text: str) -> tuple[str, int, bytes]:
    parts = text.split("+", 2)
    if len(parts) != 3 or len(parts[1]) != 8:
        raise Failure("a signer key is written PRIVATE+KEY+name+keyid+key")
    name, id_hex, key64 = parts
    key = strict_b64(key64)
    if len(key) != 33 or key[0] != ED25519:
        raise Failure("not an Ed25519 signer key")
    seed = key[1:]
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    if key_id(name, public) != int(id_hex, 16):
        raise Failure("the signer key's id does not match")
    return name, int(id_hex, 16), seed


class Checkpoint:
    def __init__(self, text: str):
        """Reads origin\\nsize\\nbase64(root)\\n[extension\\n...] strictly."""
        if not text.endswith("\n"):
            raise Failure("the checkpoint does not end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise Failure("the checkpoint has fewer than three lines")
        origin, size, root = lines[:3]
        if not clean_line(origin):
            raise Failure("the checkpoint's origin is empty or holds control characters")
        if not size.isascii() or not size.isdigit() or (len(size) > 1 and size[0] == "0"):
            raise Failure(f"the checkpoint's size {size!r} is not decimal")
        if int(size) >= 1 << 64:
            raise Failure(f"the checkpoint's size {size} does not fit 64 bits")
        self.origin, self.size, self.root = origin, int(size), strict_b64(root)
        if len(self.root) != 32:
            raise Failure("the checkpoint's root is not 32 bytes")
        self.extensions = lines[3:]
        if not all(clean_line(line) for line in self.extensions):
            raise Failure("a checkpoint extension line is empty or holds control characters")


def clean_line(line: str) -> bool:
    return bool(line) and not any(unicodedata.category(c) == "Cc" for c in line)


# --- a node, over HTTP or as a directory of its answers ---------------------

class HttpNode:
    def __init__(self, base: str, token: str | None):
        self.base, self.token = base.rstrip("/"), token

    def get(self, path: str, params: dict | None = None) -> bytes:
        url = self.base + path + ("?" + urllib.parse.urlencode(params) if params else "")
        request = urllib.request.Request(url)
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.read()
        except urllib.error.HTTPError as error:
            raise Failure(f"GET {url} answered {error.code}") from error
        except (urllib.error.URLError, OSError) as error:
            raise Failure(f"GET {url} failed: {error}") from error

    def checkpoint(self) -> str:
        return read_text(self.get("/api/v1/audit/checkpoint"))

    def entries(self, start: int, limit: int) -> dict:
        return read_json(self.get("/api/v1/audit/entries", {"from": start, "limit": limit}))

    def inclusion(self, index: int, size: int) -> dict:
        return read_json(self.get("/api/v1/audit/proof/inclusion", {"index": index, "size": size}))

    def consistency(self, first: int, second: int) -> dict:
        return read_json(self.get("/api/v1/audit/proof/consistency", {"from": first, "to": second}))

    def sample(self, size: int, count: int) -> list[int]:
        chosen = {0, size - 1} | {random.randrange(size) for _ in range(count)}
        return sorted(i for i in chosen if 0 <= i < size)


class DirectoryNode:
    """The same answers as files: checkpoint (the signed note), entries/N.json (the answer to
    from=N&limit=1), inclusion/N-M.json (index=N&size=M), consistency/M-N.json (from=M&to=N).
    The entries present are the sample."""

    def __init__(self, root: Path):
        self.root = root

    def read(self, name: str) -> bytes:
        try:
            return (self.root / name).read_bytes()
        except OSError as error:
            raise Failure(f"no answer {name} in {self.root}") from error

    def checkpoint(self) -> str:
        return read_text(self.read("checkpoint"))

    def entries(self, start: int, limit: int) -> dict:
        return read_json(self.read(f"entries/{start}.json"))

    def inclusion(self, index: int, size: int) -> dict:
        return read_json(self.read(f"inclusion/{index}-{size}.json"))

    def consistency(self, first: int, second: int) -> dict:
        return read_json(self.read(f"consistency/{first}-{second}.json"))

    def sample(self, size: int, count: int) -> list[int]:
        return sorted(int(path.stem) for path in (self.root / "entries").glob("*.json"))


def read_text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Failure("the checkpoint is not UTF-8") from error


def read_json(body: bytes) -> dict:
    try:
        value = json.loads(body)
    except ValueError as error:
        raise Failure(f"the answer is not JSON: {error}") from error
    if not isinstance(value, dict):
        raise Failure("the answer is not a JSON object")
    return value


def field(answer: dict, name: str, kind: type):
    value = answer.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise Failure(f"the answer's {name!r} is missing or not {kind.__name__}")
    return value


def hashes(answer: dict) -> list[bytes]:
    path = [strict_b64(h) for h in field(answer, "hashes", list)]
    if any(len(h) != 32 for h in path):
        raise Failure("a proof hash is not 32 bytes")
    return path


# --- the audit ---------------------------------------------------------------

def check_entry(node, checkpoint: Checkpoint, index: int) -> None:
    listed = field(node.entries(index, 1), "entries", list)
    entry = next((e for e in listed if isinstance(e, dict) and field(e, "index", int) == index), None)
    if entry is None:
        raise Failure(f"entry {index} is not in the node's answer")
    computed = leaf_hash(strict_b64(field(entry, "leaf", str)))
    answer = node.inclusion(index, checkpoint.size)
    if field(answer, "leaf_index", int) != index or field(answer, "tree_size", int) != checkpoint.size:
        raise Failure(f"the inclusion proof of entry {index} is for another leaf or size")
    if strict_b64(field(answer, "leaf_hash", str)) != computed:
        raise Failure(f"entry {index}: the node's leaf hash is not the hash of the entry's leaf bytes")
    try:
        verify_inclusion(computed, index, checkpoint.size, hashes(answer), checkpoint.root)
    except Failure as failure:
        raise Failure(f"entry {index}: {failure}") from failure


def check_extends(node, previous: Checkpoint, current: Checkpoint) -> None:
    if previous.origin != current.origin:
        raise Failure(f"the previous checkpoint is of another log ({previous.origin!r})")
    if previous.size > current.size:
        raise Failure(f"the log shrank from {previous.size} to {current.size} entries")
    if previous.size == 0:
        return  # the empty tree is a prefix of every tree
    if previous.size == current.size:
        if previous.root != current.root:
            raise Failure(f"two different trees of {current.size} entries")
        return
    answer = node.consistency(previous.size, current.size)
    if field(answer, "from", int) != previous.size or field(answer, "to", int) != current.size:
        raise Failure("the consistency proof is for other sizes")
    verify_consistency(previous.size, current.size, previous.root, current.root, hashes(answer))


def audit(node, verifier: Verifier, previous_note: str | None, samples: int) -> tuple[str, Checkpoint, int]:
    note = node.checkpoint()
    checkpoint = Checkpoint(verifier.open(note))
    indexes = node.sample(checkpoint.size, samples) if checkpoint.size else []
    for index in indexes:
        check_entry(node, checkpoint, index)
    if previous_note is not None:
        check_extends(node, Checkpoint(verifier.open(previous_note)), checkpoint)
    return note, checkpoint, len(indexes)


def run_verify(args) -> None:
    base = args.base
    if base.startswith(("http://", "https://")):
        node = HttpNode(base, os.environ.get("TOCSIN_TOKEN"))
    else:
        node = DirectoryNode(Path(base))
    try:
        previous = Path(args.previous).read_text(encoding="utf-8") if args.previous else None
    except (OSError, UnicodeDecodeError) as error:
        raise Failure(f"reading the previous checkpoint: {error}") from error
    note, checkpoint, checked = audit(node, Verifier(args.vkey), previous, args.samples)
    if args.save:
        Path(args.save).write_text(note, encoding="utf-8")
    extended = ", extends the previous checkpoint" if previous is not None else ""
    print(f"OK: {checkpoint.origin} at {checkpoint.size} entries, {checked} entries proven{extended}")


# --- self-test: published vectors ---------------------------------------------

# The RFC 6962 reference tree of Certificate Transparency, as published in
# github.com/transparency-dev/merkle testonly/constants.go (leaves, roots) and
# proof/verify_test.go at 022f84cb1f2655a4399874cfa190c3f1d60b32a8 (proofs; its
# leaf numbers are 1-based, the indexes here are 0-based).
RFC6962_LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                  "606162636465666768696a6b6c6d6e6f"]
RFC6962_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
RFC6962_INCLUSION = [
    (0, 1, []),
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
RFC6962_CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]

# Go's golang.org/x/mod sumdb/note/note_test.go (TestSign, TestOpen), github.com/golang/mod
# at fe2ec04f7c3c3aa6fad97631aafcff6e49e2d1db.
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = ("If you think cryptography is the answer to your problem,\n"
           "then you don't know what your problem is.\n")
GO_NOTE = GO_TEXT + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
GO_ENOCH_LINE = "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"


def expect_failure(check, *args) -> None:
    try:
        check(*args)
    except Failure:
        return
    raise Failure(f"{check.__name__}{args!r} should have failed")


def flip(h: bytes) -> bytes:
    return bytes([h[0] ^ 1]) + h[1:]


def selftest_merkle() -> int:
    leaves = [leaf_hash(bytes.fromhex(leaf)) for leaf in RFC6962_LEAVES]
    roots = [bytes.fromhex(r) for r in RFC6962_ROOTS]
    count = 0
    if tree_root([]).hex() != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855":
        raise Failure("the empty root is not SHA-256 of nothing")
    for size in range(1, 9):
        if tree_root(leaves[:size]) != roots[size - 1]:
            raise Failure(f"root of size {size}")
        count += 1
    for index, size, path in RFC6962_INCLUSION:
        path = [bytes.fromhex(h) for h in path]
        verify_inclusion(leaves[index], index, size, path, roots[size - 1])
        expect_failure(verify_inclusion, flip(leaves[index]), index, size, path, roots[size - 1])
        expect_failure(verify_inclusion, leaves[index], index, size, path + [roots[0]], roots[size - 1])
        if path:
            expect_failure(verify_inclusion, leaves[index], index, size, path[:-1], roots[size - 1])
            expect_failure(verify_inclusion, leaves[index], index, size, [flip(path[0])] + path[1:], roots[size - 1])
            expect_failure(verify_inclusion, leaves[index], index ^ 1, size, path, roots[size - 1])
        count += 1
    expect_failure(verify_inclusion, leaves[0], 8, 8, [], roots[7])
    for first, second, path in RFC6962_CONSISTENCY:
        path = [bytes.fromhex(h) for h in path]
        old, new = roots[first - 1], roots[second - 1]
        verify_consistency(first, second, old, new, path)
        expect_failure(verify_consistency, first, second, flip(old), new, path)
        expect_failure(verify_consistency, first, second, old, flip(new), path)
        if path:
            expect_failure(verify_consistency, first, second, old, new, path[:-1])
            expect_failure(verify_consistency, first, second, old, new, [flip(path[0])] + path[1:])
        count += 1
    expect_failure(verify_consistency, 0, 8, tree_root([]), roots[7], [])
    expect_failure(verify_consistency, 8, 7, roots[7], roots[6], [])
    return count


def selftest_note() -> None:
    verifier = Verifier(GO_VKEY)
    if verifier.open(GO_NOTE) != GO_TEXT or verifier.open(GO_NOTE + GO_ENOCH_LINE) != GO_TEXT:
        raise Failure("Go's note does not open to its text")
    if sign_note(GO_SKEY, GO_TEXT) != GO_NOTE:
        raise Failure("signing Go's text does not give Go's note")
    for tampered in [GO_NOTE.replace("think", "thinK"), GO_NOTE.replace("x08go", "x08gp"),
                     GO_NOTE.replace("PeterNeumann", "PeterNeuman"), GO_NOTE[:-1],
                     GO_TEXT, GO_NOTE.replace("\u2014", "-")]:
        expect_failure(verifier.open, tampered)
    for key in [GO_VKEY.replace("c74f20a3", "c74f20a4"), GO_VKEY[:-1], GO_VKEY.replace("+A", "+Z")]:
        expect_failure(Verifier, key)
    body = "example.org/log\n5\n" + base64.b64encode(bytes(32)).decode() + "\n"
    Checkpoint(body)
    for bad in [body[:-1], body.replace("\n5\n", "\n05\n"), body.replace("\n5\n", "\n-5\n"),
                body.replace("AAAA", "AAA"), "\n" + body[body.index("\n") + 1:], body + "\n"]:
        expect_failure(Checkpoint, bad)


def run_selftest() -> None:
    vectors = selftest_merkle()
    selftest_note()
    print(f"OK: selftest, {vectors} RFC 6962 vectors, Go's signed note and checkpoint reading hold")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("selftest", help="check the published vectors")
    verify = commands.add_parser("verify", help="audit a node or a directory of its answers")
    verify.add_argument("base", help="http://host:port of a node, or a directory")
    verify.add_argument("vkey", help="the node's note verifier key")
    verify.add_argument("--previous", help="a checkpoint saved by an earlier run")
    verify.add_argument("--save", help="where to save the verified checkpoint")
    verify.add_argument("--samples", type=int, default=16, help="entries to prove (default 16)")
    args = parser.parse_args(argv)
    try:
        if args.command == "selftest":
            run_selftest()
        else:
            run_verify(args)
    except Failure as failure:
        print(f"FAIL: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
