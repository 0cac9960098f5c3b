"""Engine parity: the AWS, Azure and GCP estates synthesize through the shim on CDK Terrain (cdktn) exactly
as on cdktf, resource by resource (cdktn-provider-azurerm 17.0.0 binds azurerm 4.81, cdktf's 14.23.1
binds 4.55; the hand-written azapi blocks go through the engines' generic classes), and the GCP estate
too (cdktn-provider-google 20.0.0, google 7.43, against cdktf's google 6.50). Only the provider version constraints and the engine's own metadata
may differ (see normalize); any other difference fails with the resource and argument named."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from govhub.estate import load_stacks
from tests.helpers import EXAMPLE_CONFIG, ROOT

pytestmark = pytest.mark.synth


def normalize(doc: dict) -> dict:
    """Drop what legitimately differs between engines: '//' metadata blocks (engine name, version,
    construct paths), provider version constraints (each engine's bindings pin their own provider
    release), and the local backend path (it names the synth folder). One spelling is unified:
    cdktf writes the provider source as "aws", cdktn as "hashicorp/aws"; Terraform reads both as
    registry.terraform.io/hashicorp/aws."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "//"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    out = strip(doc)
    terraform = out.get("terraform", {})
    for provider in terraform.get("required_providers", {}).values():
        provider.pop("version", None)
        if "/" not in provider.get("source", "/"):
            provider["source"] = f"hashicorp/{provider['source']}"
    terraform.get("backend", {}).get("local", {}).pop("path", None)
    for remote in out.get("data", {}).get("terraform_remote_state", {}).values():
        remote.get("config", {}).pop("path", None)
    return out


def differences(left: dict, right: dict, path: str = "") -> list[str]:
    if isinstance(left, dict) and isinstance(right, dict):
        found = []
        for key in sorted(set(left) | set(right)):
            where = f"{path}.{key}" if path else key
            if key not in left or key not in right:
                found.append(f"{where}: only in {'cdktn' if key not in left else 'cdktf'}")
            else:
                found += differences(left[key], right[key], where)
        return found
    if left != right:
        return [f"{path}: cdktf {json.dumps(left)[:120]} != cdktn {json.dumps(right)[:120]}"]
    return []


def cdktn_synth(config: Path, out: Path, stacks: int) -> dict[str, dict]:
    missing = [
        m for m in ("cdktn", "cdktn_provider_aws", "cdktn_provider_azurerm") if importlib.util.find_spec(m) is None
    ]
    if missing:
        message = f"CDK Terrain is not installed ({', '.join(missing)}: pip install -r infra/requirements.txt; `make test` does)"
        if os.environ.get("GOVHUB_REQUIRE_ALL_TESTS"):
            pytest.fail(message)
        pytest.skip(message)
    env = {**os.environ, "CDK_ENGINE": "cdktn", "PLATFORM_CONFIG": str(config), "CDKTF_OUTDIR": str(out)}
    env.pop("GOVHUB_PROFILE", None)
    result = subprocess.run([sys.executable, "main.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"synthesized {stacks} stack(s) from {config} into {out}" in result.stderr  # main.py says what it wrote
    return load_stacks(out)


@pytest.fixture(scope="module")
def cdktn_estate(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    return cdktn_synth(EXAMPLE_CONFIG, tmp_path_factory.mktemp("cdktn.out"), 8)


@pytest.fixture(scope="module")
def cdktn_gcp_estate(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    from tests.conftest import GCP_CONFIG, GCP_STACKS

    return cdktn_synth(GCP_CONFIG, tmp_path_factory.mktemp("cdktn-gcp.out"), len(GCP_STACKS))


@pytest.fixture(scope="module")
def cdktn_azure_estate(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    from tests.conftest import AZURE_CONFIG, AZURE_STACKS

    return cdktn_synth(AZURE_CONFIG, tmp_path_factory.mktemp("cdktn-azure.out"), len(AZURE_STACKS))


def test_cdktn_engine_really_ran(cdktn_estate: dict[str, dict]) -> None:
    assert cdktn_estate["hub-aws"]["//"]["metadata"]["version"] == "0.24.0"


def assert_same(estate: dict[str, dict], cdktn_estate: dict[str, dict]) -> None:
    assert set(cdktn_estate) == set(estate)
    for name in estate:
        left, right = normalize(estate[name]), normalize(cdktn_estate[name])
        resources_left = {(t, n) for t, items in left.get("resource", {}).items() for n in items}
        resources_right = {(t, n) for t, items in right.get("resource", {}).items() for n in items}
        assert resources_left == resources_right, (name, resources_left ^ resources_right)
        diff = differences(left, right)
        assert not diff, f"{name}: " + "\n".join(diff[:20])


def test_both_engines_synthesize_the_same_estate(estate: dict[str, dict], cdktn_estate: dict[str, dict]) -> None:
    assert_same(estate, cdktn_estate)


def test_both_engines_synthesize_the_same_azure_estate(
    azure_estate: dict[str, dict], cdktn_azure_estate: dict[str, dict]
) -> None:
    assert_same(azure_estate, cdktn_azure_estate)
    assert cdktn_azure_estate["hub-azure"]["//"]["metadata"]["version"] == "0.24.0"
    assert "azapi_resource" in cdktn_azure_estate["hub-azure"]["resource"]  # the hand-written construct, on cdktn


def test_normalize_keeps_real_arguments() -> None:
    doc = {
        "resource": {"aws_s3_bucket": {"b": {"//": {"metadata": {}}, "bucket": "x"}}},
        "terraform": {"required_providers": {"aws": {"source": "aws", "version": "6.0"}}},
    }
    assert normalize(doc) == {
        "resource": {"aws_s3_bucket": {"b": {"bucket": "x"}}},
        "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws"}}},
    }
    assert differences({"a": {"b": 1}}, {"a": {"b": 2}}) == ["a.b: cdktf 1 != cdktn 2"]


def test_both_engines_synthesize_the_same_gcp_estate(
    gcp_estate: dict[str, dict], cdktn_gcp_estate: dict[str, dict]
) -> None:
    """cdktn-provider-google 20.0.0 binds google 7.43, cdktf's 16.12.1 google 6.50: the one typed argument
    whose type changed between them (a bucket's retention_period) is written as an override."""
    assert_same(gcp_estate, cdktn_gcp_estate)
