"""Judge the trained model with the hub's gates: `govhub evaluate` on artifacts/, under this project's
risk tier, with the model card completed by lineage (data version, code commit, training job).

    python -m {{ cookiecutter.package_name }}.evaluate      # exit 0 pass, 1 fail, 2 error
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from {{ cookiecutter.package_name }} import data

ARTIFACTS = data.ROOT / "artifacts"


def lineage() -> dict[str, str]:
    commit = os.environ.get("GIT_COMMIT") or os.environ.get("GITHUB_SHA") or os.environ.get("CI_COMMIT_SHA")
    if not commit:
        try:
            commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=data.ROOT, capture_output=True, text=True,
                                    check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            commit = "uncommitted"
    digest = hashlib.sha256(data.SAMPLE.read_bytes()).hexdigest()[:16]
    out = {"data_version": f"sample-{digest}", "code_commit": commit,
           "training_job": os.environ.get("TRAINING_JOB", "local-training")}
    profile = baseline_profile()
    if profile is not None:  # the folder is named by its manifest's sha256
        out["baseline_profile"] = profile.name  # the hub keeps it on the model version
    return out


def baseline_profile() -> Path | None:
    """The baseline profile that training made (each feature sorted once), if there is one."""
    trained = ARTIFACTS / "training.json"
    profile = json.loads(trained.read_text()).get("baseline_profile") if trained.exists() else None
    return Path(profile) if profile and Path(profile).is_dir() else None


def baseline() -> list[str]:
    """The baseline profile that training made, else the baseline table."""
    profile = baseline_profile()
    if profile is not None:
        return ["--baseline-profile", str(profile)]
    return ["--baseline", str(ARTIFACTS / "baseline.csv")]


def main(argv: list[str] | None = None) -> int:
    governance = yaml.safe_load((data.ROOT / "governance.yaml").read_text())
    card = yaml.safe_load((data.ROOT / "model_card.yaml").read_text())
    card["lineage"] = {**lineage(), **(card.get("lineage") or {})}
    card["lineage"] = {k: v for k, v in card["lineage"].items() if v}
    card["assets"] = {**(card.get("assets") or {}), "evaluation_report": str(ARTIFACTS / "report.html")}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "model_card.yaml").write_text(yaml.safe_dump(card, sort_keys=False))
    command = [os.environ.get("GOVHUB", "govhub"), "evaluate",
               "--predictions", str(ARTIFACTS / "predictions.csv"), "--label", "approved", "--score", "score",
               *[a for s in governance["sensitive_attributes"] for a in ("--sensitive", s)],
               *baseline(), "--current", str(ARTIFACTS / "current.csv"),
               "--tier", governance["risk_tier"], "--model-card", str(ARTIFACTS / "model_card.yaml"),
               "--out", str(ARTIFACTS / "decision.json"), "--evidence-out", str(ARTIFACTS / "evidence.json"),
               "--report", str(ARTIFACTS / "report.html"), *(argv or [])]
    return subprocess.run(command).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
