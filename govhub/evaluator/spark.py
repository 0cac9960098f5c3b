"""The evaluator on Spark (``govhub evaluate --engine spark``): the local engine's evidence, computed
from aggregations that merge, so the numbers stay exact at any row count.

Every metric comes from counts:
- performance and fairness: confusion counts per (group, label, prediction), one ``groupBy``;
- ROC AUC, KS and the PSI decile edges: counts per distinct value, range-partitioned in value order.
  Each partition's totals are summed on the driver into offsets, so every partition then knows how
  many values lie below it and computes its exact rank statistics alone (no single-partition window,
  no ``approxQuantile``);
- log loss: one sum; categorical drift: counts per category.
What reaches the driver is small: a few rows per group, per partition and per category. The code that
runs on the executors needs only numpy and pyarrow (every Spark runtime with Arrow has both): govhub
itself is installed on the driver only.

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
    if master and master.startswith("local"):  # local workers run this interpreter (numpy, pyarrow)
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
        if local.exists() and "://" not in text:
            frame = spark.read.parquet(str(local.resolve()))
            return _Input(frame, local.resolve().as_uri(), _local_digest(local), "sha256 of the data")
        frame = spark.read.parquet(text) if "://" in text else spark.table(text)
        listing = "\n".join(sorted(frame.inputFiles()))
        digest = hashlib.sha256(listing.encode()).hexdigest()
        return _Input(frame, text if "://" in text else f"table:{text}", digest, "sha256 of the sorted input file list")
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
    y = _try_double(spec.label)
    if spec.score:
        if types[spec.score] == "boolean":
            raise EvaluationInputError(ERR_BOOL_SCORE.format(file=spec.predictions, column=spec.score))
        s = _try_double(spec.score)
        pred = F.when(s >= spec.threshold, 1).otherwise(0)
    else:
        s = F.lit(None).cast("double")
        pred = _try_double(str(spec.prediction))
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


def _try_double(column: str) -> Any:
    """``column`` as a double, null where it does not parse: SQL's try_cast (Spark 3.2+), so the engine
    also runs on the Spark 3.4/3.5 runtimes of managed services; Column.try_cast is Spark 4 only."""
    from pyspark.sql import functions as F  # noqa: N812

    return F.expr(f"try_cast(`{column.replace('`', '``')}` AS DOUBLE)")


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
#
# A table of counts per (segment, value): ``f`` (an int: the feature, or 0) and ``v`` (a double), with
# integer count columns. It is range-partitioned on (f, v), so each partition holds one slice of each
# segment's value order, and checkpointed, so that the passes below see the same partitions.


def _ordered(
    counted: Any, columns: Sequence[str]
) -> tuple[Any, dict[tuple[int, int], np.ndarray], dict[int, np.ndarray]]:
    """``counted`` ordered and checkpointed; the counts below each (partition, segment), and each segment's totals."""
    ranged = counted.repartitionByRange(PARTITIONS, "f", "v").sortWithinPartitions("f", "v").localCheckpoint(eager=True)
    width = len(columns)

    def totals(batches: Any) -> Any:
        import pyarrow as pa
        from pyspark import TaskContext

        segments, counts = [], []
        for batch in batches:
            segments.append(np.asarray(batch.column("f"), dtype=np.int64))
            counts.append(np.column_stack([np.asarray(batch.column(c), dtype=np.int64) for c in columns]))
        if not segments or not sum(len(s) for s in segments):
            return
        f, c = np.concatenate(segments), np.concatenate(counts)
        part = TaskContext.get().partitionId()  # type: ignore[union-attr]
        starts = np.flatnonzero(np.concatenate(([True], f[1:] != f[:-1])))
        sums = np.add.reduceat(c, starts, axis=0)
        yield pa.RecordBatch.from_pylist(
            [
                {"part": part, "f": int(f[s]), **{col: int(v) for col, v in zip(columns, row, strict=True)}}
                for s, row in zip(starts, sums, strict=True)
            ]
        )

    schema = "part long, f long, " + ", ".join(f"{c} long" for c in columns)
    found = sorted((r["part"], r["f"], [r[c] for c in columns]) for r in ranged.mapInArrow(totals, schema).collect())
    offsets: dict[tuple[int, int], np.ndarray] = {}
    running: dict[int, np.ndarray] = {}
    for part, f, sums in found:
        below = running.setdefault(f, np.zeros(width, dtype=np.int64))
        offsets[(part, f)] = below.copy()
        running[f] = below + np.asarray(sums, dtype=np.int64)
    return ranged, offsets, running


def _per_partition(
    ranged: Any, offsets: dict[tuple[int, int], np.ndarray], columns: Sequence[str], fn: Callable, schema: str
) -> list[dict]:
    """``fn(segment, values, cumulative counts up to each value, counts below this slice)`` on every
    slice of every segment, in value order, where the slices lie; returns every row ``fn`` gives."""
    width = len(columns)

    def run(batches: Any) -> Any:
        import pyarrow as pa
        from pyspark import TaskContext

        segments, keys, counts = [], [], []
        for batch in batches:
            segments.append(np.asarray(batch.column("f"), dtype=np.int64))
            keys.append(np.asarray(batch.column("v")))
            counts.append(np.column_stack([np.asarray(batch.column(c), dtype=np.int64) for c in columns]))
        if not segments or not sum(len(s) for s in segments):
            return
        f, v, c = np.concatenate(segments), np.concatenate(keys), np.concatenate(counts)
        part = TaskContext.get().partitionId()  # type: ignore[union-attr]
        bounds = [*np.flatnonzero(np.concatenate(([True], f[1:] != f[:-1]))), len(f)]
        rows: list[dict] = []
        for start, end in zip(bounds[:-1], bounds[1:], strict=True):
            segment = int(f[start])
            below = offsets.get((part, segment), np.zeros(width, dtype=np.int64))
            rows += fn(segment, v[start:end], np.cumsum(c[start:end], axis=0) + below, below)
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
    counted = counted.select(F.lit(0).cast("long").alias("f"), F.col("s").alias("v"), "pos", "neg")
    ranged, offsets, _ = _ordered(counted, ["pos", "neg"])

    def partial(segment: int, values: np.ndarray, cumulative: np.ndarray, below: np.ndarray) -> list[dict]:
        neg_upto = cumulative[:, 1]
        pos = np.diff(np.concatenate(([below[0]], cumulative[:, 0])))
        neg = np.diff(np.concatenate(([below[1]], neg_upto)))
        return [{"twice": int(np.sum(pos * (2 * (neg_upto - neg) + neg)))}]

    twice = sum(r["twice"] for r in _per_partition(ranged, offsets, ["pos", "neg"], partial, "twice long"))
    return twice / (2 * positives * negatives)


# ----------------------------------------------------------------------------- drift
#
# All features at once: each table is read once into a long form (feature id, value), so the number of
# Spark jobs does not grow with the number of features.


def _drift_and_quality(spark: Any, spec: EvaluationSpec) -> list[Metric]:
    assert spec.baseline is not None and spec.current is not None
    base, cur = _read(spark, spec.baseline), _read(spark, spec.current)
    features = spec.features or tuple(c for c in base.frame.columns if c in cur.frame.columns)
    if not features:
        raise EvaluationInputError(ERR_NO_SHARED.format(baseline=spec.baseline, current=spec.current))
    _require(base, features, spec.baseline)
    _require(cur, features, spec.current)
    base_types, cur_types = dict(base.frame.dtypes), dict(cur.frame.dtypes)
    numeric = {f: _numeric(base_types[f]) for f in features}
    cur_numeric = {f: _numeric(cur_types[f]) for f in features}
    results = _quality(cur.frame, features, numeric, cur_numeric)
    drifts: dict[str, dict] = {}
    numeric_features = [f for f in features if numeric[f]]
    if numeric_features:
        drifts.update(_numeric_drifts(base.frame, cur.frame, numeric_features, cur_numeric))
    categorical = [f for f in features if not numeric[f]]
    if categorical:
        drifts.update(_categorical_drifts(base.frame, cur.frame, categorical))
    for feature in features:
        results[feature].update(drifts[feature])
    return drift_metrics(results, _provenance(spark, cur))


def _numeric(spark_type: str) -> bool:
    return spark_type.split("(")[0] in NUMERIC_TYPES


def _quality(cur: Any, features: Sequence[str], numeric: dict, cur_numeric: dict) -> dict[str, dict]:
    """Missing and type-error rates of every feature of the current table, in one aggregation."""
    from pyspark.sql import functions as F  # noqa: N812

    exprs = [F.count(F.lit(1)).alias("n")]
    for i, feature in enumerate(features):
        column = F.col(feature)
        missing = column.isNull() | (F.isnan(column) if cur_numeric[feature] else F.lit(False))
        exprs.append(F.sum(F.when(missing, 1).otherwise(0)).alias(f"m{i}"))
        if numeric[feature] and not cur_numeric[feature]:
            bad = _try_double(feature).isNull() & column.isNotNull()
            exprs.append(F.sum(F.when(bad, 1).otherwise(0)).alias(f"b{i}"))
    row = cur.agg(*exprs).first()
    n = int(row["n"])
    out = {}
    for i, feature in enumerate(features):
        typed = numeric[feature] and not cur_numeric[feature]
        out[feature] = {
            "numeric": numeric[feature],
            "quality.missing_rate": row[f"m{i}"] / n if n else float("nan"),
            "quality.type_error_rate": row[f"b{i}"] / n if typed and n else 0.0,
        }
    return out


def _long(frame: Any, features: Sequence[str], value: Callable[[str], Any]) -> Any:
    """(f, v) rows: feature i's value ``value(name)`` for every row, from one scan of ``frame``."""
    from pyspark.sql import functions as F  # noqa: N812

    pairs = [F.struct(F.lit(i).cast("long").alias("f"), value(name).alias("v")) for i, name in enumerate(features)]
    return frame.select(F.explode(F.array(*pairs)).alias("x")).select("x.f", "x.v")


def _numeric_drifts(base: Any, cur: Any, features: Sequence[str], cur_numeric: dict) -> dict[str, dict]:
    """:func:`govhub.evaluator.metrics.numeric_drift` of every feature, from counts per distinct value."""
    from pyspark.sql import functions as F  # noqa: N812

    def kept(frame: Any, side: int, parse: bool) -> Any:
        pairs = _long(
            frame,
            features,
            lambda name: _try_double(name) if parse and not cur_numeric[name] else F.col(name).cast("double"),
        )
        return pairs.where(F.col("v").isNotNull() & ~F.isnan("v")).withColumn("side", F.lit(side))

    pooled = kept(base, 0, False).unionByName(kept(cur, 1, True))
    counted = pooled.groupBy("f", "v").agg(
        F.sum(F.when(F.col("side") == 0, 1).otherwise(0).cast("long")).alias("nb"),
        F.sum(F.col("side").cast("long")).alias("nc"),
    )
    ranged, offsets, totals = _ordered(counted, ["nb", "nc"])
    sizes = {i: (int(totals[i][0]), int(totals[i][1])) if i in totals else (0, 0) for i in range(len(features))}
    # the baseline deciles, interpolated as numpy.quantile does: the values at two ranks for each
    plans = {}
    for i, (nb, _) in sizes.items():
        if nb:
            position = np.linspace(0, 1, m.PSI_BINS + 1)[1:-1] * (nb - 1)
            low = np.floor(position).astype(np.int64)
            plans[i] = (position, low, np.minimum(low + 1, nb - 1))
    ranks = {i: sorted({int(r) for r in (*low, *high)}) for i, (_, low, high) in plans.items()}

    def scan(segment: int, keys: np.ndarray, cumulative: np.ndarray, below: np.ndarray) -> list[dict]:
        nb, nc = sizes[segment]
        gap = np.abs(cumulative[:, 0] * nc - cumulative[:, 1] * nb)
        rows = [{"f": segment, "kind": 0, "rank": 0, "value": 0.0, "gap": int(gap.max())}]
        upto = cumulative[:, 0]
        for rank in ranks.get(segment, ()):  # the value at 0-based rank r: the first whose count up to it exceeds r
            if below[0] <= rank < upto[-1]:
                value = float(keys[np.searchsorted(upto, rank, side="right")])
                rows.append({"f": segment, "kind": 1, "rank": rank, "value": value, "gap": 0})
        return rows

    found = _per_partition(ranged, offsets, ["nb", "nc"], scan, "f long, kind long, rank long, value double, gap long")
    gaps: dict[int, int] = {}
    at: dict[tuple[int, int], float] = {}
    for r in found:
        if r["kind"] == 0:
            gaps[r["f"]] = max(gaps.get(r["f"], 0), r["gap"])
        else:
            at[(r["f"], r["rank"])] = r["value"]
    edges: dict[int, np.ndarray] = {}
    for i, (position, low, high) in plans.items():
        lo_v = np.array([at[(i, int(r))] for r in low])
        hi_v = np.array([at[(i, int(r))] for r in high])
        edges[i] = np.unique(lo_v + (hi_v - lo_v) * (position - low))

    # how many values of each side lie at or below each edge: the running count at the edge in every slice
    # that starts at or below it; the largest of those is the exact count (a slice above the edge says nothing)
    def at_edges(segment: int, keys: np.ndarray, cumulative: np.ndarray, below: np.ndarray) -> list[dict]:
        found_edges = edges.get(segment)
        if found_edges is None or not len(found_edges):
            return []
        index = np.searchsorted(keys, found_edges, side="right")
        return [
            {"f": segment, "k": k, "nb": int(cumulative[i - 1, 0]), "nc": int(cumulative[i - 1, 1])}
            for k, i in enumerate(index)
            if i > 0
        ]

    cuts: dict[tuple[int, int], tuple[int, int]] = {}
    for r in _per_partition(ranged, offsets, ["nb", "nc"], at_edges, "f long, k long, nb long, nc long"):
        key = (r["f"], r["k"])
        old = cuts.get(key, (0, 0))
        cuts[key] = (max(old[0], r["nb"]), max(old[1], r["nc"]))
    out: dict[str, dict] = {}
    for i, feature in enumerate(features):
        nb, nc = sizes[i]
        if nb == 0 or nc == 0:
            out[feature] = {"error": "no non-missing values to compare"}
            continue
        k = len(edges[i])
        b_cuts = np.array([cuts.get((i, j), (0, 0))[0] for j in range(k)], dtype=np.int64)
        c_cuts = np.array([cuts.get((i, j), (0, 0))[1] for j in range(k)], dtype=np.int64)
        b = np.diff(np.concatenate(([0], b_cuts, [nb]))) / nb
        c = np.diff(np.concatenate(([0], c_cuts, [nc]))) / nc
        out[feature] = {
            "edges": [float(e) for e in edges[i]],
            "drift": {
                "drift.psi": m.psi(b, c),
                "drift.psi_bins": float(k + 1),
                "drift.ks_statistic": float(gaps[i] / (nb * nc)),
                "drift.linf": float(np.max(np.abs(c - b))),
            },
        }
    return out


def _categorical_drifts(base: Any, cur: Any, features: Sequence[str]) -> dict[str, dict]:
    """Counts per category of every categorical feature on both sides, one aggregation per side."""
    from pyspark.sql import functions as F  # noqa: N812

    tallies: list[dict[int, dict]] = []
    for frame in (base, cur):
        pairs = _long(frame, features, lambda name: F.col(name).cast("string")).where(F.col("v").isNotNull())
        counted: dict[int, dict] = {}
        for r in pairs.groupBy("f", "v").count().collect():
            counted.setdefault(r["f"], {})[r["v"]] = int(r["count"])
        tallies.append(counted)
    out: dict[str, dict] = {}
    for i, feature in enumerate(features):
        try:
            out[feature] = {"drift": m.categorical_drift_of_counts(tallies[0].get(i, {}), tallies[1].get(i, {}))}
        except ValueError as exc:
            out[feature] = {"error": str(exc)}
    return out
