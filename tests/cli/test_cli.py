"""The govhub CLI: lean start-up and clean errors."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.helpers import ROOT

HEAVY = ("cdktf", "cdktn", "jsii", "constructs", "boto3", "botocore", "sagemaker", "azure", "google", "pydantic")


def test_help_does_not_import_the_engine_or_cloud_sdks() -> None:
    probe = "\n".join(
        [
            "import contextlib, io, json, sys",
            "from govhub.cli import main",
            "with contextlib.redirect_stdout(io.StringIO()):",
            "    try:",
            "        main(['--help'])",
            "    except SystemExit:",
            "        pass",
            "print(json.dumps(sorted(sys.modules)))",
        ]
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout.strip().splitlines()[-1]))
    # Namespace packages that site-packages .pth files load for every interpreter are not ours to avoid.
    bare = subprocess.run(
        [sys.executable, "-c", "import json, sys; print(json.dumps(sorted(sys.modules)))"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    loaded -= set(json.loads(bare.stdout))
    heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY)
    assert heavy == [], f"govhub --help imported {heavy}"


def test_estate_summary_without_synth_output_says_what_to_do(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "govhub", "estate", "summary", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "synthesize first (`make demo` or `npx cdktf synth`)" in result.stderr
    assert "Traceback" not in result.stderr


def test_estate_summary_lists_every_stack(estate_dir) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "govhub", "estate", "summary", str(estate_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"8 stacks in {estate_dir}:")
    for stack in (
        "hub-aws",
        "spoke-aws-fraud",
        "spoke-aws-recsys",
        "spoke-aws-claims",
        "hub-azure",
        "spoke-azure-credit",
        "hub-gcp",
        "spoke-gcp-vision",
    ):
        assert stack in result.stdout
