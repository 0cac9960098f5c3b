"""An independent IaC scan: checkov on the synthesized AWS stacks, with reviewed skips only."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.helpers import ROOT

pytestmark = pytest.mark.synth

SKIPS_FILE = ROOT / "infra" / "checkov-skips.yaml"
CHECKOV = ROOT / ".cache" / "tools" / "checkov" / "bin" / "checkov"


def checkov_binary() -> str:
    if CHECKOV.exists():
        return str(CHECKOV)
    found = shutil.which("checkov")
    if not found:
        if os.environ.get("GOVHUB_REQUIRE_ALL_TESTS"):
            pytest.fail(f"checkov is not installed at {CHECKOV} or on PATH; `make test` installs it")
        pytest.skip(f"checkov is not installed at {CHECKOV} or on PATH; `make test` installs it")
    return found


@pytest.fixture(scope="module")
def scan(estate_dir: Path) -> dict[str, set[str]]:
    result = subprocess.run(
        [
            checkov_binary(),
            "-d",
            str(estate_dir / "stacks"),
            "--framework",
            "terraform_json",
            "--skip-download",
            "--quiet",
            "--compact",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )
    assert result.stdout.strip(), result.stderr[-2000:]
    reports = json.loads(result.stdout)
    failed: dict[str, set[str]] = {}
    for report in reports if isinstance(reports, list) else [reports]:
        assert report["summary"]["parsing_errors"] == 0, report["summary"]
        assert report["summary"]["passed"] > 100  # the scan really looked at the estate
        for check in report["results"]["failed_checks"]:
            failed.setdefault(check["check_id"], set()).add(f"{check['file_path']}:{check['resource']}")
    return failed


def test_every_failing_check_is_a_reviewed_skip(scan: dict[str, set[str]]) -> None:
    skips = yaml.safe_load(SKIPS_FILE.read_text())
    new = {cid: sorted(where)[:3] for cid, where in scan.items() if cid not in skips}
    assert not new, f"new checkov failures: fix them, or add a reviewed reason to {SKIPS_FILE.name}: {new}"


def test_no_skip_is_stale(scan: dict[str, set[str]]) -> None:
    skips = yaml.safe_load(SKIPS_FILE.read_text())
    stale = sorted(set(skips) - set(scan))
    assert not stale, f"these checks pass now; remove them from {SKIPS_FILE.name}: {stale}"


def test_every_skip_has_a_substantial_reason() -> None:
    skips = yaml.safe_load(SKIPS_FILE.read_text())
    for check_id, entry in skips.items():
        assert set(entry) == {"check", "reason"}, check_id
        assert len(entry["reason"].split()) >= 30, f"{check_id}: the reason is too short to review"
