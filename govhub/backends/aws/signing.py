"""The hub's checkpoint signer on AWS: an asymmetric KMS key (ECC_NIST_P256, ECDSA_SHA_256).

The private key never leaves KMS; only the hub service's role may call ``kms:Sign``. Readers verify
with the public key alone (``get_public_key`` once, then offline).
"""

from __future__ import annotations

from typing import Any

from govhub.core.checkpoint import ALGORITHM


class KmsSigner:
    def __init__(self, client: Any, key_id: str):
        self.client, self.key_id = client, key_id

    def sign(self, message: bytes) -> bytes:
        answer = self.client.sign(KeyId=self.key_id, Message=message, MessageType="RAW", SigningAlgorithm=ALGORITHM)
        return bytes(answer["Signature"])

    def public_key_pem(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        der = self.client.get_public_key(KeyId=self.key_id)["PublicKey"]
        key = serialization.load_der_public_key(bytes(der))
        return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
