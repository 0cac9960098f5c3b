"""Bad input never crashes and never passes silently: one regression test per input seen to crash or to
pass where it should not. Each must exit 2 with one message that names the file, the field or the column
(1 where the input is well-formed and the gates fail it), and never print a traceback."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govhub.cli import main
from tests.helpers import EXAMPLE_CONFIG, FIXTURES

NOT_UTF8 = b"name: caf\xe9\n"
DEEP = "a: " + "[" * 5000 + "]" * 5000 + "\n"
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    return code, captured.err + captured.out


@pytest.fixture()
def tables(tmp_path: Path, make_predictions) -> Path:
    _, preds = make_predictions(7, 400)
    preds.to_csv(tmp_path / "preds.csv", index=False)
    pd.DataFrame({"age": np.arange(400.0)}).to_csv(tmp_path / "base.csv", index=False)
    pd.DataFrame({"income": np.arange(400.0)}).to_csv(tmp_path / "cur.csv", index=False)
    (tmp_path / "card.yaml").write_text("model: {name: credit, version: '1'}\n")
    return tmp_path


def evaluate(d: Path, *extra: str, predictions: str = "preds.csv") -> list[str]:
    return ["evaluate", "--predictions", str(d / predictions), "--label", "label", "--score", "score",
            "--sensitive", "sex", "--tier", "minimal", "--out", str(d / "decision.json"), *extra]  # fmt: skip


def test_a_missing_value_in_a_sensitive_column(tables: Path, capsys) -> None:
    frame = pd.read_csv(tables / "preds.csv")
    frame.loc[3, "sex"] = None
    frame.to_csv(tables / "holes.csv", index=False)
    code, out = run(capsys, *evaluate(tables, predictions="holes.csv"))
    assert code == 2 and "sensitive column 'sex' has 1 missing value(s) (first at row 3)" in out


@pytest.mark.parametrize("rows", [1, 50], ids=["one-row", "one-class"])
def test_labels_of_one_class(tables: Path, capsys, rows: int) -> None:
    frame = pd.read_csv(tables / "preds.csv").head(rows).assign(label=1)
    frame.to_csv(tables / "one.csv", index=False)
    code, out = run(capsys, *evaluate(tables, predictions="one.csv"))
    assert code == 2 and "label column 'label' holds only class 1" in out


@pytest.mark.parametrize("value", ["nan", "-5", "0", "1.5", "inf"])
def test_a_threshold_outside_0_1(tables: Path, capsys, value: str) -> None:
    code, out = run(capsys, *evaluate(tables, f"--threshold={value}"))
    assert code == 2 and "a score threshold must be a number in (0, 1]" in out


def test_a_boolean_score_column(tables: Path, capsys) -> None:
    frame = pd.read_csv(tables / "preds.csv")
    frame["score"] = frame["score"] > 0.5
    frame.to_parquet(tables / "bool.parquet")
    code, out = run(capsys, *evaluate(tables, predictions="bool.parquet"))
    assert code == 2 and "holds true/false values, not probabilities" in out


def test_drift_with_no_shared_column(tables: Path, capsys) -> None:
    code, out = run(
        capsys, *evaluate(tables, "--baseline", str(tables / "base.csv"), "--current", str(tables / "cur.csv"))
    )
    assert code == 2 and "share no column" in out


@pytest.mark.parametrize("kind", ["evidence", "policy", "card"])
def test_documents_that_are_not_utf8(tables: Path, capsys, kind: str) -> None:
    bad = tables / f"bad-{kind}.yaml"
    bad.write_bytes(NOT_UTF8)
    option = {"evidence": "--evidence", "policy": "--policy", "card": "--model-card"}[kind]
    code, out = run(capsys, *evaluate(tables, option, str(bad)))
    assert code == 2 and f"{bad}: not UTF-8 text (byte 0xe9 at offset 9)" in out


def test_a_monitoring_plan_or_governance_yaml_that_is_not_utf8(tmp_path: Path) -> None:
    from govhub.core.monitoring import PlanError, load_plan

    for name in ("plan.yaml", "governance.yaml"):
        (tmp_path / name).write_bytes(NOT_UTF8)
        with pytest.raises(PlanError, match=re.escape(f"{tmp_path / name}: not UTF-8 text")):
            load_plan(tmp_path / name)


def test_a_policy_that_is_a_folder(tables: Path, capsys) -> None:
    from govhub.core.policy import PolicyError, load_pack

    (tables / "packs.yaml").mkdir()
    code, out = run(capsys, *evaluate(tables, "--policy", str(tables / "packs.yaml")))
    assert code == 2 and "is a folder; give the policy pack file itself" in out
    with pytest.raises(PolicyError, match="is a folder"):  # what `govhub policy publish DIR` reads through
        load_pack(tables)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("model: [credit, '1']\n", "field 'model' must be a mapping of names to values (found a list)"),
        ("lineage: [v3, abc]\n", "field 'lineage' must be a mapping of names to values (found a list)"),
        ("lineage: v3 abc123\n", "field 'lineage' must be a mapping of names to values (found text)"),
        ("lineage: {data_version: [v3]}\n", "lineage.data_version must be a single value"),
        ("- intended_use: x\n", "a model card must be a mapping of fields (found a list)"),
        (DEEP, "nests deeper than 64 levels"),
        (ALIAS_BOMB, "its aliases expand to more than 200000 values"),
    ],
    ids=["model-list", "lineage-list", "lineage-string", "lineage-nested", "card-list", "deep", "alias-bomb"],
)
def test_model_cards_that_cannot_be_used(tables: Path, capsys, text: str, message: str) -> None:
    (tables / "card.yaml").write_text(text)
    code, out = run(capsys, *evaluate(tables, "--model-card", str(tables / "card.yaml")))
    assert code == 2 and message in out


def test_many_aliases_and_wide_expansions_are_both_refused() -> None:
    from govhub.inputs import InputError, load_yaml

    many = "a: &a x\nb: [" + ", ".join(["*a"] * 300) + "]\n"
    with pytest.raises(InputError, match="uses more than 256 YAML aliases"):
        load_yaml(many, "many.yaml")

    wide = (
        "a: &a ["
        + ", ".join(["x"] * 500)
        + "]\n"
        + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 30)}]\n" for i in range(4))
    )
    with pytest.raises(InputError, match="expand to more than 200000 values"):
        load_yaml(wide, "wide.yaml")


@pytest.mark.parametrize("text", [DEEP, ALIAS_BOMB])
def test_policy_packs_and_platform_configs_are_bounded_too(tmp_path: Path, capsys, text: str) -> None:
    from govhub.core.policy import PolicyError, parse_pack

    with pytest.raises(PolicyError, match="nests deeper|aliases"):
        parse_pack(text, "pack.yaml")
    (tmp_path / "platform.yaml").write_text(text)
    code, out = run(capsys, "config", "validate", str(tmp_path / "platform.yaml"))
    assert code == 2 and ("nests deeper" in out or "aliases" in out)


def test_a_use_case_listed_twice_with_different_tiers(tmp_path: Path, capsys) -> None:
    text = EXAMPLE_CONFIG.read_text().replace(
        "      - name: credit-scoring\n        risk_tier: high\n",
        "      - name: credit-scoring\n        risk_tier: high\n      - name: credit-scoring\n        risk_tier: limited\n",
        1,
    )
    (tmp_path / "platform.yaml").write_text(text)
    code, out = run(capsys, "config", "validate", str(tmp_path / "platform.yaml"))
    assert code == 2 and "use case 'credit-scoring' is listed twice for team 'fraud'" in out


@pytest.mark.parametrize("value", ["Infinity", 42.0, -0.5])
def test_impossible_metric_values_in_imported_evidence(tables: Path, capsys, value: str | float) -> None:
    prov = {"artifact_uri": "x", "artifact_sha256": "1" * 64, "tool": "t", "tool_version": "1", "variant": "v"}
    doc = {"model": {}, "metrics": [{"name": "roc_auc", "value": value, "provenance": prov}]}
    (tables / "ev.json").write_text(json.dumps(doc))
    code, out = run(capsys, *evaluate(tables, "--evidence", str(tables / "ev.json")))
    assert code == 2 and "roc_auc" in out and "outside its domain [0, 1]" in out


def test_an_adapter_turns_an_impossible_value_into_an_error_that_fails_its_gate() -> None:
    from govhub.adapters.base import Artifact
    from govhub.adapters.registry import get

    analysis = json.loads((FIXTURES / "provider-formats" / "aws_sdk_testdata" /
                           "pipeline_clarify_check_step_data_bias_good_cases_analysis.json").read_text())  # fmt: skip
    first = analysis["pre_training_bias_metrics"]["facets"]
    facet = next(iter(first))
    first[facet][0]["metrics"][0]["value"] = 42.0  # CI lies in [-1, 1]
    evidence = get("sagemaker-clarify").read([Artifact("s3://b/analysis.json", json.dumps(analysis).encode())])
    bad = [m for m in evidence.metrics if m.error and "outside its domain" in m.error]
    assert len(bad) == 1 and bad[0].value is None


@pytest.mark.parametrize("where", ["pack", "plan"])
def test_nan_bounds_are_refused(tmp_path: Path, where: str) -> None:
    from govhub.core.monitoring import PlanError, parse_plan
    from govhub.core.policy import PolicyError, parse_pack
    from govhub.resources import policies_dir

    if where == "pack":
        text = re.sub(r"min: 0\.80\b", "min: .nan", (policies_dir() / "high.yaml").read_text(), count=1)
        assert ".nan" in text
        with pytest.raises(PolicyError, match="finite number"):
            parse_pack(text, "high.yaml")
    else:
        from tests.core.test_workflow import PLAN

        text = PLAN.replace("metric: drift.psi, max: 0.2", "metric: drift.psi, max: .nan")
        assert ".nan" in text
        with pytest.raises(PlanError, match="finite number"):
            parse_plan(text, "plan.yaml")


def test_placeholders_in_required_card_fields_fail_the_documentation_gate(tables: Path, capsys) -> None:
    (tables / "card.yaml").write_text(
        "model: {name: credit, version: '1'}\nintended_use: TODO\nlimitations: '-'\nowners: n/a\n"
        "training_data: '...'\nevaluation_data: holdout 2025\nethical_considerations: reviewed\n"
    )
    args = evaluate(tables, "--model-card", str(tables / "card.yaml"))  # judged under high, which requires them
    args[args.index("minimal")] = "high"
    code, out = run(capsys, *args)
    assert code == 1
    for field in ("intended_use", "limitations", "owners", "training_data"):
        assert f"model card field '{field}' is missing, empty or a placeholder" in out


@pytest.mark.parametrize("text", ["!!!!!!!!!!!!!!!!!!!!!!!!!", "-- -- -- -- -- -- -- -- --", "TODO" + " " * 30])
def test_justifications_made_of_punctuation_are_refused(text: str) -> None:
    from govhub.core.decision import Waiver
    from govhub.core.workflow import WorkflowError, _check_justification

    with pytest.raises(WorkflowError, match="mostly words"):
        _check_justification(text)
    with pytest.raises(ValueError, match="reason must be at least"):
        Waiver(gate="gate.fairness", reason=text, approver="erin", expires=date(2030, 1, 1))
