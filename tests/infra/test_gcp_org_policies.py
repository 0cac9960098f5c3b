"""The ML folder's organization policies, against Cloud Foundation Fabric's hardened datasets."""

from __future__ import annotations

import pytest
import yaml

from infra.gcp import org_policies as op
from tests.helpers import ROOT

FABRIC = ROOT / "tests" / "fixtures" / "fabric-org-policies"
ORG = "123456789012"


def fabric(organization_id: str) -> dict:
    out: dict = {}
    for path in sorted(FABRIC.glob("*.yaml")):
        out |= yaml.safe_load(path.read_text().replace("${organization.id}", organization_id)) or {}
    return out


def test_every_constraint_fabric_hardens_too_is_set_the_same_way() -> None:
    ours, theirs = op.ml_folder_policies(["europe-west4"], ORG), fabric(ORG)
    shared = sorted(set(ours) & set(theirs))
    assert shared == sorted(
        [op.NOTEBOOKS_DISABLE_FILE_DOWNLOADS, op.NOTEBOOKS_DISABLE_ROOT_ACCESS, op.NOTEBOOKS_RESTRICT_PUBLIC_IP,
         op.NOTEBOOKS_RESTRICT_VPC_NETWORKS, op.STORAGE_UNIFORM_BUCKET_LEVEL_ACCESS,
         op.STORAGE_PUBLIC_ACCESS_PREVENTION]
    )  # fmt: skip
    for constraint in shared:
        assert ours[constraint] == theirs[constraint], constraint


def test_locations_and_cmek_follow_the_platform_config() -> None:
    ours = op.ml_folder_policies(["europe-west4", "europe-west1"], ORG)
    assert ours[op.RESOURCE_LOCATIONS] == {
        "rules": [{"allow": {"values": ["in:europe-west4-locations", "in:europe-west1-locations"]}}]
    }
    assert "aiplatform.googleapis.com" in ours[op.RESTRICT_NON_CMEK_SERVICES]["rules"][0]["deny"]["values"]
    with pytest.raises(ValueError, match="allowed_regions.gcp is empty"):
        op.ml_folder_policies([], ORG)
