"""The evaluator on Spark (``govhub evaluate --engine spark``): the local engine's evidence, computed
from aggregations that merge, so the numbers stay exact at any row count.

Every metric comes from counts:
- performance and fairness: confusion counts per (group, label, prediction), one ``groupBy``;
- ROC AUC, KS and the PSI decile edges: counts per distinct value, range-partitioned in value order.
  Each partition's totals are summed on the driver into offsets, so every partition then knows how
  many values lie below it and computes its exact rank statistics alone (no single-partition window,
  no ``approxQuantile``);
- log loss: one sum; categorical drift: counts per category.
What reaches the driver is small: a few rows per group, per partition and per category.

Inputs are parquet files or folders (``s3://``, ``abfss://``, ``gs://`` or local paths, whatever the
session can read) or catalog tables. The provenance names the engine and the Spark version.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from govhub.core.evidence import Evidence, Metric, Provenance, sha256_of
from govhub.evaluator import metrics as m
from govhub.evaluator.local import (
    ERR_BOOL_SCORE,
    ERR_NAN_SCORES,
    ERR_NO_SHARED,
    ERR_NOT_BINARY,
    ERR_ONE_CLASS,
    ERR_SCORE_RANGE,
    TOOL_VERSION,
    EvaluationSpec,
    check_threshold,
    drift_metrics,
    fairness_metrics,
)
from govhub.evaluator.tables import ERR_MISSING_COLUMN, EvaluationInputError

TOOL = "govhub-spark"
PARTITIONS = 8  # range partitions of the distinct values; each holds one slice of the value order
ERR_SPARK_MISSING = (
    "the Spark engine needs pyspark (and Java 17): pip install 'govhub[spark]', or use the default local engine"
)
ERR_SENSITIVE_NULLS = (
    "{file}: sensitive column {column!r} has {n} missing value(s); a person without a group cannot be judged "
    "fairly: fill them with an explicit value (e.g. 'unknown') or drop those rows"
)
NUMERIC_TYPES = ("byte", "short", "int", "bigint", "float", "double", "decimal", "tinyint", "smallint", "long")


def session(master: str | None = None) -> Any:
    """The active Spark session, or a new one (``master`` e.g. ``local[2]``; default: the environment's)."""
    try:
        from pyspark.errors import PySparkException
        from pyspark.sql import SparkSession
    except ImportError:
        raise EvaluationInputError(ERR_SPARK_MISSING) from None
    if (master or "local").startswith("local"):  # local workers run this interpreter (with pyarrow)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName("govhub-evaluate")
    if master:
        builder = builder.master(master)
    try:
        return builder.config("spark.sql.shuffle.partitions", str(PARTITIONS)).getOrCreate()
    except PySparkException as exc:  # no Java, or a master that cannot be reached
        raise EvaluationInputError(f"Spark did not start ({exc}); {ERR_SPARK_MISSING}") from None


@dataclass(frozen=True)
class _Input:
    frame: Any
    uri: str
    sha256: str
    what: str  # how the digest was made


def _read(spark: Any, source: Path | str) -> _Input:
    """A parquet file or folder, a remote parquet URI, or a catalog table."""
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import PySparkException

    text = str(source)
    local = Path(text)
    try:
        if "://" in text:
            frame = spark.read.parquet(text)
            listing = "\n".join(sorted(frame.inputFiles()))
            digest = hashlib.sha256(listing.encode()).hexdigest()
            return _Input(frame, text, digest, "sha256 of the sorted input file list")
        if local.exists():
            frame = spark.read.parquet(str(local.resolve()))
            return _Input(frame, local.resolve().as_uri(), _local_digest(local), "sha256 of the data")
        frame = spark.table(text)
        listing = "\n".join(sorted(frame.inputFiles()))
        return _Input(frame, f"table:{text}", hashlib.sha256(listing.encode()).hexdigest(), "file list")
    except (PySparkException, Py4JJavaError) as exc:  # AnalysisException and friends: one line, what to do
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EvaluationInputError(
            f"{text}: Spark cannot read it as parquet or a table ({first}); give a parquet file or folder, "
            "or a table name the session knows"
        ) from None


def _local_digest(path: Path) -> str:
    if path.is_file():
        return sha256_of(path)
    files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith((".", "_")))
    listing = "\n".join(f"{p.relative_to(path).as_posix()} {sha256_of(p)}" for p in files)
    return hashlib.sha256(listing.encode()).hexdigest()


def evaluate(
    spec: EvaluationSpec, model: dict[str, str] | None = None, spark: Any = None, master: str | None = None
) -> Evidence:
    """The local engine's :func:`govhub.evaluator.local.evaluate`, on Spark."""
    if spec.score is None and spec.prediction is None:
        raise EvaluationInputError("give a score column (--score) or a predicted-label column (--prediction)")
    if spec.profile is not None:
        raise EvaluationInputError(
            "--baseline-profile is for the local engine; on Spark give the baseline table (--baseline)"
        )
    check_threshold(spec.threshold)
    spark = spark or session(master)
    from pyspark.sql import functions as F  # noqa: N812 - Spark's own convention

    source = _read(spark, spec.predictions)
    needed = [spec.label, *spec.sensitive, *(c for c in (spec.score, spec.prediction) if c)]
    _require(source, needed, spec.predictions)
    prov = _provenance(spark, source)
    frame = source.frame
    types = dict(frame.dtypes)
    y = F.col(spec.label).try_cast("double")
    if spec.score:
        if types[spec.score] == "boolean":
            raise EvaluationInputError(ERR_BOOL_SCORE.format(file=spec.predictions, column=spec.score))
        s = F.col(spec.score).try_cast("double")
        pred = F.when(s >= spec.threshold, 1).otherwise(0)
    else:
        s = F.lit(None).cast("double")
        pred = F.col(str(spec.prediction)).try_cast("double")
    rows = frame.select(
        y.alias("y"), s.alias("s"), pred.alias("p"), *(F.col(c).alias(f"g{i}") for i, c in enumerate(spec.sensitive))
    )
    checks = rows.agg(
        F.count(F.lit(1)).alias("n"),
        F.sum(F.when(F.col("y").isNull() | ~F.col("y").isin(0.0, 1.0), 1).otherwise(0)).alias("bad_y"),
        F.sum(F.when(F.col("p").isNull() | ~F.col("p").isin(0.0, 1.0), 1).otherwise(0)).alias("bad_p"),
        F.sum(F.col("y")).alias("positives"),
        F.sum(F.when(F.col("s").isNull() | F.isnan("s"), 1).otherwise(0)).alias("bad_s"),
        F.min("s").alias("lo"),
        F.max("s").alias("hi"),
        *(
            F.sum(F.when(F.col(f"g{i}").isNull(), 1).otherwise(0)).alias(f"null_g{i}")
            for i in range(len(spec.sensitive))
        ),
    ).first()
    n = int(checks["n"])
    if n == 0:
        raise EvaluationInputError(f"{spec.predictions}: the table has no rows")
    if checks["bad_y"]:
        raise EvaluationInputError(
            ERR_NOT_BINARY.format(file=spec.predictions, column=spec.label, values=_sample(frame, spec.label))
        )
    positives = int(checks["positives"])
    if positives in (0, n):
        raise EvaluationInputError(
            ERR_ONE_CLASS.format(file=spec.predictions, column=spec.label, value=int(positives > 0), n=n)
        )
    for i, column in enumerate(spec.sensitive):
        if checks[f"null_g{i}"]:
            raise EvaluationInputError(
                ERR_SENSITIVE_NULLS.format(file=spec.predictions, column=column, n=int(checks[f"null_g{i}"]))
            )
    if spec.score:
        if checks["bad_s"]:
            raise EvaluationInputError(
                ERR_NAN_SCORES.format(file=spec.predictions, column=spec.score, n=int(checks["bad_s"]))
            )
        if checks["lo"] < 0 or checks["hi"] > 1:
            raise EvaluationInputError(
                ERR_SCORE_RANGE.format(file=spec.predictions, column=spec.score, lo=checks["lo"], hi=checks["hi"])
            )
    elif checks["bad_p"]:
        raise EvaluationInputError(
            ERR_NOT_BINARY.format(
                file=spec.predictions, column=spec.prediction, values=_sample(frame, str(spec.prediction))
            )
        )
    metrics: list[Metric] = []
    confusion = {(int(r["y"]), int(r["p"])): int(r["count"]) for r in rows.groupBy("y", "p").count().collect()}
    tn, fp, fn, tp = (confusion.get(k, 0) for k in ((0, 0), (0, 1), (1, 0), (1, 1)))
    performance = m.confusion_metrics(tn, fp, fn, tp)
    if spec.score:
        performance["roc_auc"] = _roc_auc(rows, positives, n - positives)
        performance["log_loss"] = _log_loss(rows, n)
    for name, value in performance.items():
        metrics.append(Metric(name=name, value=value, provenance=prov(f"scikit-learn {name}")))
    for i, column in enumerate(spec.sensitive):
        metrics += fairness_metrics(_group_counts(rows, f"g{i}"), column, prov)
    if spec.baseline and spec.current:
        metrics += _drift_and_quality(spark, spec)
    return Evidence(model=model or {}, metrics=tuple(metrics))


def _require(source: _Input, columns: Sequence[str], file: Path | str) -> None:
    present = source.frame.columns
    for column in columns:
        if column not in present:
            raise EvaluationInputError(ERR_MISSING_COLUMN.format(file=file, column=column, columns=", ".join(present)))


def _sample(frame: Any, column: str) -> str:
    """Up to six distinct values of ``column``, as text (only for a message)."""
    values = frame.select(frame[column].cast("string").alias("v")).dropna().distinct().limit(6).collect()
    return ", ".join(sorted(str(r["v"]) for r in values))


def _provenance(spark: Any, source: _Input) -> Callable[[str], Provenance]:
    version = f"{TOOL_VERSION} (Spark {spark.version}, {spark.sparkContext.master}; input: {source.what})"

    def make(variant: str) -> Provenance:
        return Provenance(
            artifact_uri=source.uri, artifact_sha256=source.sha256, tool=TOOL, tool_version=version, variant=variant
        )

    return make


def _group_counts(rows: Any, column: str) -> m.GroupCounts:
    """Confusion counts per group, the groups named by their text in text order (as the local engine)."""
    found = rows.groupBy(column, "y", "p").count().collect()
    names = sorted({str(r[column]) for r in found})  # values that print alike (1 and "1") are one group
    index = {name: i for i, name in enumerate(names)}
    counts = np.zeros((len(names), 4), dtype=np.int64)
    for r in found:
        counts[index[str(r[column])], int(r["y"]) * 2 + int(r["p"])] += int(r["count"])
    return m.GroupCounts(tuple(names), counts)


def _log_loss(rows: Any, n: int) -> float:
    from pyspark.sql import functions as F  # noqa: N812

    eps = float(np.finfo(np.float64).eps)
    p = F.least(F.greatest(F.col("s"), F.lit(eps)), F.lit(1 - eps))
    total = rows.agg(F.sum(F.when(F.col("y") == 1, F.log(p)).otherwise(F.log1p(-p))).alias("t")).first()["t"]
    return float(-total / n)


# ----------------------------------------------------------------------------- ordered counts


def _ordered(counted: Any, key: str, columns: Sequence[str]) -> tuple[Any, dict[int, np.ndarray]]:
    """``counted`` (one row per distinct ``key``, with integer ``columns``) range-partitioned in key
    order and checkpointed, and for each partition the counts of every column below it."""
    ranged = counted.repartitionByRange(PARTITIONS, key).sortWithinPartitions(key).localCheckpoint(eager=True)
    width = len(columns)

    def totals(batches: Any) -> Any:
        import pyarrow as pa
        from pyspark import TaskContext

        sums = np.zeros(width, dtype=np.int64)
        for batch in batches:
            for j, column in enumerate(columns):
                sums[j] += int(np.asarray(batch.column(column)).sum())
        yield pa.RecordBatch.from_pylist(
            [{"part": _partition(TaskContext.get()), **{c: int(v) for c, v in zip(columns, sums, strict=True)}}]
        )

    schema = "part long, " + ", ".join(f"{c} long" for c in columns)
    found = sorted((r["part"], [r[c] for c in columns]) for r in ranged.mapInArrow(totals, schema).collect())
    offsets, running = {}, np.zeros(width, dtype=np.int64)
    for part, sums in found:
        offsets[part] = running.copy()
        running += np.asarray(sums, dtype=np.int64)
    return ranged, offsets


def _partition(context: Any) -> int:
    if context is None:  # only inside a Spark task
        raise RuntimeError("no Spark task context: the function must run in mapInArrow")
    return int(context.partitionId())


def _per_partition(
    ranged: Any, offsets: dict[int, np.ndarray], key: str, columns: Sequence[str], fn: Callable, schema: str
) -> list:
    """``fn(values, cumulative counts incl. each row, counts below the partition)`` on each partition's
    rows in key order; returns every row ``fn`` yields."""
    width = len(columns)

    def run(batches: Any) -> Any:
        import pyarrow as pa
        from pyspark import TaskContext

        part = _partition(TaskContext.get())
        keys, counts = [], []
        for batch in batches:
            keys.append(np.asarray(batch.column(key)))
            counts.append(np.column_stack([np.asarray(batch.column(c), dtype=np.int64) for c in columns]))
        values = np.concatenate(keys) if keys else np.empty(0)
        if len(values) == 0:
            return
        cumulative = np.cumsum(np.concatenate(counts), axis=0) + offsets.get(part, np.zeros(width, dtype=np.int64))
        rows = fn(values, cumulative, offsets.get(part, np.zeros(width, dtype=np.int64)))
        if rows:
            yield pa.RecordBatch.from_pylist(rows)

    return [r.asDict() for r in ranged.mapInArrow(run, schema).collect()]


def _roc_auc(rows: Any, positives: int, negatives: int) -> float:
    """Mann-Whitney with ties counted half, as :func:`govhub.evaluator.metrics.roc_auc`: for each distinct
    score, its positives times (twice the negatives scored below it plus its own negatives)."""
    from pyspark.sql import functions as F  # noqa: N812

    counted = rows.groupBy("s").agg(
        F.sum(F.col("y").cast("long")).alias("pos"), F.sum((1 - F.col("y")).cast("long")).alias("neg")
    )
    ranged, offsets = _ordered(counted, "s", ["pos", "neg"])

    def partial(values: np.ndarray, cumulative: np.ndarray, below: np.ndarray) -> list[dict]:
        neg_upto = cumulative[:, 1]
        pos = np.diff(np.concatenate(([below[0]], cumulative[:, 0])))
        neg = np.diff(np.concatenate(([below[1]], neg_upto)))
        return [{"twice": int(np.sum(pos * (2 * (neg_upto - neg) + neg)))}]

    twice = sum(r["twice"] for r in _per_partition(ranged, offsets, "s", ["pos", "neg"], partial, "twice long"))
    return twice / (2 * positives * negatives)


# ----------------------------------------------------------------------------- drift


def _drift_and_quality(spark: Any, spec: EvaluationSpec) -> list[Metric]:
    assert spec.baseline is not None and spec.current is not None
    base, cur = _read(spark, spec.baseline), _read(spark, spec.current)
    features = spec.features or tuple(c for c in base.frame.columns if c in cur.frame.columns)
    if not features:
        raise EvaluationInputError(ERR_NO_SHARED.format(baseline=spec.baseline, current=spec.current))
    _require(base, features, spec.baseline)
    _require(cur, features, spec.current)
    base_types, cur_types = dict(base.frame.dtypes), dict(cur.frame.dtypes)
    results = {}
    for feature in features:
        numeric = _numeric(base_types[feature])
        results[feature] = _feature(base.frame, cur.frame, feature, numeric, _numeric(cur_types[feature]))
    return drift_metrics(results, _provenance(spark, cur))


def _numeric(spark_type: str) -> bool:
    return spark_type.split("(")[0] in NUMERIC_TYPES


def _feature(base: Any, cur: Any, feature: str, numeric: bool, cur_numeric: bool) -> dict:
    from pyspark.sql import functions as F  # noqa: N812

    column = F.col(feature)
    parsed = column.try_cast("double") if numeric else column
    missing = column.isNull() | (F.isnan(column) if cur_numeric else F.lit(False))
    quality = cur.agg(
        F.count(F.lit(1)).alias("n"),
        F.sum(F.when(missing, 1).otherwise(0)).alias("missing"),
        F.sum(F.when(parsed.isNull() & column.isNotNull(), 1).otherwise(0)).alias("bad"),
    ).first()
    n = int(quality["n"])
    out: dict = {
        "numeric": numeric,
        "quality.missing_rate": quality["missing"] / n if n else float("nan"),
        "quality.type_error_rate": quality["bad"] / n if numeric and not cur_numeric and n else 0.0,
    }
    try:
        if numeric:
            edges: list[float] = []
            out["drift"] = _numeric_drift(base, cur, feature, cur_numeric, edges)
            out["edges"] = edges
        else:
            counts = [
                {
                    r["v"]: int(r["count"])
                    for r in side.select(F.col(feature).alias("v")).dropna().groupBy("v").count().collect()
                }
                for side in (base, cur)
            ]
            out["drift"] = m.categorical_drift_of_counts(*counts)
    except ValueError as exc:
        out["error"] = str(exc)
    return out


def _numeric_drift(base: Any, cur: Any, feature: str, cur_numeric: bool, edges_out: list[float]) -> dict[str, float]:
    """:func:`govhub.evaluator.metrics.numeric_drift` from counts per distinct value of both samples."""
    from pyspark.sql import functions as F  # noqa: N812

    def values(frame: Any, flag: int, parse: bool) -> Any:
        v = F.col(feature).try_cast("double") if parse else F.col(feature).cast("double")
        kept = frame.select(v.alias("v")).where(F.col("v").isNotNull() & ~F.isnan("v"))
        return kept.select("v", F.lit(flag).alias("side"))

    pooled = values(base, 0, False).unionByName(values(cur, 1, not cur_numeric))
    counted = pooled.groupBy("v").agg(
        F.sum(F.when(F.col("side") == 0, 1).otherwise(0).cast("long")).alias("nb"),
        F.sum(F.col("side").cast("long")).alias("nc"),
    )
    ranged, offsets = _ordered(counted, "v", ["nb", "nc"])
    nb, nc = _totals(ranged)
    if nb == 0 or nc == 0:
        raise ValueError("no non-missing values to compare")
    # the baseline deciles, interpolated as numpy.quantile does: values at two ranks each
    position = np.linspace(0, 1, m.PSI_BINS + 1)[1:-1] * (nb - 1)
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, nb - 1)
    ranks = sorted({int(r) for r in (*low, *high)})

    def scan(keys: np.ndarray, cumulative: np.ndarray, below: np.ndarray) -> list[dict]:
        gap = np.abs(cumulative[:, 0] * nc - cumulative[:, 1] * nb)
        rows = [{"kind": 0, "rank": 0, "value": 0.0, "gap": int(gap.max())}]
        upto = cumulative[:, 0]
        for rank in ranks:  # the value at 0-based rank r: the first whose count up to it exceeds r
            if below[0] <= rank < upto[-1]:
                rows.append(
                    {"kind": 1, "rank": rank, "value": float(keys[np.searchsorted(upto, rank, side="right")]), "gap": 0}
                )
        return rows

    found = _per_partition(ranged, offsets, "v", ["nb", "nc"], scan, "kind long, rank long, value double, gap long")
    best = max(r["gap"] for r in found if r["kind"] == 0)
    at = {r["rank"]: r["value"] for r in found if r["kind"] == 1}
    lo_v, hi_v = np.array([at[int(r)] for r in low]), np.array([at[int(r)] for r in high])
    edges = np.unique(lo_v + (hi_v - lo_v) * (position - low))
    edges_out.extend(float(e) for e in edges)
    cuts = (
        ranged.agg(
            *(
                F.sum(F.when(F.col("v") <= float(e), F.col(c)).otherwise(0)).alias(f"{c}{i}")
                for i, e in enumerate(edges)
                for c in ("nb", "nc")
            )
        ).first()
        if len(edges)
        else {}
    )
    b_cuts = np.array([int(cuts[f"nb{i}"]) for i in range(len(edges))], dtype=np.int64)
    c_cuts = np.array([int(cuts[f"nc{i}"]) for i in range(len(edges))], dtype=np.int64)
    b = np.diff(np.concatenate(([0], b_cuts, [nb]))) / nb
    c = np.diff(np.concatenate(([0], c_cuts, [nc]))) / nc
    return {
        "drift.psi": m.psi(b, c),
        "drift.psi_bins": float(len(edges) + 1),
        "drift.ks_statistic": float(best / (nb * nc)),
        "drift.linf": float(np.max(np.abs(c - b))),
    }


def _totals(ranged: Any) -> tuple[int, int]:
    from pyspark.sql import functions as F  # noqa: N812

    row = ranged.agg(F.sum("nb").alias("nb"), F.sum("nc").alias("nc")).first()
    return int(row["nb"] or 0), int(row["nc"] or 0)
