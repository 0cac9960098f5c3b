"""The local evaluator, the embedded default adapter: tables in, normalized evidence out.

Inputs are a predictions table (label, score or predicted label, sensitive attribute columns) and
optionally a baseline (training) table and a current table for drift and data quality. Parquet and
CSV are read. Every input problem is an :class:`EvaluationInputError` with one message that names the
file, the column and the fix; nothing is silently skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from govhub.core.evidence import Evidence, Metric, Provenance, sha256_of
from govhub.evaluator import metrics as m
from govhub.evaluator.tables import ERR_EMPTY, ERR_FORMAT, ERR_MISSING_COLUMN, Columns, EvaluationInputError

__all__ = [
    "ERR_EMPTY",
    "ERR_FORMAT",
    "ERR_MISSING_COLUMN",
    "Columns",
    "EvaluationInputError",
    "EvaluationSpec",
    "drift_metrics",
    "evaluate",
    "fairness_metrics",
    "feature_drift",
    "groups_of",
]

TOOL = "govhub-local"
TOOL_VERSION = "0.1.0"
ERR_NOT_BINARY = "{file}: label column {column!r} must hold two classes coded 0/1 (found {values})"
ERR_NAN_SCORES = (
    "{file}: score column {column!r} has {n} missing or non-numeric values; scores must be numbers in [0, 1]"
)
ERR_SCORE_RANGE = "{file}: score column {column!r} must lie in [0, 1] (found {lo} to {hi})"
ERR_ONE_CLASS = (
    "{file}: label column {column!r} holds only class {value} in {n} row(s); ROC AUC and the fairness metrics need "
    "both classes: evaluate on a sample with positives and negatives"
)
ERR_SENSITIVE_MISSING = (
    "{file}: sensitive column {column!r} has {n} missing value(s) (first at row {row}); a person without a group "
    "cannot be judged fairly: fill them with an explicit value (e.g. 'unknown') or drop those rows"
)
ERR_BOOL_SCORE = (
    "{file}: score column {column!r} holds true/false values, not probabilities; give the positive-class probability, "
    "or pass the column as --prediction"
)
ERR_THRESHOLD = "--threshold {value!r}: a score threshold must be a number in (0, 1], e.g. 0.5"
ERR_NO_SHARED = (
    "{baseline} and {current} share no column, so there is nothing to compare for drift; give tables with the "
    "same feature columns"
)


@dataclass(frozen=True)
class EvaluationSpec:
    predictions: Path
    label: str
    sensitive: tuple[str, ...]
    score: str | None = None
    prediction: str | None = None
    threshold: float = 0.5
    baseline: Path | None = None
    profile: Path | None = None  # a baseline profile (`govhub profile`) instead of the baseline table
    current: Path | None = None
    features: tuple[str, ...] = field(default=())  # default: the columns baseline and current share


def evaluate(spec: EvaluationSpec, model: dict[str, str] | None = None) -> Evidence:
    """Compute performance, fairness, drift and data-quality evidence for one model version."""
    if spec.score is None and spec.prediction is None:
        raise EvaluationInputError("give a score column (--score) or a predicted-label column (--prediction)")
    check_threshold(spec.threshold)
    table = Columns(spec.predictions)
    needed = [spec.label, *spec.sensitive, *(c for c in (spec.score, spec.prediction) if c)]
    frame = table.read(list(dict.fromkeys(needed)))  # only the columns the metrics use
    prov = _provenance(spec.predictions)
    y = _binary_labels(frame[spec.label].to_numpy(), spec.predictions, spec.label)
    if len(np.unique(y)) < 2:
        raise EvaluationInputError(
            ERR_ONE_CLASS.format(file=spec.predictions, column=spec.label, value=int(y[0]), n=len(y))
        )
    for column in spec.sensitive:
        missing = frame[column].isna().to_numpy()
        if missing.any():
            raise EvaluationInputError(
                ERR_SENSITIVE_MISSING.format(
                    file=spec.predictions, column=column, n=int(missing.sum()), row=int(np.argmax(missing))
                )
            )
    score = _scores(frame, spec) if spec.score else None
    y_pred = (
        (score >= spec.threshold).astype(np.int64)
        if score is not None
        else _binary_labels(frame[spec.prediction].to_numpy(), spec.predictions, str(spec.prediction))
    )
    metrics: list[Metric] = []
    for name, value in m.performance(y, y_pred, score).items():
        metrics.append(Metric(name=name, value=value, provenance=prov(f"scikit-learn {name}")))
    for column in spec.sensitive:
        metrics += fairness_metrics(m.GroupCounts.compute(groups_of(frame[column]), y, y_pred), column, prov)
    del frame, y, y_pred, score  # the drift below reads its own columns, a feature at a time
    if (spec.baseline or spec.profile) and spec.current:
        metrics += _drift_and_quality(spec)
    return Evidence(model=model or {}, metrics=tuple(metrics))


def groups_of(values):
    """A sensitive column as groups named by their text, in text order (what ``astype(str)`` then a sorted
    factorize gives), without a Python string per row: a Categorical whose categories are the texts."""
    import pandas as pd

    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, uniques = values.cat.codes.to_numpy(), list(values.cat.categories)
    else:
        codes, uniques = pd.factorize(values)
    names = [str(u) for u in uniques]
    if len(set(names)) != len(names):  # two values print alike (1 and "1"): group them by text, as before
        return values.astype(str)
    order = sorted(range(len(names)), key=names.__getitem__)
    remap = np.empty(len(names), dtype=np.int64)
    remap[order] = np.arange(len(names))
    return pd.Series(pd.Categorical.from_codes(remap[codes], categories=[names[i] for i in order]))


def check_threshold(value: float) -> float:
    """A score threshold: a finite number in (0, 1]."""
    import math

    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) or not 0 < value <= 1:
        raise EvaluationInputError(ERR_THRESHOLD.format(value=value))
    return float(value)


def _provenance(path: Path):
    uri, digest = path.resolve().as_uri(), sha256_of(path)

    def make(variant: str) -> Provenance:
        return Provenance(
            artifact_uri=uri, artifact_sha256=digest, tool=TOOL, tool_version=TOOL_VERSION, variant=variant
        )

    return make


def _binary_labels(values: np.ndarray, file: Path, column: str) -> np.ndarray:
    import pandas as pd

    numeric = pd.to_numeric(pd.Series(values), errors="coerce")
    if numeric.isna().any() or not set(numeric.unique()) <= {0, 1}:
        found = sorted(set(pd.Series(values).dropna().astype(str).unique()))[:6]  # only for the message
        raise EvaluationInputError(ERR_NOT_BINARY.format(file=file, column=column, values=", ".join(found)))
    return numeric.to_numpy(dtype=np.int64)


def _scores(frame, spec: EvaluationSpec) -> np.ndarray:
    import pandas as pd

    if pd.api.types.is_bool_dtype(frame[spec.score]):
        raise EvaluationInputError(ERR_BOOL_SCORE.format(file=spec.predictions, column=spec.score))
    score = pd.to_numeric(frame[spec.score], errors="coerce")
    if score.isna().any():
        raise EvaluationInputError(
            ERR_NAN_SCORES.format(file=spec.predictions, column=spec.score, n=int(score.isna().sum()))
        )
    values = score.to_numpy(dtype=np.float64)
    if values.min() < 0 or values.max() > 1:
        raise EvaluationInputError(
            ERR_SCORE_RANGE.format(file=spec.predictions, column=spec.score, lo=values.min(), hi=values.max())
        )
    return values


def fairness_metrics(counts: m.GroupCounts, column: str, prov) -> list[Metric]:
    """Clarify's and fairlearn's group metrics for one sensitive column, from its confusion counts."""
    out: list[Metric] = []
    for i, value in enumerate(counts.values):
        group = {column: value}
        try:
            values = m.clarify_metrics(*counts.facet(i))
        except ValueError as exc:
            out += [
                Metric(name=name, value=None, error=str(exc), group=group, provenance=prov("clarify"))
                for name in (
                    "clarify.CI",
                    "clarify.DPL",
                    "clarify.DI",
                    "clarify.DPPL",
                    "clarify.RD",
                    "clarify.SD",
                    "clarify.AD",
                )
            ]
            continue
        out += [
            Metric(name=name, value=v, group=group, provenance=prov("clarify facet value vs rest"))
            for name, v in values.items()
        ]
    sizes = counts.counts.sum(axis=1)
    out += [
        Metric(name="fairness.group_size", value=float(n), group={column: value}, provenance=prov("row count"))
        for value, n in zip(counts.values, sizes, strict=True)
    ]
    for value, rate in zip(counts.values, m.selection_rates(counts), strict=False):
        out.append(
            Metric(
                name="fairlearn.selection_rate",
                value=float(rate),
                group={column: value},
                provenance=prov("fairlearn selection_rate"),
            )
        )
    out.append(
        Metric(
            name="fairlearn.equalized_odds_difference",
            value=m.equalized_odds_difference(counts),
            group={column: "*"},
            provenance=prov("fairlearn worst case (between_groups)"),
        )
    )
    return out


def feature_drift(
    base, cur, features: Sequence[str], workers: int | None = None, profile: Any = None
) -> dict[str, dict]:
    """Drift and quality numbers per feature, against the baseline table ``base`` or a baseline
    ``profile`` (:mod:`govhub.evaluator.profile`). Features run on a thread pool: the numpy kernels
    (sorts, searches) release the GIL, so the cores are used together."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    import pandas as pd

    def one(feature: str) -> dict:
        c = cur[feature]
        b: Any = None if profile is not None else base[feature]
        if profile is not None:
            numeric = profile.kind(feature) == "numeric"
        else:
            numeric = pd.api.types.is_numeric_dtype(b) and not pd.api.types.is_bool_dtype(b)
        already = pd.api.types.is_numeric_dtype(c)
        parsed = pd.to_numeric(c, errors="coerce") if numeric and not already else c
        out: dict = {
            "numeric": numeric,
            "quality.missing_rate": float(c.isna().mean()),
            "quality.type_error_rate": float((parsed.isna() & c.notna()).mean()) if numeric and not already else 0.0,
        }
        try:
            if numeric:
                edges: list[float] = []
                current = parsed.to_numpy(dtype=np.float64)
                if profile is not None:  # the baseline was sorted once, when the profile was made
                    out["drift"] = m.numeric_drift(
                        profile.sorted_values(feature), current, edges_out=edges, baseline_sorted=True
                    )
                else:
                    out["drift"] = m.numeric_drift(b.to_numpy(dtype=np.float64), current, edges_out=edges)
                out["edges"] = edges
            elif profile is not None:
                out["drift"] = m.categorical_drift_of_counts(profile.counts(feature), m.tally(c.dropna()))
            else:
                out["drift"] = m.categorical_drift(b.dropna(), c.dropna())
        except EvaluationInputError:
            raise  # a bad input (an edited profile) stops the evaluation; it is not a metric's error
        except ValueError as exc:
            out["error"] = str(exc)
        return out

    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        return dict(zip(features, pool.map(one, features), strict=False))


def _drift_and_quality(spec: EvaluationSpec) -> list[Metric]:
    assert spec.current is not None
    if spec.baseline and spec.profile:
        raise EvaluationInputError("give the baseline table (--baseline) or its profile (--baseline-profile), not both")
    profile: Any = None
    cur = Columns(spec.current)
    if spec.profile is not None:
        from govhub.evaluator.profile import Profile

        profile = Profile.load(spec.profile)
        base: Any = profile
    else:
        assert spec.baseline is not None
        base = Columns(spec.baseline)
    features = spec.features or tuple(c for c in base.names if c in cur.names)
    if not features:
        raise EvaluationInputError(ERR_NO_SHARED.format(baseline=spec.profile or spec.baseline, current=spec.current))
    base.require(features)
    cur.require(features)
    if cur.suffix not in (".parquet", ".pq") or (profile is None and base.suffix not in (".parquet", ".pq")):
        # CSV has no column layout: parse each file once for every feature rather than once per feature
        cur = cur.read(features)
        base = base if profile is not None else base.read(features)
    return drift_metrics(feature_drift(base, cur, features, profile=profile), _provenance(spec.current))


def drift_metrics(results: dict[str, dict], prov) -> list[Metric]:
    """The quality and drift metrics of each feature, from :func:`feature_drift`'s numbers."""
    out: list[Metric] = []
    for feature, result in results.items():
        out.append(
            Metric(
                name="quality.missing_rate",
                value=result["quality.missing_rate"],
                feature=feature,
                provenance=prov("share of nulls"),
            )
        )
        out.append(
            Metric(
                name="quality.type_error_rate",
                value=result["quality.type_error_rate"],
                feature=feature,
                provenance=prov("non-null values that do not parse as the baseline type"),
            )
        )
        if "error" in result:
            out.append(
                Metric(name="drift.psi", value=None, error=result["error"], feature=feature, provenance=prov("psi"))
            )
            continue
        variant = (
            f"numeric: {len(result['edges']) + 1} right-closed baseline-decile bins, edges "
            + ", ".join(f"{e:.6g}" for e in result["edges"])
            if result["numeric"]
            else "categorical frequencies"
        )
        out += [
            Metric(name=name, value=v, feature=feature, provenance=prov(variant)) for name, v in result["drift"].items()
        ]
    return out
