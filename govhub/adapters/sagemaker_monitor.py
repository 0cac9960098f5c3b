"""SageMaker Model Monitor: a data-quality baseline and a monitoring schedule, launched through the
SDK (``sagemaker.core.model_monitor.DefaultModelMonitor``); its ``statistics.json``,
``constraints.json`` and ``constraint_violations.json`` read into evidence.

- data-quality statistics: ``quality.missing_rate`` per feature (num_missing / (num_present + num_missing));
- model-quality statistics: binary classification (accuracy, precision, recall, f1, auc) and
  regression (mae, mse, rmse, r2) metrics, each with Model Monitor's own variant name;
- violations: every violation is a ``monitor.constraint_violation`` (value 1, per feature and check
  type, the description kept as the variant) so a gate with ``max: 0`` fails on any; bias-drift
  violations also carry the Clarify metric's value, and feature-attribution drift its nDCG
  (``monitor.attribution_ndcg``, where a breach is *below* the threshold).
- ``constraints.json`` is validated and its checks listed, but holds no measurements.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from govhub.adapters.base import Adapter, AdapterError, Artifact, check_version, validated
from govhub.core.catalog import CATALOG
from govhub.core.evidence import Evidence, Metric

VALUE = re.compile(r"(?:Value:?|drift)\s+(-?\d+(?:\.\d+)?(?:[eE]-?\d+)?|-?Infinity|NaN)")
BINARY = {"accuracy": "accuracy", "precision": "precision", "recall": "recall", "f1": "f1", "auc": "roc_auc"}
REGRESSION = {"mae": "regression.mae", "mse": "regression.mse", "rmse": "regression.rmse", "r2": "regression.r2"}


class MonitorJob(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    role: str = Field(pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/.+")
    endpoint: str = Field(min_length=1, description="the endpoint whose captured data is monitored")
    baseline_dataset: str = Field(pattern=r"^s3://[^/]+/.+")
    output: str = Field(pattern=r"^s3://[^/]+/.*")
    schedule: str = Field(default="cron(0 * ? * * *)", pattern=r"^cron\(.+\)$")
    schedule_name: str = Field(pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
    instance_type: str = "ml.m5.xlarge"
    baseline_job_name: str | None = None


class ModelMonitorAdapter(Adapter):
    name = "sagemaker-monitor"
    kinds = ("statistics.json", "constraints.json", "constraint_violations.json")
    tool = "sagemaker-model-monitor"

    def launch(
        self,
        config: Mapping[str, Any],
        *,
        sagemaker_session: Any = None,
        source: str = "model monitor launch config",
        **_: Any,
    ) -> dict[str, Any]:
        job = validated(config, MonitorJob, source)
        from sagemaker.core.model_monitor import DatasetFormat, DefaultModelMonitor

        monitor = DefaultModelMonitor(
            role=job.role, instance_count=1, instance_type=job.instance_type, sagemaker_session=sagemaker_session
        )
        baseline_out = f"{job.output.rstrip('/')}/baseline"
        # the schedule reads the baseline's statistics and constraints, so the baselining job must finish first
        monitor.suggest_baseline(
            baseline_dataset=job.baseline_dataset,
            dataset_format=DatasetFormat.csv(header=True),
            output_s3_uri=baseline_out,
            wait=True,
            logs=False,
            job_name=job.baseline_job_name,
        )
        monitor.create_monitoring_schedule(
            endpoint_input=job.endpoint,
            output_s3_uri=f"{job.output.rstrip('/')}/reports",
            statistics=f"{baseline_out}/statistics.json",
            constraints=f"{baseline_out}/constraints.json",
            monitor_schedule_name=job.schedule_name,
            schedule_cron_expression=job.schedule,
        )
        return {
            "baseline_job_name": monitor.latest_baselining_job_name,
            "monitoring_schedule_name": job.schedule_name,
            "baseline_uri": baseline_out,
        }

    # ------------------------------------------------------------------ read

    def kind_of(self, artifact: Artifact) -> str:
        doc = artifact.json()
        if isinstance(doc, dict):
            if "violations" in doc:
                return "constraint_violations.json"
            keys = set(doc)
            if keys & {"binary_classification_metrics", "regression_metrics", "multiclass_classification_metrics"}:
                return "statistics.json"
            if keys & {
                "binary_classification_constraints",
                "regression_constraints",
                "multiclass_classification_constraints",
                "monitoring_config",
            }:
                return "constraints.json"
            features = doc.get("features")
            if isinstance(features, list) and features and isinstance(features[0], dict):
                if any(k.endswith("_statistics") for k in features[0]):
                    return "statistics.json"
                if "completeness" in features[0] or any(k.endswith("_constraints") for k in features[0]):
                    return "constraints.json"
        return super().kind_of(artifact)

    def read(self, artifacts: Sequence[Artifact]) -> Evidence:
        metrics: list[Metric] = []
        for artifact in artifacts:
            kind = self.kind_of(artifact)
            doc = artifact.json()
            check_version(artifact, doc, "version", ("1.0",) if kind == "constraint_violations.json" else ("0.0",))
            if kind == "statistics.json":
                metrics += self._statistics(artifact, doc)
            elif kind == "constraint_violations.json":
                metrics += self._violations(artifact, doc)
            else:
                self._check_constraints(artifact, doc)
        return Evidence(metrics=tuple(metrics))

    def _statistics(self, artifact: Artifact, doc: dict) -> list[Metric]:
        out = []
        version = str(doc.get("version", "unknown"))
        for i, feature in enumerate(doc.get("features") or []):
            name = feature.get("name")
            stats = next((v for k, v in feature.items() if k.endswith("_statistics") and isinstance(v, dict)), None)
            where = f"features[{i}]"
            if not name or stats is None or not isinstance(stats.get("common"), dict):
                raise AdapterError(
                    f"{artifact.uri}: {where} needs name and *_statistics.common "
                    "(num_present, num_missing); is this Model Monitor's statistics.json?"
                )
            common = stats["common"]
            present, missing = common.get("num_present"), common.get("num_missing")
            if not isinstance(present, (int, float)) or not isinstance(missing, (int, float)) or present + missing <= 0:
                out.append(
                    Metric(
                        name="quality.missing_rate",
                        value=None,
                        feature=name,
                        error=f"{where}.common: num_present/num_missing missing or zero",
                        provenance=self.provenance(artifact, "model monitor data quality"),
                    )
                )
                continue
            out.append(
                self.metric(
                    artifact,
                    "quality.missing_rate",
                    missing / (present + missing),
                    where,
                    "model monitor data quality: num_missing / (num_present + num_missing)",
                    feature=name,
                    tool_version=f"statistics {version}",
                )
            )
        for section, mapping in (("binary_classification_metrics", BINARY), ("regression_metrics", REGRESSION)):
            body = doc.get(section)
            if not isinstance(body, dict):
                continue
            for native, catalog in mapping.items():
                if native in body:
                    entry = body[native]
                    raw = entry.get("value") if isinstance(entry, dict) else entry
                    out.append(
                        self.metric(
                            artifact,
                            catalog,
                            raw,
                            f"{section}.{native}",
                            f"model monitor model quality {section}.{native}",
                            tool_version=f"statistics {version}",
                        )
                    )
        if not out:
            raise AdapterError(
                f"{artifact.uri}: no features and no binary_classification_metrics or "
                "regression_metrics; nothing to read"
            )
        return out

    def _violations(self, artifact: Artifact, doc: dict) -> list[Metric]:
        violations = doc.get("violations")
        if not isinstance(violations, list):
            raise AdapterError(f"{artifact.uri}: violations must be a list")
        out = []
        for i, v in enumerate(violations):
            where = f"violations[{i}]"
            check = v.get("constraint_check_type")
            if not check:
                raise AdapterError(f"{artifact.uri}: {where}.constraint_check_type is missing")
            description = str(v.get("description", "")).strip()
            group = {"check": check}
            feature = v.get("feature_name")
            if "facet" in v:
                group[str(v["facet"])] = str(v.get("facet_value", "?"))
            if "label" in v:
                group["label"] = str(v["label"])
            out.append(
                Metric(
                    name="monitor.constraint_violation",
                    value=1.0,
                    group=group,
                    feature=feature,
                    provenance=self.provenance(artifact, f"{check}: {description}"[:500]),
                )
            )
            match = VALUE.search(description)
            metric_name = str(v.get("metric_name", ""))
            if check == "bias_drift_check" and f"clarify.{metric_name}" in CATALOG:
                out.append(
                    self.metric(
                        artifact,
                        f"clarify.{metric_name}",
                        match[1] if match else None,
                        f"{where}.description",
                        f"model monitor bias drift: {description}"[:500],
                        group={k: g for k, g in group.items() if k != "check"},
                    )
                )
            elif check == "feature_attribution_drift_check":
                out.append(
                    self.metric(
                        artifact,
                        "monitor.attribution_ndcg",
                        match[1] if match else None,
                        f"{where}.description",
                        f"model monitor feature attribution drift (nDCG): {description}"[:500],
                        group={k: g for k, g in group.items() if k != "check"},
                    )
                )
        return out

    def _check_constraints(self, artifact: Artifact, doc: dict) -> None:
        if not isinstance(doc, dict) or not (doc.get("features") or any(k.endswith("_constraints") for k in doc)):
            raise AdapterError(f"{artifact.uri}: a constraints.json has features or *_constraints")
