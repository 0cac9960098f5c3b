"""The Spark engine on a real Spark in local mode (local[2]): the same evidence as the local engine to
1e-9 on every metric (ties, missing values, type errors, several groups, values spread over every range
partition), bad input refused with the local engine's messages, and the engine in the provenance."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govhub.evaluator.local import EvaluationInputError, EvaluationSpec, evaluate

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    rng = np.random.default_rng(23)
    n = 20_000
    out = tmp_path_factory.mktemp("spark-tables")

    def features(shift: float) -> pd.DataFrame:
        frame = pd.DataFrame({
            "income": rng.normal(50 + 10 * shift, 12, n),
            "hours": np.round(rng.normal(40 + shift, 4, n)),  # heavy ties
            "age": rng.integers(18, 80, n),
            "region": rng.choice(["north", "south", "east", "west"], n, p=[0.4, 0.3, 0.2 - shift / 10, 0.1 + shift / 10]),
        })  # fmt: skip
        frame.loc[rng.choice(n, 60, replace=False), "income"] = np.nan
        frame.loc[rng.choice(n, 25, replace=False), "region"] = None
        return frame

    features(0.0).to_parquet(out / "baseline.parquet")
    current = features(0.5)
    current.to_parquet(out / "current.parquet")
    typed = current.assign(age=current["age"].astype(str))
    typed.loc[rng.choice(n, 40, replace=False), "age"] = "unknown"  # numbers as text, some not numbers
    typed.to_parquet(out / "current-text.parquet")
    y = rng.integers(0, 2, n)
    sex = rng.choice(["female", "male", "other"], n, p=[0.45, 0.5, 0.05])
    score = np.round(np.clip(0.4 * y + 0.5 * rng.random(n) - np.where(sex == "female", 0.08, 0), 0, 1), 3)  # ties
    pd.DataFrame({
        "label": y, "score": score, "sex": sex, "age_band": rng.integers(1, 4, n), "pred": (score >= 0.5).astype(int),
    }).to_parquet(out / "predictions.parquet")  # fmt: skip
    return {p.stem: p for p in out.iterdir()}


def _values(evidence) -> dict:
    return {(x.name, x.feature, json.dumps(x.group, sort_keys=True)): (x.value, x.error) for x in evidence.metrics}


def _assert_same(spark_evidence, local_evidence) -> None:
    ours, theirs = _values(spark_evidence), _values(local_evidence)
    assert ours.keys() == theirs.keys()
    for key, (value, error) in theirs.items():
        got, got_error = ours[key]
        assert got_error == error, key
        if value is None or got is None:
            assert value is got, key
        elif math.isinf(value):
            assert got == value, key
        else:
            assert got == pytest.approx(value, rel=1e-9, abs=1e-9), key


def test_spark_evidence_equals_the_local_evidence(spark, tables) -> None:
    from govhub.evaluator import spark as engine

    spec = EvaluationSpec(
        predictions=tables["predictions"],
        label="label",
        score="score",
        sensitive=("sex", "age_band"),
        baseline=tables["baseline"],
        current=tables["current"],
    )
    result = engine.evaluate(spec, spark=spark)
    _assert_same(result, evaluate(spec))
    names = {x.name for x in result.metrics}
    assert {"roc_auc", "log_loss", "clarify.DPL", "drift.ks_statistic", "drift.js_divergence_base2"} <= names
    assert len([x for x in result.metrics if x.name == "drift.psi"]) == 4
    prov = result.metrics[0].provenance
    assert prov.tool == "govhub-spark" and f"Spark {spark.version}" in prov.tool_version
    assert prov.artifact_uri == tables["predictions"].resolve().as_uri()


def test_type_errors_and_predicted_labels_match_too(spark, tables) -> None:
    from govhub.evaluator import spark as engine

    spec = EvaluationSpec(
        predictions=tables["predictions"],
        label="label",
        prediction="pred",
        sensitive=("sex",),
        baseline=tables["baseline"],
        current=tables["current-text"],
    )
    result = engine.evaluate(spec, spark=spark)
    _assert_same(result, evaluate(spec))
    (errors,) = [x for x in result.metrics if x.name == "quality.type_error_rate" and x.feature == "age"]
    assert errors.value == pytest.approx(40 / 20_000)


def test_values_spread_over_many_buckets(spark, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Buckets of at most 3,000 values, so that every rank statistic (KS, the deciles, ROC AUC) crosses
    buckets, some boundaries fall on tied values, and some buckets hold only one side; three tasks, so
    that each task scans dozens of buckets one after another."""
    from govhub.evaluator import spark as engine

    monkeypatch.setattr(engine, "BUCKET_VALUES", 3_000)
    monkeypatch.setattr(engine, "MAX_TASKS", 3)

    rng = np.random.default_rng(5)
    n = 50_000
    for name, shift in (("b", 0.0), ("c", 1.0)):
        pd.DataFrame({
            "x": rng.normal(0.05 * shift, 1 + 0.1 * shift, n),
            "tied": np.round(rng.normal(shift / 4, 1, n), 1),  # boundaries fall on tied values
            "apart": rng.normal(6 * shift, 1, n),  # the sides barely overlap: buckets of one side only
        }).to_parquet(tmp_path / f"{name}.parquet")  # fmt: skip
    y = rng.integers(0, 2, n)
    score = np.round(np.clip(0.2 * y + 0.8 * rng.random(n), 0, 1), 2)  # ties across buckets
    pd.DataFrame({"label": y, "score": score, "g": rng.choice(["a", "b"], n)}).to_parquet(tmp_path / "p.parquet")
    spec = EvaluationSpec(
        predictions=tmp_path / "p.parquet",
        label="label",
        score="score",
        sensitive=("g",),
        baseline=tmp_path / "b.parquet",
        current=tmp_path / "c.parquet",
    )
    _assert_same(engine.evaluate(spec, spark=spark), evaluate(spec))


@pytest.mark.parametrize(
    "change, message",
    [
        ({"label": "nope"}, "column 'nope' not found; columns are: label, score, sex, age_band, pred"),
        ({"label": "sex"}, "label column 'sex' must hold two classes coded 0/1 (found female, male, other)"),
        ({"score": "age_band"}, "score column 'age_band' must lie in [0, 1] (found 1.0 to 3.0)"),
    ],
)
def test_bad_input_gets_the_local_engines_message(spark, tables, change, message) -> None:
    from govhub.evaluator import spark as engine

    spec = EvaluationSpec(
        **{"predictions": tables["predictions"], "label": "label", "score": "score", "sensitive": ("sex",), **change}
    )
    with pytest.raises(EvaluationInputError) as refused:
        engine.evaluate(spec, spark=spark)
    assert message in str(refused.value)
    assert str(tables["predictions"]) in str(refused.value)
    with pytest.raises(EvaluationInputError) as local:
        evaluate(spec)
    assert str(refused.value) == str(local.value)  # the same words from either engine


def test_unreadable_input_and_profiles_are_refused(spark, tables, tmp_path: Path) -> None:
    from govhub.evaluator import spark as engine

    text = tmp_path / "x.parquet"
    text.write_text("not parquet")
    spec = EvaluationSpec(predictions=text, label="label", score="score", sensitive=("sex",))
    with pytest.raises(EvaluationInputError, match="Spark cannot read it as parquet or a table"):
        engine.evaluate(spec, spark=spark)
    profile = EvaluationSpec(
        predictions=tables["predictions"], label="label", score="score", sensitive=("sex",), profile=tmp_path
    )
    with pytest.raises(EvaluationInputError, match="--baseline-profile is for the local engine"):
        engine.evaluate(profile, spark=spark)


def test_the_cli_runs_the_spark_engine(spark, tables, tmp_path: Path, capsys) -> None:
    from govhub.cli import main

    args = ["evaluate", "--predictions", str(tables["predictions"]), "--label", "label", "--score", "score",
            "--sensitive", "sex", "--baseline", str(tables["baseline"]), "--current", str(tables["current"]),
            "--tier", "minimal"]  # fmt: skip
    local_code = main([*args, "--out", str(tmp_path / "a.json"), "--evidence-out", str(tmp_path / "a-ev.json")])
    spark_code = main(
        [*args, "--engine", "spark", "--out", str(tmp_path / "b.json"), "--evidence-out", str(tmp_path / "b-ev.json")]
    )
    assert spark_code == local_code and spark_code in (0, 1)
    a, b = (json.loads((tmp_path / f"{x}.json").read_text()) for x in "ab")
    assert a["outcome"] == b["outcome"] and [g["status"] for g in a["gates"]] == [g["status"] for g in b["gates"]]
    evidence = json.loads((tmp_path / "b-ev.json").read_text())
    assert {m["provenance"]["tool"] for m in evidence["metrics"]} == {"govhub-spark"}
    phases = [line.split("] ", 1)[1] for line in capsys.readouterr().err.splitlines() if line.startswith("[")]
    assert phases[:2] == ["spark: starting Spark (the environment master)", f"spark: checking {tables['predictions']}"]
    assert "spark: drift of 3 numeric feature(s)" in phases and phases[-1] == "spark: drift of 1 categorical feature(s)"
    assert main([*args[:2], str(tmp_path / "missing.parquet"), *args[3:], "--engine", "spark"]) == 2
    assert "Spark cannot read it" in capsys.readouterr().err
