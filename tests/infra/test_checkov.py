"""An independent IaC scan: checkov on the synthesized example estate (AWS and Azure stacks), with
reviewed skips only (infra/checkov-skips*.yaml; the Azure file is held stale-free by test_hub_azure)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.synth


@pytest.fixture(scope="module")
def scanned(estate_dir: Path) -> tuple[list[dict], dict[str, set[str]]]:
    from tools import checkov_gate

    try:
        reports, failed = checkov_gate.scan(estate_dir / "stacks")
    except checkov_gate.CheckovMissing as exc:
        if os.environ.get("GOVHUB_REQUIRE_ALL_TESTS"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    for report in reports:
        assert report["summary"]["parsing_errors"] == 0, report["summary"]
        assert report["summary"]["passed"] > 100  # the scan really looked at the estate
    return reports, failed


@pytest.fixture(scope="module")
def scan(scanned) -> dict[str, set[str]]:
    return scanned[1]


def test_the_ci_gate_passes_the_example_estate_and_names_a_new_failure(scanned) -> None:
    from tools.checkov_gate import skips, verdict

    reports, failed = scanned
    code, lines = verdict(reports, failed, skips())
    assert code == 0 and "failures under reviewed skips" in lines[0]
    code, lines = verdict(reports, {**failed, "CKV_AWS_999": {"/hub-aws/cdk.tf.json:aws_s3_bucket.x"}}, skips())
    assert code == 1 and lines[1] == "  NEW CKV_AWS_999: /hub-aws/cdk.tf.json:aws_s3_bucket.x"


def test_every_failing_check_is_a_reviewed_skip(scan: dict[str, set[str]]) -> None:
    from tools.checkov_gate import skips as reviewed

    skips = reviewed()
    new = {cid: sorted(where)[:3] for cid, where in scan.items() if cid not in skips}
    assert not new, f"new checkov failures: fix them, or add a reviewed reason to {'infra/checkov-skips.yaml'}: {new}"


def test_no_skip_is_stale(scan: dict[str, set[str]]) -> None:
    skips = yaml.safe_load(checkov_gate_skips_text())
    stale = sorted(set(skips) - set(scan))
    assert not stale, f"these checks pass now; remove them from {'infra/checkov-skips.yaml'}: {stale}"


def test_every_skip_has_a_substantial_reason() -> None:
    skips = yaml.safe_load(checkov_gate_skips_text())
    for check_id, entry in skips.items():
        assert set(entry) == {"check", "reason"}, check_id
        assert len(entry["reason"].split()) >= 30, f"{check_id}: the reason is too short to review"


def checkov_gate_skips_text() -> str:
    from tools.checkov_gate import SKIPS_FILE

    return SKIPS_FILE.read_text()
