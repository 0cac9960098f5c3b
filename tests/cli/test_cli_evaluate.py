"""`govhub evaluate` and `govhub policy`: exit codes, outputs, clean errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from govhub.core.gates import GATES
from tests.core.test_policy_and_decision import ANNEX_IV
from tests.helpers import ROOT


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "govhub", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


@pytest.fixture()
def model_tables(tmp_path, make_predictions):
    n = 4000
    rng, preds = make_predictions(5, n)
    y, sex, fair = preds["label"].to_numpy(), preds["sex"].to_numpy(), preds["score"].to_numpy()
    biased = np.clip(fair - np.where(sex == "female", 0.25, 0.0), 0, 1)  # the deliberately introduced bias
    for name, score in (("fair", fair), ("biased", biased)):
        pd.DataFrame({"label": y, "score": score, "sex": sex}).to_csv(tmp_path / f"{name}.csv", index=False)
    features = pd.DataFrame({"age": rng.normal(40, 9, n), "region": rng.choice(["n", "s"], size=n)})
    features.to_parquet(tmp_path / "baseline.parquet")
    features.sample(frac=0.5, random_state=1).to_parquet(tmp_path / "current.parquet")
    (tmp_path / "card.yaml").write_text(
        "model: {name: credit, version: '7'}\nintended_use: consumer credit scoring\n"
        "limitations: not for business loans\nowners: credit-ds@acme.example\ntraining_data: loans 2019-2024\n"
        "evaluation_data: holdout 2025\nethical_considerations: reviewed by the ethics board\n"
        "assets: {evaluation_report: reports/eval.html}\n"
        "lineage: {data_version: v3, code_commit: abc1234, training_job: tj-1}\n" + yaml.safe_dump(ANNEX_IV)
    )
    return tmp_path


def evaluate_args(d, name: str, tier: str = "high") -> list[str]:
    return [
        "evaluate",
        "--predictions",
        str(d / f"{name}.csv"),
        "--baseline",
        str(d / "baseline.parquet"),
        "--current",
        str(d / "current.parquet"),
        "--label",
        "label",
        "--score",
        "score",
        "--sensitive",
        "sex",
        "--tier",
        tier,
        "--model-card",
        str(d / "card.yaml"),
        "--out",
        str(d / f"{name}.decision.json"),
        "--report",
        str(d / f"{name}.html"),
    ]


def test_fair_model_passes_with_exit_0(model_tables) -> None:
    result = run(*evaluate_args(model_tables, "fair"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("decision: PASS  (risk tier high, policy govhub-high 1.2.0")
    decision = json.loads((model_tables / "fair.decision.json").read_text())
    assert decision["outcome"] == "pass" and decision["model"] == {"name": "credit", "version": "7"}
    assert (model_tables / "fair.html").read_text().count("<tr data-gate=") == len(GATES)


def test_biased_model_fails_with_exit_1_and_says_why(model_tables) -> None:
    result = run(*evaluate_args(model_tables, "biased"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "decision: FAIL" in result.stdout
    # one cause, one finding: the rates and group sizes behind it, then its mirror images
    (line,) = [x for x in result.stdout.splitlines() if "clarify.DI" in x]
    assert re.search(
        r"selection rate \d+\.\d% for sex=female \(n=[\d,]+\) vs \d+\.\d% for the rest \(n=[\d,]+\): clarify\.DI 0\.4\d+ "
        r"for sex=female is below 0\.8 required for risk tier high; also ",
        line,
    ), line
    assert "clarify.DI 2.242 for sex=male (allowed within [0.8, 1.25])" in line
    decision = json.loads((model_tables / "biased.decision.json").read_text())
    assert [g["id"] for g in decision["gates"] if g["status"] == "fail"] == ["gate.fairness"]


@pytest.mark.parametrize(
    "change, message",
    [
        (["--label", "nope"], "column 'nope' not found; columns are: label, score, sex"),
        (["--tier", "high", "--policy", "limited"], "policy pack govhub-limited is for risk tier limited, not high"),
    ],
)
def test_bad_input_exits_2_with_one_message(model_tables, change, message) -> None:
    args = evaluate_args(model_tables, "fair")
    for i in range(0, len(change), 2):
        if change[i] in args:
            args[args.index(change[i]) + 1] = change[i + 1]
        else:
            args += change[i : i + 2]
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_unknown_tier_is_refused_by_the_parser(model_tables) -> None:
    result = run(*[a if a != "high" else "extreme" for a in evaluate_args(model_tables, "fair")])
    assert result.returncode == 2 and "invalid choice: 'extreme'" in result.stderr


def test_policy_list_and_show() -> None:
    listed = run("policy", "list")
    assert listed.returncode == 0
    assert [line.split()[0] for line in listed.stdout.splitlines()] == ["high", "limited", "minimal", "prohibited"]
    shown = run("policy", "show", "high")
    assert "clarify.DI within [0.8, 1.25]" in shown.stdout and "approvals: {'staging': 1, 'prod': 2}" in shown.stdout


def test_imported_evidence_is_judged_by_the_same_gates(model_tables) -> None:
    first = run(*evaluate_args(model_tables, "biased"), "--evidence-out", str(model_tables / "evidence.json"))
    assert first.returncode == 1
    again = run(
        "evaluate",
        "--evidence",
        str(model_tables / "evidence.json"),
        "--tier",
        "high",
        "--model-card",
        str(model_tables / "card.yaml"),
        "--out",
        str(model_tables / "again.json"),
    )
    assert again.returncode == 1
    first_decision = json.loads((model_tables / "biased.decision.json").read_text())
    second = json.loads((model_tables / "again.json").read_text())
    assert [g["status"] for g in second["gates"]] == [g["status"] for g in first_decision["gates"]]
    assert second["evidence_digest"] == first_decision["evidence_digest"]


def test_broken_evidence_file_is_named_with_the_field(model_tables) -> None:
    bad = model_tables / "bad-evidence.json"
    bad.write_text('{"metrics": [{"name": "clarify.EOD", "value": 1, "provenance": {}}]}')
    result = run("evaluate", "--evidence", str(bad), "--tier", "high", "--out", str(model_tables / "x.json"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{bad}: not a valid evidence document at metrics.0.name: unknown metric 'clarify.EOD'" in result.stderr
