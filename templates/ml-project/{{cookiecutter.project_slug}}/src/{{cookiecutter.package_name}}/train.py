"""Train the model on the sample data and write what the gates need into artifacts/.

    python -m {{ cookiecutter.package_name }}.train [--inject-bias]

``--inject-bias`` is the deliberate, visible way to get an unfair model for demonstrations: it lowers
the approval score of every applicant with sex=female by BIAS_SHIFT after the model has scored them.
A model trained here never sees the sensitive column; the shift is the only source of unfairness.
"""

from __future__ import annotations

import argparse
import json
import pickle
from pathlib import Path

import numpy as np
from govhub.evaluator.profile import build_profile
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from {{ cookiecutter.package_name }} import data

BIAS_SHIFT = 0.25
ARTIFACTS = data.ROOT / "artifacts"


def build_model():
    features = make_column_transformer((StandardScaler(), list(data.NUMERIC)),
                                       (OneHotEncoder(handle_unknown="ignore"), list(data.CATEGORICAL)))
    return make_pipeline(features, LogisticRegression(max_iter=1000))


def train(out: Path = ARTIFACTS, inject_bias: bool = False) -> dict:
    frame = data.load()
    train_part, test_part = data.split(frame)
    model = build_model().fit(train_part[list(data.NUMERIC + data.CATEGORICAL)], train_part[data.LABEL])
    # the score is the probability of approval (no default), so a higher score is the favourable outcome
    score = model.predict_proba(test_part[list(data.NUMERIC + data.CATEGORICAL)])[:, 0]
    if inject_bias:
        score = np.clip(score - np.where(test_part["sex"] == "female", BIAS_SHIFT, 0.0), 0, 1)
    out.mkdir(parents=True, exist_ok=True)
    predictions = test_part[list(data.SENSITIVE)].copy()
    predictions["approved"] = 1 - test_part[data.LABEL]
    predictions["score"] = score
    predictions.to_csv(out / "predictions.csv", index=False)
    features = list(data.NUMERIC + data.CATEGORICAL)
    train_part[features].to_csv(out / "baseline.csv", index=False)
    test_part[features].to_csv(out / "current.csv", index=False)
    # the baseline profile (`govhub profile`): each feature sorted once now, digest-named, so every later
    # drift check (here and in monitoring) sorts only its own sample
    profile = build_profile(out / "baseline.csv", out / "profiles")
    with open(out / "model.pkl", "wb") as handle:
        pickle.dump(model, handle)
    summary = {"rows_train": len(train_part), "rows_test": len(test_part), "inject_bias": inject_bias,
               "baseline_profile": str(profile)}
    (out / "training.json").write_text(json.dumps(summary, indent=2))
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inject-bias", action="store_true", help=f"lower sex=female scores by {BIAS_SHIFT}")
    parser.add_argument("--out", type=Path, default=ARTIFACTS)
    args = parser.parse_args()
    print(json.dumps(train(args.out, args.inject_bias)))


if __name__ == "__main__":
    main()
