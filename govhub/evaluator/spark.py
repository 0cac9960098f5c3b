"""The evaluator on Spark (``govhub evaluate --engine spark``): the local engine's evidence, computed
from aggregations that merge, so the numbers stay exact at any row count.

Every metric comes from counts:
- performance and fairness: confusion counts per (group, label, prediction), one ``groupBy``;
- ROC AUC, KS and the PSI decile edges: exact order statistics. Each column's values are cut into
  buckets (boundaries from a sample, which only balances the work); the counts per bucket give every
  bucket its offsets, i.e. how many values lie below it; then each bucket is sorted alone on an executor
  and gives its exact KS gap, Mann-Whitney count and the values at the wanted ranks. No single-partition
  window, no ``approxQuantile``, and one bucket in memory per task whatever the row count;
- the PSI bins: counts per bin once the edges are known; log loss: one sum; categorical drift: counts
  per category.
What reaches the driver is small: a few rows per group, bucket and category. The code that runs on the
executors needs only numpy and pyarrow (every Spark runtime with Arrow has both): govhub itself is
installed on the driver only.

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
from typing import Any, Literal

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
        return builder.getOrCreate()
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


Say = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def evaluate(
    spec: EvaluationSpec,
    model: dict[str, str] | None = None,
    spark: Any = None,
    master: str | None = None,
    progress: Say = _quiet,
) -> Evidence:
    """The local engine's :func:`govhub.evaluator.local.evaluate`, on Spark; ``progress`` hears each phase
    as it starts (the CLI prints them: a large table takes minutes)."""
    if spec.score is None and spec.prediction is None:
        raise EvaluationInputError("give a score column (--score) or a predicted-label column (--prediction)")
    if spec.profile is not None:
        raise EvaluationInputError(
            "--baseline-profile is for the local engine; on Spark give the baseline table (--baseline)"
        )
    check_threshold(spec.threshold)
    progress(f"starting Spark ({master or 'the environment master'})" if spark is None else "using the Spark session")
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
    progress(f"checking {spec.predictions}")
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
    progress(f"performance and fairness of {n:,} predictions")
    confusion = {(int(r["y"]), int(r["p"])): int(r["count"]) for r in rows.groupBy("y", "p").count().collect()}
    tn, fp, fn, tp = (confusion.get(k, 0) for k in ((0, 0), (0, 1), (1, 0), (1, 1)))
    performance = m.confusion_metrics(tn, fp, fn, tp)
    if spec.score:
        performance["roc_auc"] = _roc_auc(rows, positives, n - positives, progress)
        performance["log_loss"] = _log_loss(rows, n)
    for name, value in performance.items():
        metrics.append(Metric(name=name, value=value, provenance=prov(f"scikit-learn {name}")))
    for i, column in enumerate(spec.sensitive):
        metrics += fairness_metrics(_group_counts(rows, f"g{i}"), column, prov)
    if spec.baseline and spec.current:
        metrics += _drift_and_quality(spark, spec, progress)
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


# ----------------------------------------------------------------------------- order statistics
#
# Exact rank statistics of many value columns at once, each split into two sides (baseline and current,
# or negatives and positives). Every column's values are cut into buckets at boundaries taken from a
# sample (the sample only balances the buckets; the numbers never depend on it). Three passes:
# 1. counts per (bucket, side): the offsets of every bucket, i.e. how many values of each side lie below it;
# 2. the values, counted per distinct value within each input batch, shuffled by bucket; every bucket is
#    sorted alone on an executor and, knowing its offsets, gives its exact KS gap, Mann-Whitney count and
#    the values at the wanted ranks;
# 3. (drift only) counts per PSI bin, once the bin edges are known.
# An executor holds one bucket at a time (about BUCKET_VALUES values), whatever the row count.

BUCKET_VALUES = 1 << 22  # values of one column per bucket, at most about: what one task sorts at once
MAX_TASKS = 2_000  # tasks of the bucket pass; a task scans its buckets one after another
SAMPLE_ROWS = 20_000  # rows sampled to place the bucket boundaries (they balance the work, nothing else)


@dataclass(frozen=True)
class _Order:
    totals: np.ndarray  # (columns, 2): non-missing values per side
    gaps: np.ndarray  # (columns,): max over x of |A(x)·nc − C(x)·na|, A and C the counts up to x (KS·na·nc)
    twice_u: np.ndarray  # (columns,): Σ over distinct x of c(x)·(2·A(below x) + a(x)) (Mann-Whitney U, doubled)
    at: dict[tuple[int, int], float]  # (column, rank) -> side 0's value at that 0-based rank


def _order_statistics(
    wide: Any, width: int, say: Say, ranks: Callable[[np.ndarray], dict[int, list[int]]] | None = None
) -> _Order:
    """``wide`` holds double columns ``x0 .. x{width-1}`` and an int column ``side`` (0 or 1); null and
    NaN are missing. ``ranks(totals)`` names, per column, the 0-based ranks of side 0 whose values are wanted."""
    names = [f"x{i}" for i in range(width)]

    def column(batch: Any, name: str) -> np.ndarray:  # nulls become NaN in doubles
        return np.asarray(batch.column(name).to_numpy(zero_copy_only=False))

    rows = wide.count()
    stride = max(1, -(-rows // BUCKET_VALUES))  # buckets per column; bucket key = column · stride + bucket
    buckets = width * stride
    say(f"{buckets} bucket(s) of {width} column(s), {rows:,} rows: counting")
    bounds = _bucket_bounds(wide, names, stride, rows)

    def bucket_keys(i: int, v: np.ndarray) -> np.ndarray:
        return i * stride + np.searchsorted(bounds[i], v, side="right")

    per_bucket = _histogram(wide, bounds, stride, side="right")
    totals = per_bucket.sum(axis=1)
    offsets = (np.cumsum(per_bucket, axis=1) - per_bucket).reshape(buckets, 2)
    wanted = ranks(totals) if ranks else {}

    def emit(batches: Any) -> Any:  # counts per distinct (bucket, value) within each batch
        import pyarrow as pa

        for batch in batches:
            side = column(batch, "side").astype(np.int64)
            for i, name in enumerate(names):
                v = column(batch, name).astype(np.float64)
                kept = ~np.isnan(v)
                v, s = v[kept], side[kept]
                if not len(v):
                    continue
                key = bucket_keys(i, v)
                order = np.lexsort((v, key))
                key, v, s = key[order], v[order], s[order]
                starts = np.flatnonzero(np.concatenate(([True], (key[1:] != key[:-1]) | (v[1:] != v[:-1]))))
                c = np.add.reduceat(s, starts)
                n = np.diff(np.append(starts, len(v)))
                yield pa.RecordBatch.from_arrays(
                    [pa.array(key[starts]), pa.array(v[starts]), pa.array(n - c), pa.array(c)],
                    names=["key", "v", "a", "c"],
                )

    def reduce(batches: Any) -> Any:  # buckets in key order (sorted by Spark, which spills): one at a time
        import pyarrow as pa

        out: dict[str, list] = {"key": [], "kind": [], "rank": [], "value": [], "big": []}

        def add(k: int, kind: int, rank: int, value: float, big: int) -> None:
            for name, item in zip(out, (k, kind, rank, value, big), strict=True):
                out[name].append(item)

        def scan(k: int, pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> None:  # one whole bucket
            v, a, c = (np.concatenate([p[j] for p in pieces]) for j in range(3))
            order = np.argsort(v, kind="stable")
            v, a, c = v[order], a[order].astype(np.int64), c[order].astype(np.int64)
            starts = np.flatnonzero(np.concatenate(([True], v[1:] != v[:-1])))
            v, a, c = v[starts], np.add.reduceat(a, starts), np.add.reduceat(c, starts)
            i = k // stride
            na, nc = (int(t) for t in totals[i])
            oa, oc = (int(o) for o in offsets[k])
            upto_a, upto_c = oa + np.cumsum(a), oc + np.cumsum(c)
            add(k, 0, 0, 0.0, int(np.max(np.abs(upto_a * nc - upto_c * na))))
            add(k, 2, 0, 0.0, int(np.sum(c * (2 * upto_a - a))))
            for rank in wanted.get(i, ()):  # the value at rank r: the first whose count up to it exceeds r
                if oa <= rank < upto_a[-1]:
                    add(k, 1, rank, float(v[np.searchsorted(upto_a, rank, side="right")]), 0)

        current, pieces = -1, []  # type: tuple[int, list[tuple[np.ndarray, np.ndarray, np.ndarray]]]
        for batch in batches:
            key, v, a, c = (column(batch, name) for name in ("key", "v", "a", "c"))
            bounds = [0, *(np.flatnonzero(key[1:] != key[:-1]) + 1), len(key)]
            for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
                if lo == hi:
                    continue
                if int(key[lo]) != current and pieces:
                    scan(current, pieces)
                    pieces = []
                current = int(key[lo])
                pieces.append((v[lo:hi], a[lo:hi], c[lo:hi]))
        if pieces:
            scan(current, pieces)
        yield pa.RecordBatch.from_pydict(out)

    schema = "key long, kind long, rank long, value double, big long"
    say(f"{buckets} bucket(s): sorting and scanning in {min(buckets, MAX_TASKS)} task(s)")
    shuffled = (
        wide.mapInArrow(emit, "key long, v double, a long, c long")
        .repartition(min(buckets, MAX_TASKS), "key")
        .sortWithinPartitions("key")
    )
    gaps, twice = np.zeros(width, dtype=np.int64), np.zeros(width, dtype=np.int64)
    at: dict[tuple[int, int], float] = {}
    for r in shuffled.mapInArrow(reduce, schema).collect():
        i = r["key"] // stride
        if r["kind"] == 0:
            gaps[i] = max(gaps[i], r["big"])
        elif r["kind"] == 2:
            twice[i] += r["big"]
        else:
            at[(i, r["rank"])] = r["value"]
    return _Order(totals=totals, gaps=gaps, twice_u=twice, at=at)


def _bucket_bounds(wide: Any, names: Sequence[str], per_column: int, rows: int) -> list[np.ndarray]:
    """Each column's bucket boundaries: ``per_column - 1`` quantiles of a sample (none for one bucket).
    Equal values always share a bucket, so the boundaries only change how the work is split."""
    if per_column == 1:
        return [np.empty(0) for _ in names]
    fraction = min(1.0, SAMPLE_ROWS / rows)
    sample = wide.select(*names).sample(False, fraction, seed=17).collect()
    bounds = []
    for i in range(len(names)):
        v = np.array([r[i] for r in sample if r[i] is not None], dtype=np.float64)
        v = np.sort(v[~np.isnan(v)])
        if not len(v):
            bounds.append(np.empty(0))
            continue
        picks = (np.linspace(0, 1, per_column + 1)[1:-1] * (len(v) - 1)).astype(np.int64)
        bounds.append(np.unique(v[picks]))
    return bounds


def _roc_auc(rows: Any, positives: int, negatives: int, say: Say) -> float:
    """Mann-Whitney with ties counted half, as :func:`govhub.evaluator.metrics.roc_auc`: for each distinct
    score, its positives times (twice the negatives scored below it plus its own negatives)."""
    from pyspark.sql import functions as F  # noqa: N812

    wide = rows.select(F.col("s").alias("x0"), F.col("y").cast("long").alias("side"))
    say("ROC AUC")
    return int(_order_statistics(wide, 1, say).twice_u[0]) / (2 * positives * negatives)


# ----------------------------------------------------------------------------- drift
#
# All features at once: numeric features side by side in one wide frame of both tables (x0 .. xk and the
# side), categorical ones in a long form (feature id, value), so the number of Spark jobs does not grow
# with the number of features.


def _drift_and_quality(spark: Any, spec: EvaluationSpec, say: Say) -> list[Metric]:
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
    say(f"quality of {len(features)} feature(s) in {spec.current}")
    results = _quality(cur.frame, features, numeric, cur_numeric)
    drifts: dict[str, dict] = {}
    numeric_features = [f for f in features if numeric[f]]
    if numeric_features:
        say(f"drift of {len(numeric_features)} numeric feature(s)")
        drifts.update(_numeric_drifts(base.frame, cur.frame, numeric_features, cur_numeric, say))
    categorical = [f for f in features if not numeric[f]]
    if categorical:
        say(f"drift of {len(categorical)} categorical feature(s)")
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


def _numeric_drifts(base: Any, cur: Any, features: Sequence[str], cur_numeric: dict, say: Say) -> dict[str, dict]:
    """:func:`govhub.evaluator.metrics.numeric_drift` of every feature, from exact order statistics."""
    from pyspark.sql import functions as F  # noqa: N812

    def side(frame: Any, number: int, parse: bool) -> Any:
        values = [
            (_try_double(name) if parse and not cur_numeric[name] else F.col(name).cast("double")).alias(f"x{i}")
            for i, name in enumerate(features)
        ]
        return frame.select(*values, F.lit(number).cast("long").alias("side"))

    wide = side(base, 0, False).unionByName(side(cur, 1, True))
    bins = m.PSI_BINS
    plans: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def ranks(totals: np.ndarray) -> dict[int, list[int]]:
        # the baseline deciles, interpolated as numpy.quantile does: the values at two ranks for each
        for i, nb in enumerate(int(t) for t in totals[:, 0]):
            if nb:
                position = np.linspace(0, 1, bins + 1)[1:-1] * (nb - 1)
                low = np.floor(position).astype(np.int64)
                plans[i] = (position, low, np.minimum(low + 1, nb - 1))
        return {i: sorted({int(r) for r in (*low, *high)}) for i, (_, low, high) in plans.items()}

    order = _order_statistics(wide, len(features), say, ranks)
    edges: dict[int, np.ndarray] = {}
    for i, (position, low, high) in plans.items():
        lo_v = np.array([order.at[(i, int(r))] for r in low])
        hi_v = np.array([order.at[(i, int(r))] for r in high])
        edges[i] = np.unique(lo_v + (hi_v - lo_v) * (position - low))
    say("PSI bins")
    cuts = [edges.get(i, np.empty(0)) for i in range(len(features))]
    counts = _histogram(wide, cuts, max(len(e) for e in cuts) + 1, side="left")
    out: dict[str, dict] = {}
    for i, feature in enumerate(features):
        nb, nc = (int(t) for t in order.totals[i])
        if nb == 0 or nc == 0:
            out[feature] = {"error": "no non-missing values to compare"}
            continue
        k = len(edges[i])
        b, c = counts[i][: k + 1, 0] / nb, counts[i][: k + 1, 1] / nc
        out[feature] = {
            "edges": [float(e) for e in edges[i]],
            "drift": {
                "drift.psi": m.psi(b, c),
                "drift.psi_bins": float(k + 1),
                "drift.ks_statistic": float(order.gaps[i] / (nb * nc)),
                "drift.linf": float(np.max(np.abs(c - b))),
            },
        }
    return out


def _histogram(wide: Any, cuts: Sequence[np.ndarray], bins: int, side: Literal["left", "right"]) -> np.ndarray:
    """Values of each column ``x<i>`` of ``wide`` per bin and side, shape (columns, bins, 2), in one pass.
    A value's bin is ``searchsorted(cuts[i], value, side)``: "right" puts a value equal to a cut above
    it (buckets), "left" below it (right-closed PSI bins). ``bins`` exceeds every ``len(cuts[i])``."""
    width = len(cuts)

    def count(batches: Any) -> Any:  # on the executors: numpy and pyarrow only
        import pyarrow as pa

        found = np.zeros((width, bins, 2), dtype=np.int64)
        for batch in batches:
            sides = np.asarray(batch.column("side").to_numpy(zero_copy_only=False)).astype(np.int64)
            for i in range(width):
                v = np.asarray(batch.column(f"x{i}").to_numpy(zero_copy_only=False)).astype(np.float64)
                kept = ~np.isnan(v)
                at = np.searchsorted(cuts[i], v[kept], side=side)
                found[i] += np.bincount(at * 2 + sides[kept], minlength=bins * 2).reshape(bins, 2)
        where = np.flatnonzero(found)
        yield pa.RecordBatch.from_arrays([pa.array(where), pa.array(found.ravel()[where])], names=["code", "n"])

    total = np.zeros(width * bins * 2, dtype=np.int64)
    for r in wide.mapInArrow(count, "code long, n long").collect():
        total[r["code"]] += r["n"]
    return total.reshape(width, bins, 2)


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
