"""The local evaluator end to end: tables in, evidence out, clear errors for bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from govhub.evaluator.local import EvaluationInputError, EvaluationSpec, evaluate


@pytest.fixture()
def tables(tmp_path, make_predictions):
    n = 2000
    rng, preds = make_predictions(11, n, label_weight=0.5, noise=0.45, offset=0.1, bias=0.2)
    base = pd.DataFrame({"age": rng.normal(40, 10, n), "region": rng.choice(["n", "s"], size=n)})
    cur = pd.DataFrame({"age": rng.normal(48, 10, n), "region": rng.choice(["n", "s", "e"], size=n)})
    cur.loc[:9, "age"] = np.nan
    paths = {
        "predictions": tmp_path / "predictions.parquet",
        "baseline": tmp_path / "baseline.csv",
        "current": tmp_path / "current.parquet",
    }
    preds.to_parquet(paths["predictions"])
    base.to_csv(paths["baseline"], index=False)
    cur.to_parquet(paths["current"])
    return paths, preds


def test_evaluator_produces_every_metric_family_with_provenance(tables) -> None:
    paths, preds = tables
    evidence = evaluate(
        EvaluationSpec(
            predictions=paths["predictions"],
            label="label",
            score="score",
            sensitive=("sex",),
            baseline=paths["baseline"],
            current=paths["current"],
        )
    )
    names = evidence.names()
    assert {
        "accuracy",
        "roc_auc",
        "log_loss",
        "clarify.DI",
        "clarify.RD",
        "fairlearn.selection_rate",
        "fairlearn.equalized_odds_difference",
        "drift.psi",
        "drift.ks_statistic",
        "drift.linf",
        "drift.js_divergence_base2",
        "quality.missing_rate",
        "quality.type_error_rate",
    } <= names
    (di_female,) = evidence.find("clarify.DI", sex="female")
    expected = (preds.score[preds.sex == "female"] >= 0.5).mean() / (preds.score[preds.sex == "male"] >= 0.5).mean()
    assert abs(di_female.value - expected) < 1e-12 and di_female.value < 0.8  # the biased score shows
    assert di_female.provenance.artifact_uri.endswith("predictions.parquet")
    (missing,) = [x for x in evidence.find("quality.missing_rate") if x.feature == "age"]
    assert missing.value == pytest.approx(10 / 2000)
    (psi_age,) = [x for x in evidence.find("drift.psi") if x.feature == "age"]
    assert psi_age.value > 0.2  # a mean shift of 0.8 standard deviations


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda df: df.drop(columns=["sex"]), "column 'sex' not found; columns are: label, score"),
        (lambda df: df.assign(label=df.label + 1), "must hold two classes coded 0/1"),
        (lambda df: df.assign(score=np.where(df.index == 3, np.nan, df.score)), "has 1 missing or non-numeric"),
        (lambda df: df.iloc[:0], "the table has no rows"),
    ],
)
def test_bad_input_gets_one_clear_message(tables, tmp_path, mutate, message) -> None:
    paths, preds = tables
    bad = tmp_path / "bad.csv"
    mutate(preds).to_csv(bad, index=False)
    with pytest.raises(EvaluationInputError) as caught:
        evaluate(EvaluationSpec(predictions=bad, label="label", score="score", sensitive=("sex",)))
    assert str(caught.value).startswith(str(bad))
    assert message in str(caught.value)
