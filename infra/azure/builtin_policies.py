"""The Azure Policy built-in definitions the hub's ML guardrail initiative assigns, pinned by id.

Built-in definition ids are the same in every tenant (``/providers/Microsoft.Authorization/
policyDefinitions/<guid>``). Each is a named constant with the display name Azure gives it, so that a
reviewer can match an assignment to the definition; tests/infra/test_azure_builtin_policies.py checks
every constant against a vendored copy of its definition from github.com/Azure/azure-policy (MIT),
kept in tests/fixtures/azure-policy/.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFINITION_PREFIX = "/providers/Microsoft.Authorization/policyDefinitions/"


@dataclass(frozen=True)
class BuiltinPolicy:
    guid: str
    display_name: str
    guardrail: str  # which of the five guardrails it enforces
    effect: str  # the effect the initiative assigns (Deny where the definition allows it)

    @property
    def id(self) -> str:
        return DEFINITION_PREFIX + self.guid


ALLOWED_LOCATIONS = BuiltinPolicy(
    "e56962a6-4747-49cd-b67b-bf8b01975c4c", "Allowed locations", "allowed locations", "deny"
)
ML_WORKSPACE_NO_PUBLIC_NETWORK = BuiltinPolicy(
    "438c38d2-3772-465a-a9cc-7a6666a275ce",
    "Azure Machine Learning workspaces should disable public network access",
    "Azure ML workspaces without public network access",
    "Deny",
)
ML_WORKSPACE_CMK = BuiltinPolicy(
    "ba769a63-b8cc-4b2d-abf6-ac33c7204be8",
    "Azure Machine Learning workspaces should be encrypted with a customer-managed key",
    "customer-managed keys for ML workspaces and storage",
    "Deny",
)
STORAGE_CMK = BuiltinPolicy(
    "6fac406b-40ca-413b-bf8e-0bf964659c25",
    "Storage accounts should use customer-managed key for encryption",
    "customer-managed keys for ML workspaces and storage",
    "Audit",  # the definition allows Audit or Disabled only; GR-AZ-STORAGE-CMK refuses it at synth time
)
# Activity logs exported to the hub are not a definition here either: the hub stack's diagnostic
# settings on each subscription send them to the audit store and Log Analytics. (The DINE built-in
# "Configure Azure Activity logs to stream to specified Log Analytics workspace" could enforce it too;
# it is not pinned until its definition is vendored and checked like the others.)
# The fifth guardrail, subscriptions may not leave the tenant, is not a policy definition: it is the
# tenant-wide Microsoft.Subscription/policies setting (blockSubscriptionsLeavingTenant).
ML_GUARDRAIL_INITIATIVE = (
    ALLOWED_LOCATIONS,
    ML_WORKSPACE_NO_PUBLIC_NETWORK,
    ML_WORKSPACE_CMK,
    STORAGE_CMK,
)
