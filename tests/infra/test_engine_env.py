"""The engine shim's environment: jsii's cache stays in the repo, Node's EOL banner stays quiet."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from govhub.config import parse_config
from main import ERR_UNBUILT_CLOUD, EstateError, build_estate
from tests.helpers import EXAMPLE_CONFIG, ROOT

pytestmark = pytest.mark.synth


def test_engine_keeps_jsii_cache_in_repo_and_silences_node_banner(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JSII_")}
    env["HOME"] = str(tmp_path)  # anything written to the home directory would land here
    code = "from infra import engine; engine.provider('aws'); print(engine.ENGINE)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "cdktf"
    assert "end-of-life" not in result.stderr and "not tested with node" not in result.stderr.lower()
    assert not (tmp_path / ".cache").exists(), list(tmp_path.rglob("*"))[:5]
    assert (ROOT / ".cache" / "jsii").is_dir()


def test_unknown_engine_is_refused_with_the_known_names() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import infra.engine"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "CDK_ENGINE": "pulumi"},
        timeout=60,
    )
    assert result.returncode != 0
    assert "CDK_ENGINE='pulumi' is not a known engine; use one of: cdktf, cdktn" in result.stderr


def test_teams_on_clouds_without_stacks_are_refused_not_dropped() -> None:
    text = EXAMPLE_CONFIG.read_text().replace(
        "hubs:\n",
        'hubs:\n  gcp: {organization_id: "123456789", project_id: acme-govhub, region: europe-west4, '
        "owner: p@acme.example, cost_centre: CC-1}\n",
        1,
    ).replace("  allowed_regions:\n", "  allowed_regions:\n    gcp: [europe-west4]\n", 1) + (
        "  - {name: search, cloud: gcp, account: acme-search, owners: [s@acme.example], cost_centre: CC-9, "
        "risk_tiers: [minimal]}\n"
    )
    config = parse_config(text, "with-gcp.yaml")
    with pytest.raises(EstateError) as refused:
        build_estate(config)
    assert str(refused.value) == ERR_UNBUILT_CLOUD.format(teams="search", clouds="gcp")
