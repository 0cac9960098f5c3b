"""`govhub estate diff`: what onboarding a team does to every stack, the hub's included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from govhub.cli import main
from tests.mothub import CONFIG

pytestmark = pytest.mark.synth


def test_onboarding_a_team_shows_every_hub_change_and_the_new_spoke(estate_dir: Path, tmp_path: Path, capsys) -> None:
    doc = yaml.safe_load(CONFIG.read_text())
    doc["teams"].append(
        {"name": "payments", "cloud": "aws", "account": "555555555555", "owners": ["pay@acme.example"],
         "cost_centre": "CC-5001", "risk_tiers": ["limited"], "vpc_cidr": "10.27.0.0/16",
         "use_cases": [{"name": "chargebacks", "risk_tier": "limited"}]}
    )  # fmt: skip
    after = tmp_path / "platform.yaml"
    after.write_text(yaml.safe_dump(doc))
    assert main(["estate", "diff", str(estate_dir), str(after), "--json"]) == 0
    rows = {r["stack"]: r for r in json.loads(capsys.readouterr().out)}
    assert list(rows)[0] == "hub-aws"  # the hub first, as it is deployed
    hub = rows["hub-aws"]
    assert hub["state"] == "changed" and not hub["removed"]
    added = "\n".join(hub["added"])
    for what in ("aws_iam_role role-submit-payments", "aws_sagemaker_model_package_group", "output "):
        assert what in added, what
    changed = {c["what"]: c["settings"] for c in hub["changed"]}
    assert any("ci-deployer" in w and "policy" in s for w, s in changed.items())  # may now deploy the new spoke
    assert rows["spoke-aws-payments"]["state"] == "added" and len(rows["spoke-aws-payments"]["added"]) > 30
    assert {rows[f"spoke-aws-{t}"]["state"] for t in ("fraud", "recsys", "claims")} == {"unchanged"}
    # the readable form says how much the hub changes, and that the other spokes do not
    assert main(["estate", "diff", str(estate_dir), str(after)]) == 0
    text = capsys.readouterr().out
    n_add, n_change = len(hub["added"]), len(hub["changed"])
    assert f"hub-aws (changes): {n_add} to add, {n_change} to change, 0 to remove" in text
    assert "+ aws_iam_role role-submit-payments/role" in text
    assert (
        "spoke-aws-payments (new stack)" in text
        and "unchanged: spoke-aws-claims, spoke-aws-fraud, spoke-aws-recsys" in text
    )
    print(f"onboarding one team: hub {n_add} added, {n_change} changed")  # measured, for the notes


def test_a_broken_side_is_one_clear_error(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "platform.yaml"
    bad.write_text("version: 1\norganization: acme\n")
    assert main(["estate", "diff", str(bad), str(tmp_path / "missing-dir")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "hubs" in err and "Traceback" not in err
