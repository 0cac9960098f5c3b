"""Azure ML model monitoring (v2): a ``MonitorSchedule`` with data drift, prediction drift, data quality
and feature attribution drift signals, launched through azure-ai-ml; the signal metrics table
(``signal_metrics`` MLTable, CSV columns group, metric_value, metric_name, threshold_value) and
``signals/<signal>.json`` read into evidence.

Breaches follow Azure's own directions: for the KS and chi-squared test p-values, nDCG, pass rates
and average scores a value BELOW the threshold is the breach; for distances and data-quality rates
a value ABOVE it. Each judged value becomes a ``monitor.constraint_violation`` (1 breached, 0 not);
drift and quality values keep their own catalog entries (``azure.*``). A metric whose breach
direction we do not know is an explicit error, never skipped.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from govhub.adapters.base import Adapter, AdapterError, Artifact, check_version, number, validated
from govhub.core.evidence import Evidence, Metric

CATALOG_NAME = {
    "JensenShannonDistance": "azure.js_distance_base2",
    "PopulationStabilityIndex": "azure.psi",
    "NormalizedWassersteinDistance": "azure.normalized_wasserstein",
    "TwoSampleKolmogorovSmirnovTest": "azure.ks_pvalue",
    "PearsonsChiSquaredTest": "azure.chi_squared_pvalue",
    "NullValueRate": "azure.null_value_rate",
    "DataTypeErrorRate": "azure.data_type_error_rate",
    "OutOfBoundsRate": "azure.out_of_bounds_rate",
    "NormalizedDiscountedCumulativeGain": "azure.ndcg",
}
BELOW_IS_BREACH = re.compile(
    r"^(TwoSampleKolmogorovSmirnovTest|PearsonsChiSquaredTest|"
    r"NormalizedDiscountedCumulativeGain|Aggregated\w+PassRate|Average\w+Score)$"
)
ABOVE_IS_BREACH = re.compile(
    r"^(JensenShannonDistance|PopulationStabilityIndex|NormalizedWassersteinDistance|"
    r"NullValueRate|DataTypeErrorRate|OutOfBoundsRate|\w+ViolationCounts)$"
)
INFORMATIONAL = re.compile(r"^(RowCount|Acceptable\w+ScorePerInstance)$")  # threshold is a score level, not a bound
CSV_COLUMNS = ("group", "metric_value", "metric_name", "threshold_value")


def breach_direction(metric: str) -> str | None:
    if BELOW_IS_BREACH.match(metric):
        return "below"
    if ABOVE_IS_BREACH.match(metric):
        return "above"
    if INFORMATIONAL.match(metric):
        return "none"
    return None


class AzureMonitorAdapter(Adapter):
    name = "azure-monitor"
    kinds = ("signal_metrics.csv", "signals/<signal>.json")
    tool = "azureml-model-monitoring"

    def launch(self, config: Mapping[str, Any], *, ml_client: Any = None, **_: Any) -> dict[str, Any]:
        """Create (or update) the schedule through ``ml_client.schedules`` of azure-ai-ml."""
        job = _validated_schedule(config)
        from azure.ai.ml import Input
        from azure.ai.ml.entities import (
            AlertNotification,
            DataDriftMetricThreshold,
            DataDriftSignal,
            DataQualityMetricThreshold,
            DataQualitySignal,
            FeatureAttributionDriftMetricThreshold,
            FeatureAttributionDriftSignal,
            MonitorDefinition,
            MonitoringTarget,
            MonitorSchedule,
            PredictionDriftMetricThreshold,
            PredictionDriftSignal,
            RecurrenceTrigger,
            ReferenceData,
            ServerlessSparkCompute,
        )
        from azure.ai.ml.entities._monitoring.thresholds import (
            CategoricalDriftMetrics,
            DataQualityMetricsCategorical,
            DataQualityMetricsNumerical,
            NumericalDriftMetrics,
        )

        if ml_client is None:
            raise AdapterError("azure-monitor launch needs an MLClient for the team's workspace")
        reference = ReferenceData(input_data=Input(path=job.reference_data, type="mltable"), data_context="training")  # type: ignore[arg-type]  # the SDK takes the enum's value
        drift: dict[str, Any] = dict(
            numerical=NumericalDriftMetrics(jensen_shannon_distance=job.drift_js_distance),
            categorical=CategoricalDriftMetrics(jensen_shannon_distance=job.drift_js_distance),
        )
        signals: dict[str, Any] = {
            "data-drift": DataDriftSignal(
                reference_data=reference,
                features="all_features",
                alert_enabled=True,
                metric_thresholds=DataDriftMetricThreshold(**drift),
            ),
            "prediction-drift": PredictionDriftSignal(
                reference_data=reference, alert_enabled=True, metric_thresholds=PredictionDriftMetricThreshold(**drift)
            ),
            "data-quality": DataQualitySignal(
                reference_data=reference,
                features="all_features",
                alert_enabled=True,
                metric_thresholds=DataQualityMetricThreshold(
                    numerical=DataQualityMetricsNumerical(null_value_rate=job.null_rate),
                    categorical=DataQualityMetricsCategorical(null_value_rate=job.null_rate),
                ),
            ),
        }
        if job.feature_attribution:
            signals["feature-attribution-drift"] = FeatureAttributionDriftSignal(
                reference_data=reference,
                alert_enabled=True,
                metric_thresholds=FeatureAttributionDriftMetricThreshold(
                    normalized_discounted_cumulative_gain=job.min_ndcg
                ),
            )
        definition = MonitorDefinition(
            compute=ServerlessSparkCompute(instance_type=job.instance_type, runtime_version="3.4"),
            monitoring_target=MonitoringTarget(ml_task="classification", endpoint_deployment_id=job.deployment),
            monitoring_signals=signals,
            alert_notification=AlertNotification(emails=list(job.alert_emails)) if job.alert_emails else None,
        )
        schedule = MonitorSchedule(
            name=job.name,
            trigger=RecurrenceTrigger(frequency=job.frequency, interval=job.interval),
            create_monitor=definition,
        )
        created = ml_client.schedules.begin_create_or_update(schedule).result()
        return {"schedule": getattr(created, "name", job.name), "signals": sorted(signals)}

    # ------------------------------------------------------------------ read

    def kind_of(self, artifact: Artifact) -> str:
        if artifact.name.endswith(".csv"):
            return "signal_metrics.csv"
        doc = artifact.json()
        if isinstance(doc, dict) and "signalName" in doc and isinstance(doc.get("metrics"), dict):
            return "signals/<signal>.json"
        return super().kind_of(artifact)

    def read(self, artifacts: Sequence[Artifact]) -> Evidence:
        metrics: list[Metric] = []
        for artifact in artifacts:
            if self.kind_of(artifact) == "signal_metrics.csv":
                metrics += self._table(artifact)
            else:
                metrics += self._signal(artifact)
        return Evidence(metrics=tuple(metrics))

    def _table(self, artifact: Artifact) -> list[Metric]:
        reader = csv.DictReader(io.StringIO(artifact.text()))
        missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise AdapterError(
                f"{artifact.uri}: the signal metrics table needs columns {', '.join(CSV_COLUMNS)}; "
                f"missing {', '.join(missing)}"
            )
        signal = artifact.uri.rstrip("/").rsplit("/", 2)[-2] if "/" in artifact.uri else "signal"
        out = []
        for i, row in enumerate(reader, start=2):
            out += self._judge(
                artifact,
                signal,
                row["metric_name"],
                row["group"] or "",
                row["metric_value"],
                row["threshold_value"],
                f"line {i}",
            )
        return out

    def _signal(self, artifact: Artifact) -> list[Metric]:
        doc = artifact.json()
        check_version(artifact, doc, "version", ("1.0.0",))
        signal = str(doc["signalName"])
        out = []
        for metric, body in doc["metrics"].items():
            if not isinstance(body, dict):
                raise AdapterError(f"{artifact.uri}: metrics.{metric} must be an object")
            if "groups" in body and isinstance(body["groups"], dict):
                for group, entry in body["groups"].items():
                    out += self._judge(
                        artifact,
                        signal,
                        metric,
                        group,
                        entry.get("value"),
                        entry.get("threshold"),
                        f"metrics.{metric}.groups.{group}",
                    )
            if "value" in body:
                out += self._judge(
                    artifact, signal, metric, "", body.get("value"), body.get("threshold"), f"metrics.{metric}"
                )
        return out

    def _judge(
        self, artifact: Artifact, signal: str, metric: str, group: str, raw_value: Any, raw_threshold: Any, where: str
    ) -> list[Metric]:
        direction = breach_direction(metric)
        labels = {"signal": signal, "metric": metric, **({"group": group} if group else {})}
        variant = f"azure monitoring {signal}: {metric}"
        if direction is None:
            return [
                Metric(
                    name="monitor.constraint_violation",
                    value=None,
                    group=labels,
                    error=f"{where}: Azure metric {metric!r} has no known breach direction; tell the platform "
                    "team to add it to the azure-monitor adapter",
                    provenance=self.provenance(artifact, variant),
                )
            ]
        value, problem = number(raw_value if raw_value not in ("", None) else None, where)
        out = []
        catalog = CATALOG_NAME.get(metric)
        feature = group or None
        if catalog:
            out.append(
                Metric(
                    name=catalog,
                    value=value,
                    error=problem,
                    feature=feature,
                    group={"signal": signal},
                    provenance=self.provenance(artifact, variant),
                )
            )
        elif direction == "none" and value is None:
            return out  # an informational row without a value (the table's per-metric threshold rows)
        threshold, _ = number(raw_threshold, where) if raw_threshold not in ("", None) else (None, None)
        if direction == "none" or threshold is None or math.isnan(threshold):
            return out
        if value is None:
            out.append(
                Metric(
                    name="monitor.constraint_violation",
                    value=None,
                    group=labels,
                    error=problem,
                    provenance=self.provenance(artifact, variant),
                )
            )
            return out
        breached = value < threshold if direction == "below" else value > threshold
        out.append(
            Metric(
                name="monitor.constraint_violation",
                value=1.0 if breached else 0.0,
                group=labels,
                provenance=self.provenance(
                    artifact, f"{variant} {value:g} vs threshold {threshold:g} (breach when {direction})"
                ),
            )
        )
        return out


class ScheduleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_-]{0,254}$")
    deployment: str = Field(pattern=r"^azureml:[^:]+:[^:]+$", description="azureml:<endpoint>:<deployment>")
    frequency: str = Field(default="day", pattern=r"^(minute|hour|day|week|month)$")
    interval: int = Field(default=1, ge=1)
    instance_type: str = "standard_e4s_v3"
    reference_data: str = Field(pattern=r"^azureml:.+", description="the training data asset, azureml:<name>:<version>")
    drift_js_distance: float = Field(default=0.1, gt=0, le=1)
    null_rate: float = Field(default=0.05, ge=0, le=1)
    feature_attribution: bool = False
    min_ndcg: float = Field(default=0.9, gt=0, le=1)
    alert_emails: tuple[str, ...] = ()


def _validated_schedule(config: Mapping[str, Any]) -> ScheduleSpec:
    return validated(config, ScheduleSpec, "azure-monitor launch config")
