"""Signed checkpoints of the audit log: what a reader needs, with only the hub's public key, to tell
that the log it reads is the log the hub wrote.

A checkpoint commits to the log's size and its Merkle root (:mod:`govhub.core.merkle`) at a time, as a
signed note in the style of Sigstore's Rekor and Go's checksum database:

    <origin>\\n<size>\\n<base64 root>\\n<time>\\n

signed with ECDSA P-256 over SHA-256 (``ECDSA_SHA_256``: an asymmetric KMS key in the hub; a local key
for a folder store). Checkpoints are stored create-only under their size in a place the log's writers
cannot write, so deleting entries, the head or everything, rewriting the tail consistently, swapping,
inserting or replaying entries all contradict a signature that nobody but the hub can make.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

ALGORITHM = "ECDSA_SHA_256"
CHECKPOINTS = "govhub-audit-checkpoints/"


class CheckpointError(ValueError):
    """A checkpoint that is malformed or whose signature does not verify."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    time: str

    def note(self) -> bytes:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n{self.time}\n".encode()

    @classmethod
    def parse(cls, note: str) -> Checkpoint:
        lines = note.split("\n")
        if len(lines) != 5 or lines[4] != "" or not lines[1].isdigit():
            raise CheckpointError("a checkpoint note is four lines: origin, size, base64 root, time")
        try:
            root = base64.b64decode(lines[2], validate=True)
        except ValueError:
            raise CheckpointError("the checkpoint's root is not base64") from None
        if len(root) != 32:
            raise CheckpointError("the checkpoint's root is not a SHA-256 hash")
        return cls(origin=lines[0], size=int(lines[1]), root=root, time=lines[3])


class Signer(Protocol):
    """Signs checkpoint notes; the hub's KMS key in production (:mod:`govhub.backends.aws.signing`)."""

    key_id: str

    def sign(self, message: bytes) -> bytes: ...

    def public_key_pem(self) -> bytes: ...


class LocalSigner:
    """An ECDSA P-256 key held in memory (a folder-store hub, tests). Same algorithm as the KMS key."""

    def __init__(self, private_key_pem: bytes | None = None, key_id: str = "local"):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        self.key_id = key_id
        if private_key_pem is None:
            self._key = ec.generate_private_key(ec.SECP256R1())
        else:
            loaded = serialization.load_pem_private_key(private_key_pem, password=None)
            if not isinstance(loaded, ec.EllipticCurvePrivateKey):
                raise CheckpointError("the signing key is not an ECDSA P-256 private key")
            self._key = loaded

    def sign(self, message: bytes) -> bytes:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        return self._key.sign(message, ec.ECDSA(hashes.SHA256()))

    def public_key_pem(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self._key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def sign(checkpoint: Checkpoint, signer: Signer, state: Mapping[str, Any] | None = None) -> bytes:
    """The stored form: the note, the key id and the signature, as JSON. ``state`` (not signed) is the
    signer's own bookkeeping: the tree's compact range and last entry hash, so that the next checkpoint
    extends this one without reading the whole log (a wrong state only makes the next root wrong, which
    verification reports)."""
    note = checkpoint.note()
    doc: dict[str, Any] = {"note": note.decode(), "key_id": signer.key_id, "algorithm": ALGORITHM,
                           "signature": base64.b64encode(signer.sign(note)).decode()}  # fmt: skip
    if state:
        doc["state"] = dict(state)
    return json.dumps(doc, indent=2, sort_keys=True).encode()


def parse_unverified(stored: bytes) -> tuple[Checkpoint, dict[str, Any]]:
    """The checkpoint and the signer's state, without checking the signature (the signer's own use)."""
    try:
        doc = json.loads(stored)
        return Checkpoint.parse(str(doc["note"])), dict(doc.get("state") or {})
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"not a signed checkpoint ({exc})") from None


def fingerprint(pem: bytes | str) -> str:
    """The key's SHA-256 fingerprint over its DER SubjectPublicKeyInfo: what an auditor pins."""
    import hashlib

    from cryptography.hazmat.primitives import serialization

    der = public_key(pem).public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def public_key(pem: bytes | str) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        key = serialization.load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    except ValueError:
        raise CheckpointError("the public key is not a PEM public key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise CheckpointError("the public key is not an ECDSA P-256 key")
    return key


def signature_valid(key: Any, signature: bytes, message: bytes) -> bool:
    """ECDSA P-256 over SHA-256: the hub key's one algorithm, for checkpoints and attestations."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def verify(stored: bytes, key: Any, origin: str | None = None) -> Checkpoint:
    """The checkpoint, once its signature verifies with ``key``; else :class:`CheckpointError`."""
    try:
        doc = json.loads(stored)
        note, signature = str(doc["note"]), base64.b64decode(doc["signature"], validate=True)
    except (ValueError, KeyError, TypeError):
        raise CheckpointError("not a signed checkpoint (note, key_id, algorithm, signature)") from None
    if doc.get("algorithm") != ALGORITHM:
        raise CheckpointError(f"the checkpoint is signed with {doc.get('algorithm')!r}, not {ALGORITHM}")
    if not signature_valid(key, signature, note.encode()):
        raise CheckpointError("the checkpoint's signature does not verify with the hub's public key")
    checkpoint = Checkpoint.parse(note)
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointError(f"the checkpoint is for log {checkpoint.origin!r}, not {origin!r}")
    return checkpoint


def checkpoint_key(size: int) -> str:
    return f"{CHECKPOINTS}{size:012d}.json"
