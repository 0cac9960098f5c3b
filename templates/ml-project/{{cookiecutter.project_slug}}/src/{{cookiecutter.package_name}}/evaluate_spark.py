"""The Spark variant of the evaluation step: `govhub evaluate --engine spark` inside a Spark job
(Azure ML serverless Spark, Dataproc Serverless, a SageMaker Processing job), on tables too large for
one machine's memory. The job passes the tables (parquet paths or URIs) and the tier as arguments:

    spark-submit {{ cookiecutter.package_name }}/evaluate_spark.py --predictions ... --label ... --tier ...

Only the driver needs govhub; the executors run numpy and pyarrow, which Spark's runtimes carry.
The evidence equals the local engine's to 1e-9 (the same counts, merged across the cluster).
"""

from __future__ import annotations

import sys

from govhub.cli import main

if __name__ == "__main__":
    sys.exit(main(["evaluate", "--engine", "spark", *sys.argv[1:]]))
