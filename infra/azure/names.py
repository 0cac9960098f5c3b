"""Azure resource names shared by the hub and spoke stacks."""

from __future__ import annotations

import hashlib
import re


def storage_name(prefix: str, purpose: str, subscription_id: str) -> str:
    """A storage account, vault or registry name: 3-24 lower-case letters and digits, unique per
    subscription through a short digest of its id."""
    stem = re.sub(r"[^a-z0-9]", "", f"{prefix}{purpose}".lower())[:18]
    return stem + hashlib.sha256(subscription_id.encode()).hexdigest()[:6]
