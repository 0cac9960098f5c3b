"""The Spark engine on the Spark of the managed runtimes: Azure ML serverless Spark 3.5, EMR 7 and
Databricks 14/15 run Spark 3.5, while the venv (and Dataproc Serverless 3.0) run Spark 4. The Spark
engine's own tests run again in a child pytest with pyspark 3.5.8 ahead of the venv's on the path
(`make test` installs it into .cache/tools/pyspark35)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tools.servers import missing

pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parents[2]
PYSPARK35 = ROOT / ".cache" / "tools" / "pyspark35"


def test_the_spark_engine_passes_its_tests_on_spark_3_5() -> None:
    if not (PYSPARK35 / "pyspark" / "__init__.py").is_file():
        missing(f"pyspark 3.5 is not in {PYSPARK35}: run `make test` (it installs pyspark==3.5.8 there)")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PYSPARK35), str(ROOT)]), "GOVHUB_REQUIRE_ALL_TESTS": "1"}
    version = subprocess.run(
        [sys.executable, "-c", "import pyspark; print(pyspark.__version__)"], env=env, capture_output=True, text=True
    )
    assert version.stdout.strip() == "3.5.8", version.stderr[-2000:]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/evaluator/test_spark.py"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-2000:]
    assert run.returncode == 0, run.stdout[-4000:]
    assert "passed" in summary and "skipped" not in summary and "failed" not in summary, summary
