"""The engine shim's environment: jsii's cache stays in the repo, Node's EOL banner stays quiet."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from govhub.config import load_config
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


def test_every_team_on_every_cloud_gets_its_spoke(estate: dict, azure_estate: dict, gcp_estate: dict) -> None:
    """No team is dropped: each configured team has its cloud's spoke stack, next to that cloud's hub."""
    from tests.conftest import AZURE_CONFIG, GCP_CONFIG

    for path, stacks in ((EXAMPLE_CONFIG, estate), (AZURE_CONFIG, azure_estate), (GCP_CONFIG, gcp_estate)):
        config = load_config(path)
        expected = {f"hub-{c}" for c in config.hubs.clouds} | {f"spoke-{t.cloud}-{t.name}" for t in config.teams}
        assert set(stacks) == expected, path
