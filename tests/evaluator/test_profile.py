"""Baseline profiles: drift from a profile equals drift from the baseline table, exactly; an edited
profile is refused; the CLI makes one and evaluates with it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govhub.evaluator.local import EvaluationInputError, EvaluationSpec, evaluate
from govhub.evaluator.profile import Profile, build_profile


@pytest.fixture()
def drift_tables(tmp_path: Path) -> tuple[Path, Path, Path]:
    rng = np.random.default_rng(11)
    n = 5_000

    def table(shift: float) -> pd.DataFrame:
        frame = pd.DataFrame({
            "income": rng.normal(50 + 10 * shift, 12, n),
            "hours": np.round(rng.normal(40 + shift, 4, n)),  # heavy ties
            "age": rng.integers(18, 80, n),  # integers
            "region": rng.choice(["north", "south", "east", "west"], n, p=[0.4, 0.3, 0.2 - shift / 10, 0.1 + shift / 10]),
            "flag": rng.random(n) < 0.3 + shift / 5,  # booleans are categorical
        })  # fmt: skip
        frame.loc[rng.choice(n, 60, replace=False), "income"] = np.nan
        frame.loc[rng.choice(n, 25, replace=False), "region"] = None
        return frame

    base, cur = tmp_path / "baseline.parquet", tmp_path / "current.parquet"
    table(0.0).to_parquet(base)
    table(0.5).to_parquet(cur)
    preds = tmp_path / "predictions.parquet"
    pd.DataFrame({"label": rng.integers(0, 2, n), "score": rng.random(n), "sex": rng.choice(["f", "m"], n)}).to_parquet(
        preds
    )
    return preds, base, cur


def _values(evidence) -> dict:
    return {(x.name, x.feature, json.dumps(x.group, sort_keys=True)): x.value for x in evidence.metrics}


def test_drift_from_a_profile_equals_drift_from_the_baseline_exactly(drift_tables, tmp_path: Path) -> None:
    preds, base, cur = drift_tables
    folder = build_profile(base, tmp_path / "profiles")
    profile = Profile.load(folder)
    assert folder.name == profile.digest and len(profile.digest) == 64
    assert {f: profile.kind(f) for f in profile.names} == {
        "income": "numeric", "hours": "numeric", "age": "numeric", "region": "categorical", "flag": "categorical",
    }  # fmt: skip
    common = {"predictions": preds, "label": "label", "score": "score", "sensitive": ("sex",), "current": cur}
    from_table = evaluate(EvaluationSpec(**common, baseline=base))
    from_profile = evaluate(EvaluationSpec(**common, profile=folder))
    assert _values(from_profile) == _values(from_table)  # the same numbers, bit for bit
    drift = [x for x in from_profile.metrics if x.name == "drift.psi"]
    assert len(drift) == 5 and all(x.value is not None and x.value > 0 for x in drift)
    # hours: the profile keeps each distinct value once with its count
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["features"]["income"]["missing"] == 60 and manifest["features"]["region"]["missing"] == 25
    assert build_profile(base, tmp_path / "profiles") == folder  # the same table gives the same profile


def test_an_edited_profile_is_refused(drift_tables, tmp_path: Path) -> None:
    preds, base, cur = drift_tables
    folder = build_profile(base, tmp_path / "profiles")
    spec = EvaluationSpec(
        predictions=preds, label="label", score="score", sensitive=("sex",), current=cur, profile=folder
    )
    manifest = json.loads((folder / "manifest.json").read_text())
    numeric = folder / manifest["features"]["income"]["file"]
    numeric.write_bytes(numeric.read_bytes()[:-8] + b"\0" * 8)
    with pytest.raises(EvaluationInputError, match="changed since the profile was made"):
        evaluate(spec)
    manifest["features"]["region"]["counts"][0][1] += 1
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    with pytest.raises(EvaluationInputError, match="the profile was changed after it was made"):
        evaluate(spec)
    with pytest.raises(EvaluationInputError, match="not both"):
        evaluate(EvaluationSpec(**{**spec.__dict__, "baseline": base}))


def test_the_cli_makes_a_profile_and_evaluates_with_it(drift_tables, tmp_path: Path, capsys) -> None:
    from govhub.cli import main

    preds, base, cur = drift_tables
    assert main(["profile", str(base), "--output", str(tmp_path / "p")]) == 0
    said = capsys.readouterr().out
    assert "3 numeric and 2 categorical feature(s)" in said
    folder = said.split(" in ", 1)[1].split("\n", 1)[0].strip()
    args = ["evaluate", "--predictions", str(preds), "--label", "label", "--score", "score", "--sensitive", "sex",
            "--current", str(cur), "--tier", "minimal"]  # fmt: skip
    assert main([*args, "--baseline-profile", folder, "--out", str(tmp_path / "a.json")]) in (0, 1)
    assert main([*args, "--baseline", str(base), "--out", str(tmp_path / "b.json")]) in (0, 1)
    a, b = (json.loads((tmp_path / f"{x}.json").read_text()) for x in "ab")
    assert a["outcome"] == b["outcome"] and a["gates"] == b["gates"]
    assert main(["profile", str(tmp_path / "nope.parquet")]) == 2
    assert "nope.parquet: file not found" in capsys.readouterr().err
