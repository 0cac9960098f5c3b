"""Canonical JSON and content digests: the one way govhub turns a document into bytes to hash.

A digest recorded anywhere (a policy pack's, a monitoring plan's, an audit entry's hash) is the
sha256 of the canonical JSON of the document: keys sorted, no insignificant white space, ASCII with
``\\u`` escapes.
Everyone who recomputes it, the hub service included, gets the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(document: Any) -> bytes:
    """Sorted keys, compact separators, non-ASCII escaped (so the bytes are plain ASCII)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode("ascii")


def sha256_hex(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def digest_of(document: Any) -> str:
    """The sha256 of a document's canonical JSON."""
    return sha256_hex(canonical_json(document))
