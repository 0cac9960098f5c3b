"""Vertex AI: model evaluation (read) and model monitoring (launch v2 ``ModelMonitor`` with a
``DataDriftSpec``; read ``search_metrics`` / ``search_alerts`` results and v1 ``FeatureStatsAnomaly``
records), all in the proto3 JSON form the API and SDK export (camelCase fields).

Evaluation: ``ModelEvaluation.metrics`` for classification (auRoc, auPrc, logLoss, confidenceMetrics,
confusionMatrix) become performance evidence; ``ModelEvaluationSlice`` resources become the same
metrics per slice (group = the slice's dimension and value). Monitoring: TFDV's JS divergence (log
base 2, capped at 1) and L-infinity keep their own catalog entries; every data point or v1 anomaly
that Vertex judged against a threshold is also a ``monitor.constraint_violation`` (1 anomalous, 0 not).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from govhub.adapters.base import Adapter, AdapterError, Artifact, validated
from govhub.core.evidence import Evidence, Metric

ALGORITHM = {"jensen_shannon_divergence": "vertex.js_divergence_base2_capped", "l_infinity": "vertex.linf"}


def _records(doc: Any, keys: Sequence[str]) -> list[dict]:
    """A list of records, or an object holding them under one of ``keys``, or a single record."""
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        for key in keys:
            if isinstance(doc.get(key), list):
                return doc[key]
        return [doc]
    return []


class VertexEvalAdapter(Adapter):
    name = "vertex-eval"
    kinds = ("ModelEvaluation (metrics)", "ModelEvaluationSlice")
    tool = "vertex-ai-model-evaluation"

    def launch(self, config: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
        raise AdapterError(
            "vertex-eval reads evaluations that Vertex pipelines (or Model.evaluate) produced; it "
            "launches nothing itself. Use the Vertex pipeline template's evaluate step"
        )

    def kind_of(self, artifact: Artifact) -> str:
        records = _records(artifact.json(), ("modelEvaluationSlices", "modelEvaluations", "slices"))
        if records and all(
            isinstance(r, dict) and ("metrics" in r or "auRoc" in r or "confusionMatrix" in r) for r in records
        ):
            return "ModelEvaluationSlice" if any("slice" in r for r in records) else "ModelEvaluation (metrics)"
        return super().kind_of(artifact)

    def read(self, artifacts: Sequence[Artifact]) -> Evidence:
        metrics: list[Metric] = []
        for artifact in artifacts:
            self.kind_of(artifact)
            for i, record in enumerate(
                _records(artifact.json(), ("modelEvaluationSlices", "modelEvaluations", "slices"))
            ):
                schema = str(record.get("metricsSchemaUri", ""))
                if schema and not schema.endswith("classification_metrics_1.0.0.yaml"):
                    raise AdapterError(
                        f"{artifact.uri}: record {i}: metricsSchemaUri {schema!r} is not the "
                        "classification metrics schema 1.0.0 this adapter reads"
                    )
                body = record.get("metrics", record)
                group = {}
                if "slice" in record:
                    dimension, value = record["slice"].get("dimension"), record["slice"].get("value")
                    if not dimension or value is None:
                        raise AdapterError(f"{artifact.uri}: record {i}: slice needs dimension and value")
                    group = {str(dimension): str(value)}
                metrics += self._classification(artifact, body, group, f"record {i}")
        return Evidence(metrics=tuple(metrics))

    def _classification(self, artifact: Artifact, body: dict, group: dict[str, str], where: str) -> list[Metric]:
        if not isinstance(body, dict):
            raise AdapterError(f"{artifact.uri}: {where}: metrics must be an object")
        out = []
        for native, catalog in (("auRoc", "roc_auc"), ("auPrc", "vertex.au_prc"), ("logLoss", "log_loss")):
            if native in body:
                out.append(
                    self.metric(
                        artifact,
                        catalog,
                        body[native],
                        f"{where}.{native}",
                        f"vertex classification metrics {native}",
                        group=group,
                    )
                )
        at_half = [
            c
            for c in body.get("confidenceMetrics") or []
            if isinstance(c, dict) and abs(float(c.get("confidenceThreshold", -1)) - 0.5) < 1e-9
        ]
        if at_half:
            point = at_half[0]
            for native, catalog in (("precision", "precision"), ("recall", "recall"), ("f1Score", "f1")):
                if native in point:
                    out.append(
                        self.metric(
                            artifact,
                            catalog,
                            point[native],
                            f"{where}.confidenceMetrics[0.5].{native}",
                            f"vertex confidenceMetrics at threshold 0.5: {native}",
                            group=group,
                        )
                    )
        matrix = body.get("confusionMatrix")
        if matrix is not None:
            rows = matrix.get("rows") if isinstance(matrix, dict) else None
            if not rows or any(len(r) != len(rows) for r in rows):
                raise AdapterError(f"{artifact.uri}: {where}.confusionMatrix.rows must be a square matrix")
            counts = [[float(v) for v in r] for r in rows]
            total = sum(map(sum, counts))
            correct = sum(counts[i][i] for i in range(len(counts)))
            out.append(
                self.metric(
                    artifact,
                    "accuracy",
                    correct / total if total else None,
                    f"{where}.confusionMatrix",
                    "vertex confusionMatrix: trace / total",
                    group=group,
                )
            )
        if not out:
            raise AdapterError(
                f"{artifact.uri}: {where}: no auRoc, auPrc, logLoss, confidenceMetrics or confusionMatrix; "
                "is this a classification ModelEvaluation?"
            )
        return out


class DriftSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    project: str
    location: str
    display_name: str
    model: str = Field(pattern=r"^projects/[^/]+/locations/[^/]+/models/[^/@]+(@\w+)?$")
    baseline_bigquery_table: str = Field(pattern=r"^bq://.+")
    features: tuple[str, ...] = Field(min_length=1)
    categorical_threshold: float = Field(default=0.1, gt=0, le=1, description="L-infinity")
    numeric_threshold: float = Field(default=0.1, gt=0, le=1, description="JS divergence")


class VertexMonitorAdapter(Adapter):
    name = "vertex-monitor"
    kinds = ("search_metrics result", "search_alerts result", "FeatureStatsAnomaly records")
    tool = "vertex-ai-model-monitoring"

    def launch(self, config: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Create a v2 ModelMonitor whose tabular objective is a DataDriftSpec over the given features."""
        spec = validated(config, DriftSpec, "vertex-monitor launch config")
        from vertexai.resources.preview import ml_monitoring

        model, _, version = spec.model.partition("@")
        drift = ml_monitoring.spec.DataDriftSpec(
            features=list(spec.features),
            categorical_metric_type="l_infinity",
            numeric_metric_type="jensen_shannon_divergence",
            default_categorical_alert_threshold=spec.categorical_threshold,
            default_numeric_alert_threshold=spec.numeric_threshold,
        )
        monitor = ml_monitoring.ModelMonitor.create(
            project=spec.project,
            location=spec.location,
            display_name=spec.display_name,
            model_name=model,
            model_version_id=version or "1",
            training_dataset=ml_monitoring.spec.MonitoringInput(table_uri=spec.baseline_bigquery_table),
            tabular_objective_spec=ml_monitoring.spec.TabularObjective(feature_drift_spec=drift),
        )
        return {"model_monitor": monitor.resource_name}

    def kind_of(self, artifact: Artifact) -> str:
        doc = artifact.json()
        records = _records(doc, ("monitoringStats", "modelMonitoringAlerts", "monitoringStatsAnomalies"))
        if records and all(isinstance(r, dict) for r in records):
            first = records[0]
            if "tabularStats" in first:
                return "search_metrics result"
            if "anomaly" in first and "statsName" in first:
                return "search_alerts result"
            if "featureStats" in first or "featureDisplayName" in first:
                return "FeatureStatsAnomaly records"
        return super().kind_of(artifact)

    def read(self, artifacts: Sequence[Artifact]) -> Evidence:
        metrics: list[Metric] = []
        for artifact in artifacts:
            kind = self.kind_of(artifact)
            doc = artifact.json()
            if kind == "search_metrics result":
                metrics += self._stats(artifact, _records(doc, ("monitoringStats",)))
            elif kind == "search_alerts result":
                metrics += self._alerts(artifact, _records(doc, ("modelMonitoringAlerts",)))
            else:
                metrics += self._v1(artifact, _records(doc, ("monitoringStatsAnomalies",)))
        return Evidence(metrics=tuple(metrics))

    def _stats(self, artifact: Artifact, records: list[dict]) -> list[Metric]:
        out = []
        for i, record in enumerate(records):
            stats = record["tabularStats"]
            feature, objective = stats.get("statsName"), stats.get("objectiveType", "")
            for j, point in enumerate(stats.get("dataPoints") or []):
                where = f"monitoringStats[{i}].dataPoints[{j}]"
                algorithm = point.get("algorithm", "")
                catalog = ALGORITHM.get(algorithm)
                value = (point.get("currentStats") or {}).get("doubleValue")
                group = {"objective": objective}
                if catalog is None:
                    out.append(
                        Metric(
                            name="monitor.constraint_violation",
                            value=None,
                            feature=feature,
                            group=group,
                            error=f"{where}: algorithm {algorithm!r} is not one the catalog knows "
                            f"({', '.join(ALGORITHM)})",
                            provenance=self.provenance(artifact, f"vertex v2 {objective}"),
                        )
                    )
                    continue
                out.append(
                    self.metric(
                        artifact,
                        catalog,
                        value,
                        f"{where}.currentStats.doubleValue",
                        f"vertex v2 {objective} {algorithm}",
                        feature=feature,
                        group=group,
                    )
                )
                if "hasAnomaly" in point or "thresholdValue" in point:
                    out.append(
                        Metric(
                            name="monitor.constraint_violation",
                            value=1.0 if point.get("hasAnomaly") else 0.0,
                            feature=feature,
                            group={**group, "check": algorithm},
                            provenance=self.provenance(
                                artifact,
                                f"vertex v2 {objective} {algorithm} vs threshold {point.get('thresholdValue')}",
                            ),
                        )
                    )
        return out

    def _alerts(self, artifact: Artifact, records: list[dict]) -> list[Metric]:
        out = []
        for i, alert in enumerate(records):
            anomaly = alert.get("anomaly") or {}
            tabular = anomaly.get("tabularAnomaly") or {}
            condition = (tabular.get("condition") or {}).get("threshold")
            value = tabular.get("anomaly")
            algorithm = anomaly.get("algorithm", "")
            variant = f"vertex v2 alert {alert.get('objectiveType', '')} {algorithm}: {tabular.get('summary', '')}"
            out.append(
                Metric(
                    name="monitor.constraint_violation",
                    value=1.0,
                    feature=alert.get("statsName"),
                    group={"objective": str(alert.get("objectiveType", "")), "check": algorithm or "alert"},
                    provenance=self.provenance(artifact, variant[:500]),
                )
            )
            catalog = ALGORITHM.get(algorithm)
            if catalog and isinstance(value, (int, float, str)):
                out.append(
                    self.metric(
                        artifact,
                        catalog,
                        value,
                        f"modelMonitoringAlerts[{i}].anomaly.tabularAnomaly",
                        f"{variant} (threshold {condition})"[:500],
                        feature=alert.get("statsName"),
                        group={"objective": str(alert.get("objectiveType", ""))},
                    )
                )
        return out

    def _v1(self, artifact: Artifact, records: list[dict]) -> list[Metric]:
        out = []
        for i, record in enumerate(records):
            objective = record.get("objective", "")
            for j, feature in enumerate(record.get("featureStats") or [record]):
                name = feature.get("featureDisplayName")
                threshold = (feature.get("threshold") or {}).get("value")
                for k, anomaly in enumerate(feature.get("predictionStats") or []):
                    where = f"monitoringStatsAnomalies[{i}].featureStats[{j}].predictionStats[{k}]"
                    deviation = anomaly.get("distributionDeviation")
                    limit = anomaly.get("anomalyDetectionThreshold", threshold)
                    out.append(
                        self.metric(
                            artifact,
                            "vertex.distribution_deviation",
                            deviation,
                            f"{where}.distributionDeviation",
                            "vertex v1 FeatureStatsAnomaly "
                            "distribution_deviation (L-infinity for categorical, JS divergence for "
                            f"numerical features), {objective}",
                            feature=name,
                            group={"objective": str(objective)},
                        )
                    )
                    if deviation is not None and limit is not None:
                        out.append(
                            Metric(
                                name="monitor.constraint_violation",
                                value=1.0 if float(deviation) > float(limit) else 0.0,
                                feature=name,
                                group={"objective": str(objective), "check": "distribution_deviation"},
                                provenance=self.provenance(artifact, f"vertex v1 {deviation} vs threshold {limit}"),
                            )
                        )
        if not out:
            raise AdapterError(f"{artifact.uri}: no featureStats[].predictionStats records to read")
        return out
