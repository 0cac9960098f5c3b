"""The hub's checkpoint signer on AWS: an asymmetric KMS key (ECC_NIST_P256, ECDSA_SHA_256).

The private key never leaves KMS; only the hub service's role may call ``kms:Sign``. Readers verify
with the public key alone (``get_public_key`` once, then offline).
"""

from __future__ import annotations

import hashlib
from typing import Any

from govhub.core.checkpoint import ALGORITHM

RAW_LIMIT = 4096


class KmsSigner:
    def __init__(self, client: Any, key_id: str):
        self.client, self.key_id = client, key_id
        self._pem: bytes | None = None

    def sign(self, message: bytes) -> bytes:
        """KMS takes a raw message up to 4 KiB; a longer one is signed as its SHA-256 digest
        (``MessageType=DIGEST``), and the signature verifies over the message all the same. (moto
        implements RAW only: checkpoint notes and attestations stay well under 4 KiB.)"""
        if len(message) <= RAW_LIMIT:
            kind, body = "RAW", message
        else:
            kind, body = "DIGEST", hashlib.sha256(message).digest()
        answer = self.client.sign(KeyId=self.key_id, Message=body, MessageType=kind, SigningAlgorithm=ALGORITHM)
        return bytes(answer["Signature"])

    def public_key_pem(self) -> bytes:
        if self._pem is None:
            from cryptography.hazmat.primitives import serialization

            der = self.client.get_public_key(KeyId=self.key_id)["PublicKey"]
            key = serialization.load_der_public_key(bytes(der))
            self._pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        return self._pem
