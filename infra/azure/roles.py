"""Azure built-in role definitions govhub assigns or refuses, by name and id.

The ids are the same in every tenant (Microsoft Learn, "Azure built-in roles"); the rows are vendored
in tests/fixtures/azure-roles/builtin-roles.md and a test holds this table equal to them. Stacks
assign roles by name (``role_definition_name``); the ids serve the guardrail rules, which must also
recognise an assignment by ``role_definition_id``, and the ABAC condition that limits which roles the
platform CI may hand out.
"""

from __future__ import annotations

from collections.abc import Iterable

CONTRIBUTOR = "Contributor"
OWNER = "Owner"
RBAC_ADMIN = "Role Based Access Control Administrator"
USER_ACCESS_ADMIN = "User Access Administrator"
READER = "Reader"
BLOB_CONTRIBUTOR = "Storage Blob Data Contributor"
BLOB_OWNER = "Storage Blob Data Owner"
BLOB_READER = "Storage Blob Data Reader"
KEY_USER = "Key Vault Crypto Service Encryption User"
REGISTRY_USER = "AzureML Registry User"  # get registries; read, write and delete their assets
EVENTGRID_SENDER = "EventGrid Data Sender"
BUS_RECEIVER = "Azure Service Bus Data Receiver"
BUS_SENDER = "Azure Service Bus Data Sender"
MG_CONTRIBUTOR = "Management Group Contributor"  # moves subscriptions into a management group

BUILTIN_ROLE_IDS = {
    CONTRIBUTOR: "b24988ac-6180-42a0-ab88-20f7382dd24c",
    OWNER: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    RBAC_ADMIN: "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
    USER_ACCESS_ADMIN: "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    READER: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    BLOB_CONTRIBUTOR: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    BLOB_OWNER: "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    BLOB_READER: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    KEY_USER: "e147488a-f6f5-4113-8e2d-b22465e65bf6",
    REGISTRY_USER: "1823dd4f-9b8c-4ab6-ab4e-7397a3684615",
    EVENTGRID_SENDER: "d5a91429-5739-47e2-a06b-3470a27159e7",
    BUS_RECEIVER: "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0",
    BUS_SENDER: "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39",
    MG_CONTRIBUTOR: "5d58bcaf-24a5-4b20-bdb6-eed9f69fbe4c",
}
# Roles that let their holder change what a governed resource holds (data-plane writes)
WRITE_ROLES = frozenset({OWNER, CONTRIBUTOR, BLOB_CONTRIBUTOR, BLOB_OWNER, REGISTRY_USER})


def delegation_condition(role_ids: Iterable[str]) -> str:
    """An ABAC condition (version 2.0) for a Role Based Access Control Administrator assignment: its
    holder may create and delete assignments of the listed role definitions (GUIDs) only, so it can
    never hand out Owner or the right to assign roles."""
    guids = ", ".join(sorted(set(role_ids)))
    clauses = []
    for action, source in (("write", "Request"), ("delete", "Resource")):
        clauses.append(
            f"((!(ActionMatches{{'Microsoft.Authorization/roleAssignments/{action}'}})) OR "
            f"(@{source}[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals "
            f"{{{guids}}}))"
        )
    return " AND ".join(clauses)
