"""The ARM resource types govhub creates through azapi (infra/azure/azapi.py), at pinned GA API
versions. checkov has no azapi checks, so each type here has its own guardrail rule in
infra/guardrails.py, and any azapi type not listed is refused (GR-AZAPI-TYPE) until it gets one."""

from __future__ import annotations

ML_REGISTRY = "Microsoft.MachineLearningServices/registries@2024-04-01"
SUBSCRIPTION_POLICY = "Microsoft.Subscription/policies@2021-10-01"
REVIEWED = frozenset({ML_REGISTRY, SUBSCRIPTION_POLICY})
