"""Azure resource names and settings shared by the hub and spoke stacks."""

from __future__ import annotations

import hashlib
import re

ACTIVITY_LOG_CATEGORIES = ("Administrative", "Security", "Policy", "Alert", "ServiceHealth", "ResourceHealth")
FEDERATION_AUDIENCE = "api://AzureADTokenExchange"  # what Entra expects in a federated CI token


def storage_name(prefix: str, purpose: str, subscription_id: str) -> str:
    """A storage account, vault or registry name: 3-24 lower-case letters and digits, unique per
    subscription through a short digest of its id."""
    stem = re.sub(r"[^a-z0-9]", "", f"{prefix}{purpose}".lower())[:18]
    return stem + hashlib.sha256(subscription_id.encode()).hexdigest()[:6]


def team_resource_group(team: str) -> str:
    return f"govhub-{team}"


def team_ci_identity(team: str) -> str:
    return f"govhub-{team}-ci"


def identity_resource_id(subscription_id: str, resource_group: str, name: str) -> str:
    """The ARM id of a user-assigned identity, as Entra puts it in the identity's tokens (``xms_mirid``),
    in lower case: ARM ids compare case-insensitively, and the hub service compares lower-cased ids.
    ``subscription_id`` may be a reference (a vended subscription), so it is not lower-cased here; the
    group and identity names must be literal strings, never references."""
    return (
        f"/subscriptions/{subscription_id}/resourcegroups/{resource_group.lower()}"
        f"/providers/microsoft.managedidentity/userassignedidentities/{name.lower()}"
    )
