"""The organization policies the GCP hub sets on the ML folder, as constraint names and rules.

The constraint names are constants, and the rules use the shape of Cloud Foundation Fabric's
hardened ``org-policies`` datasets (``{constraint: {rules: [{enforce: true} | {allow|deny: {values}}]}}``),
so that the stack renders them into ``google_org_policy_policy`` resources one to one and a reviewer
can compare them with Fabric's. Where Fabric's hardened dataset sets the same constraint, the test
holds our rule equal to it (tests/fixtures/fabric-org-policies/).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

RESOURCE_LOCATIONS = "gcp.resourceLocations"
RESTRICT_NON_CMEK_SERVICES = "gcp.restrictNonCmekServices"  # list constraint: services that must use CMEK
NOTEBOOKS_DISABLE_FILE_DOWNLOADS = "ainotebooks.disableFileDownloads"
NOTEBOOKS_DISABLE_ROOT_ACCESS = "ainotebooks.disableRootAccess"
NOTEBOOKS_RESTRICT_PUBLIC_IP = "ainotebooks.restrictPublicIp"
NOTEBOOKS_RESTRICT_VPC_NETWORKS = "ainotebooks.restrictVpcNetworks"
STORAGE_UNIFORM_BUCKET_LEVEL_ACCESS = "storage.uniformBucketLevelAccess"
STORAGE_PUBLIC_ACCESS_PREVENTION = "storage.publicAccessPrevention"
CMEK_SERVICES = ("aiplatform.googleapis.com", "notebooks.googleapis.com", "storage.googleapis.com")


def _enforce() -> dict[str, Any]:
    return {"rules": [{"enforce": True}]}


def ml_folder_policies(allowed_regions: Iterable[str], organization_id: str) -> dict[str, dict[str, Any]]:
    """Constraint -> rules for the ML folder: locations, CMEK for Vertex AI, locked-down notebooks and
    workbench instances (no public IP, only the organization's VPC networks, no downloads or root) and
    uniform, non-public buckets."""
    regions = [f"in:{r}-locations" for r in allowed_regions]
    if not regions:
        raise ValueError("guardrails.allowed_regions.gcp is empty: the GCP hub needs at least one region")
    return {
        RESOURCE_LOCATIONS: {"rules": [{"allow": {"values": regions}}]},
        # deny "non-CMEK" for these services: their resources must name a Cloud KMS key
        RESTRICT_NON_CMEK_SERVICES: {"rules": [{"deny": {"values": list(CMEK_SERVICES)}}]},
        NOTEBOOKS_DISABLE_FILE_DOWNLOADS: _enforce(),
        NOTEBOOKS_DISABLE_ROOT_ACCESS: _enforce(),
        NOTEBOOKS_RESTRICT_PUBLIC_IP: _enforce(),
        NOTEBOOKS_RESTRICT_VPC_NETWORKS: {"rules": [{"allow": {"values": [f"under:organizations/{organization_id}"]}}]},
        STORAGE_UNIFORM_BUCKET_LEVEL_ACCESS: _enforce(),
        STORAGE_PUBLIC_ACCESS_PREVENTION: _enforce(),
    }
