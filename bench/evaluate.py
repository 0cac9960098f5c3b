"""Evaluator benchmark: govhub's local evaluator against fairlearn + Evidently and against smclarify.

A seeded table (20 numeric and 5 categorical features, a 4-valued sensitive attribute, labels and
scores; a baseline and a shifted current table of the same size) is written to parquet once per size.
Each runner then works in its own fresh process, reading the same files, and reports the seconds of
its compute phase (the competitors load every table first and are timed after loading; ours is timed
as `govhub evaluate` runs, reading the parquet files column by column included) and the peak RSS of
the process. Competitors run in the bench tool
venv (.cache/tools/bench: evidently 0.7.23, fairlearn 0.15.0, smclarify 0.5); ours in .venv.

    .venv/bin/python bench/evaluate.py --rows 1000000
    .venv/bin/python bench/evaluate.py --rows 1000000 10000000
    .venv/bin/python bench/evaluate.py --rows 100000000 --only-ours     # about 34 GB of parquet on disk
    .venv/bin/python bench/evaluate.py --rows 1000000 3000000 10000000 --spark-only   # local vs Spark local[2]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from measure import peak_rss_of

ROOT = Path(__file__).resolve().parent.parent
BENCH_PY = ROOT / ".cache" / "tools" / "bench" / "bin" / "python"
NUMERIC, CATEGORICAL = 20, 5

LOAD = r"""
import json, sys, time
import numpy as np, pandas as pd
d = sys.argv[1]
preds = pd.read_parquet(f"{d}/predictions.parquet")
base = pd.read_parquet(f"{d}/baseline.parquet")
cur = pd.read_parquet(f"{d}/current.parquet")
t0 = time.perf_counter()
"""

OURS = r"""
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[2])
import numpy as np
from govhub.evaluator import metrics as m
from govhub.evaluator.local import Columns, EvaluationSpec, evaluate, groups_of
d = Path(sys.argv[1])
# 1. the bias kernels alone, on the columns they need (compared with smclarify's compute)
preds = Columns(d / "predictions.parquet").read(["label", "score", "group"])
t0 = time.perf_counter()
y = preds["label"].to_numpy(); score = preds["score"].to_numpy(); pred = (score >= 0.5).astype(np.int64)
counts = m.GroupCounts.compute(groups_of(preds["group"]), y, pred)
for i in range(len(counts.values)):
    m.clarify_metrics(*counts.facet(i))
m.selection_rates(counts); m.equalized_odds_difference(counts)
t_bias = time.perf_counter() - t0
del preds, y, score, pred
# 2. what `govhub evaluate` runs, reading included: performance, fairness, drift and quality of 25 features
t1 = time.perf_counter()
evaluate(EvaluationSpec(predictions=d / "predictions.parquet", label="label", sensitive=("group",), score="score",
                        baseline=d / "baseline.parquet", current=d / "current.parquet"))
print(json.dumps({"seconds": time.perf_counter() - t1, "bias_seconds": t_bias}))
"""

OURS_PROFILED = r"""
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from govhub.evaluator.local import EvaluationSpec, evaluate
from govhub.evaluator.profile import build_profile
d = Path(sys.argv[1])
# the baseline profile that training makes once (`govhub profile`), then the evaluation that uses it
t0 = time.perf_counter()
profile = build_profile(d / "baseline.parquet", d / "profiles")
t1 = time.perf_counter()
evaluate(EvaluationSpec(predictions=d / "predictions.parquet", label="label", sensitive=("group",), score="score",
                        profile=profile, current=d / "current.parquet"))
print(json.dumps({"seconds": time.perf_counter() - t1, "profile_seconds": t1 - t0}))
"""

SPARK = r"""
import json, os, sys, time, urllib.request
from pathlib import Path
sys.path.insert(0, sys.argv[2])
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
t0 = time.perf_counter()
from pyspark.sql import SparkSession
spark = (SparkSession.builder.master("local[2]").appName("govhub-bench").config("spark.driver.memory", "6g")
         .config("spark.sql.shuffle.partitions", "8").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
from govhub.evaluator import spark as engine
from govhub.evaluator.local import EvaluationSpec
d = Path(sys.argv[1])
t1 = time.perf_counter()
engine.evaluate(EvaluationSpec(predictions=d / "predictions.parquet", label="label", sensitive=("group",), score="score",
                               baseline=d / "baseline.parquet", current=d / "current.parquet"), spark=spark)
t2 = time.perf_counter()
context = spark.sparkContext
stages = json.load(urllib.request.urlopen(f"{context.uiWebUrl}/api/v1/applications/{context.applicationId}/stages"))
print(json.dumps({"seconds": t2 - t1, "startup_seconds": t1 - t0, "stages": len(stages),
                  "shuffle_bytes": sum(s.get("shuffleWriteBytes", 0) for s in stages)}))
"""

FAIRLEARN_EVIDENTLY = (
    LOAD
    + r"""
from fairlearn.metrics import MetricFrame, selection_rate, true_positive_rate, false_positive_rate, equalized_odds_difference
from sklearn.metrics import accuracy_score, precision_score, recall_score, f1_score, roc_auc_score, log_loss
from evidently import Report
from evidently.presets import DataDriftPreset
y = preds["label"]; score = preds["score"]; pred = (score >= 0.5).astype(int)
MetricFrame(metrics={"accuracy": accuracy_score, "precision": precision_score, "recall": recall_score,
                     "f1": f1_score, "selection_rate": selection_rate, "tpr": true_positive_rate,
                     "fpr": false_positive_rate}, y_true=y, y_pred=pred, sensitive_features=preds["group"]).by_group
equalized_odds_difference(y, pred, sensitive_features=preds["group"])
roc_auc_score(y, score); log_loss(y, score)
Report([DataDriftPreset()]).run(current_data=cur, reference_data=base)
print(json.dumps({"seconds": time.perf_counter() - t0}))
"""
)

SMCLARIFY = (
    LOAD
    + r"""
from smclarify.bias.metrics import pretraining, posttraining
feature = preds["group"].astype(object); label = preds["label"] == 1; pred = preds["score"] >= 0.5
for value in sorted(feature.unique()):
    facet = feature == value
    pretraining.CI(feature, facet); pretraining.DPL(feature, facet, label)
    posttraining.DI(feature, facet, pred); posttraining.DPPL(feature, facet, pred)
    posttraining.RD(feature, facet, label, pred); posttraining.SD(feature, facet, label, pred)
    posttraining.AD(feature, facet, label, pred)
print(json.dumps({"seconds": time.perf_counter() - t0}))
"""
)


CHUNK = 10_000_000
"""Rows generated and written at a time (one parquet row group each beyond this), so 100M rows fit."""


def generate(rows: int, folder: Path, seed: int = 20261128) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    levels = np.array([f"v{i}" for i in range(8)])
    writers: dict[str, pq.ParquetWriter] = {}
    try:
        for start in range(0, rows, CHUNK):
            n = min(CHUNK, rows - start)
            group = rng.choice(np.array(["g0", "g1", "g2", "g3"]), size=n, p=[0.4, 0.3, 0.2, 0.1])
            label = rng.integers(0, 2, size=n)
            score = np.clip(0.4 * label + 0.5 * rng.random(n) + np.where(group == "g3", -0.1, 0.05), 0, 1)
            tables = {"predictions": pd.DataFrame({"label": label, "score": score, "group": group})}
            for name, shift in (("baseline", 0.0), ("current", 0.15)):
                data = {f"f{i}": rng.normal(shift * (i % 3), 1.0, n) for i in range(NUMERIC)}
                weights = np.linspace(1, 2 + 4 * shift, 8)
                data |= {f"c{i}": rng.choice(levels, size=n, p=weights / weights.sum()) for i in range(CATEGORICAL)}
                tables[name] = pd.DataFrame(data)
            for name, frame in tables.items():
                table = pa.Table.from_pandas(frame, preserve_index=False)
                if name not in writers:
                    writers[name] = pq.ParquetWriter(folder / f"{name}.parquet", table.schema)
                writers[name].write_table(table)
            del tables
    finally:
        for writer in writers.values():
            writer.close()


def measure(python: Path | str, code: str, folder: Path, memory_limit_gib: float | None = None) -> dict:
    """One runner's result; a runner that fails (e.g. out of memory under the cap) is reported, not hidden."""
    result, wall, rss = peak_rss_of(
        [str(python), "-c", code, str(folder), str(ROOT)], env=None, memory_limit_gib=memory_limit_gib
    )
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return {
            "failed": last[:160],
            "seconds": float("nan"),
            "bias_seconds": float("nan"),
            "rss_mib": rss,
            "wall": wall,
        }
    return {**json.loads(result.stdout.strip().splitlines()[-1]), "rss_mib": rss}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument(
        "--memory-limit-gib",
        type=float,
        default=20.0,
        help="address-space cap per runner, so a runner that needs more fails instead of the machine",
    )
    parser.add_argument("--only-ours", action="store_true", help="skip the competitors (e.g. for 100M rows)")
    parser.add_argument("--spark", action="store_true", help="also run the Spark engine on local[2]")
    parser.add_argument(
        "--spark-only", action="store_true", help="only the local engine and the Spark engine (a scaling curve)"
    )
    args = parser.parse_args()
    args.only_ours = args.only_ours or args.spark_only
    args.spark = args.spark or args.spark_only
    if not args.only_ours and not BENCH_PY.exists():
        raise SystemExit(
            f"{BENCH_PY} is missing: python3 -m venv .cache/tools/bench && .cache/tools/bench/bin/pip "
            "install evidently==0.7.23 fairlearn==0.15.0 smclarify==0.5 pyarrow"
        )
    print("| rows | runner | scope | seconds | peak RSS MiB | ours faster by |")
    print("|---:|---|---|---:|---:|---:|")
    for rows in args.rows:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            print(f"generating {rows:,} rows ...", file=sys.stderr, flush=True)
            generate(rows, folder)
            print("  govhub local evaluator ...", file=sys.stderr, flush=True)
            cap = args.memory_limit_gib
            ours = measure(sys.executable, OURS, folder, cap)
            skipped = {"failed": "skipped (--only-ours)", "seconds": float("nan"), "rss_mib": 0.0, "wall": 0.0}
            profiled = dict(skipped)
            if not args.spark_only:
                print("  govhub local evaluator with a baseline profile ...", file=sys.stderr, flush=True)
                profiled = measure(sys.executable, OURS_PROFILED, folder, cap)
            on_spark = dict(skipped)
            if args.spark:
                print("  govhub Spark engine, local[2] ...", file=sys.stderr, flush=True)
                on_spark = measure(sys.executable, SPARK, folder, None)
            fe, sc = dict(skipped), dict(skipped)
            if not args.only_ours:
                print("  fairlearn MetricFrame + Evidently DataDriftPreset ...", file=sys.stderr, flush=True)
                fe = measure(BENCH_PY, FAIRLEARN_EVIDENTLY, folder, cap)
                print("  smclarify (bias metrics) ...", file=sys.stderr, flush=True)
                sc = measure(BENCH_PY, SMCLARIFY, folder, cap)
        rows_fmt = f"{rows:,}"
        for name, r in (("govhub local", ours), ("fairlearn + Evidently", fe), ("smclarify", sc)):
            if "failed" in r and not args.only_ours:
                print(
                    f"| {rows_fmt} | {name} | did not complete under a {cap:g} GiB cap after {r['wall']:.0f} s: "
                    f"{r['failed']} | – | {r['rss_mib']:.0f} | – |"
                )
        print(
            f"| {rows_fmt} | govhub local | `govhub evaluate` from the files, reading included: performance + fairness "
            f"+ drift (25 features) | {ours['seconds']:.2f} | "
            f"{ours['rss_mib']:.0f} | – |"
        )
        if "failed" not in on_spark:
            print(
                f"| {rows_fmt} | govhub spark, local[2] | the same on Spark (session start-up of "
                f"{on_spark['startup_seconds']:.1f} s not included; {on_spark['stages']} stages, "
                f"{on_spark['shuffle_bytes'] / 2**20:.1f} MiB shuffled) | "
                f"{on_spark['seconds']:.2f} | {on_spark['rss_mib']:.0f} (JVM + Python) | – |"
            )
        elif args.spark:
            print(f"| {rows_fmt} | govhub spark, local[2] | did not complete: {on_spark['failed']} | – | – | – |")
        if "failed" not in profiled:
            print(
                f"| {rows_fmt} | govhub local | the same with a baseline profile (made once at training, "
                f"{profiled['profile_seconds']:.1f} s) | {profiled['seconds']:.2f} | {profiled['rss_mib']:.0f} | – |"
            )
        if "failed" not in fe:
            print(
                f"| {rows_fmt} | fairlearn + Evidently | same | {fe['seconds']:.2f} | {fe['rss_mib']:.0f} | "
                f"{fe['seconds'] / ours['seconds']:.0f}x |"
            )
        print(
            f"| {rows_fmt} | govhub local | Clarify bias metrics (+ selection rate, EOD) | {ours['bias_seconds']:.3f} "
            f"| – | – |"
        )
        if "failed" not in sc:
            print(
                f"| {rows_fmt} | smclarify | Clarify bias metrics (7 per facet value) | {sc['seconds']:.2f} | "
                f"{sc['rss_mib']:.0f} | {sc['seconds'] / ours['bias_seconds']:.0f}x |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
