"""The project's own tests: training writes what the gates read, and the model is useful."""

from pathlib import Path

import pandas as pd
from sklearn.metrics import roc_auc_score

from {{ cookiecutter.package_name }} import data, train


def test_training_writes_the_gate_inputs(tmp_path):
    summary = train.train(out=tmp_path)
    predictions = pd.read_csv(tmp_path / "predictions.csv")
    assert set(predictions.columns) == {"sex", "approved", "score"}
    assert len(predictions) == summary["rows_test"] and predictions["score"].between(0, 1).all()
    assert set(pd.read_csv(tmp_path / "baseline.csv").columns) == set(data.NUMERIC + data.CATEGORICAL)
    assert roc_auc_score(predictions["approved"], predictions["score"]) > 0.7
    profile = Path(summary["baseline_profile"])  # each baseline feature sorted once, in a digest-named folder
    assert profile.parent == tmp_path / "profiles" and (profile / "manifest.json").is_file()


def test_injected_bias_lowers_one_group_only(tmp_path):
    train.train(out=tmp_path / "fair")
    train.train(out=tmp_path / "biased", inject_bias=True)
    fair = pd.read_csv(tmp_path / "fair" / "predictions.csv")
    biased = pd.read_csv(tmp_path / "biased" / "predictions.csv")
    male = fair["sex"] == "male"
    assert (fair.loc[male, "score"] == biased.loc[male, "score"]).all()
    assert (biased.loc[~male, "score"] <= fair.loc[~male, "score"]).all()
