"""Vertex AI adapters: evaluation metrics and slices; v2 monitoring stats and alerts and v1
FeatureStatsAnomaly records; a v2 ModelMonitor with a DataDriftSpec created through the SDK.

Monitoring inputs are built with the SDK's own proto classes and serialized with their to_json, so
they are exactly the proto3 JSON the API returns. The v2 create call is answered at the client
boundary (ModelMonitoringServiceClient.create_model_monitor), after the SDK built the real request.
"""

from __future__ import annotations

import json

import pytest

from govhub.adapters.base import AdapterError, Artifact, fetch
from govhub.adapters.registry import get
from tests.helpers import FIXTURES as FIXTURE_ROOT

FIXTURE = (
    FIXTURE_ROOT
    / "provider-formats"
    / "vertex"
    / "model_evaluation_classification_metrics__python-aiplatform_tests_unit_constants.json"
)


def test_evaluation_metrics_become_performance_evidence() -> None:
    ev = get("vertex-eval").read([fetch(str(FIXTURE))])
    values = {m.name: m.value for m in ev.metrics}
    assert values["roc_auc"] == 0.8100363 and values["vertex.au_prc"] == 0.80592036
    assert values["log_loss"] == 0.53061414
    assert values["accuracy"] == pytest.approx(18 / 20)  # confusionMatrix rows [[9, 1], [1, 9]]
    assert "precision" not in values  # no confidence point at exactly 0.5 in this evaluation


def test_slices_give_per_group_metrics() -> None:
    slices = {
        "modelEvaluationSlices": [
            {
                "name": f"projects/p/locations/l/models/m/evaluations/1/slices/{i}",
                "slice": {"dimension": "sex", "value": value},
                "metricsSchemaUri": "gs://google-cloud-aiplatform/schema/modelevaluation/classification_metrics_1.0.0.yaml",
                "metrics": {
                    "auRoc": auc,
                    "confidenceMetrics": [
                        {"confidenceThreshold": 0.5, "precision": 0.7, "recall": 0.6, "f1Score": 0.646}
                    ],
                },
            }
            for i, (value, auc) in enumerate((("female", 0.74), ("male", 0.83)))
        ]
    }
    ev = get("vertex-eval").read([Artifact("gs://exports/slices.json", json.dumps(slices).encode())])
    assert {m.group["sex"]: m.value for m in ev.find("roc_auc")} == {"female": 0.74, "male": 0.83}
    assert {m.group["sex"]: m.value for m in ev.find("f1")} == {"female": 0.646, "male": 0.646}
    with pytest.raises(AdapterError, match="slice needs dimension and value"):
        get("vertex-eval").read([Artifact("x.json", b'[{"slice": {"dimension": "sex"}, "metrics": {"auRoc": 0.7}}]')])
    with pytest.raises(AdapterError, match="is this a classification ModelEvaluation"):
        get("vertex-eval").read([Artifact("x.json", b'{"metrics": {"meanAbsoluteError": 2.1}}')])


def _stats_json() -> bytes:
    from google.cloud.aiplatform_v1beta1.types import model_monitoring_stats as s

    def point(value: float, threshold: float, algorithm: str) -> s.ModelMonitoringStatsDataPoint:
        return s.ModelMonitoringStatsDataPoint(
            current_stats=s.ModelMonitoringStatsDataPoint.TypedValue(double_value=value),
            threshold_value=threshold,
            has_anomaly=value > threshold,
            algorithm=algorithm,
        )

    stats = [
        s.ModelMonitoringStats(
            tabular_stats=s.ModelMonitoringTabularStats(
                stats_name=name, objective_type="raw-feature-drift", data_points=[point(v, 0.1, algorithm)]
            )
        )
        for name, v, algorithm in (("age", 0.23, "jensen_shannon_divergence"), ("region", 0.04, "l_infinity"))
    ]
    return json.dumps({"monitoringStats": [json.loads(type(x).to_json(x)) for x in stats]}).encode()


def test_v2_search_metrics_keep_tfdv_variants_and_anomalies() -> None:
    ev = get("vertex-monitor").read([Artifact("gs://exports/search_metrics.json", _stats_json())])
    (js,) = ev.find("vertex.js_divergence_base2_capped")
    assert (js.feature, js.value) == ("age", 0.23)
    (linf,) = ev.find("vertex.linf")
    assert (linf.feature, linf.value) == ("region", 0.04)
    assert {m.feature: m.value for m in ev.find("monitor.constraint_violation")} == {"age": 1.0, "region": 0.0}


def test_v2_alerts_and_v1_anomalies() -> None:
    from google.cloud.aiplatform_v1 import types as v1
    from google.cloud.aiplatform_v1beta1.types import model_monitoring_alert as a

    alert = a.ModelMonitoringAlert(
        stats_name="age",
        objective_type="raw-feature-drift",
        anomaly=a.ModelMonitoringAnomaly(
            algorithm="jensen_shannon_divergence",
            tabular_anomaly=a.ModelMonitoringAnomaly.TabularAnomaly(
                summary="age drifted", anomaly=0.23, condition=a.ModelMonitoringAlertCondition(threshold=0.1)
            ),
        ),
    )
    alerts = json.dumps({"modelMonitoringAlerts": [json.loads(a.ModelMonitoringAlert.to_json(alert))]}).encode()
    ev = get("vertex-monitor").read([Artifact("gs://exports/search_alerts.json", alerts)])
    assert [m.value for m in ev.find("monitor.constraint_violation")] == [1.0]
    assert [m.value for m in ev.find("vertex.js_divergence_base2_capped")] == [0.23]

    record = v1.ModelMonitoringStatsAnomalies(
        objective="RAW_FEATURE_SKEW",
        deployed_model_id="42",
        feature_stats=[
            v1.ModelMonitoringStatsAnomalies.FeatureHistoricStatsAnomalies(
                feature_display_name="income",
                threshold=v1.ThresholdConfig(value=0.3),
                prediction_stats=[v1.FeatureStatsAnomaly(distribution_deviation=0.41, anomaly_detection_threshold=0.3)],
            )
        ],
    )
    doc = {"monitoringStatsAnomalies": [json.loads(v1.ModelMonitoringStatsAnomalies.to_json(record))]}
    ev = get("vertex-monitor").read([Artifact("gs://exports/anomalies.json", json.dumps(doc).encode())])
    (deviation,) = ev.find("vertex.distribution_deviation")
    assert (deviation.feature, deviation.value) == ("income", 0.41)
    assert [m.value for m in ev.find("monitor.constraint_violation")] == [1.0]


def test_unknown_algorithm_is_explicit() -> None:
    doc = json.loads(_stats_json())
    doc["monitoringStats"][0]["tabularStats"]["dataPoints"][0]["algorithm"] = "wasserstein"
    ev = get("vertex-monitor").read([Artifact("x.json", json.dumps(doc).encode())])
    bad = [m for m in ev.metrics if m.error]
    assert len(bad) == 1 and "'wasserstein' is not one the catalog knows" in bad[0].error


def test_launch_creates_a_v2_model_monitor_with_a_data_drift_spec(monkeypatch) -> None:
    import google.auth
    from google.auth.credentials import AnonymousCredentials
    from google.cloud.aiplatform_v1beta1.services.model_monitoring_service import ModelMonitoringServiceClient
    from google.cloud.aiplatform_v1beta1.types import model_monitor as mm

    sent: list = []

    class Operation:
        def __init__(self, result):
            self._result = result
            self.operation = type("Op", (), {"name": "projects/fraud-ml/locations/europe-west4/operations/1"})()

        def result(self, timeout=None):
            return self._result

    def create_model_monitor(self, request=None, **kwargs):
        sent.append(request)
        created = mm.ModelMonitor(request.model_monitor)
        created.name = f"{request.parent}/modelMonitors/123"
        return Operation(created)

    monkeypatch.setattr(ModelMonitoringServiceClient, "create_model_monitor", create_model_monitor)
    monkeypatch.setattr(google.auth, "default", lambda *a, **k: (AnonymousCredentials(), "fraud-ml"))
    done = get("vertex-monitor").launch(
        {
            "project": "fraud-ml",
            "location": "europe-west4",
            "display_name": "credit-drift",
            "model": "projects/fraud-ml/locations/europe-west4/models/credit@3",
            "baseline_bigquery_table": "bq://fraud-ml.credit.train",
            "features": ["age", "income", "region"],
            "categorical_threshold": 0.2,
        }
    )
    assert done == {"model_monitor": "projects/fraud-ml/locations/europe-west4/modelMonitors/123"}
    (request,) = sent
    assert request.parent == "projects/fraud-ml/locations/europe-west4"
    body = json.loads(mm.ModelMonitor.to_json(request.model_monitor))
    drift = body["tabularObjective"]["featureDriftSpec"]
    assert drift["features"] == ["age", "income", "region"]
    assert (drift["categoricalMetricType"], drift["numericMetricType"]) == ("l_infinity", "jensen_shannon_divergence")
    assert drift["defaultCategoricalAlertCondition"]["threshold"] == 0.2
    assert body["modelMonitoringTarget"]["vertexModel"] == {
        "model": "projects/fraud-ml/locations/europe-west4/models/credit",
        "modelVersionId": "3",
    }
    assert body["trainingDataset"]["columnizedDataset"]["bigquerySource"]["tableUri"] == "bq://fraud-ml.credit.train"
    with pytest.raises(AdapterError, match="model: does not have the expected form"):
        get("vertex-monitor").launch(
            {
                "project": "p",
                "location": "l",
                "display_name": "d",
                "model": "credit",
                "baseline_bigquery_table": "bq://t",
                "features": ["a"],
            }
        )
